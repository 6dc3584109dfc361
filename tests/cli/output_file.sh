#!/usr/bin/env bash
# The file exporter's output file (README "Usage"; docs/design.md, "The output file"): it is
# never one of the files read (same device and inode: a hard link or another spelling
# counts), exit 2 before anything is written; runs append to it, so start and each
# incremental collect leave every span in it once; it is created only when a span is
# written; --truncate empties it at the first span.
#   tests/cli/output_file.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ASSERT="$BT_REPO_ROOT/tests/cli/export_assert.js"
FIX="$BT_REPO_ROOT/tests/fixtures/openai-chat-all-outcomes"
passed=0
failed=0
bt_oracle_ready

# Runs the binary in $W with a clean environment and the case's store; sets $code and $err.
run() {
    set +e
    (cd "$W" && env -i PATH="$PATH" HOME="$W/home" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        BATCHTRACE_STORE="sqlite:$W/state.db" \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
        $(bt_wrapper) "$BIN" "$@" >"$W/out" 2>"$W/err")
    code=$?
    set -e
    err=$(cat "$W/err")
}

# Starts a case in a fresh directory $W holding copies of the fixture's files.
begin() {
    CASE=$1
    W="$BT_TMP/$CASE"
    mkdir -p "$W"
    cp "$FIX"/* "$W/"
}

# Number of spans (span ids, each checked to appear once) in an OTLP/JSON lines file.
spans_in() { node "$ASSERT" canon "$1" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).spans.length))'; }

# ---- an output that is one of the inputs: refused, exit 2, the input untouched ----
begin same-file
for option in --results --input --batch; do
    case $option in
        --results) victim=output.jsonl ;;
        --input) victim=input.jsonl ;;
        --batch) victim=batch.json ;;
    esac
    sum=$(cksum < "$W/$victim")
    run collect --input input.jsonl --results output.jsonl --results errors.jsonl --batch batch.json \
        --output "$victim"
    check "refused_${option#--}" '[ "$code" = 2 ] && [[ "$err" == *"is the "*" file $victim ($option)"*"give --output another file"* ]]'
    check "untouched_${option#--}" '[ "$(cksum < "$W/$victim")" = "$sum" ]'
done
run collect --results ./output.jsonl --output output.jsonl --truncate
check other_spelling '[ "$code" = 2 ] && [ "$(cksum < "$W/output.jsonl")" = "$(cksum < "$FIX/output.jsonl")" ]'
ln "$W/output.jsonl" "$W/hardlink.jsonl"
run collect --results output.jsonl --output hardlink.jsonl
check hard_link '[ "$code" = 2 ] && [ "$(cksum < "$W/output.jsonl")" = "$(cksum < "$FIX/output.jsonl")" ]'
ln -s output.jsonl "$W/symlink.jsonl"
run collect --results symlink.jsonl --output "$W/output.jsonl"
check symbolic_link '[ "$code" = 2 ] && [ "$(cksum < "$W/output.jsonl")" = "$(cksum < "$FIX/output.jsonl")" ]'
run start --input input.jsonl --output ./input.jsonl
check start_input '[ "$code" = 2 ] && [ "$(cksum < "$W/input.jsonl")" = "$(cksum < "$FIX/input.jsonl")" ]'
# The input is what was opened, not a path: stdin redirected from the output file, or the
# file behind /dev/fd/N.
run collect --results - --output output.jsonl --truncate <"$W/output.jsonl"
check stdin_is_the_output '[ "$code" = 2 ] && [[ "$err" == *"the output file output.jsonl is the results file <stdin> (--results)"*"give --output another file"* ]] && [ "$(cksum < "$W/output.jsonl")" = "$(cksum < "$FIX/output.jsonl")" ]'
run collect --results output.jsonl --input - --output input.jsonl --truncate <"$W/input.jsonl"
check stdin_input_is_the_output '[ "$code" = 2 ] && [ "$(cksum < "$W/input.jsonl")" = "$(cksum < "$FIX/input.jsonl")" ]'
run collect --results /dev/fd/3 --output output.jsonl --truncate 3<"$W/output.jsonl"
check descriptor_is_the_output '[ "$code" = 2 ] && [ "$(cksum < "$W/output.jsonl")" = "$(cksum < "$FIX/output.jsonl")" ]'
run start --input - --output input.jsonl --truncate <"$W/input.jsonl"
check start_stdin_is_the_output '[ "$code" = 2 ] && [ "$(cksum < "$W/input.jsonl")" = "$(cksum < "$FIX/input.jsonl")" ]'
run collect --results output.jsonl --output batchtrace-spans.jsonl
check a_different_file_is_fine '[ "$code" = 0 ] && [ "$(spans_in "$W/batchtrace-spans.jsonl")" -gt 0 ]'

# ---- no file for a run that fails early or exports nothing ----
begin not-created
run collect --results missing.jsonl
check fatal_error_no_file '[ "$code" = 1 ] && [ ! -e "$W/batchtrace-spans.jsonl" ]'
: > "$W/empty.jsonl"
run collect --results empty.jsonl
check nothing_to_export_no_file '[ ! -e "$W/batchtrace-spans.jsonl" ]'
echo "earlier spans" > "$W/batchtrace-spans.jsonl"
run collect --results missing.jsonl --truncate
check fatal_error_keeps_the_file '[ "$code" = 1 ] && [ "$(cat "$W/batchtrace-spans.jsonl")" = "earlier spans" ]'
run collect --results output.jsonl --output nodir/spans.jsonl
check unwritable_path_before_any_work '[ "$code" = 1 ] && [[ "$err" == *"cannot open nodir/spans.jsonl: No such file or directory"* ]]'

# ---- start, then two incremental collects: every span in the default file, once ----
begin appending
node -e '
const fs = require("fs");
const lines = fs.readFileSync(process.argv[1] + "/output.jsonl", "utf8").split("\n").filter(Boolean);
fs.writeFileSync(process.argv[1] + "/first.jsonl", lines.slice(0, 2).join("\n") + "\n");
const batch = JSON.parse(fs.readFileSync(process.argv[1] + "/batch.json", "utf8"));
batch.status = "in_progress";
fs.writeFileSync(process.argv[1] + "/running.json", JSON.stringify(batch));
' "$W"
run start --input input.jsonl --batch-id "$(node -e 'console.log(require(process.argv[1]).id)' "$W/batch.json")"
check start_ok '[ "$code" = 0 ] && [ "$(spans_in "$W/batchtrace-spans.jsonl")" = 1 ]'
run collect --results first.jsonl --batch running.json
check first_collect_incomplete '[ "$code" = 4 ] && [ "$(spans_in "$W/batchtrace-spans.jsonl")" = 3 ]'
run collect --results output.jsonl --results errors.jsonl --batch batch.json
total=$((1 + 1 + $(grep -c . "$W/input.jsonl")))
check every_span_once '[ "$code" = 0 ] && [ "$(spans_in "$W/batchtrace-spans.jsonl")" = "$total" ]'
run collect --results output.jsonl --results errors.jsonl --batch batch.json --force --truncate
check truncate_keeps_only_this_run '[ "$code" = 0 ] && [ "$(spans_in "$W/batchtrace-spans.jsonl")" = "$((total - 1))" ]'

# ---- --truncate is documented ----
for command in collect start; do
    run "$command" --help
    check "${command}_help_documents_truncate" '[[ "$(cat "$W/out")" == *"  --truncate "*"empty the --output file"* ]]'
done

CASE=all
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
