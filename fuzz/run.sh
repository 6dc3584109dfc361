#!/bin/sh
# Runs every libFuzzer target of a BATCHTRACE_FUZZ=ON build for a bounded time (`make fuzz`).
#   fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
# Each target starts from a corpus kept in BUILD_DIR/fuzz-corpus/NAME (new inputs are added
# there, so later runs go on where earlier ones stopped), seeded from the fixtures and
# examples (each line for record-level targets, request/result line pairs for the provider
# targets, whole files for inputs), fuzz/seeds/NAME and fuzz/regressions/NAME. Crashes are
# written to BUILD_DIR/fuzz-artifacts/. Prints libFuzzer's final statistics per target and
# exits 1 if any target failed.
set -eu

build=$1
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
targets=${*:-}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$targets" ]; then
    for binary in "$build"/fuzz/fuzz_*; do
        case $binary in *_replay) continue ;; esac
        [ -x "$binary" ] && targets="$targets ${binary##*/fuzz_}"
    done
fi

# Write each line of FILE as one seed file into DIR.
split_lines() {
    awk -v dir="$2" -v base="$(echo "$1" | tr '/' '_')" \
        'length($0) > 0 { f = sprintf("%s/%s-%d", dir, base, NR); printf "%s", $0 > f; close(f) }' "$1"
}

# Write line K of REQUESTS and line K of RESULTS, joined by LF, as seed files into DIR.
pair_lines() {
    awk -v dir="$3" -v base="$(echo "$1" | tr '/' '_')" '
        NR == FNR { request[FNR] = $0; next }
        (FNR in request) { f = sprintf("%s/%s-pair-%d", dir, base, FNR)
                           printf "%s\n%s", request[FNR], $0 > f; close(f) }' "$1" "$2"
}

# Fill the seed directory of one target.
make_seeds() {
    name=$1 dir=$2
    mkdir -p "$dir"
    for file in $(cd "$root" && find tests/fixtures examples -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.jsonl.out' \) | sort); do
        if [ "$name" = inputs ]; then
            cp "$root/$file" "$dir/$(echo "$file" | tr '/' '_')"
            continue
        fi
        split_lines "$root/$file" "$dir"
        case $file in *.json) cp "$root/$file" "$dir/$(echo "$file" | tr '/' '_')" ;; esac
    done
    case $name in openai | anthropic | gemini | bedrock | mistral | vertex) provider=yes ;; *) provider= ;; esac
    if [ -n "$provider" ]; then
        for case_dir in $(cd "$root" && ls -d tests/fixtures/*/ examples/*/); do
            for requests in input.jsonl requests.jsonl; do
                for results in output.jsonl errors.jsonl error.jsonl results.jsonl predictions.jsonl \
                    output.jsonl.out; do
                    if [ -f "$root/$case_dir$requests" ] && [ -f "$root/$case_dir$results" ]; then
                        pair_lines "$root/$case_dir$requests" "$root/$case_dir$results" "$dir"
                    fi
                done
            done
        done
    fi
}

failed=0
mkdir -p "$build/fuzz-artifacts"
for name in $targets; do
    binary="$build/fuzz/fuzz_$name"
    [ -x "$binary" ] || { echo "fuzz: no target $binary" >&2; exit 1; }
    corpus="$build/fuzz-corpus/$name"
    seeds="$build/fuzz-seeds/$name"
    [ -d "$seeds" ] || make_seeds "$name" "$seeds"
    mkdir -p "$corpus"
    dict=""
    [ -f "$root/fuzz/$name.dict" ] && dict="-dict=$root/fuzz/$name.dict"
    [ -z "$dict" ] && [ -f "$root/fuzz/json.dict" ] && [ "$name" != otlp_response ] &&
        dict="-dict=$root/fuzz/json.dict"
    log="$build/fuzz-artifacts/$name.log"
    echo "fuzz: $name for ${seconds}s (log: $log)"
    # shellcheck disable=SC2086
    if "$binary" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/$name-" $dict \
            "$corpus" "$seeds" "$root/fuzz/seeds/$name" "$root/fuzz/regressions/$name" \
            >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed "s/^/fuzz: $name: /"
        grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/fuzz: $name: /"
    else
        echo "fuzz: $name FAILED; the input is in $build/fuzz-artifacts/ (see $log)"
        grep -E 'ERROR|invariant failed|SUMMARY' "$log" | head -5 | sed 's/^/  /'
        failed=1
    fi
done
exit $failed
