#!/usr/bin/env bash
# --no-content leaks nothing: runs `batchtrace collect` on the fixtures of every end-to-end
# case (those that name files under tests/fixtures/) with --no-content and every convention,
# then tests/cli/no_content.js searches what was exported for each prompt and output text of
# those fixtures (none may appear) and checks that token usage and models are still there.
#   tests/cli/no_content.sh BINARY
. "$(dirname "$0")/lib.sh"

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$BT_REPO_ROOT"
bt_oracle_ready
passed=0
failed=0

for case_dir in tests/cli/cases/*/; do
    name=$(basename "$case_dir")
    args_file="$case_dir/args"
    # Generated inputs (@TMP@), cases that choose conventions themselves and usage or fatal
    # errors (nothing exported by design) are left out.
    if ! grep -q '^tests/fixtures/' "$args_file" ||
        grep -q -e '@TMP@' -e '^--convention' "$args_file" ||
        grep -q -x -e 1 -e 2 "$case_dir/expected-exit"; then
        continue
    fi
    mapfile -t args < <(sed 's/\r$//' "$args_file" | grep -v '^$')
    fixtures=()
    for ((i = 0; i + 1 < ${#args[@]}; i++)); do
        case "${args[i]}" in
            --input | --results) fixtures+=("${args[i + 1]}") ;;
        esac
    done
    spans="$BT_TMP/$name.jsonl"
    set +e
    env -i PATH="$PATH" HOME="$BT_TMP" BATCHTRACE_NOW=2026-01-01T00:00:00Z \
        ${ASAN_OPTIONS+ASAN_OPTIONS="$ASAN_OPTIONS"} $(bt_wrapper) "$BIN" collect "${args[@]}" \
        --no-content --convention braintrust --convention openinference --convention traceloop \
        --exporter file --output "$spans" --quiet > /dev/null 2> "$BT_TMP/$name.err"
    code=$?
    set -e
    if [ "$code" = 1 ] || [ "$code" = 2 ] || [ "$code" -gt 5 ]; then
        echo "FAIL $name: exit $code: $(head -c 300 "$BT_TMP/$name.err")"
        failed=$((failed + 1))
    else
        # Checked below, every run in one node process.
        (IFS=$'\t'; printf '%s\n' "$name"$'\t'"$spans"$'\t'"${fixtures[*]}") >> "$BT_TMP/jobs"
    fi
done
if [ -s "$BT_TMP/jobs" ]; then
    node tests/cli/no_content.js --jobs "$BT_TMP/jobs" > "$BT_TMP/verdicts" || true
    cat "$BT_TMP/verdicts"
    passed=$((passed + $(grep -c '^ok ' "$BT_TMP/verdicts" || true)))
    failed=$((failed + $(grep -c '^FAIL ' "$BT_TMP/verdicts" || true)))
    # node itself failing (no verdict for some run) counts as a failure too.
    [ $(($(grep -c . "$BT_TMP/jobs") - $(grep -c -e '^ok ' -e '^FAIL ' "$BT_TMP/verdicts" || true))) = 0 ] ||
        failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
