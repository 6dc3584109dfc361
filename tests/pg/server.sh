#!/bin/bash
# A private PostgreSQL server for the tests and the benchmark (Debian's `postgresql`
# package; scripts/install-deps.sh test installs it). Nothing needs to run before it.
#
#   tests/pg/server.sh start STATE [--durable]   initdb in a new temporary directory, start
#                                                the server on a Unix socket there, write
#                                                STATE (a shell file: BT_PG_DIR, BT_PG_URL)
#   tests/pg/server.sh stop STATE                stop the server, remove its directory and STATE
#   tests/pg/server.sh restart STATE             stop and start it again (same data)
#
# The server listens on no TCP port at all: only on a socket in its own directory, so two
# servers (two builds, ctest -j) never meet. Run as root (CI), the server runs as the
# unprivileged user `nobody` (initdb refuses root). BT_PG_URL names the database
# `batchtrace` as the superuser `postgres`; a role `bt_password` with the password
# `pw-s3cret` is there for the authentication tests. Without --durable, fsync is off (the
# tests never crash the machine); the benchmark starts it with --durable.
set -eu

action=${1:?usage: server.sh start|stop|restart STATE [--durable]}
state=${2:?usage: server.sh start|stop|restart STATE [--durable]}
durable=${3:-}

# The newest PostgreSQL binaries installed (Debian keeps them off PATH).
pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    elif command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
    else
        echo "batchtrace tests: PostgreSQL is not installed: run scripts/install-deps.sh test" >&2
        exit 1
    fi
}

# Run a command as the server's user: nobody when we are root, else ourselves.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

bin=$(pg_bin)

start_server() {
    # shellcheck disable=SC1090
    . "$state"
    as_server "$bin/pg_ctl" -D "$BT_PG_DIR/data" -l "$BT_PG_DIR/log" -w -t 60 \
        -o "-k $BT_PG_DIR -c listen_addresses= -p 5432" start >/dev/null
}

stop_server() {
    [ -f "$state" ] || return 0
    # shellcheck disable=SC1090
    . "$state"
    if [ -d "$BT_PG_DIR/data" ]; then
        as_server "$bin/pg_ctl" -D "$BT_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

case $action in
start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/batchtrace-pg.XXXXXX")
    # If anything below fails, leave nothing behind.
    trap 'stop_server; rm -rf "$dir" "$state"' EXIT
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody:nogroup "$dir"
    fi
    chmod 0755 "$dir"
    cat >"$state" <<EOF
BT_PG_DIR=$dir
BT_PG_URL='postgres:///batchtrace?host=$dir&port=5432&user=postgres'
EOF
    # initdb reads the current directory; as nobody, ours may be unreadable.
    (cd "$dir" && as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --no-sync >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; exit 1; }
    {
        echo "local all bt_password scram-sha-256"
        echo "local all all trust"
    } | as_server tee "$dir/data/pg_hba.conf" >/dev/null
    {
        echo "max_connections = 100"
        echo "shared_buffers = 64MB"
        if [ "$durable" != --durable ]; then
            echo "fsync = off"
            echo "full_page_writes = off"
        fi
    } | as_server tee -a "$dir/data/postgresql.conf" >/dev/null
    (cd "$dir" && start_server) || { cat "$dir/log" >&2; exit 1; }
    "$bin/psql" -X -q -h "$dir" -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE batchtrace" \
        -c "CREATE ROLE bt_password LOGIN PASSWORD 'pw-s3cret'" \
        -c "GRANT ALL ON DATABASE batchtrace TO bt_password" >/dev/null
    trap - EXIT
    ;;
stop)
    stop_server
    if [ -f "$state" ]; then
        # shellcheck disable=SC1090
        . "$state"
        rm -rf "$BT_PG_DIR"
    fi
    rm -f "$state"
    ;;
restart)
    stop_server
    (cd / && start_server)
    ;;
*)
    echo "usage: server.sh start|stop|restart STATE [--durable]" >&2
    exit 2
    ;;
esac
