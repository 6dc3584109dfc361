#!/usr/bin/env bash
# The otlp exporter's delivery, end to end, against the oracle's sink on 127.0.0.1 (SPEC
# section 6; docs/design.md, "Export"): what the server decoded, what was spooled, the exit
# code and the message, for 200, 429 with Retry-After, 503 then 200, 413, 400, partial
# success, a delay past the timeout, a reset connection, an absent server, an
# interruption; `batchtrace flush`; gzip; request sizes (the sink fails any request over
# --max-request-bytes); the OTEL_* variables; the Braintrust preset.
#   tests/cli/export.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ORACLE="$BT_REPO_ROOT/tests/oracle"
ASSERT="$BT_REPO_ROOT/tests/cli/export_assert.js"
passed=0
failed=0
cd "$BT_REPO_ROOT"
bt_oracle_ready
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 command (scripts/install-deps.sh test)" >&2; exit 1; }

bt_start_sink
PORT=$SINK_PORT
SINK="http://127.0.0.1:$PORT"
DOWN="http://127.0.0.1:1" # nothing listens on port 1

# Writes an OpenAI batch of $2 chat items to directory $1 (input.jsonl, output.jsonl); with
# a third argument, item 0003's answer is that many bytes long.
make_batch() {
    mkdir -p "$1"
    node -e '
const fs = require("fs");
const [dir, count, huge] = process.argv.slice(1);
const inputs = [], outputs = [];
for (let i = 1; i <= Number(count); i++) {
  const id = `item-${String(i).padStart(4, "0")}`;
  inputs.push(JSON.stringify({custom_id: id, method: "POST", url: "/v1/chat/completions",
    body: {model: "gpt-4o-mini", messages: [{role: "user", content: `Summarize review ${i}: ` + "tidy prose ".repeat(30)}]}}));
  const content = i === 3 && huge ? "x".repeat(Number(huge)) : `Summary ${i}.`;
  outputs.push(JSON.stringify({id: `batch_req_${i}`, custom_id: id, response: {status_code: 200,
    request_id: `req_${i}`, body: {id: `chatcmpl-${i}`, object: "chat.completion", created: 1767225600 + i,
    model: "gpt-4o-mini-2024-07-18", choices: [{index: 0, message: {role: "assistant", content},
    finish_reason: "stop"}], usage: {prompt_tokens: 80, completion_tokens: 4, total_tokens: 84}}}, error: null}));
}
fs.writeFileSync(`${dir}/input.jsonl`, inputs.join("\n") + "\n");
fs.writeFileSync(`${dir}/output.jsonl`, outputs.join("\n") + "\n");
' "$1" "$2" "${3:-}"
}

SMALL="$BT_TMP/small" # 6 spans: one request under the default limits
BIG="$BT_TMP/big"     # 41 spans: many requests under --max-request-bytes 4096
HUGE="$BT_TMP/huge"   # 9 spans, one of them larger than 4096 bytes encoded
LARGE="$BT_TMP/large" # 601 spans, about 730 KB encoded: the exporter pumps the sender
make_batch "$SMALL" 5
make_batch "$BIG" 40
make_batch "$HUGE" 8 9000
make_batch "$LARGE" 600

# Environment of every run (on top of a clean one); cases add to EXTRA_ENV.
EXTRA_ENV=()

# Runs the binary in $W with a clean environment; sets $code, $out and $err (also in
# $W/out and $W/err).
run() {
    set +e
    env -i PATH="$PATH" HOME="$W/home" XDG_STATE_HOME="$W/state" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"} $(bt_wrapper) "$BIN" "$@" >"$W/out" 2>"$W/err"
    code=$?
    set -e
    out=$(cat "$W/out")
    err=$(cat "$W/err")
}

# collect DATASET ARG...: `batchtrace collect` of a generated batch with the case's store.
collect() {
    local data=$1
    shift
    run collect --input "$data/input.jsonl" --results "$data/output.jsonl" --store "sqlite:$W/state.db" \
        --json "$@"
}

# flush ARG...: `batchtrace flush` of the case's store.
flush() {
    run flush --store "sqlite:$W/state.db" --json "$@"
}

# Starts a case: a work directory $W and a sink storing into $W/$2 (default "received")
# that answers per the config object's other members $1 (script, then, max_body_bytes).
begin() {
    CASE=$1
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    EXTRA_ENV=()
    sink '{"dir": "'"$W/received"'", "then": {"status": 200}, "max_body_bytes": null}'
}

# Sends a config object to the sink.
sink() {
    bt_sink_control "$PORT" "$1"
}

# The canonical spans a file-exporter run of DATASET gives (cached per dataset and flags).
expected() {
    local data=$1 key
    shift
    key=$(printf '%s' "$data $*" | cksum | cut -d' ' -f1)
    if [ ! -f "$BT_TMP/expected-$key.json" ]; then
        env -i PATH="$PATH" HOME="$BT_TMP" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
            ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} "$BIN" collect --input "$data/input.jsonl" \
            --results "$data/output.jsonl" --exporter file --output "$BT_TMP/expected-$key.jsonl" \
            --quiet "$@"
        node "$ASSERT" canon "$BT_TMP/expected-$key.jsonl" > "$BT_TMP/expected-$key.json"
    fi
    cat "$BT_TMP/expected-$key.json"
}

# True when the sink decoded exactly the spans of a file run of DATASET (flags after it), each
# once, in the requests it accepted into directory DIR.
server_has() {
    local dir=$1
    shift
    local got
    got=$(node "$ASSERT" canon "$dir") || return 1
    [ "$got" = "$(expected "$@")" ]
}

# "CHUNKS|SPANS" of the case's spool (0|0 when there is no store file).
spool() {
    if [ -f "$W/state.db" ]; then
        sqlite3 "$W/state.db" "SELECT count(*), coalesce(sum(span_count), 0) FROM spool"
    else
        echo "0|0"
    fi
}

# Number of requests the sink stored in DIR, and of those it answered with status S.
requests() { node "$ASSERT" requests "$1" | grep -c . || true; }
answered() { node "$ASSERT" requests "$1" | awk -v s="$2" '$2 == s' | grep -c . || true; }

# A member of the --json summary on stdout.
summary() {
    printf '%s\n' "$out" > "$W/summary.json"
    node "$ASSERT" get "$W/summary.json" "$1"
}

# The sink's count of requests over max_body_bytes so far.
violations() { node "$ASSERT" stats "$PORT" | node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).violations))'; }

# ---- 200: everything accepted; requests split under --max-request-bytes ----
begin ok-200
sink '{"max_body_bytes": 4096}'
collect "$BIG" --endpoint "$SINK" --max-request-bytes 4096 --max-in-flight 4
check exit_0 '[ "$code" = 0 ]'
check server_decoded_every_span_once 'server_has "$W/received" "$BIG"'
check split_into_many_requests '[ "$(requests "$W/received")" -ge 10 ]'
check nothing_spooled '[ "$(spool)" = "0|0" ]'
check summary_exported_41 '[ "$(summary spans_exported)" = 41 ]'
check summary_has_no_spool_keys '[ "$(summary spans_spooled)" = undefined ]'

# ---- gzip (per-signal variable beats the general one), OTLP/JSON ----
begin gzip
sink '{"max_body_bytes": 4096}'
EXTRA_ENV=(OTEL_EXPORTER_OTLP_COMPRESSION=none OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip)
collect "$BIG" --endpoint "$SINK" --protocol http/json --max-request-bytes 4096
check exit_0 '[ "$code" = 0 ]'
check every_request_gzip '[ "$(node "$ASSERT" requests "$W/received" | awk "\$4 != \"gzip\"" | wc -l)" = 0 ]'
check same_spans_decoded 'server_has "$W/received" "$BIG"'
check destination_says_gzip '[[ "$(summary destination)" == *"(http/json, gzip)"* ]]'

# ---- 429 with Retry-After in seconds, then 200: the same request again, once accepted ----
begin retry-after-429
sink '{"script": [{"status": 429, "headers": {"Retry-After": "1"}, "body": "slow down"}]}'
collect "$SMALL" --endpoint "$SINK"
check exit_0 '[ "$code" = 0 ]'
check two_requests '[ "$(node "$ASSERT" requests "$W/received" | cut -d" " -f2 | tr "\n" " ")" = "429 200 " ]'
check the_retry_resends_the_same_body '[ "$(node "$ASSERT" same-body "$W/received" 1 2)" = same ]'
check server_decoded_every_span_once 'server_has "$W/received" "$SMALL"'
check nothing_spooled '[ "$(spool)" = "0|0" ]'

# ---- 503 with Retry-After as an HTTP date, then 200 ----
begin retry-after-date
when=$(date -u -d '+1 second' '+%a, %d %b %Y %H:%M:%S GMT')
sink '{"script": [{"status": 503, "headers": {"Retry-After": "'"$when"'"}}]}'
collect "$SMALL" --endpoint "$SINK"
check exit_0 '[ "$code" = 0 ]'
check two_requests '[ "$(node "$ASSERT" requests "$W/received" | cut -d" " -f2 | tr "\n" " ")" = "503 200 " ]'
check server_decoded_every_span_once 'server_has "$W/received" "$SMALL"'

# ---- 503 three times, then 200 (backoff with jitter, within the export timeout) ----
begin unavailable-then-ok
sink '{"script": [{"status": 503, "times": 3, "body": "overloaded"}], "max_body_bytes": 4096}'
collect "$BIG" --endpoint "$SINK" --max-request-bytes 4096 --max-in-flight 2 --export-timeout 10
check exit_0 '[ "$code" = 0 ]'
check three_503 '[ "$(answered "$W/received" 503)" = 3 ]'
check server_decoded_every_span_once 'server_has "$W/received" "$BIG"'
check nothing_spooled '[ "$(spool)" = "0|0" ]'

# ---- many requests on the wire while the next ones fill: the exporter pumps the sender each
# 512 KiB of spans, so 503s are answered and retried, and outcomes reported, from pumps too;
# every span arrives once ----
begin pumped
sink '{"script": [{"status": 503, "times": 2, "body": "overloaded"}], "max_body_bytes": 100000}'
collect "$LARGE" --endpoint "$SINK" --max-request-bytes 100000 --export-timeout 20
check exit_0 '[ "$code" = 0 ]'
check two_503 '[ "$(answered "$W/received" 503)" = 2 ]'
check several_requests '[ "$(answered "$W/received" 200)" -ge 7 ]'
check server_decoded_every_span_once 'server_has "$W/received" "$LARGE"'
check summary_exported_601 '[ "$(summary spans_exported)" = 601 ]'
check nothing_spooled '[ "$(spool)" = "0|0" ]'

# ---- requests in flight: each holds its body in memory, so by default two at most are on the
# wire (a slow backend cannot take the memory past issue 20's bound); with a sink answering
# 300 ms after each request arrived, never three are open at once, and --max-in-flight 4
# opens four ----
begin in-flight-default
sink '{"dir": "'"$W/received"'", "then": {"status": 200, "delay_ms": 300}, "max_body_bytes": 4096}'
collect "$BIG" --endpoint "$SINK" --max-request-bytes 4096
check exit_0 '[ "$code" = 0 ]'
check two_open_at_once '[ "$(node "$ASSERT" most-at-once "$W/received" 300)" = 2 ]'
check server_decoded_every_span_once 'server_has "$W/received" "$BIG"'
begin in-flight-four
sink '{"dir": "'"$W/received"'", "then": {"status": 200, "delay_ms": 300}, "max_body_bytes": 4096}'
collect "$BIG" --endpoint "$SINK" --max-request-bytes 4096 --max-in-flight 4
check exit_0 '[ "$code" = 0 ]'
check four_open_at_once '[ "$(node "$ASSERT" most-at-once "$W/received" 300)" = 4 ]'
check server_decoded_every_span_once 'server_has "$W/received" "$BIG"'

# ---- 413 always: split down to single spans (6 -> 3+3 -> 1+2 -> 1+1: 11 requests), each
# refused span spooled on its own, reported with the server's message ----
begin too-large-413
sink '{"then": {"status": 413, "body": "request entity too large: limit 1 KiB"}}'
collect "$SMALL" --endpoint "$SINK"
check exit_5 '[ "$code" = 5 ]'
check message_quotes_the_server '[[ "$err" == *"POST $SINK/v1/traces: HTTP 413: request entity too large: limit 1 KiB; 1 span spooled"* ]]'
check split_down_to_one_span '[ "$(requests "$W/received")" = 11 ] && [ "$(answered "$W/received" 413)" = 11 ]'
check every_span_spooled_alone '[ "$(spool)" = "6|6" ]'
check says_how_to_send_them '[[ "$err" == *"6 spans wait in the spool: send them with \`batchtrace flush\` (store sqlite:$W/state.db)"* ]]'
check summary_spooled '[ "$(summary spans_spooled)" = 6 ] && [ "$(summary store)" = "\"sqlite:$W/state.db\"" ]'

# ---- 413 above a server's limit: split in halves down to one span; flush splits too ----
for protocol in http/protobuf http/json; do
    begin "split-413-${protocol#http/}"
    sink '{"reject_over": {"spans": 5}}'
    collect "$BIG" --endpoint "$SINK" --protocol "$protocol" --max-in-flight 1
    check exit_0 '[ "$code" = 0 ] && [ "$(summary spans_exported)" = 41 ]'
    check server_decoded_every_span_once 'server_has "$W/received" "$BIG"'
    check refused_then_split '[ "$(answered "$W/received" 413)" -ge 3 ] && [[ "$err" == *"HTTP 413: payload too large: 41 spans, at most 5; sending its 41 spans again as requests of 20 and 21"* ]]'
    check nothing_spooled '[ "$(spool)" = "0|0" ]'
    # one span over the byte limit alone: spooled with the reason, the rest delivered
    sink '{"dir": "'"$W/huge"'", "reject_over": {"bytes": 8000}}'
    collect "$HUGE" --endpoint "$SINK" --protocol "$protocol"
    check single_span_spooled '[ "$code" = 5 ] && [ "$(spool)" = "1|1" ] && [ "$(summary spans_exported)" = 8 ]'
    check single_span_reason '[[ "$(sqlite3 "$W/state.db" "SELECT reason FROM spool")" == *"HTTP 413: payload too large"* ]]'
    # a spooled request refused as too large: flush splits it, deletes the row once every
    # part is delivered
    rm -f "$W/state.db"*
    sink '{"dir": "'"$W/down"'", "then": {"status": 503}, "reject_over": null}'
    collect "$BIG" --endpoint "$SINK" --protocol "$protocol" --export-timeout 0.3
    check spooled_whole '[ "$code" = 5 ] && [ "$(spool)" = "1|41" ]'
    sink '{"dir": "'"$W/flushed"'", "then": {"status": 200}, "reject_over": {"spans": 4}}'
    flush --endpoint "$SINK"
    check flush_split_and_sent_all '[ "$code" = 0 ] && [ "$(spool)" = "0|0" ] && [ "$(summary spans_sent)" = 41 ]'
    check flush_delivered_every_span_once 'server_has "$W/flushed" "$BIG"'
    # ... and when a part is refused for good, that part alone replaces the row
    sink '{"dir": "'"$W/down"'", "then": {"status": 503}, "reject_over": null}'
    collect "$HUGE" --endpoint "$SINK" --protocol "$protocol" --export-timeout 0.3
    row=$(sqlite3 "$W/state.db" "SELECT id FROM spool")
    check huge_spooled_whole '[ "$code" = 5 ] && [ "$(spool)" = "1|9" ]'
    sink '{"dir": "'"$W/flushed-huge"'", "then": {"status": 200}, "reject_over": {"bytes": 8000}}'
    flush --endpoint "$SINK"
    check flush_left_only_the_huge_span '[ "$code" = 5 ] && [ "$(spool)" = "1|1" ] && [ "$(summary spans_sent)" = 8 ] && [ "$(summary spans_left)" = 1 ]'
    check the_row_was_replaced '[ "$(sqlite3 "$W/state.db" "SELECT id FROM spool")" != "$row" ] && [[ "$(sqlite3 "$W/state.db" "SELECT reason FROM spool")" == *"HTTP 413: payload too large"* ]]'
    sink '{"dir": "'"$W/flushed-huge"'", "reject_over": null}'
    flush --endpoint "$SINK"
    check the_huge_span_later '[ "$code" = 0 ] && [ "$(spool)" = "0|0" ] && server_has "$W/flushed-huge" "$HUGE"'
done

# ---- 400 with a google.rpc.Status-less text body ----
begin bad-request-400
sink '{"then": {"status": 400, "body": "span 3: invalid trace id\n"}}'
collect "$SMALL" --endpoint "$SINK" --protocol http/json
check exit_5 '[ "$code" = 5 ]'
check message_quotes_the_server '[[ "$err" == *"HTTP 400: span 3: invalid trace id; 6 spans spooled"* ]]'
check not_retried '[ "$(requests "$W/received")" = 1 ]'
check every_span_spooled '[ "$(spool)" = "1|6" ]'
check spool_keeps_the_protocol '[ "$(sqlite3 "$W/state.db" "SELECT protocol FROM spool")" = http/json ]'

# ---- partial success, protobuf and JSON: reported, counted, never re-sent ----
for protocol in http/protobuf http/json; do
    begin "partial-success-${protocol#http/}"
    sink '{"then": {"status": 200, "partial_success": {"rejected_spans": 2, "error_message": "2 spans lack a name"}}}'
    collect "$SMALL" --endpoint "$SINK" --protocol "$protocol"
    check exit_5 '[ "$code" = 5 ]'
    check message '[[ "$err" == *"the server rejected 2 of 6 spans: 2 spans lack a name"* ]]'
    check summary_counts '[ "$(summary spans_rejected)" = 2 ] && [ "$(summary spans_exported)" = 4 ]'
    check not_resent_not_spooled '[ "$(requests "$W/received")" = 1 ] && [ "$(spool)" = "0|0" ]'
done

# ---- a delay past the timeout: each attempt times out, the request is spooled ----
begin delay-past-timeout
sink '{"then": {"status": 200, "delay_ms": 30000}}'
EXTRA_ENV=(OTEL_EXPORTER_OTLP_TIMEOUT=300)
collect "$SMALL" --endpoint "$SINK" --export-timeout 1
check exit_5 '[ "$code" = 5 ]'
# curl says "Operation timed out after N ms", or "Connection timed out" when the last attempt's
# few milliseconds left end before a connect to the loaded machine's sink completes.
check message_says_timed_out '[[ "$err" == *" timed out after "* && "$err" == *"within the export timeout (1000 ms); 6 spans spooled"* ]]'
check every_span_spooled '[ "$(spool)" = "1|6" ]'
sink '{"dir": "'"$W/flushed"'", "then": {"status": 200}}'
flush --endpoint "$SINK"
check flush_exit_0 '[ "$code" = 0 ] && [ "$(summary spans_sent)" = 6 ]'
check flush_delivered_every_span_once 'server_has "$W/flushed" "$SMALL"'

# ---- a connection reset mid-request, then 200 ----
begin connection-reset
sink '{"script": [{"reset": true}]}'
collect "$SMALL" --endpoint "$SINK"
check exit_0 '[ "$code" = 0 ]'
check reset_then_accepted '[ "$(node "$ASSERT" requests "$W/received" | cut -d" " -f3 | tr "\n" " ")" = "reset answered " ]'
check server_decoded_every_span_once 'server_has "$W/received" "$SMALL"'

# ---- the server absent: everything spooled; flush delivers each span once; then nothing ----
begin endpoint-down
sink '{"max_body_bytes": 4096}'
collect "$BIG" --endpoint "$DOWN" --max-request-bytes 4096 --export-timeout 1
check exit_5 '[ "$code" = 5 ]'
check every_span_spooled '[ "$(spool | cut -d"|" -f2)" = 41 ] && [ "$(summary spans_spooled)" = 41 ]'
check says_how_many_wait '[[ "$err" == *"41 spans wait in the spool: send them with \`batchtrace flush\`"* ]]'
check message_names_the_failure '[[ "$err" == *"POST $DOWN/v1/traces: Failed to connect to 127.0.0.1 port 1"* ]]'
check the_store_is_private '[ "$(stat -c %a "$W/state.db")" = 600 ]'
flush --endpoint "$SINK" --max-request-bytes 4096
check flush_exit_0 '[ "$code" = 0 ]'
check flush_summary '[ "$(summary spans_found)" = 41 ] && [ "$(summary spans_sent)" = 41 ] && [ "$(summary spans_left)" = 0 ]'
check flush_delivered_every_span_once 'server_has "$W/received" "$BIG"'
check spool_empty '[ "$(spool)" = "0|0" ]'
before=$(requests "$W/received")
flush --endpoint "$SINK"
check second_flush_sends_nothing '[ "$code" = 0 ] && [ "$(requests "$W/received")" = "$before" ] && [ "$(summary spans_found)" = 0 ]'
check second_flush_json_alone '[ -z "$err" ]'
run flush --store "sqlite:$W/state.db" --endpoint "$SINK"
check second_flush_says_so '[[ "$err" == "batchtrace: nothing to flush in sqlite:$W/state.db" ]]'
rm -f "$W/state.db"*
flush --endpoint "$SINK"
check flush_of_a_missing_store_is_empty '[ "$code" = 0 ] && [ ! -e "$W/state.db" ]'

# ---- the default store: $XDG_STATE_HOME/batchtrace/state.db, directories 0700 ----
begin default-store
run collect --input "$SMALL/input.jsonl" --results "$SMALL/output.jsonl" --endpoint "$DOWN" --export-timeout 0.3
check exit_5 '[ "$code" = 5 ]'
check in_xdg_state_home '[ "$(sqlite3 "$W/state/batchtrace/state.db" "SELECT sum(span_count) FROM spool")" = 6 ]'
check directory_private '[ "$(stat -c %a "$W/state/batchtrace")" = 700 ]'
check schema_version '[ "$(sqlite3 "$W/state/batchtrace/state.db" "PRAGMA user_version")" = 6 ]'
EXTRA_ENV=(BATCHTRACE_STORE="sqlite:$W/elsewhere/other.db")
run flush --endpoint "$SINK"
check batchtrace_store_variable '[ "$code" = 0 ] && [[ "$err" == *"nothing to flush in sqlite:$W/elsewhere/other.db"* ]]'
EXTRA_ENV=()
run flush --endpoint "$SINK" --json
check flush_from_the_default_store '[ "$code" = 0 ] && [ "$(summary spans_sent)" = 6 ]'

# ---- a flush beside another that holds the spooled requests: they are not said to wait ----
begin flush-beside-another
collect "$SMALL" --endpoint "$DOWN" --export-timeout 0.2
sqlite3 "$W/state.db" "UPDATE spool SET lease_until_ns = $(( ($(date +%s) + 600) * 1000000000 ))"
flush --endpoint "$SINK"
check held_rows_are_not_waiting '[ "$code" = 0 ] && [ "$(summary spans_left)" = 0 ] && [ "$(summary spans_held)" = 6 ] && [ "$(requests "$W/received")" = 0 ]'
run flush --store "sqlite:$W/state.db" --endpoint "$SINK"
check says_another_flush_sends_them '[[ "$err" == *"6 spans are being sent by another batchtrace run, which reports on them"* && "$err" != *"still wait"* && "$err" != *"spool is empty"* ]]'

# ---- a store another process keeps locked: one wait for it, then the spool is not tried ----
begin locked-store
collect "$SMALL" --endpoint "$DOWN" --export-timeout 0.2 # makes the store: 6 spans spooled
coproc HOLDER { sqlite3 "$W/state.db" > /dev/null 2>&1; }
holder_pid=$HOLDER_PID # bash unsets HOLDER_PID once the coprocess is reaped
bt_track "$holder_pid"
echo 'BEGIN IMMEDIATE; DELETE FROM spool;' >&"${HOLDER[1]}"
for _ in $(seq 100); do
    sqlite3 -cmd '.timeout 0' "$W/state.db" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1 || break
    sleep 0.1
done
collect "$BIG" --endpoint "$DOWN" --max-request-bytes 16384 --export-timeout 0.2
check exit_5 '[ "$code" = 5 ]'
check several_requests_lost '[ "$(grep -c "could not be spooled and are lost" "$W/err")" -ge 3 ]'
check one_wait_for_the_lock '[ "$(grep -c "locked" "$W/err")" = 1 ]'
holder=$(grep -o "locked by another process (pid [0-9]*)" "$W/err" | grep -o "[0-9]*" || true)
check names_the_holder '[ -n "$holder" ] && [ "$(cat "/proc/$holder/comm")" = sqlite3 ]'
check names_the_store '[[ "$err" == *"$W/state.db: cannot spool: the store is locked by another process (pid $holder), still after 10 s; the spool is not tried again in this run"* ]]'
check later_losses_point_to_it '[[ "$err" == *"are lost: the spool cannot be used in this run (see above)"* ]]'
check nothing_spooled_nothing_exported '[ "$(summary spans_exported)" = 0 ] && [ "$(summary spans_spooled)" = undefined ]'
# SIGTERM while the run waits for the lock: the wait ends at once, and says so.
env -i PATH="$PATH" HOME="$W/home" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} $(bt_wrapper) "$BIN" collect --input "$SMALL/input.jsonl" \
    --results "$SMALL/output.jsonl" --store "sqlite:$W/state.db" --endpoint "$DOWN" --export-timeout 0.2 \
    --json >"$W/out" 2>"$W/err" &
pid=$!
sleep 1
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
err=$(cat "$W/err")
check sigterm_ends_the_wait '[ "$code" = 5 ] && [[ "$err" == *"cannot spool: the store is locked by another process (pid $holder); the wait for it was cut short; the spool is not tried again in this run"* ]]'
exec {HOLDER[1]}>&- # sqlite3 ends, its transaction rolled back
wait "$holder_pid" 2>/dev/null || true
check the_spool_kept_what_it_had '[ "$(spool)" = "1|6" ]'

# ---- a span larger than --max-request-bytes: a clear word, spooled, never dropped ----
begin span-too-large
sink '{"max_body_bytes": 4096}'
collect "$HUGE" --endpoint "$SINK" --max-request-bytes 4096
check exit_5 '[ "$code" = 5 ]'
check message '[[ "$err" == *"(chat gpt-4o-mini) is "*" bytes encoded, too large for a request of at most 4096 bytes (--max-request-bytes); 1 span spooled"* ]]'
check only_that_span_spooled '[ "$(spool)" = "1|1" ] && [ "$(summary spans_exported)" = 8 ]'
sink '{"script": [], "max_body_bytes": 65536}' # same directory: one set of spans in the end
flush --endpoint "$SINK" --max-request-bytes 4096
check flush_keeps_it_under_the_same_limit '[ "$code" = 5 ] && [ "$(spool)" = "1|1" ] && [[ "$err" == *"is larger than --max-request-bytes 4096"* ]]'
flush --endpoint "$SINK" --max-request-bytes 65536
check flush_with_a_larger_limit_sends_it '[ "$code" = 0 ] && [ "$(spool)" = "0|0" ]'
check server_has_every_span_once 'server_has "$W/received" "$HUGE"'

# ---- SIGTERM during export: what is on the wire gets a grace, the rest is spooled ----
begin interrupted
sink '{"then": {"status": 200, "delay_ms": 30000}, "max_body_bytes": 4096}'
env -i PATH="$PATH" HOME="$W/home" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} $(bt_wrapper) "$BIN" collect --input "$BIG/input.jsonl" \
    --results "$BIG/output.jsonl" --store "sqlite:$W/state.db" --endpoint "$SINK" \
    --max-request-bytes 4096 --max-in-flight 2 --json >"$W/out" 2>"$W/err" &
pid=$!
for _ in $(seq 100); do
    [ "$(node "$ASSERT" stats "$PORT" | grep -o '"requests":[0-9]*' | cut -d: -f2)" -ge 2 ] 2>/dev/null && \
        [ -n "$(ls "$W/received" 2>/dev/null)" ] && break
    sleep 0.1
done
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
out=$(cat "$W/out")
err=$(cat "$W/err")
check exit_5 '[ "$code" = 5 ]'
check summary_says_interrupted '[ "$(summary interrupted)" = true ] && [ "$(summary spans_spooled)" = 41 ]'
check every_span_spooled '[ "$(spool | cut -d"|" -f2)" = 41 ]'
check message '[[ "$err" == *"cut short by the interruption"* ]]'
sink '{"dir": "'"$W/flushed"'", "then": {"status": 200}}'
flush --endpoint "$SINK"
check flush_delivers_all '[ "$code" = 0 ] && server_has "$W/flushed" "$BIG"'

# ---- OTEL_* headers: per-signal override, percent-decoding; never in any output ----
begin headers
EXTRA_ENV=(OTEL_EXPORTER_OTLP_HEADERS="x-general=no"
           OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-secret-token=hunter2%2Cwith%20comma, x-team = evals")
collect "$SMALL" --endpoint "$SINK"
check exit_0 '[ "$code" = 0 ]'
check decoded_header '[ "$(node "$ASSERT" header "$W/received" 1 x-secret-token)" = "hunter2,with comma" ]'
check trimmed_header '[ "$(node "$ASSERT" header "$W/received" 1 x-team)" = evals ]'
check traces_variable_wins '[ -z "$(node "$ASSERT" header "$W/received" 1 x-general)" ]'
collect "$SMALL" --endpoint "$DOWN" --export-timeout 0.2
check failing_run_exit_5 '[ "$code" = 5 ]'
check no_header_in_output '[[ "$out$err$(sqlite3 "$W/state.db" .dump)" != *hunter2* && "$out$err" != *x-secret-token* ]]'
EXTRA_ENV=(OTEL_EXPORTER_OTLP_HEADERS="x-secret-name=line%0Abreak")
collect "$SMALL" --endpoint "$SINK"
check line_break_is_a_usage_error '[ "$code" = 2 ] && [[ "$err" == *"OTLP header 1 contains a line break"* && "$err" != *x-secret-name* ]]'

# ---- secrets in the endpoint URL: userinfo and query values are never shown or spooled ----
begin secrets
for endpoint in "http://user:top/SECRET@127.0.0.1:1" "http://user:p@SECRET@127.0.0.1:1" \
                "http://u:SECRET@127.0.0.1:1/?key=SECRET2" "$DOWN?key=SECRET3"; do
    rm -f "$W/state.db"*
    collect "$SMALL" --endpoint "$endpoint" --export-timeout 0.3
    check "spooled_${endpoint//[^a-z0-9]/_}" '[ "$code" = 5 ] && [ "$(spool)" = "1|6" ]'
    check "secret_nowhere_${endpoint//[^a-z0-9]/_}" '[[ "$out$err$(sqlite3 "$W/state.db" .dump)" != *SECRET* && "$out$err" != *top/* ]]'
    flush --endpoint "$endpoint" --export-timeout 0.3
    check "flush_secret_nowhere_${endpoint//[^a-z0-9]/_}" '[ "$code" = 5 ] && [[ "$out$err$(sqlite3 "$W/state.db" .dump)" != *SECRET* ]]'
done
check shown_form '[ "$(summary destination)" = "\"$DOWN/v1/traces?key=<redacted> (http/protobuf)\"" ]'
check spool_destination '[ "$(sqlite3 "$W/state.db" "SELECT destination FROM spool")" = "$DOWN/v1/traces?key=<redacted>" ]'
collect "$SMALL" --endpoint "$SINK/?key=SECRET4"
check path_before_query '[ "$code" = 0 ] && [ "$(node "$ASSERT" requests "$W/received" | cut -d" " -f6)" = "/v1/traces?key=SECRET4" ]'
check query_value_hidden '[[ "$out$err" != *SECRET4* && "$(summary destination)" == *"/v1/traces?key=<redacted> (http/protobuf)"* ]]'
EXTRA_ENV=(BRAINTRUST_API_KEY=k BRAINTRUST_API_URL="http://bt:SECRET5@127.0.0.1:1")
collect "$SMALL" --braintrust-parent project_name:x --export-timeout 0.3
check braintrust_url_hidden '[ "$code" = 5 ] && [[ "$out$err$(sqlite3 "$W/state.db" .dump)" != *SECRET5* && "$err" == *"http://<redacted>@127.0.0.1:1/otel/v1/traces"* ]]'
EXTRA_ENV=()

# ---- settings: usage errors (exit 2) with the reason ----
begin usage
collect "$SMALL" --endpoint "$SINK" --max-request-bytes 100
check max_request_bytes_minimum '[ "$code" = 2 ] && [[ "$err" == *"--max-request-bytes must be at least 1024, not 100"* ]]'
collect "$SMALL" --endpoint "$SINK" --max-in-flight 0
check max_in_flight_positive '[ "$code" = 2 ] && [[ "$err" == *"--max-in-flight needs a positive whole number, not \"0\""* ]]'
collect "$SMALL" --endpoint "$SINK" --max-in-flight 65
check max_in_flight_at_most_64 '[ "$code" = 2 ] && [[ "$err" == *"--max-in-flight must be between 1 and 64, not 65"* ]]'
collect "$SMALL" --endpoint "$SINK" --export-timeout soon
check export_timeout_number '[ "$code" = 2 ] && [[ "$err" == *"--export-timeout needs a positive number of seconds, not \"soon\""* ]]'
run collect --results "$SMALL/output.jsonl" --endpoint "$SINK" --store "postgresql://u:s3cret-pw@127.0.0.1:1/x"
check postgres_server_down '[ "$code" = 1 ] && [[ "$err" == *"postgresql://u:<redacted>@127.0.0.1:1/x: the server does not answer"* && "$err" != *s3cret-pw* ]]'
run collect --results "$SMALL/output.jsonl" --endpoint "$SINK" --store "/tmp/x.db"
check store_must_be_a_url '[ "$code" = 2 ] && [[ "$err" == *"--store must be a URL: sqlite:PATH"* ]]'
EXTRA_ENV=(OTEL_EXPORTER_OTLP_COMPRESSION=br)
collect "$SMALL" --endpoint "$SINK"
check compression_gzip_or_none '[ "$code" = 2 ] && [[ "$err" == *"OTEL_EXPORTER_OTLP_COMPRESSION must be gzip or none, not \"br\""* ]]'
EXTRA_ENV=(OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=10s)
collect "$SMALL" --endpoint "$SINK"
check timeout_in_milliseconds '[ "$code" = 2 ] && [[ "$err" == *"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT must be a positive number of milliseconds, not \"10s\""* ]]'
for command in collect flush; do
    run "$command" --help
    for flag in --store --max-request-bytes --max-in-flight --export-timeout --braintrust-parent \
                --endpoint --json --quiet; do
        check "${command}_help_documents_$flag" '[ "$code" = 0 ] && [[ "$out" == *"  $flag "* ]]'
    done
done
EXTRA_ENV=()
run flush --store "sqlite:$W/state.db"
check flush_needs_an_endpoint '[ "$code" = 2 ] && [[ "$err" == *"the otlp exporter needs an endpoint"* ]]'

# ---- the Braintrust preset ----
KEY=sk-bt-TEST-7f3a9c2e
begin braintrust
EXTRA_ENV=(BRAINTRUST_API_KEY=$KEY BRAINTRUST_API_URL="$SINK/")
collect "$SMALL" --braintrust-parent project_name:batch-evals
check exit_0 '[ "$code" = 0 ]'
check path '[ "$(node "$ASSERT" requests "$W/received" | cut -d" " -f6)" = /otel/v1/traces ]'
check authorization '[ "$(node "$ASSERT" header "$W/received" 1 authorization)" = "Bearer $KEY" ]'
check x_bt_parent '[ "$(node "$ASSERT" header "$W/received" 1 x-bt-parent)" = project_name:batch-evals ]'
check key_nowhere '[[ "$out$err" != *"$KEY"* ]]'
check braintrust_convention_on 'server_has "$W/received" "$SMALL" --convention braintrust'
check destination '[ "$(summary destination)" = "\"$SINK/otel/v1/traces (http/protobuf, Braintrust project_name:batch-evals)\"" ]'
EXTRA_ENV=(BRAINTRUST_API_KEY=$KEY BRAINTRUST_API_URL="$DOWN" BRAINTRUST_PARENT=experiment_id:exp-42)
collect "$SMALL" --export-timeout 0.3
check down_exit_5 '[ "$code" = 5 ] && [[ "$out$err" != *"$KEY"* ]]'
check key_not_in_the_spool '[[ "$(sqlite3 "$W/state.db" .dump)" != *"$KEY"* ]]'
check spool_keeps_the_parent '[ "$(sqlite3 "$W/state.db" "SELECT braintrust_parent FROM spool")" = experiment_id:exp-42 ]'
sink '{"dir": "'"$W/flushed"'"}'
EXTRA_ENV=(BRAINTRUST_API_KEY=$KEY BRAINTRUST_API_URL="$SINK")
flush
check flush_sends_with_the_spooled_parent '[ "$code" = 0 ] && [ "$(node "$ASSERT" header "$W/flushed" 1 x-bt-parent)" = experiment_id:exp-42 ]'
check flush_key_nowhere '[[ "$out$err" != *"$KEY"* ]]'
collect "$SMALL"
check parent_required '[ "$code" = 2 ] && [[ "$err" == *"the Braintrust preset (BRAINTRUST_API_KEY) needs a parent"* ]]'
collect "$SMALL" --braintrust-parent project:x
check parent_form '[ "$code" = 2 ] && [[ "$err" == *"--braintrust-parent must be project_name:NAME, project_id:ID or experiment_id:ID, not \"project:x\""* ]]'
EXTRA_ENV=()
collect "$SMALL" --endpoint "$SINK" --braintrust-parent project_name:x
check parent_needs_the_preset '[ "$code" = 2 ] && [[ "$err" == *"--braintrust-parent needs the Braintrust preset"* ]]'

CASE=all
check no_request_over_max_request_bytes '[ "$(violations)" = 0 ]'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
