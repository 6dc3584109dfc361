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

# Variables added to the clean environment of run (VAR=VALUE words).
RUN_ENV=()

# Run the binary with a clean environment; sets $code, $out, $err.
run() {
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${RUN_ENV[@]+"${RUN_ENV[@]}"} \
        $(bt_wrapper) "$BIN" "$@" \
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

# refute NAME TEXT: TEXT appears nowhere in the last run's stdout or stderr.
refute() {
    if [[ "$out$err" == *"$2"* ]]; then
        echo "FAIL $1: \"$2\" in the output: ${err:0:300}"; failed=$((failed + 1))
    else
        echo "ok $1"; passed=$((passed + 1))
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
run collect --results $FIX/output.jsonl --provider cohere
expect unknown_provider 2 'unknown provider "cohere" (use one of openai, anthropic, gcp.gemini'
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
run collect --results $FIX/output.jsonl --endpoint http://127.0.0.1:1 --export-timeout 0.3 --json
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

# ---- the store: an unsupported URL is a usage error, one that cannot be opened is fatal,
# for every command, whether or not the run would have needed the store ----
: > "$BT_TMP/a-file"
STORE_COMMANDS=("collect --results $FIX/output.jsonl --output $BT_TMP/spans.jsonl"
                "start --input $FIX/input.jsonl --output $BT_TMP/spans.jsonl"
                "bind --batch-id batch_x --context btx1.x"
                "flush --endpoint http://127.0.0.1:1"
                "status")
for command in "${STORE_COMMANDS[@]}"; do
    name=${command%% *}
    # shellcheck disable=SC2086
    run $command --store "postgres://me:s3cret@127.0.0.1:1/batchtrace"
    expect "${name}_store_postgres_server_down_is_fatal" 1 \
        "postgres://me:<redacted>@127.0.0.1:1/batchtrace: the server does not answer: start it, or check the host and port in the URL"
    refute "${name}_store_postgres_password_not_shown" s3cret
    # shellcheck disable=SC2086
    run $command --store state.db
    expect "${name}_store_without_a_scheme_is_a_usage_error" 2 "--store must be a URL: sqlite:PATH or postgres://HOST/DATABASE"
    # shellcheck disable=SC2086
    run $command --store "sqlite:$BT_TMP/a-file/state.db"
    expect "${name}_store_that_cannot_be_opened_is_fatal" 1 "$BT_TMP/a-file/state.db"
done
RUN_ENV=(BATCHTRACE_STORE=postgres:)
run collect --results $FIX/output.jsonl --output "$BT_TMP/spans.jsonl"
expect collect_batchtrace_store_postgres_without_a_server_is_a_usage_error 2 \
    "BATCHTRACE_STORE: postgres: needs a server (postgres://USER@HOST/DATABASE)"
RUN_ENV=()
run collect --results $FIX/output.jsonl --output "$BT_TMP/spans.jsonl" --store "sqlite:$BT_TMP/a-file/state.db"
expect collect_store_that_cannot_be_opened_says_why 1 \
    "batchtrace: error: the store cannot be used: cannot create $BT_TMP/a-file/state.db: Not a directory"

# ---- --batch-id that no store knows: a warning naming it, then collect-only ----
run collect --results tests/fixtures/anthropic-all-result-types/results.jsonl \
    --output "$BT_TMP/spans.jsonl" --batch-id msgbatch_never_bound
expect unknown_batch_id_is_a_warning 0 \
    "batchtrace: warning: batch id msgbatch_never_bound is not in the store sqlite:$BT_TMP/.local/state/batchtrace/state.db"
expect unknown_batch_id_warning_says_what_to_do 0 \
    ": collecting without a context (did you run \`batchtrace bind\`?)"

# ---- each command's help says what its options do for that command ----
for command in start bind flush status; do
    run $command --help
    if [ "$code" = 0 ] && ! printf '%s\n' "$out" | grep -q '^  --.*(collect:'; then
        echo "ok ${command}_help_describes_its_own_options"; passed=$((passed + 1))
    else
        echo "FAIL ${command}_help_describes_its_own_options: $(printf '%s\n' "$out" | grep '(collect:')"
        failed=$((failed + 1))
    fi
done
run bind --help
expect bind_help_batch_id 0 "  --batch-id ID            the provider's batch id to record against the context"
expect bind_help_quiet 0 "  --quiet                  no confirmation on stderr (errors are still reported)"
refute bind_help_no_rejected_lines "rejected lines"
run status --help
expect status_help_batch_id 0 "  --batch-id ID            show only the batch bound to this id"
refute status_help_no_signing_key "BATCHTRACE_SIGNING_KEY"
refute status_help_no_token_exit_code "a token that fails verification"
run start --help
expect start_help_batch_id 0 "  --batch-id ID            the provider's batch id, when it is known before submission"
run flush --help
refute flush_help_no_rejected_lines "rejected lines"

# ---- --json: stdout holds the summary object alone, and no human summary is printed ----
# expect_json_only NAME: stdout of the last run is one line, a JSON object.
expect_json_only() {
    if [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | node -e \
        'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{JSON.parse(s)})' 2>/dev/null; then
        echo "ok $1"; passed=$((passed + 1))
    else
        echo "FAIL $1: stdout is not one JSON object: ${out:0:300}"; failed=$((failed + 1))
    fi
}
run collect --results $FIX/output.jsonl --exporter console --json
expect json_console_spans_go_to_stderr 0 "chat gpt-4o-mini"
expect_json_only json_console_keeps_stdout_json
[[ "$err" == *"chat gpt-4o-mini"* ]] && { echo "ok json_console_on_stderr"; passed=$((passed + 1)); } \
    || { echo "FAIL json_console_on_stderr: ${err:0:300}"; failed=$((failed + 1)); }
run collect --results $FIX/output.jsonl --output "$BT_TMP/spans.jsonl" --json
expect_json_only collect_json_is_one_object
refute collect_json_prints_no_human_summary "  items "
run start --input $FIX/input.jsonl --exporter console
expect start_console_spans_go_to_stderr 0 "openai.batch.submit"
if [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == btx1.* ]]; then
    echo "ok start_stdout_is_the_token_alone"; passed=$((passed + 1))
else
    echo "FAIL start_stdout_is_the_token_alone: ${out:0:300}"; failed=$((failed + 1))
fi
run start --input $FIX/input.jsonl --output "$BT_TMP/spans.jsonl" --json
expect_json_only start_json_is_one_object
refute start_json_prints_no_human_summary "batchtrace: started"
run flush --endpoint http://127.0.0.1:1 --store "sqlite:$BT_TMP/flush-store.db" --json
expect_json_only flush_json_is_one_object
refute flush_json_prints_no_human_summary "nothing to flush"

# ---- diagnostics: at most 20 rejected lines per file, then their count ----
for i in $(seq 50); do printf '\200 not UTF-8\n'; done > "$BT_TMP/binary.jsonl"
run collect --results "$BT_TMP/binary.jsonl" --results $FIX/output.jsonl --output "$BT_TMP/spans.jsonl" --json
expect rejected_lines_are_counted_past_the_cap 3 \
    "$BT_TMP/binary.jsonl: 30 more lines rejected (first 20 shown)"
if [ "$(grep -c "^$BT_TMP/binary.jsonl:[0-9]*: invalid UTF-8" "$BT_TMP/err")" = 20 ] &&
    [[ "$out" == *'"rejected_count":50'* ]]; then
    echo "ok rejected_lines_printed_are_the_first_20"; passed=$((passed + 1))
else
    echo "FAIL rejected_lines_printed_are_the_first_20: ${err:0:300}"; failed=$((failed + 1))
fi
# Warnings are capped apart from rejected lines: 25 results without an input.
for i in $(seq 25); do head -n 1 $FIX/output.jsonl | sed "s/review-0001/other-$i/"; done > "$BT_TMP/orphans.jsonl"
run collect --input $FIX/input.jsonl --results "$BT_TMP/orphans.jsonl" --output "$BT_TMP/spans.jsonl"
expect warnings_are_counted_past_the_cap 4 "$BT_TMP/orphans.jsonl: 5 more warnings (first 20 shown)"
if [ "$(grep -c "^$BT_TMP/orphans.jsonl:[0-9]*: warning: custom_id" "$BT_TMP/err")" = 20 ]; then
    echo "ok warnings_printed_are_the_first_20"; passed=$((passed + 1))
else
    echo "FAIL warnings_printed_are_the_first_20: ${err:0:300}"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
