#!/usr/bin/env bash
# The command line itself: help, version, usage errors (exit 2), fatal errors (exit 1),
# export failures (exit 5), the default exporter and the human summary.
#   tests/cli/usage.sh BINARY VERSION
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
VERSION=$2
passed=0
failed=0
FIX=tests/fixtures/openai-chat-all-outcomes
cd "$BT_REPO_ROOT"

# Run the binary with a clean environment; sets $code, $out, $err.
run() {
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} $(bt_wrapper) "$BIN" "$@" \
        >"$BT_TMP/out" 2>"$BT_TMP/err"
    code=$?
    set -e
    out=$(cat "$BT_TMP/out")
    err=$(cat "$BT_TMP/err")
}

# expect NAME CODE TEXT: the last run exited CODE and TEXT appears in stdout or stderr.
expect() {
    local name=$1 want_code=$2 text=$3
    if [ "$code" != "$want_code" ]; then
        echo "FAIL $name: exit $code, expected $want_code; stderr: ${err:0:300}"
        failed=$((failed + 1))
    elif [[ "$out$err" != *"$text"* ]]; then
        echo "FAIL $name: \"$text\" not in output: ${out:0:200} ${err:0:300}"
        failed=$((failed + 1))
    else
        echo "ok $name"
        passed=$((passed + 1))
    fi
}

run --version
expect version_prints_the_version 0 "batchtrace $VERSION"
run collect --version
expect collect_version 0 "batchtrace $VERSION"

run collect --help
expect help_exits_0 0 "Usage: batchtrace collect"
for flag in --results --batch --input --provider --parent --trace-id --exporter --output \
            --endpoint --protocol --no-content --json --quiet --help --version; do
    expect "help_documents_$flag" 0 "  $flag"
done

run
expect no_command_is_a_usage_error 2 "Usage: batchtrace COMMAND"
run frobnicate
expect unknown_command 2 'unknown command "frobnicate"'
run collect --bogus
expect unknown_option 2 'unknown option "--bogus"'
run collect --results
expect option_without_value 2 "--results needs a value"
run collect
expect nothing_to_collect 2 "nothing to collect"
run collect --results $FIX/output.jsonl --parent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
    --trace-id 4bf92f3577b34da6a3ce929d0e0e4736
expect parent_and_trace_id_conflict 2 "either --parent or --trace-id"
run collect --results $FIX/output.jsonl --parent nonsense
expect bad_traceparent 2 "--parent is not a W3C traceparent"
run collect --results $FIX/output.jsonl --trace-id 1234
expect bad_trace_id 2 "--trace-id must be 32 hex digits"
run collect --results $FIX/output.jsonl --provider gemini
expect unknown_provider 2 'unknown provider "gemini"'
run collect --results $FIX/output.jsonl --exporter otlp
expect otlp_needs_an_endpoint 2 "the otlp exporter needs an endpoint"
run collect --results $FIX/output.jsonl --exporter carrier-pigeon
expect unknown_exporter 2 'unknown exporter "carrier-pigeon"'
run collect --results $FIX/output.jsonl --endpoint http://127.0.0.1:1 --protocol grpc
expect unsupported_protocol 2 'unsupported OTLP protocol "grpc"'

run collect --results "$BT_TMP/does-not-exist.jsonl" --output "$BT_TMP/spans.jsonl" --json
expect missing_results_file_is_fatal 1 "does-not-exist.jsonl: No such file or directory"
expect fatal_json_summary_says_exit_1 1 '"exit_code":1'
run collect --results tests/fixtures --output "$BT_TMP/spans.jsonl"
expect directory_is_fatal 1 "tests/fixtures: is a directory"
run collect --results $FIX/output.jsonl --batch "$BT_TMP/nope.json" --output "$BT_TMP/spans.jsonl"
expect missing_batch_object_is_fatal 1 "nope.json: No such file or directory"
printf '{"id": "batch_x", "object": "batch", "status": "dancing"}' > "$BT_TMP/odd-batch.json"
run collect --results $FIX/output.jsonl --batch "$BT_TMP/odd-batch.json" --output "$BT_TMP/spans.jsonl"
expect unknown_batch_status_is_fatal 1 'unknown batch status "dancing"'
# Line 1 starts with a byte that is never valid UTF-8, so it is always a rejected line
# (random bytes alone may begin with a newline, and a blank line is skipped).
{ printf '\200'; head -c 20000 /dev/urandom; } > "$BT_TMP/random.bin"
run collect --results "$BT_TMP/random.bin" --output "$BT_TMP/spans.jsonl"
expect random_bytes_nothing_processed 1 "random.bin:1:"

run collect --results $FIX/output.jsonl --output /dev/full
expect full_disk_is_an_export_failure 5 "No space left on device"
run collect --results $FIX/output.jsonl --endpoint http://127.0.0.1:1 --json
expect endpoint_down_is_an_export_failure 5 "export failed"

mkdir -p "$BT_TMP/default"
( cd "$BT_TMP/default" && env -i PATH="$PATH" HOME="$BT_TMP" "$BIN" collect \
    --input "$BT_REPO_ROOT/$FIX/input.jsonl" --results "$BT_REPO_ROOT/$FIX/output.jsonl" \
    >"$BT_TMP/out" 2>"$BT_TMP/err" ) && code=0 || code=$?
out=$(cat "$BT_TMP/out"); err=$(cat "$BT_TMP/err")
expect default_exporter_summary 4 "exported to OTLP/JSON lines in ./batchtrace-spans.jsonl"
if [ -s "$BT_TMP/default/batchtrace-spans.jsonl" ]; then
    echo "ok default_exporter_writes_batchtrace_spans_jsonl"; passed=$((passed + 1))
else
    echo "FAIL default_exporter_writes_batchtrace_spans_jsonl"; failed=$((failed + 1))
fi

run collect --results $FIX/output.jsonl --exporter console
expect console_prints_a_line_per_span 0 "chat gpt-4o-mini"
run collect --results $FIX/output.jsonl --output "$BT_TMP/spans.jsonl" --quiet
if [ "$code" = 0 ] && [ -z "$err" ]; then
    echo "ok quiet_prints_nothing"; passed=$((passed + 1))
else
    echo "FAIL quiet_prints_nothing: exit $code, stderr: $err"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
