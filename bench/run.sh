#!/usr/bin/env bash
# The benchmark behind `make bench` (see bench/README.md). In one go: builds batchtrace and the
# bench tools in Release, generates the batches once (cached under the build directory),
# installs the peer's pinned npm packages, starts the loopback OTLP sink, then times each job
# BENCH_RUNS times (best wall time kept, with that run's peak RSS) and prints a table and the
# ratios measured in this run:
#   parse-only floors   batchtrace's JSON reader, Node readline + JSON.parse, jq
#   batchtrace          collect to the file exporter; to the sink over OTLP/HTTP protobuf (per
#                       text profile also to a sink answering after 150 ms: the peak RSS)
#   peer                the same job on the OpenTelemetry JS SDK, to a file; to the sink
#   the machine         per text profile: cat of the inputs and results to /dev/null, and dd
#                       of as many bytes as collect wrote to a file (what any collect costs)
# then, for OpenAI, peak RSS with a results file four times larger and the input index's
# bytes per item; then the OpenAI batch in each text profile (bench/gen.c --profile: prose,
# escapes, multibyte, long) against both peers (the OTel JS SDK peer to a file, and
# Braintrust's own collector, bench/peer/braintrust.js), and the issue's targets per profile.
#
# Settings (environment): BENCH_BUILD_DIR (default build-bench), BENCH_RUNS (3),
# BENCH_ITEMS (50000), BENCH_PROVIDERS ("openai anthropic"), BENCH_JOBS (2, build jobs),
# BENCH_CLOUD_PROVIDERS ("gemini bedrock": batchtrace alone on those batches, MB/s vs OpenAI's;
# empty skips them),
# BENCH_PROFILES ("prose escapes multibyte long"; empty skips the profile section),
# BENCH_STORES (yes; empty skips the PostgreSQL vs SQLite store section, bench/store.sh),
# BENCH_PROXY (yes; empty skips the proxy section, bench/proxy.sh; BENCH_PROXY_MB: 200).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BENCH_BUILD_DIR:-$root/build-bench}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)
runs=${BENCH_RUNS:-3}
items=${BENCH_ITEMS:-50000}
providers=${BENCH_PROVIDERS:-openai anthropic}
jobs=${BENCH_JOBS:-2}
profiles=${BENCH_PROFILES-prose escapes multibyte long}
data_dir=$build_dir/bench-data
work_dir=$build_dir/bench-out
expected_spans=$((items + 1)) # every generated item has a result, plus the task span

# Nothing from the caller's OpenTelemetry environment may redirect or reshape an export.
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
    OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_EXPORTER_OTLP_PROTOCOL OTEL_EXPORTER_OTLP_COMPRESSION \
    OTEL_EXPORTER_OTLP_TIMEOUT OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES TRACEPARENT
export BATCHTRACE_NOW=2026-03-12T00:00:00Z

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

command -v node >/dev/null || die "node is needed (sh scripts/install-deps.sh bench)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (sh scripts/install-deps.sh bench)"

# --- build ----------------------------------------------------------------------------------
log "building Release in $build_dir"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$jobs" --target batchtrace batchtrace-bench-gen \
    batchtrace-bench-baseline batchtrace-bench-index-cost >/dev/null
batchtrace=$build_dir/batchtrace
gen=$build_dir/batchtrace-bench-gen
baseline=$build_dir/batchtrace-bench-baseline
index_cost=$build_dir/batchtrace-bench-index-cost

if [ ! -d "$root/bench/peer/node_modules/@opentelemetry/exporter-trace-otlp-proto" ] ||
    [ ! -d "$root/bench/peer/node_modules/braintrust" ]; then
    log "installing the peer's pinned packages (npm ci)"
    (cd "$root/bench/peer" && npm ci --no-audit --no-fund >&2)
fi

# --- data -----------------------------------------------------------------------------------
# Prints the directory of the batch for provider $1 with results scale $2 and text profile $3
# (default prose), generating it when it is missing or was made by another version of the
# generator or with other settings.
batch_dir() {
    local profile=${3:-prose}
    local dir=$data_dir/$1-$items-x$2
    [ "$profile" = prose ] || dir=$data_dir/$1-$profile-$items-x$2
    local stamp
    stamp="$(cksum <"$root/bench/gen.c") $1 $items $2 $profile"
    if [ ! -f "$dir/.complete" ] || [ "$(cat "$dir/.complete")" != "$stamp" ]; then
        log "generating $1 batch: $items items, results scale $2, $profile profile"
        rm -rf "$dir"
        mkdir -p "$data_dir"
        "$gen" --provider "$1" --items "$items" --results-scale "$2" --profile "$profile" \
            --out "$dir" >/dev/null
        printf '%s\n' "$stamp" >"$dir/.complete"
    fi
    printf '%s\n' "$dir"
}

# Sets inputs, results (an array) and batch for provider $1 in directory $2.
batch_files() {
    batch=$2/batch.json
    if [ "$1" = openai ]; then
        inputs=$2/input.jsonl
        results=("$2/output.jsonl" "$2/errors.jsonl")
    else
        inputs=$2/requests.jsonl
        results=("$2/results.jsonl")
    fi
}

# Total size in bytes of the files named.
bytes_of() { stat -c %s "$@" | awk '{ total += $1 } END { print total }'; }

# --- the sink -------------------------------------------------------------------------------
mkdir -p "$work_dir"
background_pids=()
trap 'kill "${background_pids[@]}" 2>/dev/null || true' EXIT
# start_sink NAME [SINK ARGS...]: start bench/sink.js in the background; its URL goes to the
# variable NAME_url.
start_sink() {
    local name=$1
    shift
    rm -f "$work_dir/$name.port"
    node "$root/bench/sink.js" --port-file "$work_dir/$name.port" "$@" >/dev/null 2>"$work_dir/$name.err" &
    background_pids+=($!)
    for _ in $(seq 100); do
        [ -f "$work_dir/$name.port" ] && break
        sleep 0.1
    done
    [ -f "$work_dir/$name.port" ] || die "the $name did not start: $(cat "$work_dir/$name.err")"
    printf -v "${name}_url" 'http://127.0.0.1:%s' "$(cat "$work_dir/$name.port")"
}
start_sink sink
# A backend slow to answer (150 ms a request, as a collector far away): the exporter then holds
# as many requests as it may at once, which is what its peak RSS must allow for.
start_sink slow_sink --delay-ms 150

# A field of the counters of the sink at URL $2 (default: the sink).
sink_stat() { curl -fsS "${2:-$sink_url}/_bench/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# --- measuring ------------------------------------------------------------------------------
declare -A wall rss rss_max cpu sink_cpu helper_cpu input_size result_size output_size

# measure KEY CHECK COMMAND...: runs COMMAND $runs times and keeps the best wall time (seconds)
# and that run's peak RSS (KiB) and CPU time (user + system seconds) under KEY. It must exit 0. CHECK says how the spans are
# verified: "sink" or "slow-sink" (that sink received exactly $expected_spans spans, every run), "file:PATH"
# (PATH holds exactly that many, checked after the first run, untimed), "stdout" (the job
# printed a JSON line whose "spans" is that many, every run) or "none".
# CPU ticks (user + system) a running process has used so far, from /proc (the fields after
# the command name, which may hold spaces, so counted from its closing parenthesis).
clock_ticks=$(getconf CLK_TCK)
process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# Times a job BENCH_RUNS times (see the header). With helper_pid set, the CPU that process
# (the fake provider) used during the best run is kept too, as helper_cpu[KEY].
measure() {
    local key=$1 check=$2
    shift 2
    local run start end seconds
    for ((run = 1; run <= runs; run++)); do
        local url=$sink_url
        [ "$check" = slow-sink ] && url=$slow_sink_url
        [[ "$check" == sink || "$check" == slow-sink ]] && curl -fsS -X POST "$url/_bench/reset" >/dev/null
        # Every run starts from the same state, untimed: no output file left by the run
        # before (truncating 200 MB would be timed), and no dirty pages still being written
        # back (the kernel's flusher would compete with the run for the two cores).
        [[ "$check" == file:* || "$check" == scratch:* ]] && rm -f "${check#*:}"
        sync
        local helper_before=0
        [ -n "${helper_pid:-}" ] && helper_before=$(process_ticks "$helper_pid")
        start=$EPOCHREALTIME
        if ! /usr/bin/time -f '%M %U %S' -o "$work_dir/usage" "$@" >"$work_dir/stdout" 2>"$work_dir/stderr"; then
            cat "$work_dir/stderr" >&2
            die "$key failed: $*"
        fi
        end=$EPOCHREALTIME
        seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
        case $check in
        sink | slow-sink)
            local spans
            spans=$(sink_stat spans "$url")
            [ "$spans" = "$expected_spans" ] || die "$key: the sink received $spans spans, not $expected_spans"
            ;;
        stdout)
            local spans
            spans=$(sed -n 's/.*"spans":\([0-9]*\).*/\1/p' "$work_dir/stdout")
            [ "$spans" = "$expected_spans" ] || die "$key: the job reported ${spans:-no} spans, not $expected_spans"
            ;;
        file:*)
            if [ "$run" = 1 ]; then
                local spans
                spans=$(node "$root/bench/count-spans.js" "${check#file:}")
                [ "$spans" = "$expected_spans" ] || die "$key: the file holds $spans spans, not $expected_spans"
                output_size[$key]=$(bytes_of "${check#file:}")
            fi
            ;;
        esac
        local run_rss
        run_rss=$(tail -n 1 "$work_dir/usage" | cut -d' ' -f1)
        [ "${rss_max[$key]:-0}" -ge "$run_rss" ] || rss_max[$key]=$run_rss
        if [ -z "${wall[$key]:-}" ] || awk -v a="$seconds" -v b="${wall[$key]}" 'BEGIN { exit !(a < b) }'; then
            wall[$key]=$seconds
            rss[$key]=$(tail -n 1 "$work_dir/usage" | cut -d' ' -f1)
            cpu[$key]=$(tail -n 1 "$work_dir/usage" | awk '{ printf "%.2f", $2 + $3 }')
            [ "$check" = sink ] && sink_cpu[$key]=$(sink_stat cpu_ms)
            [ -n "${helper_pid:-}" ] && helper_cpu[$key]=$(awk -v a="$helper_before" \
                -v b="$(process_ticks "$helper_pid")" -v hz="$clock_ticks" 'BEGIN { printf "%.2f", (b - a) / hz }')
        fi
        log "$key run $run: ${seconds}s wall, $(tail -n 1 "$work_dir/usage") (KiB, user s, sys s)"
    done
}

# Formats a division with one decimal.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# Prints one table row: label, key, input bytes, whether it makes spans.
row() {
    local label=$1 key=$2 bytes=$3 spans=$4
    local seconds=${wall[$key]}
    local per_second=-
    [ "$spans" = yes ] && per_second=$(awk -v n="$expected_spans" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
    printf '  %-38s %8.3f %7.2f %8.1f %10s %9.1f\n' "$label" "$seconds" "${cpu[$key]}" \
        "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { print b / s / 1e6 }')" "$per_second" \
        "$(awk -v k="${rss[$key]}" 'BEGIN { print k / 1024 }')"
}

# --- the run --------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain -- src include 2>/dev/null)" ] && commit="$commit+changes"
load=$(cut -d' ' -f1-3 /proc/loadavg)

for provider in $providers; do
    dir=$(batch_dir "$provider" 1)
    batch_files "$provider" "$dir"
    input_bytes=$(bytes_of "$inputs")
    result_bytes=$(bytes_of "${results[@]}")
    results_args=()
    for file in "${results[@]}"; do results_args+=(--results "$file"); done
    collect=("$batchtrace" collect --input "$inputs" "${results_args[@]}" --batch "$batch" --quiet)
    peer=(node "$root/bench/peer/peer.js" --provider "$provider" --input "$inputs"
        "${results_args[@]}" --batch "$batch")

    measure "$provider/baseline" none "$baseline" "$inputs" "${results[@]}"
    measure "$provider/node" none node "$root/bench/json-parse.js" "$inputs" "${results[@]}"
    if command -v jq >/dev/null; then
        measure "$provider/jq" none jq empty "$inputs" "${results[@]}"
    fi
    measure "$provider/bt-file" "file:$work_dir/batchtrace.jsonl" \
        "${collect[@]}" --exporter file --output "$work_dir/batchtrace.jsonl"
    measure "$provider/bt-otlp" sink \
        "${collect[@]}" --exporter otlp --endpoint "$sink_url" --protocol http/protobuf
    measure "$provider/peer-file" "file:$work_dir/peer.jsonl" "${peer[@]}" --output "$work_dir/peer.jsonl"
    measure "$provider/peer-otlp" sink "${peer[@]}" --endpoint "$sink_url"
    rm -f "$work_dir/batchtrace.jsonl" "$work_dir/peer.jsonl"
    input_size[$provider]=$input_bytes
    result_size[$provider]=$result_bytes

    if [ "$provider" = openai ]; then
        index_line=$("$index_cost" "$inputs")
        large_dir=$(batch_dir openai 4)
        batch_files openai "$large_dir"
        large_result_bytes=$(bytes_of "${results[@]}")
        results_args=()
        for file in "${results[@]}"; do results_args+=(--results "$file"); done
        large=("$batchtrace" collect --input "$inputs" "${results_args[@]}" --batch "$batch" --quiet)
        measure openai/bt-file-x4 "file:$work_dir/batchtrace.jsonl" \
            "${large[@]}" --exporter file --output "$work_dir/batchtrace.jsonl"
        measure openai/bt-otlp-x4 sink \
            "${large[@]}" --exporter otlp --endpoint "$sink_url" --protocol http/protobuf
        rm -f "$work_dir/batchtrace.jsonl"

        # batchtrace report of the batch: from the store (what a collect with a context
        # kept) and from the files (the whole batch read again, nothing exported).
        batch_files openai "$(batch_dir openai 1)"
        report_args=(--input "$inputs" --batch "$batch")
        for file in "${results[@]}"; do report_args+=(--results "$file"); done
        report_store="sqlite:$work_dir/report-state.db"
        rm -f "$work_dir/report-state.db"*
        report_id=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).id)' "$batch")
        "$batchtrace" start --input "$inputs" --batch-id "$report_id" --store "$report_store" \
            --output "$work_dir/report-spans.jsonl" --quiet >/dev/null
        "$batchtrace" collect "${report_args[@]}" --store "$report_store" \
            --output "$work_dir/report-spans.jsonl" --quiet
        rm -f "$work_dir/report-spans.jsonl"
        measure openai/report-store none "$batchtrace" report --batch-id "$report_id" \
            --store "$report_store" --json
        measure openai/report-html none "$batchtrace" report --batch-id "$report_id" \
            --store "$report_store" --html "$work_dir/report.html"
        measure openai/report-files none "$batchtrace" report "${report_args[@]}" --json
    fi
done

# --- sync: the same OpenAI batch downloaded from a loopback fake API (issue 24) ---------------
# `batchtrace sync` of one completed OpenAI batch served by tests/sync/fake_provider.js on
# 127.0.0.1 (its input, output and error files), to the file exporter, against `collect` of
# the same files from disk (openai/bt-file above). Each run starts with an empty store (else
# the second would find the batch complete and send nothing).
if [[ " $providers " == *" openai "* ]]; then
    dir=$(batch_dir openai 1)
    batch_files openai "$dir"
    node -e '
      const fs = require("fs");
      const [batchFile, input, output, errors, configFile] = process.argv.slice(1);
      const batch = JSON.parse(fs.readFileSync(batchFile, "utf8"));
      Object.assign(batch, { id: batch.id || "batch_bench", status: "completed",
        input_file_id: "file-bench-in", output_file_id: "file-bench-out", error_file_id: "file-bench-err" });
      fs.writeFileSync(configFile, JSON.stringify({ openai_key: "sk-bench", openai: { batches: [batch],
        files: { "file-bench-in": input, "file-bench-out": output, "file-bench-err": errors } } }));
    ' "$batch" "$inputs" "${results[0]}" "${results[1]}" "$work_dir/fake-config.json"
    rm -f "$work_dir/fake.port"
    node "$root/tests/sync/fake_provider.js" --config "$work_dir/fake-config.json" \
        --port-file "$work_dir/fake.port" >/dev/null 2>"$work_dir/fake.err" &
    fake_pid=$!
    background_pids+=("$fake_pid")
    for _ in $(seq 100); do [ -f "$work_dir/fake.port" ] && break; sleep 0.1; done
    [ -f "$work_dir/fake.port" ] || die "the fake provider did not start: $(cat "$work_dir/fake.err")"
    helper_pid=$fake_pid measure openai/sync-file "file:$work_dir/batchtrace.jsonl" \
        bash -c 'rm -f "$1"/sync-state.db*; exec env OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="$2" "$3" sync \
            --provider openai --store "sqlite:$1/sync-state.db" --exporter file --output "$1/batchtrace.jsonl" --quiet' \
        sync-bench "$work_dir" "http://127.0.0.1:$(cat "$work_dir/fake.port")/v1" "$batchtrace"
    # The same exactly-once bookkeeping from disk: start (no copy of the inputs), then collect
    # with its context, so every item is claimed and marked in the store as sync's are.
    measure openai/ctx-file "file:$work_dir/batchtrace.jsonl" \
        bash -c 'rm -f "$1"/sync-state.db*; ctx=$("$2" start --input "$3" --store "sqlite:$1/sync-state.db" \
            --no-keep-inputs --exporter file --output "$1/submit.jsonl" --quiet) && rm -f "$1/submit.jsonl" &&
            exec "$2" collect --context "$ctx" --store "sqlite:$1/sync-state.db" --input "$3" --results "$4" \
            --results "$5" --batch "$6" --exporter file --output "$1/batchtrace.jsonl" --quiet' \
        ctx-bench "$work_dir" "$batchtrace" "$inputs" "${results[0]}" "${results[1]}" "$batch"
    # Sync's own bookkeeping from disk: collect-only with a new store records the batch
    # itself (as sync does for a batch nobody started) and claims and marks every item.
    measure openai/store-file "file:$work_dir/batchtrace.jsonl" \
        bash -c 'rm -f "$1"/sync-state.db*; exec "$2" collect --store "sqlite:$1/sync-state.db" \
            --input "$3" --results "$4" --results "$5" --batch "$6" --exporter file \
            --output "$1/batchtrace.jsonl" --quiet' \
        store-bench "$work_dir" "$batchtrace" "$inputs" "${results[0]}" "${results[1]}" "$batch"
    rm -f "$work_dir/batchtrace.jsonl" "$work_dir"/sync-state.db*
    kill "$fake_pid" 2>/dev/null || true
fi
# --- Gemini and Bedrock batches (docs/providers.md): batchtrace only, no peer ---------------
cloud_providers=${BENCH_CLOUD_PROVIDERS-gemini bedrock}
for provider in $cloud_providers; do
    dir=$(batch_dir "$provider" 1)
    inputs=$dir/input.jsonl
    results=("$dir/output.jsonl")
    [ "$provider" = bedrock ] && results=("$dir/input.jsonl.out")
    collect=("$batchtrace" collect --input "$inputs" --results "${results[0]}" --batch "$dir/batch.json" --quiet)
    measure "$provider/bt-file" "file:$work_dir/batchtrace.jsonl" \
        "${collect[@]}" --exporter file --output "$work_dir/batchtrace.jsonl"
    measure "$provider/bt-otlp" sink \
        "${collect[@]}" --exporter otlp --endpoint "$sink_url" --protocol http/protobuf
    rm -f "$work_dir/batchtrace.jsonl"
    input_size[$provider]=$(bytes_of "$inputs")
    result_size[$provider]=$(bytes_of "${results[@]}")
done

# --- text profiles --------------------------------------------------------------------------
# The OpenAI batch in each text profile (bench/gen.c --profile), against both peers: the OTel
# JS SDK peer to a file and Braintrust's own collector (completeOpenAIBatchTrace, in memory).
# The prose batch is the one the provider loop above measured; its rows are reused.
declare -A profile_bytes

# The key prefix of the OpenAI batch in text profile $1.
profile_prefix() { if [ "$1" = prose ]; then echo openai; else echo "openai-$1"; fi; }

# measure_once KEY ...: measure, unless KEY was measured already in this run.
measure_once() { [ -n "${wall[$1]:-}" ] || measure "$@"; }

for profile in $profiles; do
    prefix=$(profile_prefix "$profile")
    dir=$(batch_dir openai 1 "$profile")
    batch_files openai "$dir"
    profile_bytes[$profile]=$(bytes_of "$inputs" "${results[@]}")
    collect=("$batchtrace" collect --input "$inputs" --results "${results[0]}" --results "${results[1]}"
        --batch "$batch" --quiet)
    measure_once "$prefix/baseline" none "$baseline" "$inputs" "${results[@]}"
    measure_once "$prefix/bt-file" "file:$work_dir/batchtrace.jsonl" \
        "${collect[@]}" --exporter file --output "$work_dir/batchtrace.jsonl"
    measure_once "$prefix/bt-otlp" sink \
        "${collect[@]}" --exporter otlp --endpoint "$sink_url" --protocol http/protobuf
    measure_once "$prefix/bt-otlp-slow" slow-sink \
        "${collect[@]}" --exporter otlp --endpoint "$slow_sink_url" --protocol http/protobuf
    measure_once "$prefix/peer-file" "file:$work_dir/peer.jsonl" node "$root/bench/peer/peer.js" \
        --provider openai --input "$inputs" --results "${results[0]}" --results "${results[1]}" \
        --batch "$batch" --output "$work_dir/peer.jsonl"
    measure_once "$prefix/braintrust" stdout node "$root/bench/peer/braintrust.js" \
        --input "$inputs" --output "${results[0]}" --errors "${results[1]}"
    # The machine's own floor: the same inputs read, and as many bytes written as collect wrote.
    measure_once "$prefix/read" none sh -c 'exec cat "$@" >/dev/null' read-floor "$inputs" "${results[@]}"
    output_mib=$(((${output_size[$prefix/bt-file]} + 1048575) / 1048576))
    measure_once "$prefix/write" "scratch:$work_dir/floor.out" dd if=/dev/zero \
        of="$work_dir/floor.out" bs=1048576 count="$output_mib" status=none
    rm -f "$work_dir/batchtrace.jsonl" "$work_dir/peer.jsonl" "$work_dir/floor.out"
done

# --- the report -----------------------------------------------------------------------------
echo
echo "batchtrace benchmark ($(date -u +%Y-%m-%dT%H:%MZ), commit $commit)"
echo "machine: $(nproc) CPUs, $cpu_model, $mem_total; load average at start: $load"
echo "node $(node --version); best of $runs runs; MB = 10^6 bytes; MB/s = (inputs + results) / wall"
for provider in $providers; do
    total=$((input_size[$provider] + result_size[$provider]))
    echo
    printf '%s batch: %d items, inputs %.1f MB + results %.1f MB = %.1f MB, %d spans\n' \
        "$provider" "$items" "$(ratio "${input_size[$provider]}" 1e6)" "$(ratio "${result_size[$provider]}" 1e6)" \
        "$(ratio "$total" 1e6)" "$expected_spans"
    printf '  %-38s %8s %7s %8s %10s %9s\n' job "wall s" "CPU s" "MB/s" "spans/s" "RSS MB"
    row "parse only: batchtrace JSON reader" "$provider/baseline" "$total" no
    row "parse only: node readline+JSON.parse" "$provider/node" "$total" no
    [ -n "${wall[$provider/jq]:-}" ] && row "parse only: jq empty" "$provider/jq" "$total" no
    row "batchtrace collect, file" "$provider/bt-file" "$total" yes
    row "batchtrace collect, OTLP/HTTP protobuf" "$provider/bt-otlp" "$total" yes
    row "peer (OTel JS SDK), OTLP/JSON file" "$provider/peer-file" "$total" yes
    row "peer (OTel JS SDK), OTLP/HTTP protobuf" "$provider/peer-otlp" "$total" yes
    echo "  ratios (this run):"
    echo "    batchtrace vs peer, file:                $(ratio "${wall[$provider/peer-file]}" "${wall[$provider/bt-file]}")x faster (issue target for OpenAI: >= 15x)"
    echo "    batchtrace vs peer, OTLP/HTTP protobuf:  $(ratio "${wall[$provider/peer-otlp]}" "${wall[$provider/bt-otlp]}")x faster (issue target for OpenAI: >= 10x)"
    echo "    batchtrace file vs parse-only baseline:  $(ratio "${wall[$provider/bt-file]}" "${wall[$provider/baseline]}")x the baseline's time"
    echo "    batchtrace OTLP vs parse-only baseline:  $(ratio "${wall[$provider/bt-otlp]}" "${wall[$provider/baseline]}")x the baseline's time"
    echo "    the same in CPU time (user + system; steadier when the machine is shared):"
    echo "      vs peer, file $(ratio "${cpu[$provider/peer-file]}" "${cpu[$provider/bt-file]}")x;" \
        "vs peer, OTLP $(ratio "${cpu[$provider/peer-otlp]}" "${cpu[$provider/bt-otlp]}")x;" \
        "file vs baseline $(ratio "${cpu[$provider/bt-file]}" "${cpu[$provider/baseline]}")x;" \
        "OTLP vs baseline $(ratio "${cpu[$provider/bt-otlp]}" "${cpu[$provider/baseline]}")x"
    echo "    sink CPU during the best OTLP runs:      batchtrace ${sink_cpu[$provider/bt-otlp]} ms, peer ${sink_cpu[$provider/peer-otlp]} ms"
done
if [[ " $providers " == *" openai "* ]]; then
    echo
    echo "memory (openai):"
    printf '  peak RSS, results %.1f MB:          file %.1f MB, OTLP %.1f MB (issue target: < 128 MB)\n' \
        "$(ratio "${result_size[openai]}" 1e6)" "$(ratio "${rss[openai/bt-file]}" 1024)" \
        "$(ratio "${rss[openai/bt-otlp]}" 1024)"
    printf '  peak RSS, results %.1f MB (scale 4): file %.1f MB (%+.1f%%), OTLP %.1f MB (%+.1f%%) (issue target: at most +10%%)\n' \
        "$(ratio "$large_result_bytes" 1e6)" \
        "$(ratio "${rss[openai/bt-file-x4]}" 1024)" \
        "$(awk -v a="${rss[openai/bt-file-x4]}" -v b="${rss[openai/bt-file]}" 'BEGIN { print (a - b) * 100 / b }')" \
        "$(ratio "${rss[openai/bt-otlp-x4]}" 1024)" \
        "$(awk -v a="${rss[openai/bt-otlp-x4]}" -v b="${rss[openai/bt-otlp]}" 'BEGIN { print (a - b) * 100 / b }')"
    echo "  input index: $index_line"
    echo "    (per_item_beyond_custom_id: issue target <= 64 bytes per item plus the custom_id)"
fi
if [[ " $providers " == *" openai "* ]]; then
    echo
    echo "report (openai, $items items):"
    printf '  %-38s %8s %7s %9s\n' job "wall s" "CPU s" "RSS MB"
    for key in report-store report-html report-files; do
        case $key in
            report-store) label="report --batch-id (the store), --json" ;;
            report-html) label="report --batch-id, --html" ;;
            report-files) label="report from the files, --json" ;;
        esac
        printf '  %-38s %8.3f %7.3f %9.1f\n' "$label" "${wall[openai/$key]}" \
            "${cpu[openai/$key]}" "$(ratio "${rss[openai/$key]}" 1024)"
    done
    echo "    from the store vs from the files:        $(ratio "${wall[openai/report-files]}" "${wall[openai/report-store]}")x faster (issue target: report from the store < 1 s)"
fi
if [ -n "${wall[openai/sync-file]:-}" ]; then
    echo
    echo "sync (openai, issue 24): the batch downloaded from a loopback fake API vs collect from disk"
    printf '  %-38s %8s %7s %8s %10s %9s\n' job "wall s" "CPU s" "MB/s" "spans/s" "RSS MB"
    row "batchtrace sync, file" openai/sync-file "$((input_size[openai] + result_size[openai]))" yes
    row "batchtrace collect (disk), file" openai/bt-file "$((input_size[openai] + result_size[openai]))" yes
    row "batchtrace start + collect --context" openai/ctx-file "$((input_size[openai] + result_size[openai]))" yes
    row "batchtrace collect --store (disk)" openai/store-file "$((input_size[openai] + result_size[openai]))" yes
    echo "    sync vs collect --store (disk):          $(awk -v a="${wall[openai/sync-file]}" -v b="${wall[openai/store-file]}" 'BEGIN { printf "%.2f", a / b }')x the time" \
        "(the same bookkeeping: the download's cost alone); peak RSS $(ratio "${rss[openai/sync-file]}" 1024) MB vs $(ratio "${rss[openai/store-file]}" 1024) MB"
    echo "    sync vs collect from disk:               $(ratio "${wall[openai/sync-file]}" "${wall[openai/bt-file]}")x the time (issue target: within 1.3x);" \
        "peak RSS $(ratio "${rss[openai/sync-file]}" 1024) MB vs $(ratio "${rss[openai/bt-file]}" 1024) MB (target: the same)"
    # Every CPU second of sync and of the fake provider (serving the files over loopback)
    # is spent during sync's wall time, on this machine's cores: their sum over the cores is
    # the shortest sync can take here, however its work is arranged.
    cores=$(nproc)
    floor=$(awk -v a="${cpu[openai/sync-file]}" -v b="${helper_cpu[openai/sync-file]}" -v n="$cores" 'BEGIN { printf "%.3f", (a + b) / n }')
    echo "    CPU of the best sync run:                sync ${cpu[openai/sync-file]} s + the fake provider ${helper_cpu[openai/sync-file]} s" \
        "(collect from disk: ${cpu[openai/bt-file]} s)"
    echo "    sync's floor on $cores cores:                 (sync + fake CPU) / $cores = $floor s," \
        "$(awk -v a="$floor" -v b="${wall[openai/bt-file]}" 'BEGIN { printf "%.2f", a / b }')x collect's wall time at best"
fi

# --- the stores (issue 18): collect with a PostgreSQL store vs a SQLite store -----------------
if [ -n "${BENCH_STORES-yes}" ]; then
    "$root/bench/store.sh" "$batchtrace" "$work_dir"
fi

# --- the proxy (issue 16): a results download through batchtrace proxy vs direct --------------
if [ -n "${BENCH_PROXY-yes}" ]; then
    "$root/bench/proxy.sh" "$batchtrace" "$work_dir"
fi

# MB/s of job $2 for provider $1 (inputs + results over the best wall time).
mb_per_second() {
    awk -v b="$((input_size[$1] + result_size[$1]))" -v s="${wall[$1/$2]}" 'BEGIN { printf "%.1f", b / s / 1e6 }'
}
if [ -n "$cloud_providers" ]; then
    echo
    echo "other providers' batches (batchtrace only; MB/s = (inputs + results) / wall):"
    for provider in $cloud_providers; do
        printf '  %-8s inputs %.1f MB + results %.1f MB: file %s MB/s, OTLP %s MB/s' "$provider" \
            "$(ratio "${input_size[$provider]}" 1e6)" "$(ratio "${result_size[$provider]}" 1e6)" \
            "$(mb_per_second "$provider" bt-file)" "$(mb_per_second "$provider" bt-otlp)"
        if [[ " $providers " == *" openai "* ]]; then
            printf '; openai / %s MB/s: file %sx, OTLP %sx (issue target: at most 1.5x)' "$provider" \
                "$(ratio "$(mb_per_second openai bt-file)" "$(mb_per_second "$provider" bt-file)")" \
                "$(ratio "$(mb_per_second openai bt-otlp)" "$(mb_per_second "$provider" bt-otlp)")"
        fi
        echo
    done
fi

if [ -n "$profiles" ]; then
    # verdict A OP B: "met" when A OP B holds (OP: ge or le), "NOT met" otherwise.
    verdict() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { ok = op == "ge" ? a >= b : a <= b; print ok ? "met" : "NOT met" }'; }
    mb_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
    echo
    echo "text profiles (openai, $items items; MB/s = (inputs + results) / wall; x = the peer's wall time / batchtrace's to a file):"
    printf '  %-10s %6s %9s %9s %9s %9s %9s %6s %9s %6s %19s %15s\n' profile MB "floor/s" "file/s" \
        "OTLP/s" "OTLP/file" "OTel s" x "Brtrust s" x "RSS file/OTLP/slow" "RSS OTel/Brtrst"
    for profile in $profiles; do
        prefix=$(profile_prefix "$profile")
        bytes=${profile_bytes[$profile]}
        printf '  %-10s %6.1f %9s %9s %9s %9s %9.3f %6s %9.3f %6s %19s %15s\n' "$profile" \
            "$(ratio "$bytes" 1e6)" "$(mb_per_s "$bytes" "${wall[$prefix/baseline]}")" \
            "$(mb_per_s "$bytes" "${wall[$prefix/bt-file]}")" "$(mb_per_s "$bytes" "${wall[$prefix/bt-otlp]}")" \
            "$(ratio "${wall[$prefix/bt-otlp]}" "${wall[$prefix/bt-file]}")x" \
            "${wall[$prefix/peer-file]}" "$(ratio "${wall[$prefix/peer-file]}" "${wall[$prefix/bt-file]}")" \
            "${wall[$prefix/braintrust]}" "$(ratio "${wall[$prefix/braintrust]}" "${wall[$prefix/bt-file]}")" \
            "$(ratio "${rss[$prefix/bt-file]}" 1024)/$(ratio "${rss[$prefix/bt-otlp]}" 1024)/$(ratio "${rss[$prefix/bt-otlp-slow]}" 1024)" \
            "$(ratio "${rss[$prefix/peer-file]}" 1024)/$(ratio "${rss[$prefix/braintrust]}" 1024)"
    done
    echo "  distance to the parse-only floor (collect to a file / the batchtrace JSON reader alone):"
    for profile in $profiles; do
        prefix=$(profile_prefix "$profile")
        echo "    $profile: $(ratio "${wall[$prefix/bt-file]}" "${wall[$prefix/baseline]}")x wall," \
            "$(ratio "${cpu[$prefix/bt-file]}" "${cpu[$prefix/baseline]}")x CPU"
    done
    echo "  the machine's floor (no batchtrace: cat of the inputs and results, dd of collect's output size," \
        "and the JSON reader's one parse; CPU s) against what the target rate leaves on $(nproc) cores:"
    for profile in $profiles; do
        prefix=$(profile_prefix "$profile")
        case $profile in
        prose) rate_target=1000 ;;
        escapes | multibyte) rate_target=600 ;;
        *) continue ;;
        esac
        floor_cpu=$(awk -v a="${cpu[$prefix/read]}" -v b="${cpu[$prefix/write]}" -v c="${cpu[$prefix/baseline]}" \
            'BEGIN { printf "%.2f", a + b + c }')
        budget=$(awk -v b="${profile_bytes[$profile]}" -v r="$rate_target" -v n="$(nproc)" \
            'BEGIN { printf "%.2f", b / (r * 1e6) * n }')
        echo "    $profile: read ${cpu[$prefix/read]} + write $(ratio "${output_size[$prefix/bt-file]}" 1e6) MB" \
            "${cpu[$prefix/write]} + parse once ${cpu[$prefix/baseline]} = $floor_cpu s;" \
            "$rate_target MB/s allows $budget s in all, $(awk -v a="$budget" -v b="$floor_cpu" 'BEGIN { printf "%.2f", a - b }') s" \
            "for matching, reading the inputs back, building and encoding spans (collect used ${cpu[$prefix/bt-file]} s)"
    done
    echo "  CPU time (user + system; steadier than wall time on a shared machine):"
    for profile in $profiles; do
        prefix=$(profile_prefix "$profile")
        echo "    $profile: file ${cpu[$prefix/bt-file]} s, OTLP ${cpu[$prefix/bt-otlp]} s;" \
            "OTel peer ${cpu[$prefix/peer-file]} s ($(ratio "${cpu[$prefix/peer-file]}" "${cpu[$prefix/bt-file]}")x);" \
            "Braintrust ${cpu[$prefix/braintrust]} s ($(ratio "${cpu[$prefix/braintrust]}" "${cpu[$prefix/bt-file]}")x)"
    done
    echo "  issue 20's targets, as measured in this run:"
    for profile in $profiles; do
        prefix=$(profile_prefix "$profile")
        bytes=${profile_bytes[$profile]}
        file_rate=$(mb_per_s "$bytes" "${wall[$prefix/bt-file]}")
        case $profile in
        prose) rate_target=1000 ;;
        escapes | multibyte) rate_target=600 ;;
        *) rate_target= ;;
        esac
        smaller_peer=$(awk -v a="${rss[$prefix/peer-file]}" -v b="${rss[$prefix/braintrust]}" 'BEGIN { print (a < b ? a : b) }')
        largest_rss=$(printf '%s\n' "${rss_max[$prefix/bt-file]}" "${rss_max[$prefix/bt-otlp]}" \
            "${rss_max[$prefix/bt-otlp-slow]}" | sort -n | tail -n 1)
        otlp_ratio=$(awk -v a="${wall[$prefix/bt-otlp]}" -v b="${wall[$prefix/bt-file]}" 'BEGIN { printf "%.2f", a / b }')
        otel_ratio=$(ratio "${wall[$prefix/peer-file]}" "${wall[$prefix/bt-file]}")
        bt_ratio=$(ratio "${wall[$prefix/braintrust]}" "${wall[$prefix/bt-file]}")
        line="    $profile:"
        [ -n "$rate_target" ] && line="$line file $file_rate MB/s >= $rate_target $(verdict "$file_rate" ge "$rate_target");"
        line="$line OTLP ${otlp_ratio}x the file time <= 1.3 $(verdict "$otlp_ratio" le 1.3);"
        line="$line vs OTel ${otel_ratio}x >= 25 $(verdict "$otel_ratio" ge 25);"
        line="$line vs Braintrust ${bt_ratio}x >= 15 $(verdict "$bt_ratio" ge 15);"
        line="$line peak RSS $(ratio "$largest_rss" 1024) MB (the most of every run: file, OTLP, OTLP to a sink"
        line="$line answering after 150 ms) <= 48 $(verdict "$largest_rss" le 49152)"
        line="$line and <= 1/10 of the smaller peer's $(ratio "$smaller_peer" 1024) MB"
        line="$line $(verdict "$largest_rss" le "$(awk -v p="$smaller_peer" 'BEGIN { print p / 10 }')")"
        echo "$line"
    done
fi
