#!/bin/bash
# Run a test against the private PostgreSQL server tests/pg/server.sh started:
#   tests/pg/with_server.sh STATE COMMAND ARG...
# exports BATCHTRACE_TEST_PG (the server's URL: the store tests then use it) and BT_PG_STATE
# (for a test that restarts the server), then runs COMMAND.
set -eu
state=${1:?usage: with_server.sh STATE COMMAND ARG...}
shift
if [ ! -f "$state" ]; then
    echo "with_server.sh: no PostgreSQL test server ($state): its fixture (pg.server.start) did not run or failed" >&2
    exit 1
fi
# shellcheck disable=SC1090
. "$state"
export BATCHTRACE_TEST_PG="$BT_PG_URL" BT_PG_STATE="$state" BT_PG_DIR
exec "$@"
