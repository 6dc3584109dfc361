# shellcheck shell=bash
# Helpers shared by tests/cli/crash.sh and tests/cli/exits.sh (source after lib.sh, with
# BIN, ORACLE, PORT and SINK set): runs of the binary that may be killed, checks, the sink's
# script, and the started batch both use.

FAULT=        # BATCHTRACE_FAULT for the next bt, when set
LIMIT_FSIZE=  # the file size limit (KiB) for the next bt, when set

# sink_script DIR SCRIPT_JSON: from now on the sink stores requests in DIR and plays
# SCRIPT_JSON (a sink.js config's "script"), then accepts.
sink_script() {
    local config='{"dir": "'"$1"'", "script": '"$2"', "then": {"status": 200}}'
    bt_sink_control "$PORT" "$config"
}

# bt STATE_DIR ARG...: runs the binary in $W with a clean environment and the store under
# STATE_DIR, plus $FAULT (BATCHTRACE_FAULT) when set, and files limited to $LIMIT_FSIZE KiB
# when set (SIGXFSZ ignored: writes past it fail with EFBIG, as on a full disk); sets $code,
# $out, $err.
bt() {
    local state=$1
    shift
    # In the background, so that the shell says nothing when the fault kills it.
    (cd "$W" && if [ -n "${LIMIT_FSIZE:-}" ]; then trap '' XFSZ; ulimit -f "$LIMIT_FSIZE"; fi &&
        exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$state" $(bt_store_env "$state") \
        BATCHTRACE_NOW=2026-01-01T00:00:00Z ${FAULT:+BATCHTRACE_FAULT="$FAULT"} \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        $(bt_wrapper) "$BIN" "$@" >"$W/out" 2>"$W/err") &
    set +e
    wait $! 2>/dev/null
    code=$?
    set -e
    out=$(cat "$W/out")
    err=$(cat "$W/err")
}

# bt_killed_after MS STATE_DIR ARG...: like bt, but SIGKILL after MS milliseconds.
bt_killed_after() {
    local ms=$1 state=$2
    shift 2
    # Made here: on a loaded machine the kill may come before the subshell opens them.
    : > "$W/out"
    : > "$W/err"
    (cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$state" $(bt_store_env "$state") \
        BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        "$BIN" "$@" >"$W/out" 2>"$W/err") &
    local pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    set +e
    wait "$pid" 2>/dev/null
    code=$?
    set -e
    err=$(cat "$W/err")
}

# The value of a top-level number member of the JSON object in $out.
json_get() {
    printf '%s' "$out" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2
}


# recover_and_check INPUT...: what a user does after a run ended badly: collect again to a
# working sink ($W/run2), then flush ($W/flushed). Checks that the second collect exits 0
# with a true summary (every item counted, sent now or delivered before), that the spool
# is empty, that INPUT... (what earlier runs delivered: sink directories or files) with
# run2 and flushed hold every item and the task, duplicates within the requests in flight
# (crash_check.js; WINDOW_REQUESTS requests when set, else IN_FLIGHT + 1), and that the
# store records all of it delivered and nothing claimed. Needs COLLECT and EXPORT (arrays),
# ITEMS, IN_FLIGHT and CHECK.
recover_and_check() {
    sink_script "$W/run2" '[]'
    bt "$W/state" "${COLLECT[@]}" "${EXPORT[@]}"
    check again-exit '[ "$code" = 0 ]'
    echo "$out" > "$W/summary.json"
    check again-summary '[ "$(node -e "const s=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));console.log(s.items.total, s.spans_exported - (s.task_span_id ? 1 : 0) + (s.items_skipped || 0))" "$W/summary.json")" = "$ITEMS $ITEMS" ]'
    sink_script "$W/flushed" '[]'
    bt "$W/state" flush --json --endpoint "$SINK"
    check flush-exit '[ "$code" = 0 ] && [ "$(json_get spans_left)" = 0 ]'
    result=$(node "$CHECK" "$ITEMS" "${WINDOW_REQUESTS:-$((IN_FLIGHT + 1))}" "$@" "$W/run2" "$W/flushed")
    check everything-arrived '[ "$(printf "%s" "$result" | head -n -1)" = ok ]'
    [ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
    check store-settled '[ "$(bt_store_sql "$W/state" "SELECT items_delivered FROM batches; SELECT CAST(task_exported AS INTEGER) FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "$ITEMS 1 0 " ] && [ "$(bt_store_marks "$W/state")" = "$ITEMS 0" ]'
}

# start_batch DIR COUNT [PAD]: a batch of COUNT items in DIR (crash_gen.js), started there
# with its store under DIR/state; the batch object gets the token in its metadata.
start_batch() {
    node "$BT_REPO_ROOT/tests/cli/crash_gen.js" "$1" "$2" "${3:-0}"
    W=$1
    CASE=start
    sink_script "$1/submit" '[]'
    bt "$1/state" start --input input.jsonl --exporter otlp --endpoint "$SINK"
    check start '[ "$code" = 0 ] && [ "${#out}" = 171 ]'
    node -e 'const fs=require("fs");const b=JSON.parse(fs.readFileSync(process.argv[1]));b.metadata={batchtrace_ctx:process.argv[2]};fs.writeFileSync(process.argv[1],JSON.stringify(b))' "$1/batch.json" "$out"
}

# new_case NAME BASE: a case directory $W with the files and the store of the started batch
# in BASE.
new_case() {
    CASE=$1
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    cp "$2/input.jsonl" "$2/output.jsonl" "$2/batch.json" "$W/"
    bt_store_copy "$2/state" "$W/state"
}
