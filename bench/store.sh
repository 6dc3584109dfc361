#!/usr/bin/env bash
# The PostgreSQL store against the SQLite store (issue 18): `collect` of one started batch
# of BENCH_ITEMS (50,000) items to the file exporter, its claims and delivered marks in a
# SQLite store, then in a PostgreSQL store (a private server from tests/pg/server.sh, with
# fsync on), each BENCH_RUNS (3) times on a fresh store (best wall time kept). Prints both
# times and the ratio (issue target: PostgreSQL within 1.3x of SQLite).
#   bench/store.sh BATCHTRACE_BINARY WORK_DIR
# Called by bench/run.sh; needs node and Debian's postgresql (scripts/install-deps.sh bench).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
batchtrace=${1:?usage: bench/store.sh BATCHTRACE_BINARY WORK_DIR}
batchtrace=$(cd "$(dirname "$batchtrace")" && pwd)/$(basename "$batchtrace")
work=${2:?usage: bench/store.sh BATCHTRACE_BINARY WORK_DIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)/store # absolute: tests/pg/server.sh runs from another directory
runs=${BENCH_RUNS:-3}
items=${BENCH_ITEMS:-50000}
state=$work/pg-server.env
mkdir -p "$work"
trap '"$root/tests/pg/server.sh" stop "$state"' EXIT
"$root/tests/pg/server.sh" start "$state" --durable
# shellcheck disable=SC1090
. "$state"

node "$root/tests/cli/crash_gen.js" "$work/batch" "$items" >/dev/null

# run_once STORE_URL: start the batch in a fresh STORE_URL (untimed), then print the wall
# seconds of its collect.
run_once() {
    local url=$1 token start end
    rm -f "$work/spans.jsonl"
    token=$(cd "$work/batch" && "$batchtrace" start --input input.jsonl --store "$url" \
        --exporter file --output "$work/submit.jsonl")
    node -e 'const fs=require("fs");const b=JSON.parse(fs.readFileSync(process.argv[1]));b.metadata={batchtrace_ctx:process.argv[2]};fs.writeFileSync(process.argv[3],JSON.stringify(b))' \
        "$work/batch/batch.json" "$token" "$work/batch/batch-ctx.json"
    start=$(date +%s.%N)
    (cd "$work/batch" && "$batchtrace" collect --results output.jsonl --batch batch-ctx.json \
        --store "$url" --exporter file --output "$work/spans.jsonl" --quiet)
    end=$(date +%s.%N)
    [ "$(wc -l < "$work/spans.jsonl")" -gt 0 ] || { echo "bench: collect wrote no spans" >&2; exit 1; }
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

# best BACKEND: the best of $runs collects, each on a fresh store of BACKEND.
best() {
    local backend=$1 best_time="" run url t
    for run in $(seq "$runs"); do
        if [ "$backend" = sqlite ]; then
            rm -rf "$work/sqlite-$run"
            url="sqlite:$work/sqlite-$run/state.db"
        else
            url="$BT_PG_URL&schema=bench_$run"
        fi
        t=$(run_once "$url") || exit 1
        if [ -z "$best_time" ] || awk -v a="$t" -v b="$best_time" 'BEGIN { exit !(a < b) }'; then
            best_time=$t
        fi
    done
    echo "$best_time"
}

sqlite_time=$(best sqlite) || exit 1
pg_time=$(best postgres) || exit 1
echo
echo "store (openai, $items items, collect with a context to the file exporter, best of $runs):"
echo "  SQLite store:      ${sqlite_time} s"
echo "  PostgreSQL store:  ${pg_time} s (a private server on a Unix socket, fsync on)"
echo "  ratio:             $(awk -v a="$pg_time" -v b="$sqlite_time" 'BEGIN { printf "%.2f", a / b }')x the SQLite store's time (issue target: <= 1.3x)"
