# shellcheck shell=bash
# Shared prelude for batchtrace's end-to-end shell tests; source it from a bash script.
#
# It sets strict mode, makes one temporary directory ($BT_TMP) removed on exit, keeps a list
# of background processes stopped on exit, and wraps the binary under test with valgrind
# when BATCHTRACE_VALGRIND=1.

set -eu -o pipefail

# The repository root (tests/cli/../..).
BT_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Scratch space for the whole run; every case works in a subdirectory of it.
BT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/batchtrace-cli.XXXXXX")
# Background processes this script started (bt_track), stopped by bt_cleanup.
BT_PIDS=()

# Stops the tracked background processes and removes $BT_TMP.
bt_cleanup() {
    local pid
    for pid in ${BT_PIDS[@]+"${BT_PIDS[@]}"}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$BT_TMP"
}
trap bt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

# Records a background process id so bt_cleanup stops it.
bt_track() {
    BT_PIDS+=("$1")
}

# Prints the command prefix that runs the binary under test: valgrind when
# BATCHTRACE_VALGRIND=1 (exit 99 on any memory error or leak), else nothing. Without the
# debug info of inlined calls valgrind starts a quarter faster; it finds the same errors
# (a report's stack then names the function an inlined call sits in).
bt_wrapper() {
    if [ "${BATCHTRACE_VALGRIND:-0}" = 1 ]; then
        echo "valgrind --error-exitcode=99 --leak-check=full --read-inline-info=no -q"
    fi
}

# Makes sure the oracle's node_modules exist (npm ci from the committed lock file).
bt_oracle_ready() {
    local oracle="$BT_REPO_ROOT/tests/oracle"
    if [ ! -d "$oracle/node_modules/@opentelemetry/otlp-transformer" ]; then
        (cd "$oracle" && npm ci --no-audit --no-fund >&2)
    fi
}

# Makes sure the real SDKs tests/proxy runs (openai, @anthropic-ai/sdk) are installed (npm ci
# from tests/proxy's committed lock file).
bt_proxy_clients_ready() {
    local clients="$BT_REPO_ROOT/tests/proxy"
    if [ ! -d "$clients/node_modules/openai" ] || [ ! -d "$clients/node_modules/@anthropic-ai/sdk" ]; then
        (cd "$clients" && npm ci --no-audit --no-fund >&2)
    fi
}

# Starts the oracle's HTTP sink (tests/oracle/sink.js) on 127.0.0.1 for the whole run,
# stopped on exit, and sets SINK_PORT. Exits the script when it does not come up.
bt_start_sink() {
    node "$BT_REPO_ROOT/tests/oracle/sink.js" --port-file "$BT_TMP/sink.port" --idle-timeout 600 \
        > /dev/null 2> "$BT_TMP/sink.err" &
    bt_track $!
    local _
    for _ in $(seq 100); do
        [ -f "$BT_TMP/sink.port" ] && break
        sleep 0.1
    done
    if [ ! -f "$BT_TMP/sink.port" ]; then
        echo "$0: the oracle sink did not start:" >&2
        cat "$BT_TMP/sink.err" >&2
        exit 1
    fi
    SINK_PORT=$(cat "$BT_TMP/sink.port")
}

# ---- the store under test: SQLite, or PostgreSQL when BATCHTRACE_TEST_PG is set -------------
# A test names each store by a state directory (XDG_STATE_HOME). With BATCHTRACE_TEST_PG set
# to a PostgreSQL URL (tests/pg/server.sh; ctest's *.pg tests), that directory stands for a
# schema of its own in that database instead, and the scripts run unchanged on that backend.

# The store URL of state directory DIR.
bt_store_url() {
    if [ -n "${BATCHTRACE_TEST_PG:-}" ]; then
        echo "$BATCHTRACE_TEST_PG&schema=s_$(printf '%s' "$1" | md5sum | cut -c1-24)"
    else
        echo "sqlite:$1/batchtrace/state.db"
    fi
}

# The environment assignment that points the binary at DIR's store (BATCHTRACE_STORE), or
# nothing for SQLite (XDG_STATE_HOME names it).
bt_store_env() {
    if [ -n "${BATCHTRACE_TEST_PG:-}" ]; then
        echo "BATCHTRACE_STORE=$(bt_store_url "$1")"
    fi
}

# psql, from Debian's versioned directory or PATH.
bt_psql() {
    local psql
    psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
    "${psql:-psql}" -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$@"
}

# bt_store_sql DIR SQL: run SQL (statements separated by "; ") on DIR's store and print each
# statement's rows as sqlite3 does ("a|b" lines).
bt_store_sql() {
    local url=$1 sql=$2
    if [ -z "${BATCHTRACE_TEST_PG:-}" ]; then
        sqlite3 "$url/batchtrace/state.db" "$sql"
        return
    fi
    local schema statements=() statement
    schema=s_$(printf '%s' "$url" | md5sum | cut -c1-24)
    IFS=';' read -ra parts <<< "$sql"
    for statement in "${parts[@]}"; do
        [ -n "${statement// /}" ] && statements+=(-c "$statement")
    done
    PGOPTIONS="-c search_path=$schema" bt_psql "$BATCHTRACE_TEST_PG" "${statements[@]}"
}

# bt_store_marks DIR: "DELIVERED HELD" of DIR's store: how many custom_ids are delivered,
# and how many are claimed by a run and not delivered (tests/cli/marks.js reads item_marks).
bt_store_marks() {
    local sql="SELECT seq, owner, hex(ids) FROM item_marks ORDER BY seq"
    [ -n "${BATCHTRACE_TEST_PG:-}" ] &&
        sql="SELECT seq, owner, encode(ids, 'hex') FROM item_marks ORDER BY seq"
    bt_store_sql "$1" "$sql" | node "$(dirname "${BASH_SOURCE[0]}")/marks.js"
}

# bt_store_copy FROM TO: make state directory TO's store a copy of FROM's.
bt_store_copy() {
    if [ -z "${BATCHTRACE_TEST_PG:-}" ]; then
        cp -r "$1" "$2"
        return
    fi
    mkdir -p "$2"
    local from to table sql
    from=s_$(printf '%s' "$1" | md5sum | cut -c1-24)
    to=s_$(printf '%s' "$2" | md5sum | cut -c1-24)
    sql="CREATE SCHEMA $to;"
    for table in schema_version spool keys batches batch_inputs batch_reports exported item_marks runs; do
        sql="$sql CREATE TABLE $to.$table (LIKE $from.$table INCLUDING ALL);"
        sql="$sql INSERT INTO $to.$table SELECT * FROM $from.$table;"
    done
    bt_psql "$BATCHTRACE_TEST_PG" -c "$sql" >/dev/null
}

# Sends a config to the running sink without starting node: bt_sink_control PORT JSON.
# A POST /_sink/config over bash's /dev/tcp (see tests/oracle/sink.js); fails with the
# sink's answer on stderr unless it says 200.
bt_sink_control() {
    local port=$1 body=$2 fd status_line length
    length=$(printf '%s' "$body" | wc -c)
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST /_sink/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$length" "$body" >&"$fd"
    IFS= read -r status_line <&"$fd" || status_line=""
    if [[ "$status_line" != "HTTP/1.1 200 "* ]]; then
        echo "sink control: ${status_line%$'\r'}: $(cat <&"$fd")" >&2
        exec {fd}>&-
        return 1
    fi
    cat <&"$fd" > /dev/null
    exec {fd}>&-
}

# check NAME EXPR...: evaluates the shell test EXPR; counts it in $passed or $failed and on
# failure prints `FAIL $CASE/NAME` with the last run's exit code ($code) and stderr ($W/err).
# The scripts that check a case at a time (export, lifecycle, output_file, crash, exits) use it.
check() {
    local name=$1
    shift
    if eval "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $CASE/$name: $* ; exit $code; stderr: $(head -c 700 "$W/err" | tr '\n' '|')"
    fi
}
