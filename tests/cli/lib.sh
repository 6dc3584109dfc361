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
# BATCHTRACE_VALGRIND=1 (exit 99 on any memory error or leak), else nothing.
bt_wrapper() {
    if [ "${BATCHTRACE_VALGRIND:-0}" = 1 ]; then
        echo "valgrind --error-exitcode=99 --leak-check=full -q"
    fi
}

# Makes sure the oracle's node_modules exist (npm ci from the committed lock file).
bt_oracle_ready() {
    local oracle="$BT_REPO_ROOT/tests/oracle"
    if [ ! -d "$oracle/node_modules/@opentelemetry/otlp-transformer" ]; then
        (cd "$oracle" && npm ci --no-audit --no-fund >&2)
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
