#!/usr/bin/env bash
# Sources (docs/design.md, "Sources"): every input is read exactly once or spooled to an
# anonymous temporary file first. Stdin ("-"), pipes, FIFOs and gzip files give the same
# spans as the plain file, with diagnostics under the name the user gave; every pass over
# a results file reads the bytes it held when it was opened (a file replaced during the
# run changes nothing); a run killed while it decompresses or spools leaves nothing in
# $TMPDIR; more than 256 results files are each named right.
#   tests/cli/sources.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FIX="$BT_REPO_ROOT/tests/fixtures/openai-chat-all-outcomes"
AN="$BT_REPO_ROOT/tests/fixtures/anthropic-all-result-types"
passed=0
failed=0
cd "$BT_TMP"
shopt -s lastpipe # `producer | run ...` sets $code, $out and $err here
# The temporary directory of every run: checked empty after each one.
SPOOL="$BT_TMP/spool"
mkdir -p "$SPOOL"

# run [STDIN_FILE|-] COMMAND ARG...: runs the binary with a clean environment (TMPDIR is
# $SPOOL), stdin from STDIN_FILE (- : this shell's stdin, e.g. a pipe); sets $code, $out, $err.
run() {
    local input=$1
    shift
    set +e
    if [ "$input" = - ]; then
        env -i PATH="$PATH" HOME="$BT_TMP" TMPDIR="$SPOOL" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
            ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} timeout 120 $(bt_wrapper) "$BIN" "$@" \
            >"$BT_TMP/out" 2>"$BT_TMP/err"
    else
        env -i PATH="$PATH" HOME="$BT_TMP" TMPDIR="$SPOOL" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
            ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} timeout 120 $(bt_wrapper) "$BIN" "$@" \
            <"$input" >"$BT_TMP/out" 2>"$BT_TMP/err"
    fi
    code=$?
    set -e
    out=$(cat "$BT_TMP/out")
    err=$(cat "$BT_TMP/err")
}

# check NAME CONDITION_TEXT...: records a check (the condition is evaluated with eval); a
# run must also leave $SPOOL empty.
check() {
    local name=$1
    shift
    if ! eval "$@"; then
        failed=$((failed + 1))
        echo "FAIL $name: $* ; exit $code; stdout: ${out:0:300}; stderr: ${err:0:500}"
    elif [ -n "$(ls -A "$SPOOL")" ]; then
        failed=$((failed + 1))
        echo "FAIL $name: files left in TMPDIR: $(ls -A "$SPOOL" | head -c 200)"
        rm -rf "${SPOOL:?}"/* "${SPOOL:?}"/.[!.]* 2>/dev/null || true
    else
        passed=$((passed + 1))
        echo "ok $name"
    fi
}

# The reference: the fixture collected from its plain files.
collect_args=(--batch "$FIX/batch.json" --json)
run - collect --input "$FIX/input.jsonl" --results "$FIX/output.jsonl" \
    --results "$FIX/errors.jsonl" "${collect_args[@]}" --output plain.jsonl
check reference_run '[ "$code" = 0 ]'
WANT_SUMMARY=$(printf '%s' "$out" | sed 's/"destination":"[^"]*",//')

# same_as_plain NAME SPANS: the last run gave the reference's exit code, summary and spans.
same_as_plain() {
    SPANS=$2
    check "$1" '[ "$code" = 0 ] && [ "$(printf "%s" "$out" | sed "s/\"destination\":\"[^\"]*\",//")" = "$WANT_SUMMARY" ] && cmp -s plain.jsonl "$SPANS"'
}

# ---- results from stdin, pipes and FIFOs -------------------------------------------------
# Without --input the results are read ahead (the provider, the custom_ids' digest) and
# again to make the spans: a pipe drained by the first pass gave 0 items.
run - collect --results "$FIX/output.jsonl" --results "$FIX/errors.jsonl" \
    "${collect_args[@]}" --output plain-results.jsonl
check reference_results_only '[ "$code" = 0 ]'
WANT_RESULTS_SUMMARY=$(printf '%s' "$out" | sed 's/"destination":"[^"]*",//')

# same_results NAME SPANS: the last run gave the results-only reference's summary and spans.
same_results() {
    SPANS=$2
    check "$1" '[ "$code" = 0 ] && [ "$(printf "%s" "$out" | sed "s/\"destination\":\"[^\"]*\",//")" = "$WANT_RESULTS_SUMMARY" ] && cmp -s plain-results.jsonl "$SPANS"'
}
cat "$FIX/output.jsonl" | run - collect --results - --results "$FIX/errors.jsonl" \
    "${collect_args[@]}" --output dash.jsonl
same_results results_from_stdin_dash dash.jsonl
cat "$FIX/output.jsonl" | run - collect --results /dev/stdin --results "$FIX/errors.jsonl" \
    "${collect_args[@]}" --output devstdin.jsonl
same_results results_from_dev_stdin_pipe devstdin.jsonl
run - collect --results <(cat "$FIX/output.jsonl") --results <(cat "$FIX/errors.jsonl") \
    "${collect_args[@]}" --output substituted.jsonl
same_results results_from_process_substitution substituted.jsonl
mkfifo "$BT_TMP/results.fifo"
cat "$FIX/output.jsonl" >"$BT_TMP/results.fifo" &
bt_track $!
run - collect --results "$BT_TMP/results.fifo" --results "$FIX/errors.jsonl" \
    "${collect_args[@]}" --output fifo.jsonl
same_results results_from_a_fifo fifo.jsonl
cat "$FIX/output.jsonl" | run - collect --input "$FIX/input.jsonl" --results - \
    --results "$FIX/errors.jsonl" "${collect_args[@]}" --output dash-with-input.jsonl
same_as_plain results_from_stdin_with_inputs dash-with-input.jsonl

# ---- inputs and the batch object from pipes ----------------------------------------------
run - collect --input <(cat "$FIX/input.jsonl") --results "$FIX/output.jsonl" \
    --results "$FIX/errors.jsonl" --batch <(cat "$FIX/batch.json") --json --output input-pipe.jsonl
same_as_plain input_and_batch_from_pipes input-pipe.jsonl
run "$FIX/input.jsonl" collect --input - --results "$FIX/output.jsonl" \
    --results "$FIX/errors.jsonl" "${collect_args[@]}" --output input-dash.jsonl
same_as_plain input_from_stdin_redirected_file input-dash.jsonl
run - collect --input <(cat "$AN/requests.json") --results <(cat "$AN/results.jsonl") \
    --batch "$AN/batch.json" --json --output anthropic-pipe.jsonl
check anthropic_create_body_from_a_pipe '[ "$code" = 0 ] && [[ "$out" == *"\"items\":{\"total\":6,"* ]] && [[ "$out" == *"\"warnings_count\":0,"* ]]'

# ---- gzip: by name and by content, several members, damaged ------------------------------
gzip -c "$FIX/output.jsonl" >output.jsonl.gz
gzip -c "$FIX/input.jsonl" >input.jsonl.gz
run - collect --input input.jsonl.gz --results output.jsonl.gz \
    --results "$FIX/errors.jsonl" "${collect_args[@]}" --output gz.jsonl
same_as_plain gzip_files gz.jsonl
run - collect --input "$FIX/input.jsonl" --results <(gzip -c "$FIX/output.jsonl") \
    --results "$FIX/errors.jsonl" "${collect_args[@]}" --output gz-pipe.jsonl
same_as_plain gzip_from_a_pipe_by_its_magic_bytes gz-pipe.jsonl
{ head -n 1 "$FIX/output.jsonl" | gzip -c; tail -n +2 "$FIX/output.jsonl" | gzip -c; } >members.gz
gzip -c "$FIX/errors.jsonl" | run - collect --input "$FIX/input.jsonl" --results members.gz \
    --results - "${collect_args[@]}" --output gz-members.jsonl
same_as_plain gzip_of_several_members gz-members.jsonl
head -c 200 output.jsonl.gz >cut.jsonl.gz
run - collect --results cut.jsonl.gz --output cut.jsonl
check gzip_truncated_is_fatal '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: cut.jsonl.gz: the gzip data is truncated (the file ends inside the compressed stream)" ]'
{ head -c -8 output.jsonl.gz; printf '\0\0\0\0\0\0\0\0'; } >damaged.jsonl.gz # a wrong CRC
run - collect --results damaged.jsonl.gz --output damaged.jsonl
check gzip_damaged_is_fatal '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: damaged.jsonl.gz: not valid gzip data (zlib: incorrect data check)" ]'
cp "$FIX/output.jsonl" plain-named.gz
run - collect --results plain-named.gz --output plain-named.jsonl
check gz_name_without_gzip_data_is_fatal '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: plain-named.gz: named .gz but not gzip data" ]'

# ---- diagnostics keep the name the user gave ---------------------------------------------
{ head -n 1 "$FIX/output.jsonl"; echo 'not json'; } >bad.jsonl
run bad.jsonl collect --results - --output bad-dash.jsonl
check stdin_is_named_in_diagnostics '[ "$code" = 3 ] && [[ "$err" == *"<stdin>:2: invalid JSON at byte 0:"* ]]'
gzip -c bad.jsonl >bad.jsonl.gz
run - collect --results bad.jsonl.gz --output bad-gz.jsonl
check gzip_file_is_named_in_diagnostics '[ "$code" = 3 ] && [[ "$err" == *"bad.jsonl.gz:2: invalid JSON at byte 0:"* ]]'

# ---- stdin can feed one input only -------------------------------------------------------
run - collect --results - --input - --output twice.jsonl
check stdin_twice_is_a_usage_error '[ "$code" = 2 ] && [[ "$err" == *"stdin can be read only once: give - (or /dev/stdin) to one of --results, --input and --batch"* ]]'
run - collect --results - --results /dev/stdin --output twice.jsonl
check stdin_twice_in_results_is_a_usage_error '[ "$code" = 2 ]'

# ---- start reads its inputs once ---------------------------------------------------------
STORE="sqlite:$BT_TMP/state/state.db"
cat "$FIX/input.jsonl" | run - start --input - --store "$STORE" --output submit.jsonl --json
check start_from_stdin '[ "$code" = 0 ] && [[ "$out" == *"\"request_count\":5,"* ]] && [[ "$out" == *"\"inputs_kept\":true,"* ]]'
TOKEN=$(printf '%s' "$out" | sed 's/.*"context":"\([^"]*\)".*/\1/')
run - collect --results "$FIX/output.jsonl" --results "$FIX/errors.jsonl" --batch "$FIX/batch.json" \
    --context "$TOKEN" --store "$STORE" --output kept.jsonl --json
check inputs_kept_from_stdin_read_back '[ "$code" = 0 ] && [[ "$out" == *"\"warnings_count\":0,"* ]] && [[ "$out" == *"\"items\":{\"total\":5,\"succeeded\":2,\"errored\":1,\"canceled\":0,\"expired\":2,"* ]]'
run - start --input input.jsonl.gz --store "$STORE" --output submit-gz.jsonl --json
check start_from_gzip '[ "$code" = 0 ] && [[ "$out" == *"\"request_count\":5,"* ]]'

# ---- a results file replaced while collect runs ------------------------------------------
# With a context, the claims and the stream must read the same bytes. The input comes from a
# FIFO: collect opens it after the results, so once a writer's open of the FIFO returns, the
# results file is replaced (by one holding only its first line), then the inputs are written.
# Every item of the file as it was when collect opened it must be claimed and sent.
STORE2="sqlite:$BT_TMP/state2/state.db"
run - start --input "$FIX/input.jsonl" --store "$STORE2" --output submit2.jsonl
TOKEN=$out
cp "$FIX/output.jsonl" replaced.jsonl
head -n 1 "$FIX/output.jsonl" >replacement.jsonl
mkfifo input.fifo
timeout 60 bash -c 'exec 3>"$1" && mv "$2" "$3" && cat "$4" >&3' _ input.fifo replacement.jsonl \
    replaced.jsonl "$FIX/input.jsonl" &
writer=$!
bt_track $writer
run - collect --results replaced.jsonl --results "$FIX/errors.jsonl" \
    --batch "$FIX/batch.json" --input input.fifo --provider openai --context "$TOKEN" \
    --store "$STORE2" --output replaced-spans.jsonl --json
wait $writer || true
check replaced_results_file_claims_what_is_streamed '[ "$code" = 0 ] && [[ "$out" != *items_skipped* ]] && [[ "$out" == *"\"spans_exported\":6,"* ]] && [[ "$out" == *"\"warnings_count\":0,"* ]]'

# ---- nothing left in TMPDIR when the run is killed mid-copy ------------------------------
# A file-size limit kills the process (SIGXFSZ, not caught) as soon as a temporary file
# grows past 1 MiB: the stored inputs being decompressed, or stdin being spooled.
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "{\"custom_id\":\"big-%05d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Prompt %d: %0200d\"}]}}\n", i, i, i }' >big-input.jsonl
run - start --input big-input.jsonl --store "$STORE" --output submit-big.jsonl
TOKEN=$out
head -n 1 "$FIX/output.jsonl" | sed 's/"custom_id": *"[^"]*"/"custom_id": "big-00001"/' >big-output.jsonl
limited() {
    set +e
    { # the shell's report of the signal goes to /dev/null
        (
            ulimit -f 1024
            ulimit -c 0
            exec env -i PATH="$PATH" HOME="$BT_TMP" TMPDIR="$SPOOL" BATCHTRACE_NOW=2026-01-20T23:01:52Z \
                ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} "$BIN" "$@" >"$BT_TMP/out" 2>"$BT_TMP/err"
        )
        code=$?
    } 2>/dev/null
    set -e
    out=$(cat "$BT_TMP/out")
    err=$(cat "$BT_TMP/err")
}
limited collect --results big-output.jsonl --context "$TOKEN" --store "$STORE" --output killed.jsonl
check killed_while_restoring_the_stored_inputs_leaves_no_file '[ "$code" = 153 ]'
limited collect --results big-output.jsonl --input - --output killed2.jsonl < <(cat big-input.jsonl)
check killed_while_spooling_stdin_leaves_no_file '[ "$code" = 153 ]'

# ---- more than 256 results files ---------------------------------------------------------
# 300 files of one result each; a second result for file 290's custom_id, in file 300,
# names file 290 as the first; a bad line in file 290 is named by its own file.
mkdir many
many_args=()
for i in $(seq 1 300); do
    head -n 1 "$FIX/output.jsonl" | sed "s/\"custom_id\": *\"[^\"]*\"/\"custom_id\": \"id-$i\"/" >many/r$i.jsonl
    many_args+=(--results "many/r$i.jsonl")
done
echo 'not json' >>many/r290.jsonl
head -n 1 "$FIX/output.jsonl" | sed 's/"custom_id": *"[^"]*"/"custom_id": "id-290"/' >>many/r300.jsonl
run - collect "${many_args[@]}" --output many.jsonl
check three_hundred_results_files_are_named_right '[ "$code" = 3 ] && [[ "$err" == *"many/r290.jsonl:2: invalid JSON at byte 0:"* ]] && [[ "$err" == *"many/r300.jsonl:2: second result for custom_id \"id-290\" (first at many/r290.jsonl:1); this line is skipped"* ]]'

# ---- a copy stops at its limit: an endless stream or a gzip bomb fills no disk ------------
# bounded [STDIN_FILE|-] COMMAND ARG...: run, with every file the process writes capped at
# 80 MiB (ulimit -f; SIGXFSZ ignored, so a write past it fails instead of killing): a copy
# with no limit fails here rather than filling the disk.
bounded() {
    set +e
    (
        ulimit -f 81920
        trap '' XFSZ
        run "$@"
        exit "$code"
    )
    code=$?
    set -e
    out=$(cat "$BT_TMP/out")
    err=$(cat "$BT_TMP/err")
}
LIMIT_HINT='line exceeds the line-length limit (1000000 bytes, see --max-line-bytes); this input is copied before it is read (it is no regular file, or gzip data), so the copy stops here'
bounded /dev/zero collect --results - --max-line-bytes 1000000 --output zero.jsonl
check endless_stdin_stops_at_the_line_limit '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: <stdin>:1: $LIMIT_HINT" ] && [ ! -e zero.jsonl ]'
bounded - collect --results /dev/zero --max-line-bytes 1000000 --output zero.jsonl
check endless_device_stops_at_the_line_limit '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: /dev/zero:1: $LIMIT_HINT" ]'
bounded - collect --results "$FIX/output.jsonl" --input /dev/zero --max-line-bytes 1000000 --output zero.jsonl
check endless_inputs_stop_at_the_line_limit '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: /dev/zero:1: $LIMIT_HINT" ]'
bounded - collect --results "$FIX/output.jsonl" --batch /dev/zero --output zero.jsonl
check endless_batch_stops_at_its_cap '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: /dev/zero: over 64 MiB: not a batch object" ]'
# 100 MiB of zeros, no newline, in about 100 KiB of gzip data.
head -c 100M /dev/zero | gzip -1 >bomb.jsonl.gz
bounded - collect --results bomb.jsonl.gz --max-line-bytes 1000000 --output zero.jsonl
check gzip_bomb_results_stop_at_the_line_limit '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: bomb.jsonl.gz:1: $LIMIT_HINT" ]'
cp bomb.jsonl.gz bomb.json.gz
bounded - collect --results "$FIX/output.jsonl" --batch bomb.json.gz --output zero.jsonl
check gzip_bomb_batch_stops_at_its_cap '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: bomb.json.gz: over 64 MiB: not a batch object" ]'
# The temporary directory full (here: a 1 MiB file-size limit, EFBIG; ENOSPC takes the
# same path): an error naming it, exit 1, nothing left behind.
set +e
( ulimit -f 1024; trap '' XFSZ; run - collect --results bomb.jsonl.gz --output zero.jsonl; exit "$code" )
code=$?
set -e
err=$(cat "$BT_TMP/err")
check full_temporary_directory_is_named '[ "$code" = 1 ] && [ "$err" = "batchtrace: error: bomb.jsonl.gz: cannot copy it to a temporary file in $SPOOL: File too large" ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
