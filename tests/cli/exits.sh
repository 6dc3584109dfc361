#!/usr/bin/env bash
# Every exit path keeps the claims' promise (issue 26; docs/design.md, "Crash safety"): a
# collect that ends early, whatever the way, leaves nothing recorded delivered that it did
# not deliver, and the next collect sends the rest and only then records the batch
# complete. The ways: the store's disk fills mid-claim or mid-mark (a file size limit),
# SIGTERM with the file exporter, SIGPIPE with the console exporter (`| head`), a results
# file cut shorter while it is read (the run stopped, the file truncated, the run resumed).
#   tests/cli/exits.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
CHECK="$BT_REPO_ROOT/tests/cli/crash_check.js"
ITEMS=3000
IN_FLIGHT=4
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command (scripts/install-deps.sh test)" >&2; exit 1; }
bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"
. "$BT_REPO_ROOT/tests/cli/crash_lib.sh"

BASE="$BT_TMP/base"
start_batch "$BASE" "$ITEMS"
EXPORT=(--exporter otlp --endpoint "$SINK" --max-request-bytes 32768 --max-in-flight $IN_FLIGHT)
COLLECT=(collect --results output.jsonl --batch batch.json --input input.jsonl --json)
HUMAN=(collect --results output.jsonl --batch batch.json --input input.jsonl) # summary on stderr

# ---- the store's disk fills: mid-claim, then (a larger limit) mid-mark ----------------------
# Once delivered marks cannot be written, what the run delivers after is sent again by the
# next collect: duplicates beyond the requests in flight, never a loss.
WINDOW_REQUESTS=1000000
for limit in 48 300; do
    new_case "disk-full-$limit" "$BASE"
    sink_script "$W/run1" '[]'
    LIMIT_FSIZE=$limit
    bt "$W/state" "${COLLECT[@]}" "${EXPORT[@]}"
    LIMIT_FSIZE=
    echo "exits.sh: $CASE: exit $code: $(grep -m1 -o 'state.db: cannot.*' "$W/err" || true)"
    check store-failure-said 'grep -q "state.db: cannot commit: disk I/O error" "$W/err"'
    recover_and_check "$W/run1"
done
WINDOW_REQUESTS=

# ---- SIGTERM with the file exporter: the process ends at once -------------------------------
new_case sigterm-file "$BASE"
FAULT=collect.chunk:2:TERM
bt "$W/state" "${COLLECT[@]}" --exporter file --output spans.jsonl
FAULT=
check terminated '[ "$code" = 143 ]'
recover_and_check "$W/spans.jsonl"

# ---- SIGPIPE with the console exporter: `collect ... --exporter console | head` -----------
new_case sigpipe-console "$BASE"
set +e
(cd "$W" && env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" \
    BATCHTRACE_NOW=2026-01-01T00:00:00Z \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    "$BIN" "${HUMAN[@]}" --exporter console 2>"$W/err" | head -c 2000 >/dev/null)
code=${PIPESTATUS[0]}
set -e
check broken-pipe '[ "$code" = 141 ]'
recover_and_check

# ---- a results file cut shorter while it is read ---------------------------------------------
# Large lines (an ignored padding field), so the file is far larger than what the workers
# read ahead: the run stops itself at its first chunk, the file is cut to a tenth, the run
# goes on and touches pages that are gone.
BIG="$BT_TMP/big"
node "$BT_REPO_ROOT/tests/cli/crash_gen.js" "$BIG" "$ITEMS" 12000
new_case cut-short "$BASE"
cp "$BIG/output.jsonl" "$W/output.jsonl"
sink_script "$W/run1" '[]'
(cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" \
    BATCHTRACE_NOW=2026-01-01T00:00:00Z BATCHTRACE_FAULT=collect.chunk:1:STOP \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    "$BIN" "${COLLECT[@]}" "${EXPORT[@]}" >"$W/out" 2>"$W/err") &
pid=$!
for _ in $(seq 200); do
    [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ] && break
    sleep 0.05
done
truncate -s $(( $(stat -c %s "$W/output.jsonl") / 10 )) "$W/output.jsonl"
kill -CONT "$pid"
set +e
wait "$pid" 2>/dev/null
code=$?
set -e
check cut-short-said '[ "$code" = 1 ] && grep -q "output.jsonl: the file was cut shorter while it was being read" "$W/err"'
cp "$BIG/output.jsonl" "$W/output.jsonl" # the user collects again with the whole file
recover_and_check "$W/run1"

# ---- a live run's claims are not taken over --------------------------------------------------
# Run A stops itself after claiming its first chunk; run B, meanwhile, sends the rest and
# counts A's items as pending (exit 4); A goes on and sends its items and, everything
# delivered, the task; a third run finds it all delivered.
new_case live-holder "$BASE"
sink_script "$W/run1" '[]'
(cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" \
    BATCHTRACE_NOW=2026-01-01T00:00:00Z BATCHTRACE_FAULT=collect.chunk:2:STOP \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    "$BIN" "${COLLECT[@]}" "${EXPORT[@]}" >"$W/out-a" 2>"$W/err-a") &
pid=$!
for _ in $(seq 200); do
    [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ] && break
    sleep 0.05
done
bt "$W/state" "${HUMAN[@]}" "${EXPORT[@]}"
held=$(bt_store_marks "$W/state" | cut -d' ' -f2)
check b-leaves-a-its-items '[ "$code" = 4 ] && [ "$held" -gt 0 ] && grep -qxF "batchtrace: openai batch batch_crash: another collect is working on $held items; collect again once it has ended" "$W/err"'
b_sent=$(grep -o "^  spans    [0-9]* exported" "$W/err" | grep -o "[0-9][0-9]*")
kill -CONT "$pid"
set +e
wait "$pid"
code=$?
set -e
out=$(cat "$W/out-a")
check a-sends-its-items-and-the-task '[ "$code" = 0 ] && [ $(( $(json_get spans_exported) + b_sent )) = $((ITEMS + 1)) ]'
bt "$W/state" "${HUMAN[@]}" "${EXPORT[@]}"
check third-finds-it-done '[ "$code" = 0 ] && grep -q "already collected: $ITEMS items and the task were exported before" "$W/err"'
result=$(node "$CHECK" "$ITEMS" 0 "$W/run1")
check each-item-once '[ "$(printf "%s" "$result" | head -n -1)" = ok ] && [ "$(printf "%s" "$result" | tail -n 1)" = "duplicates 0" ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
