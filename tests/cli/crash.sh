#!/usr/bin/env bash
# Crash safety (SPEC section 3; docs/design.md, "Crash safety"): a run killed with SIGKILL
# at any instant loses nothing. For a batch of several thousand items started with
# `batchtrace start`, `collect` is killed at instants picked by a seeded random schedule:
# at named points of the code (BATCHTRACE_FAULT=POINT:N: while streaming a chunk, inside a
# claim transaction, between a request's acceptance and its delivered mark, inside a mark
# transaction, while spooling) and after random delays, against a sink that accepts,
# refuses, throttles or answers slowly. Then collect runs again to a working sink, and
# flush sends what was spooled: every item and the task arrive at least once in total,
# duplicates only within the requests in flight at the kill, each run sends a span at most
# once, and the second run's summary is true (exit 0, counts). The same for flush (killed
# mid-way, flushed again) and start (killed around its submit span).
#   tests/cli/crash.sh BINARY
# BATCHTRACE_CRASH_SEED=N repeats a schedule (the seed is printed); BATCHTRACE_CRASH_KILLS=N
# bounds the number of collect kills (default 10; the sanitizer builds may lower it).
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
CHECK="$BT_REPO_ROOT/tests/cli/crash_check.js"
SEED=${BATCHTRACE_CRASH_SEED:-$(( $(date +%s) % 100000 ))}
KILLS=${BATCHTRACE_CRASH_KILLS:-10}
ITEMS=3000
IN_FLIGHT=4
echo "crash.sh: seed $SEED, $KILLS collect kills (BATCHTRACE_CRASH_SEED=$SEED repeats them)"
RANDOM=$SEED
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"

# sink_script DIR SCRIPT_JSON: from now on the sink stores requests in DIR and plays
# SCRIPT_JSON (a sink.js config's "script"), then accepts.
sink_script() {
    local config='{"dir": "'"$1"'", "script": '"$2"', "then": {"status": 200}}'
    if command -v curl >/dev/null; then # much quicker than starting node
        curl -sf -o /dev/null --data-binary "$config" "http://127.0.0.1:$PORT/_sink/config"
    else
        node "$ORACLE/sink.js" --control "$PORT" "$config"
    fi
}

# bt STATE_DIR ARG...: runs the binary in $W with a clean environment and the store under
# STATE_DIR, plus $FAULT (BATCHTRACE_FAULT) when set; sets $code, $out, $err.
bt() {
    local state=$1
    shift
    # In the background, so that the shell says nothing when the fault kills it.
    (cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$state" \
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
    (cd "$W" && exec env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$state" \
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

# Records a check: check NAME CONDITION_TEXT... (evaluated with eval).
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

# The value of a top-level number member of the JSON object in $out.
json_get() {
    printf '%s' "$out" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2
}

# ---- the batch: ITEMS OpenAI chat items, started once --------------------------------------
BASE="$BT_TMP/base"
mkdir -p "$BASE"
node -e '
const fs = require("fs");
const [dir, count] = process.argv.slice(1);
const inputs = [], outputs = [];
for (let i = 1; i <= Number(count); i++) {
  const id = `req-${String(i).padStart(5, "0")}`;
  inputs.push(JSON.stringify({custom_id: id, method: "POST", url: "/v1/chat/completions",
    body: {model: "gpt-4o-mini", max_tokens: 20, messages: [{role: "user", content: `Label review ${i}: ${"lorem ipsum ".repeat(i % 7)}`}]}}));
  outputs.push(JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: {status_code: 200,
    request_id: `r${i}`, body: {id: `chatcmpl-${i}`, object: "chat.completion", created: 1767225700,
    model: "gpt-4o-mini", choices: [{index: 0, message: {role: "assistant", content: "positive"},
    finish_reason: "stop"}], usage: {prompt_tokens: 9, completion_tokens: 1, total_tokens: 10}}}, error: null}));
}
fs.writeFileSync(`${dir}/input.jsonl`, inputs.join("\n") + "\n");
fs.writeFileSync(`${dir}/output.jsonl`, outputs.join("\n") + "\n");
fs.writeFileSync(`${dir}/batch.json`, JSON.stringify({id: "batch_crash", object: "batch",
  endpoint: "/v1/chat/completions", status: "completed", created_at: 1767225600,
  in_progress_at: 1767225610, completed_at: 1767229200,
  request_counts: {total: Number(count), completed: Number(count), failed: 0}}));
' "$BASE" "$ITEMS"
W=$BASE
CASE=start
FAULT=
sink_script "$BASE/submit" '[]'
bt "$BASE/state" start --input input.jsonl --exporter otlp --endpoint "$SINK"
check start '[ "$code" = 0 ] && [ "${#out}" = 171 ]'
TOKEN=$out
node -e 'const fs=require("fs");const b=JSON.parse(fs.readFileSync(process.argv[1]));b.metadata={batchtrace_ctx:process.argv[2]};fs.writeFileSync(process.argv[1],JSON.stringify(b))' "$BASE/batch.json" "$TOKEN"

# Small requests (a few dozen spans each), so a run sends many and a kill lands among them.
EXPORT=(--exporter otlp --endpoint "$SINK" --max-request-bytes 32768 --max-in-flight $IN_FLIGHT)
COLLECT=(collect --results output.jsonl --batch batch.json --json)

# ---- collect killed at many instants, then collected again --------------------------------
# Each kill: a point or a delay, and what the sink does meanwhile.
for kill in $(seq "$KILLS"); do
    CASE=collect-$kill
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    cp "$BASE/input.jsonl" "$BASE/output.jsonl" "$BASE/batch.json" "$W/"
    cp -r "$BASE/state" "$W/state"
    sink="accepts"
    script='[]'
    points=(collect.chunk store.claim http.accepted store.mark)
    case $((RANDOM % 4)) in
        1) sink="refuses"; script='[{"status": 503, "times": 100000}]'
           points=(collect.chunk store.spool store.mark) ;;
        2) sink="throttles"; script='[{"status": 429, "headers": {"Retry-After": "0"}, "times": 40}]' ;;
        3) sink="answers slowly"; script='[{"status": 200, "delay_ms": 30, "times": 100000}]' ;;
    esac
    sink_script "$W/run1" "$script"
    if [ $((RANDOM % 3)) = 0 ]; then
        ms=$((RANDOM % 600))
        what="after $ms ms"
        bt_killed_after "$ms" "$W/state" "${COLLECT[@]}" "${EXPORT[@]}" --export-timeout 1
    else
        point=${points[$((RANDOM % ${#points[@]}))]}
        case $point in
            collect.chunk|store.claim) n=$((RANDOM % 3 + 1)) ;;
            *) n=$((RANDOM % 30 + 1)) ;;
        esac
        what="at $point:$n"
        FAULT=$point:$n
        bt "$W/state" "${COLLECT[@]}" "${EXPORT[@]}" --export-timeout 1
        FAULT=
    fi
    echo "crash.sh: $CASE: killed $what while the sink $sink (exit $code)"
    check first-run-ended '[ "$code" = 137 ] || [ "$code" = 0 ] || [ "$code" = 5 ]'
    sink_script "$W/run2" '[]'
    bt "$W/state" "${COLLECT[@]}" "${EXPORT[@]}"
    check again-exit '[ "$code" = 0 ]'
    echo "$out" > "$W/summary.json"
    check again-summary '[ "$(node -e "const s=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));console.log(s.items.total, s.spans_exported - (s.task_span_id ? 1 : 0) + (s.items_skipped || 0))" "$W/summary.json")" = "$ITEMS $ITEMS" ]'
    sink_script "$W/flushed" '[]'
    bt "$W/state" flush --json --endpoint "$SINK"
    check flush-exit '[ "$code" = 0 ] && [ "$(json_get spans_left)" = 0 ]'
    result=$(node "$CHECK" $ITEMS $((IN_FLIGHT + 1)) "$W/run1" "$W/run2" "$W/flushed")
    check everything-arrived '[ "$(printf "%s" "$result" | head -n -1)" = ok ]'
    [ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
    check store-settled '[ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*) FROM exported WHERE owner IS NULL; SELECT count(*) FROM exported WHERE owner IS NOT NULL; SELECT task_exported FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "$ITEMS 0 1 0 " ]'
done

# ---- flush killed mid-way, flushed again ---------------------------------------------------
# A collect against a refusing sink spools every request; a flush is killed while it sends
# them (a row accepted but not deleted yet, a row just taken, after a delay); the next flush
# takes over the dead flush's rows at once (no lease to wait for) and delivers the rest.
FLUSH_POINTS=(http.accepted store.spool_delete store.spool_claim)
for kill in 1 2 3; do
    CASE=flush-$kill
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    cp "$BASE/input.jsonl" "$BASE/output.jsonl" "$BASE/batch.json" "$W/"
    cp -r "$BASE/state" "$W/state"
    sink_script "$W/refused" '[{"status": 503, "times": 100000}]'
    bt "$W/state" "${COLLECT[@]}" "${EXPORT[@]}" --export-timeout 1
    check everything-spooled '[ "$code" = 5 ] && [ "$(json_get spans_spooled)" = $((ITEMS + 1)) ]'
    sink_script "$W/flush1" '[]'
    if [ "$kill" = 3 ]; then
        ms=$((RANDOM % 300))
        what="after $ms ms"
        bt_killed_after "$ms" "$W/state" flush --endpoint "$SINK" --max-in-flight $IN_FLIGHT
    else
        point=${FLUSH_POINTS[$((RANDOM % ${#FLUSH_POINTS[@]}))]}
        n=$((RANDOM % 40 + 1))
        what="at $point:$n"
        FAULT=$point:$n
        bt "$W/state" flush --endpoint "$SINK" --max-in-flight $IN_FLIGHT
        FAULT=
    fi
    echo "crash.sh: $CASE: flush killed $what (exit $code)"
    sink_script "$W/flush2" '[]'
    bt "$W/state" flush --json --endpoint "$SINK"
    check again-exit '[ "$code" = 0 ] && [ "$(json_get spans_left)" = 0 ]'
    result=$(node "$CHECK" $ITEMS $((IN_FLIGHT + 1)) "$W/refused" "$W/flush1" "$W/flush2")
    check everything-arrived '[ "$(printf "%s" "$result" | head -n -1)" = ok ]'
    [ "$(printf '%s' "$result" | head -n -1)" = ok ] || printf '%s\n' "$result" | head -n 5
    check store-settled '[ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*) FROM exported WHERE owner IS NULL; SELECT task_exported FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "$ITEMS 1 0 " ]'
done

# ---- start killed around its submit span -----------------------------------------------------
# start writes the submit span ahead (in the spool, with the batch's record, held by its
# run), sends it, deletes it once accepted. Killed after the record, after the acceptance,
# or before the delete: the submit span arrives (once it is flushed) at least once.
START_POINTS=(start.recorded:1 http.accepted:1 store.spool_delete:1)
for point in "${START_POINTS[@]}"; do
    CASE=start-${point%%:*}
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    cp "$BASE/input.jsonl" "$W/"
    sink_script "$W/submit" '[]'
    FAULT=$point
    bt "$W/state" start --input input.jsonl --exporter otlp --endpoint "$SINK"
    FAULT=
    check killed '[ "$code" = 137 ] && [ -z "$out" ]'
    sink_script "$W/flushed" '[]'
    bt "$W/state" flush --json --endpoint "$SINK"
    check flush-exit '[ "$code" = 0 ] && [ "$(json_get spans_left)" = 0 ]'
    submits=$(node -e '
const { normalize } = require(process.argv[1]);
const ids = new Set();
for (const dir of process.argv.slice(2)) for (const s of normalize(dir, { missingOk: true }).spans) {
  if (s.name === "openai.batch.submit") ids.add(s.spanId); else ids.add("other " + s.name);
}
console.log([...ids].map((id) => id.startsWith("other") ? id : "submit").join(","));
' "$ORACLE/normalize.js" "$W/submit" "$W/flushed")
    check submit-arrived '[ "$submits" = submit ]'
    check store-settled '[ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*) FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "1 0 " ]'
done
# A start that is not killed sends its submit span at once and leaves no spool row.
CASE=start-whole
W="$BT_TMP/$CASE"
mkdir -p "$W"
cp "$BASE/input.jsonl" "$W/"
sink_script "$W/submit" '[]'
bt "$W/state" start --input input.jsonl --exporter otlp --endpoint "$SINK" --json
check sent-once '[ "$code" = 0 ] && [ "$(json_get spans_exported)" = 1 ] && [ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*) FROM spool")" = 0 ]'
sink_script "$W/refused" '[{"status": 503, "times": 100000}]'
bt "$W/state" start --input input.jsonl --exporter otlp --endpoint "$SINK" --json --export-timeout 1
check refused-stays-spooled '[ "$code" = 5 ] && [ "$(json_get spans_spooled)" = 1 ] && [ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT count(*), count(owner) FROM spool")" = "1|0" ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
