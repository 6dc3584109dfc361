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
# bounds the number of collect kills (default 8; the sanitizer builds may lower it).
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
CHECK="$BT_REPO_ROOT/tests/cli/crash_check.js"
SEED=${BATCHTRACE_CRASH_SEED:-$(( $(date +%s) % 100000 ))}
KILLS=${BATCHTRACE_CRASH_KILLS:-8}
ITEMS=3000
IN_FLIGHT=4
echo "crash.sh: seed $SEED, $KILLS collect kills (BATCHTRACE_CRASH_SEED=$SEED repeats them)"
RANDOM=$SEED
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command (scripts/install-deps.sh test)" >&2; exit 1; }
# With BATCHTRACE_TEST_PG set, every store is a schema of that PostgreSQL database (lib.sh).
bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"

. "$BT_REPO_ROOT/tests/cli/crash_lib.sh"

# ---- the batch: ITEMS OpenAI chat items, started once --------------------------------------
BASE="$BT_TMP/base"
start_batch "$BASE" "$ITEMS"

# Small requests (a few dozen spans each), so a run sends many and a kill lands among them.
EXPORT=(--exporter otlp --endpoint "$SINK" --max-request-bytes 32768 --max-in-flight $IN_FLIGHT)
COLLECT=(collect --results output.jsonl --batch batch.json --json)

# ---- collect killed at many instants, then collected again --------------------------------
# Each kill: a point or a delay, and what the sink does meanwhile.
for kill in $(seq "$KILLS"); do
    new_case "collect-$kill" "$BASE"
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
    recover_and_check "$W/run1"
done

# ---- flush killed mid-way, flushed again ---------------------------------------------------
# A collect against a refusing sink spools every request; a flush is killed while it sends
# them (a row accepted but not deleted yet, a row just taken, after a delay); the next flush
# takes over the dead flush's rows at once (no lease to wait for) and delivers the rest.
FLUSH_POINTS=(http.accepted store.spool_delete store.spool_claim)
for kill in 1 2 3; do
    new_case "flush-$kill" "$BASE"
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
    check store-settled '[ "$(bt_store_sql "$W/state" "SELECT items_delivered FROM batches; SELECT CAST(task_exported AS INTEGER) FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "$ITEMS 1 0 " ] && [ "$(bt_store_marks "$W/state")" = "$ITEMS 0" ]'
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
    check store-settled '[ "$(bt_store_sql "$W/state" "SELECT count(*) FROM batches; SELECT count(*) FROM spool;" | tr "\n" " ")" = "1 0 " ]'
done
# A start that is not killed sends its submit span at once and leaves no spool row.
CASE=start-whole
W="$BT_TMP/$CASE"
mkdir -p "$W"
cp "$BASE/input.jsonl" "$W/"
sink_script "$W/submit" '[]'
bt "$W/state" start --input input.jsonl --exporter otlp --endpoint "$SINK" --json
check sent-once '[ "$code" = 0 ] && [ "$(json_get spans_exported)" = 1 ] && [ "$(bt_store_sql "$W/state" "SELECT count(*) FROM spool")" = 0 ]'
sink_script "$W/refused" '[{"status": 503, "times": 100000}]'
bt "$W/state" start --input input.jsonl --exporter otlp --endpoint "$SINK" --json --export-timeout 1
check refused-stays-spooled '[ "$code" = 5 ] && [ "$(json_get spans_spooled)" = 1 ] && [ "$(bt_store_sql "$W/state" "SELECT count(*), count(owner) FROM spool")" = "1|0" ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
