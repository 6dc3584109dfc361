#!/usr/bin/env bash
# End-to-end driver for `batchtrace collect`: runs the cases under tests/cli/cases/ (see
# tests/cli/README.md and docs/design.md, "CLI test cases").
#
#   tests/cli/run.sh BINARY [--update] [CASE...]
#
# Each case runs four times: file exporter, file exporter again (ids must be stable), and
# the otlp exporter with http/protobuf and http/json against one oracle sink on 127.0.0.1.
# Every run must give the expected exit code and summary, the expected stderr lines, and
# spans that pass tests/oracle/check.js. --update first writes expected-exit,
# expected-summary.json and expected-spans.json from the file-exporter run.
# Prints `ok NAME` or `FAIL NAME: why` per case (once all have run), then `N passed, N failed`;
# exit 1 on failure.

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: $0 BINARY [--update] [CASE...]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
BINARY=$1
shift
case "$BINARY" in
    /*) ;;
    *) BINARY="$PWD/$BINARY" ;;
esac
[ -x "$BINARY" ] || { echo "$0: $BINARY is not an executable" >&2; exit 2; }

UPDATE=0
CASE_NAMES=()
for arg in "$@"; do
    case "$arg" in
        --update) UPDATE=1 ;;
        -*) usage ;;
        *) CASE_NAMES+=("$(basename "$arg")") ;;
    esac
done

ORACLE="$BT_REPO_ROOT/tests/oracle"
# The case directories (BATCHTRACE_CLI_CASES overrides, e.g. to test the driver itself).
CASES=${BATCHTRACE_CLI_CASES:-$BT_REPO_ROOT/tests/cli/cases}
# Seconds one run of the binary may take before it counts as hung.
RUN_TIMEOUT=${BATCHTRACE_CASE_TIMEOUT:-300}
read -r -a WRAPPER <<< "$(bt_wrapper)"

if [ ${#CASE_NAMES[@]} -eq 0 ] && [ -d "$CASES" ]; then
    for dir in "$CASES"/*/; do
        [ -d "$dir" ] && CASE_NAMES+=("$(basename "$dir")")
    done
fi

bt_oracle_ready

# One sink for the whole run; each otlp run points it at its own store directory.
bt_start_sink

# Records a failure message for the current case (in $WORK/failures; messages one per line).
case_fail() {
    printf '%s\n' "$1" >> "$WORK/failures"
}

# Runs the binary once for the current case: run_binary RUN_DIR EXTRA_ARG... (the checked
# runs pass --json). Writes RUN_DIR/{stdout,stderr,exit}; uses CASE_ARGS, CASE_ENV and the
# working dir.
run_binary() {
    local run_dir=$1
    shift
    mkdir -p "$run_dir"
    local status=0
    (cd "$BT_REPO_ROOT" && env -i "${CASE_ENV[@]}" timeout "$RUN_TIMEOUT" \
        ${WRAPPER[@]+"${WRAPPER[@]}"} "$BINARY" collect ${CASE_ARGS[@]+"${CASE_ARGS[@]}"} "$@" \
        > "$run_dir/stdout" 2> "$run_dir/stderr") || status=$?
    echo "$status" > "$run_dir/exit"
}

# Checks one run of the current case: check_run LABEL RUN_DIR INPUT [CHECK_OPTION...]
check_run() {
    local label=$1 run_dir=$2 input=$3
    shift 3
    local status
    status=$(cat "$run_dir/exit")
    if [ "$status" = 124 ]; then
        case_fail "$label: timed out after ${RUN_TIMEOUT}s"
        return
    fi
    if [ "$status" = 99 ] && [ "${#WRAPPER[@]}" -gt 0 ]; then
        case_fail "$label: valgrind reported errors: $(head -c 2000 "$run_dir/stderr")"
        return
    fi
    if [ "$UPDATE" = 1 ] && [ "$label" = file ]; then
        echo "$status" > "$CASE_DIR/expected-exit"
    fi
    if [ ! -f "$CASE_DIR/expected-exit" ]; then
        case_fail "$label: expected-exit is missing (run with --update)"
        return
    fi
    local expected_exit
    expected_exit=$(tr -d ' \r\n' < "$CASE_DIR/expected-exit")
    if [ "$status" != "$expected_exit" ]; then
        case_fail "$label: exit $status, expected $expected_exit; stderr: $(head -c 600 "$run_dir/stderr" | tr '\n' ' ')"
    fi
    if [ -f "$CASE_DIR/expected-stderr" ]; then
        local line
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            [ -n "$line" ] || continue
            line=${line//@TMP@/$WORK}
            grep -qF -- "$line" "$run_dir/stderr" || case_fail "$label: stderr lacks \"$line\""
        done < "$CASE_DIR/expected-stderr"
    fi
    # The spans are checked by run_checks, all runs of all cases in one node process.
    printf '%s\n' --case "$CASE_DIR" --input "$input" --exit "$status" --summary "$run_dir/stdout" \
        --args "$WORK/args" --tmp "$WORK" --canonical-out "$run_dir/canonical.json" \
        --label "$label" --failures-out "$WORK/check-failures" "$@" "" >> "$BT_TMP/check-jobs"
}

# Runs tests/oracle/check.js once over the runs check_run queued for every case, in order;
# each run's failures land in its case's check-failures file. When node itself fails, every
# case gets its output.
run_checks() {
    local messages
    [ -s "$BT_TMP/check-jobs" ] || return 0
    if ! messages=$(node "$ORACLE/check.js" --jobs "$BT_TMP/check-jobs" 2>&1) && [ -n "$messages" ]; then
        for name in ${CASE_NAMES[@]+"${CASE_NAMES[@]}"}; do
            printf '%s\n' "$messages" >> "$BT_TMP/case-$name/check-failures"
        done
    fi
}

# Compares a run's canonical spans with the first file run's: same_as_first LABEL RUN_DIR
same_as_first() {
    local label=$1 run_dir=$2
    [ -f "$run_dir/canonical.json" ] && [ -f "$WORK/file/canonical.json" ] || return 0
    if ! cmp -s "$WORK/file/canonical.json" "$run_dir/canonical.json"; then
        case_fail "$label: canonical spans differ from the first file-exporter run: $(diff "$WORK/file/canonical.json" "$run_dir/canonical.json" | head -8 | tr '\n' ' ')"
    fi
}

# Runs the binary for one case and checks what needs no node; queues its span checks.
run_case() {
    CASE_DIR="$CASES/$1"
    WORK="$BT_TMP/case-$1"
    mkdir -p "$WORK/home" "$WORK/state"
    : > "$WORK/failures"
    if [ ! -f "$CASE_DIR/args" ]; then
        case_fail "no args file"
        return
    fi
    if [ -x "$CASE_DIR/setup" ]; then
        if ! "$CASE_DIR/setup" "$WORK" > "$WORK/setup.log" 2>&1; then
            case_fail "setup failed: $(tail -c 600 "$WORK/setup.log" | tr '\n' ' ')"
            return
        fi
    fi

    CASE_ARGS=()
    : > "$WORK/args"
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [ -n "$line" ] || continue
        line=${line//@TMP@/$WORK}
        CASE_ARGS+=("$line")
        printf '%s\n' "$line" >> "$WORK/args"
    done < "$CASE_DIR/args"

    # A clean environment: nothing ambient (TRACEPARENT, OTEL_*) leaks into a case.
    CASE_ENV=("PATH=$PATH" "HOME=$WORK/home" "XDG_STATE_HOME=$WORK/state" "TMPDIR=$WORK"
              "BATCHTRACE_NOW=2026-01-01T00:00:00Z")
    local name
    for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        if [ -n "${!name:-}" ]; then CASE_ENV+=("$name=${!name}"); fi
    done
    if [ -f "$CASE_DIR/env" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            [ -n "$line" ] || continue
            CASE_ENV+=("${line//@TMP@/$WORK}")
        done < "$CASE_DIR/env"
    fi

    local update_option=()
    [ "$UPDATE" = 1 ] && update_option=(--update)
    run_binary "$WORK/file" --exporter file --output "$WORK/file/spans.jsonl" --json
    check_run file "$WORK/file" "$WORK/file/spans.jsonl" --missing-ok ${update_option[@]+"${update_option[@]}"}

    # Without --json, the summary for a person (on stderr; with --json there is none).
    if [ -f "$CASE_DIR/expected-human-summary" ]; then
        run_binary "$WORK/human" --exporter file --output "$WORK/human/spans.jsonl"
        local line
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%$'\r'}
            [ -n "$line" ] || continue
            grep -qF -- "$line" "$WORK/human/stderr" || case_fail "human: stderr lacks \"$line\""
        done < "$CASE_DIR/expected-human-summary"
    fi

    # Under valgrind (the memcheck.* tests) the second file run is left out: it takes the same
    # code path on the same input as the first, and cli.cases checks the stable ids.
    if [ "${#WRAPPER[@]}" -eq 0 ]; then
        run_binary "$WORK/file-again" --exporter file --output "$WORK/file-again/spans.jsonl" --json
        check_run file-again "$WORK/file-again" "$WORK/file-again/spans.jsonl" --missing-ok
    fi

    # Under valgrind one otlp protocol per case, taking turns from case to case (CASE_NUMBER):
    # each memcheck set still runs both encoders under valgrind, and cli.cases (and the
    # ASan/UBSan build's) runs every case with both.
    local protocols=(http/protobuf http/json)
    if [ "${#WRAPPER[@]}" -gt 0 ]; then protocols=("${protocols[$((CASE_NUMBER % 2))]}"); fi
    local protocol label
    for protocol in "${protocols[@]}"; do
        label="otlp-${protocol#http/}"
        bt_sink_control "$SINK_PORT" "{\"dir\": \"$WORK/$label/received\"}"
        # Requests up to the sink's own limit (256 MiB): the huge-line cases' spans are larger
        # than the default 4 MiB; tests/cli/export.sh tests the limit itself.
        run_binary "$WORK/$label" --exporter otlp --endpoint "http://127.0.0.1:$SINK_PORT" --protocol "$protocol" \
            --max-request-bytes 268435456 --json
        check_run "$label" "$WORK/$label" "$WORK/$label/received" --protocol "$protocol"
    done
}

# The checks of one case after check.js ran: its span-check failures, then the canonical
# spans of every run against the first's.
finish_case() {
    CASE_DIR="$CASES/$1"
    WORK="$BT_TMP/case-$1"
    if [ -f "$WORK/check-failures" ]; then cat "$WORK/check-failures" >> "$WORK/failures"; fi
    for label in file-again otlp-protobuf otlp-json; do
        same_as_first "$label" "$WORK/$label"
    done
}

# Every case's runs first, then one node for all their span checks, then the verdicts.
CASE_NUMBER=0
for name in ${CASE_NAMES[@]+"${CASE_NAMES[@]}"}; do
    if [ ! -d "$CASES/$name" ]; then
        WORK="$BT_TMP/case-$name"
        mkdir -p "$WORK"
        : > "$WORK/failures"
        case_fail "no such case directory"
    else
        run_case "$name"
    fi
    CASE_NUMBER=$((CASE_NUMBER + 1))
done
run_checks

PASSED=0
FAILED=0
for name in ${CASE_NAMES[@]+"${CASE_NAMES[@]}"}; do
    if [ -d "$CASES/$name" ]; then finish_case "$name"; fi
    FAILURES=""
    if [ -s "$BT_TMP/case-$name/failures" ]; then FAILURES="$(cat "$BT_TMP/case-$name/failures")"$'\n'; fi
    if [ -z "$FAILURES" ]; then
        echo "ok $name"
        PASSED=$((PASSED + 1))
    else
        first=${FAILURES%%$'\n'*}
        echo "FAIL $name: $first"
        rest=${FAILURES#*$'\n'}
        [ -z "$rest" ] || printf '%s' "$rest" | sed 's/^/    /'
        FAILED=$((FAILED + 1))
    fi
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
