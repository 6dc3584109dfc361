#!/usr/bin/env bash
# Hostile input: files no provider would write, and an environment that fails under the tool.
# Each case checks the exit code (documented in docs/design.md, "Hostile input"), the exact
# message, that no sanitizer reported anything, and where memory matters, the peak resident
# size (GNU time's %M). Large inputs are generated here, in the temporary directory, and
# removed as soon as their cases ran.
#   tests/cli/hostile.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
passed=0
failed=0
cd "$BT_REPO_ROOT"
W=$BT_TMP
OPENAI=tests/fixtures/openai-chat-all-outcomes
ANTHROPIC=tests/fixtures/anthropic-batch-running
GOOD=$(head -n 1 "$OPENAI/output.jsonl") # one valid OpenAI result line (custom_id review-0001)
MIB=1024                                  # KiB per MiB, for the memory bounds
read -r -a WRAPPER <<<"$(bt_wrapper)"     # valgrind when BATCHTRACE_VALGRIND=1

# Under AddressSanitizer every allocation carries shadow memory, redzones and a quarantine
# of freed blocks: memory bounds get that much more room.
asan_factor=1
if grep -q __asan_init "$BIN" 2>/dev/null; then asan_factor=3; fi

# run ARGS...: runs `batchtrace collect ARGS...` with a clean environment under GNU time;
# sets $code, $out, $err and $peak_kb (peak resident size).
run() {
    set +e
    env -i PATH="$PATH" HOME="$W" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} \
        /usr/bin/time -f %M -o "$W/peak" ${WRAPPER[@]+"${WRAPPER[@]}"} "$BIN" collect "$@" \
        >"$W/out" 2>"$W/err"
    code=$?
    set -e
    out=$(cat "$W/out")
    err=$(cat "$W/err")
    peak_kb=$(tail -n 1 "$W/peak")
}

# expect NAME CODE TEXT [MAX_MIB]: the last run exited CODE, printed TEXT (stdout or stderr),
# no sanitizer or valgrind report, and (when given) peaked under MAX_MIB MiB of memory
# (multiplied by $asan_factor in a sanitizer build).
expect() {
    local name=$1 want_code=$2 text=$3 max_mib=${4:-}
    local problem=""
    if [ "$code" != "$want_code" ]; then
        problem="exit $code, expected $want_code"
    elif [[ "$out$err" != *"$text"* ]]; then
        problem="\"$text\" not in the output"
    elif [[ "$err" == *Sanitizer* || "$err" == *"runtime error"* || "$err" == *"==ERROR"* ]]; then
        problem="sanitizer or valgrind report"
    elif [ -n "$max_mib" ] && [ "$peak_kb" -gt $((max_mib * MIB * asan_factor)) ]; then
        problem="peak memory $((peak_kb / MIB)) MiB, over $((max_mib * asan_factor)) MiB"
    fi
    if [ -n "$problem" ]; then
        echo "FAIL $name: $problem; stderr: ${err:0:400}"
        failed=$((failed + 1))
    else
        echo "ok $name ($((peak_kb / MIB)) MiB)"
        passed=$((passed + 1))
    fi
}

# refuse_byte NAME BYTE: stderr holds no raw BYTE (given as a backslash escape, e.g. '\033').
refuse_byte() {
    local name=$1 byte
    byte=$(printf '%b' "$2")
    if [[ "$err" == *"$byte"* ]]; then
        echo "FAIL $name: a raw control byte reached stderr"
        failed=$((failed + 1))
    else
        echo "ok $name"
        passed=$((passed + 1))
    fi
}

# ---- a 300 MB line with no newline ------------------------------------------------------
# After one good line, 300,000,000 bytes and no newline. A file is searched for the line's
# end a window at a time and the windows searched are dropped: with --max-line-bytes 1 MiB
# and with the default limit (256 MiB) alike the run stays small (under 48 MiB: the limit
# decides which lines are rejected, not what rejecting one costs).
huge=$W/huge-line.jsonl
printf '%s\n' "$GOOD" >"$huge"
head -c 300000000 /dev/zero | tr '\0' x >>"$huge"
run --results "$huge" --max-line-bytes 1048576 --output "$W/spans.jsonl"
expect huge_line_over_a_lowered_limit_is_rejected 3 \
    "$huge:2: line of 300000000 bytes exceeds the line-length limit (1048576 bytes, see --max-line-bytes)" 200
run --results "$huge" --output "$W/spans.jsonl"
expect huge_line_over_the_default_limit_is_rejected_in_bounded_memory 3 \
    "$huge:2: line of 300000000 bytes exceeds the line-length limit (268435456 bytes, see --max-line-bytes)" 48
rm -f "$huge"

# The same limit applies to request files: a JSONL line, and a create-body request (the
# scanner keeps at most the limit of one request).
big_text=$(head -c 3000000 /dev/zero | tr '\0' y)
{
    head -n 1 "$ANTHROPIC/requests.jsonl"
    printf '{"custom_id":"big","params":{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"%s"}]}}\n' "$big_text"
} >"$W/requests.jsonl"
head -n 1 "$ANTHROPIC/results.jsonl" >"$W/results.jsonl"
run --input "$W/requests.jsonl" --results "$W/results.jsonl" --max-line-bytes 1048576 \
    --output "$W/spans.jsonl"
expect request_line_over_the_limit_is_rejected 3 \
    "$W/requests.jsonl:2: line of 3000099 bytes exceeds the line-length limit (1048576 bytes"
{
    printf '{"requests": [\n'
    head -n 1 "$ANTHROPIC/requests.jsonl" | tr -d '\n'
    printf ',\n{"custom_id":"big","params":{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"%s"}]}}\n]}\n' "$big_text"
} >"$W/create-body.json"
run --input "$W/create-body.json" --results "$W/results.jsonl" --max-line-bytes 1048576 \
    --output "$W/spans.jsonl"
expect create_body_request_over_the_limit_is_rejected 3 \
    "$W/create-body.json:3: request of 3000099 bytes exceeds the line-length limit (1048576 bytes, see --max-line-bytes)" 200
unset big_text

run --results "$W/results.jsonl" --max-line-bytes 0
expect max_line_bytes_must_be_positive 2 '--max-line-bytes needs a positive whole number of bytes, not "0"'
run --results "$W/results.jsonl" --max-line-bytes 1e6
expect max_line_bytes_must_be_digits 2 '--max-line-bytes needs a positive whole number of bytes, not "1e6"'
run --results "$W/results.jsonl" --max-line-bytes 99999999999999999999999
expect max_line_bytes_must_fit 2 "--max-line-bytes needs a positive whole number of bytes"

# ---- JSON nested two million levels deep ------------------------------------------------
deep=$W/deep.jsonl
{
    printf '%s\n' "$GOOD"
    awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "["; for (i = 0; i < 2000000; i++) printf "]"; print "" }'
} >"$deep"
run --results "$deep" --output "$W/spans.jsonl"
expect deep_nesting_is_rejected 3 "$deep:2: JSON nested deeper than 256 levels at byte 256" 200
{
    printf '{"requests": [\n'
    head -n 1 "$ANTHROPIC/requests.jsonl" | tr -d '\n'
    printf ',\n'
    awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "["; for (i = 0; i < 2000000; i++) printf "]"; print "" }'
    printf ']}\n'
} >"$W/deep-body.json"
run --input "$W/deep-body.json" --results "$W/results.jsonl" --output "$W/spans.jsonl"
expect deep_nesting_in_a_create_body_is_rejected 3 \
    "$W/deep-body.json:3: JSON nested deeper than 256 levels at byte 256" 200
rm -f "$deep" "$W/deep-body.json"

# A line of 20 million tiny values: the JSON reader's value limit keeps its token memory
# bounded (20 bytes a value would be 400 MB here).
awk 'BEGIN { printf "["; for (i = 0; i < 20000000; i++) printf "0,"; print "0]" }' >"$W/values.jsonl"
run --results "$W/values.jsonl" --provider openai --output "$W/spans.jsonl"
expect too_many_values_are_rejected 1 \
    "$W/values.jsonl:1: JSON document of 20000002 values, over the limit of 8388608" 200
rm -f "$W/values.jsonl"

# ---- integers beyond 64 bits ------------------------------------------------------------
{
    printf '%s\n' "$GOOD"
    printf '%s\n' "$GOOD" | sed 's/"custom_id": "review-0001"/"custom_id": "b"/; s/"prompt_tokens": [0-9]*/"prompt_tokens": 99999999999999999999999/'
    printf '%s\n' "$GOOD" | sed 's/"custom_id": "review-0001"/"custom_id": "c"/; s/"created": [0-9]*/"created": 18446744073709551616/'
} >"$W/integers.jsonl"
run --results "$W/integers.jsonl" --output "$W/spans.jsonl"
expect integer_beyond_64_bits_in_usage_is_rejected 3 \
    "$W/integers.jsonl:2: \"usage.prompt_tokens\" is not an integer in int64 range: 99999999999999999999999"
expect integer_beyond_64_bits_in_a_timestamp_is_rejected 3 \
    "$W/integers.jsonl:3: \"response.body.created\" is not an integer in int64 range: 18446744073709551616"
sed 's/"created_at": [0-9]*/"created_at": 99999999999999999999/' "$OPENAI/batch.json" >"$W/batch.json"
run --results "$OPENAI/output.jsonl" --batch "$W/batch.json" --output "$W/spans.jsonl"
expect integer_beyond_64_bits_in_the_batch_object_is_fatal 1 \
    "$W/batch.json: \"created_at\" is not an integer in int64 range: 99999999999999999999"

# ---- NUL bytes --------------------------------------------------------------------------
{
    printf '%s\n' "$GOOD"
    printf '{"custom_id": "a\0b", "response": null}\n'
    printf '%s\0\n' "$GOOD"
    printf '%s\n' "$GOOD" | sed 's/"custom_id": "review-0001"/"custom_id": "nul\\u0000inside"/'
} >"$W/nul.jsonl"
run --results "$W/nul.jsonl" --output "$W/spans.jsonl"
expect raw_nul_in_a_string_is_rejected 3 \
    "$W/nul.jsonl:2: invalid JSON at byte 16: control character in string (must be escaped)"
expect raw_nul_after_the_value_is_rejected 3 "$W/nul.jsonl:3: invalid JSON at byte"
if grep -q 'nul\\u0000inside' "$W/spans.jsonl"; then
    echo "ok escaped_nul_in_a_custom_id_is_kept_and_exported_escaped"
    passed=$((passed + 1))
else
    echo "FAIL escaped_nul_in_a_custom_id_is_kept_and_exported_escaped: not in the spans"
    failed=$((failed + 1))
fi

# ---- overlong and truncated UTF-8 -------------------------------------------------------
{
    printf '%s\n' "$GOOD"
    printf '{"custom_id": "a\300\257b"}\n'       # overlong encoding of '/'
    printf '{"custom_id": "ab\342\202"}\n'       # a 3-byte sequence cut after 2 bytes
    printf '{"custom_id": "\355\240\200"}\n'     # a UTF-16 surrogate, not a character
    printf '{"custom_id": "x"}\342\202'          # truncated at the very end of the file
} >"$W/utf8.jsonl"
run --results "$W/utf8.jsonl" --output "$W/spans.jsonl"
expect overlong_utf8_is_rejected 3 "$W/utf8.jsonl:2: invalid UTF-8 at byte 16"
expect truncated_utf8_is_rejected 3 "$W/utf8.jsonl:3: invalid UTF-8 at byte 17"
expect surrogate_utf8_is_rejected 3 "$W/utf8.jsonl:4: invalid UTF-8 at byte 15"
expect truncated_utf8_at_the_end_of_the_file_is_rejected 3 "$W/utf8.jsonl:5: invalid UTF-8 at byte 18"

# ---- custom_ids with control characters -------------------------------------------------
# Shown escaped in every message, so that a custom_id cannot drive the user's terminal.
evil=$(printf '%s\n' "$GOOD" | sed 's/"custom_id": "review-0001"/"custom_id": "evil\\u001b[31mRED\\u0007\\u009b2J"/')
printf '%s\n%s\n' "$evil" "$evil" >"$W/control.jsonl"
run --results "$W/control.jsonl" --output "$W/spans.jsonl"
expect control_characters_in_a_custom_id_are_escaped 3 \
    "$W/control.jsonl:2: second result for custom_id \"evil\\x1b[31mRED\\x07\\u009b2J\""
refuse_byte control_characters_never_reach_the_terminal_raw '\033'
run --results "$W/control.jsonl" --output "$W/spans.jsonl" --json
expect control_characters_are_escaped_in_the_json_summary 3 'custom_id \"evil\\x1b[31mRED'

# ---- random bytes -----------------------------------------------------------------------
# One MiB from a fixed linear congruential generator: the same bytes on every machine.
node -e 'let x = 42; const b = Buffer.alloc(1 << 20);
         for (let i = 0; i < b.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; }
         process.stdout.write(b)' >"$W/random.bin"
run --results "$W/random.bin" --output "$W/spans.jsonl" --json
expect random_bytes_are_rejected_line_by_line 1 "$W/random.bin:1: invalid UTF-8 at byte 0" 200
expect random_bytes_count_every_rejected_line 1 '"rejected_count":4170'
run --input "$W/random.bin" --results "$W/random.bin" --output "$W/spans.jsonl"
expect random_bytes_as_requests_are_rejected 1 "$W/random.bin:1: invalid UTF-8 at byte 0" 200

# ---- results paths that cannot be read --------------------------------------------------
mkdir "$W/a-directory"
run --results "$W/a-directory" --output "$W/spans.jsonl"
expect results_path_that_is_a_directory_is_fatal 1 "batchtrace: error: $W/a-directory: is a directory"
run --results /proc/self/mem --output "$W/spans.jsonl"
expect results_path_that_fails_to_read_is_fatal 1 \
    "batchtrace: error: /proc/self/mem: read failed: Input/output error"
printf '%s\n' "$GOOD" >"$W/unreadable.jsonl"
chmod 000 "$W/unreadable.jsonl"
if [ "$(id -u)" = 0 ]; then
    echo "skip results_path_without_read_permission_is_fatal (running as root, which chmod 000 does not stop; /proc/self/mem above covers the read error)"
else
    run --results "$W/unreadable.jsonl" --output "$W/spans.jsonl"
    expect results_path_without_read_permission_is_fatal 1 \
        "batchtrace: error: $W/unreadable.jsonl: Permission denied"
fi
chmod 600 "$W/unreadable.jsonl"
{
    printf '%s\n' "$GOOD"
    printf '%s' "$GOOD" | head -c 100
} >"$W/truncated.jsonl"
run --results "$W/truncated.jsonl" --output "$W/spans.jsonl"
expect results_truncated_mid_line_reject_the_last_line 3 \
    "$W/truncated.jsonl:2: invalid JSON at byte 94: unterminated string"

# ---- a full disk ------------------------------------------------------------------------
run --results "$OPENAI/output.jsonl" --output /dev/full
expect spans_to_a_full_disk_fail_the_export 5 \
    "export failed: 3 of 3 spans not delivered: write /dev/full: No space left on device"
set +e
env -i PATH="$PATH" HOME="$W" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
    ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${WRAPPER[@]+"${WRAPPER[@]}"} "$BIN" collect \
    --results "$OPENAI/output.jsonl" --output "$W/spans.jsonl" --json >/dev/full 2>"$W/err"
code=$?
set -e
err=$(cat "$W/err") out=""
expect summary_to_a_full_disk_is_fatal 1 "batchtrace: writing to stdout: No space left on device"
# A file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that write fails with EFBIG): a
# disk that fills up after the first KiB.
set +e
(
    ulimit -f 1
    trap '' XFSZ
    exec env -i PATH="$PATH" HOME="$W" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${WRAPPER[@]+"${WRAPPER[@]}"} "$BIN" collect \
        --results "$OPENAI/output.jsonl" --results "$OPENAI/errors.jsonl" \
        --output "$W/limited.jsonl" >"$W/out" 2>"$W/err"
)
code=$?
set -e
err=$(cat "$W/err") out=$(cat "$W/out")
expect spans_past_a_file_size_limit_fail_the_export 5 \
    "export failed: 5 of 5 spans not delivered: write $W/limited.jsonl: File too large"
# The store on a full disk: the endpoint is down, so the spans go to the store's spool,
# which cannot grow past the file-size limit. The default store (a store named by --store
# is opened before anything is read, and one that cannot be opened ends the run at once).
# A loss is never quiet: --quiet hides the summary and warnings, not spans lost.
if "$BIN" collect --help | grep -q -- "--store"; then
    for quiet in "" --quiet; do
        rm -rf "$W/.local/state/batchtrace"
        set +e
        (
            ulimit -f 16
            trap '' XFSZ
            exec env -i PATH="$PATH" HOME="$W" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
                ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${WRAPPER[@]+"${WRAPPER[@]}"} "$BIN" collect \
                --results "$OPENAI/output.jsonl" --endpoint http://127.0.0.1:1 --export-timeout 0.2 \
                $quiet >"$W/out" 2>"$W/err"
        )
        code=$?
        set -e
        err=$(cat "$W/err") out=$(cat "$W/out")
        expect "spool_on_a_full_disk_loses_the_spans_and_says_so${quiet:+_even_quiet}" 5 \
            "3 spans could not be spooled and are lost: $W/.local/state/batchtrace/state.db:"
    done
else
    echo "skip spool_on_a_full_disk_loses_the_spans_and_says_so (this build has no store)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
