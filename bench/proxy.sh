#!/usr/bin/env bash
# `batchtrace proxy` (issue 16): a BENCH_PROXY_MB (200) MB OpenAI output file downloaded from
# the loopback fake API (tests/sync/fake_provider.js) directly, then through the proxy while
# it traces it (the download teed, then collected to bench/sink.js over OTLP), BENCH_RUNS
# (3) times each, alternating, best wall time kept. Prints both throughputs, their ratio (issue
# target: the proxy >= 80% of direct) and the proxy's peak RSS over the run, the collect
# after the download included (target: <= 64 MB). Each proxy run has a fresh store.
#   bench/proxy.sh BATCHTRACE_BINARY WORK_DIR
# Called by bench/run.sh (BENCH_PROXY= skips it); needs node and curl.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
batchtrace=${1:?usage: bench/proxy.sh BATCHTRACE_BINARY WORK_DIR}
work=${2:?usage: bench/proxy.sh BATCHTRACE_BINARY WORK_DIR}/proxy
runs=${BENCH_RUNS:-3}
megabytes=${BENCH_PROXY_MB:-200}
mkdir -p "$work"
# No file here grows past twice the download (a runaway must not fill the disk).
ulimit -f $((megabytes * 2 * 1024 * 2))

pids=()
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done' EXIT

# The output file: lines of an OpenAI batch output, about 600 bytes each, unique custom_ids.
results=$work/output-$megabytes.jsonl
if [ ! -s "$results" ]; then
    node -e '
      const fs = require("fs");
      const [file, mb] = process.argv.slice(1);
      const fd = fs.openSync(file, "w");
      const want = Number(mb) * 1000 * 1000;
      let written = 0, i = 0, chunk = [];
      while (written < want) {
        const id = `req-${String(++i).padStart(8, "0")}`;
        const line = JSON.stringify({ id: `batch_req_${id}`, custom_id: id, response: { status_code: 200,
          request_id: `r-${id}`, body: { id: `chatcmpl-${id}`, object: "chat.completion", created: 1767225700,
          model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant",
          content: `The review ${i} reads as positive: ${"lorem ipsum dolor sit amet ".repeat(8)}` },
          finish_reason: "stop" }], usage: { prompt_tokens: 90, completion_tokens: 60, total_tokens: 150 } } },
          error: null }) + "\n";
        chunk.push(line);
        written += line.length;
        if (chunk.length === 2000) { fs.writeSync(fd, chunk.join("")); chunk = []; }
      }
      fs.writeSync(fd, chunk.join(""));
      fs.closeSync(fd);
      fs.writeFileSync(file + ".items", String(i));
    ' "$results" "$megabytes"
fi
bytes=$(stat -c %s "$results")
items=$(cat "$results.items")

node -e '
  const fs = require("fs");
  const [file, items, config] = process.argv.slice(1);
  fs.writeFileSync(config, JSON.stringify({ openai_key: "sk-bench", openai: { batches: [{ id: "batch_proxybench",
    object: "batch", endpoint: "/v1/chat/completions", errors: null, input_file_id: "file-bench-in",
    completion_window: "24h", status: "completed", output_file_id: "file-bench-out", error_file_id: null,
    created_at: 1767225600, completed_at: 1767229200, request_counts: { total: Number(items),
    completed: Number(items), failed: 0 }, metadata: null }], files: { "file-bench-out": file } } }));
' "$results" "$items" "$work/fake-config.json"

# start_node SCRIPT PORT_FILE ARG...: a node server of ours, killed on exit; its port is
# then in PORT_FILE (called in this shell, not in $(...): the trap must see its pid).
start_node() {
    local script=$1 port_file=$2
    shift 2
    rm -f "$port_file"
    node "$script" --port-file "$port_file" "$@" > /dev/null 2> "$port_file.err" &
    pids+=($!)
    for _ in $(seq 100); do [ -f "$port_file" ] && break; sleep 0.1; done
    [ -f "$port_file" ] || { echo "bench/proxy.sh: $script did not start: $(cat "$port_file.err")" >&2; exit 1; }
}
start_node "$root/tests/sync/fake_provider.js" "$work/fake.port" --config "$work/fake-config.json"
fake=$(cat "$work/fake.port")
start_node "$root/bench/sink.js" "$work/sink.port"
sink=$(cat "$work/sink.port")

# download URL: the download's wall seconds (the body discarded), checking its size.
download() {
    local out
    out=$(curl -sf -o /dev/null -w '%{time_total} %{size_download}' -H 'Authorization: Bearer sk-bench' "$1")
    [ "${out#* }" = "$bytes" ] || { echo "bench/proxy.sh: downloaded ${out#* } bytes, not $bytes" >&2; exit 1; }
    echo "${out% *}"
}

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# Direct and proxied downloads alternate, so that both see the same load on a shared machine.
direct=""
proxied=""
peak_kib=0
for run in $(seq "$runs"); do
    direct=$(best "$(download "http://127.0.0.1:$fake/v1/files/file-bench-out/content")" "$direct")
    rm -f "$work"/proxy-state.db*
    rm -f "$work/proxy.log"
    env -i PATH="$PATH" HOME="$work" TMPDIR="$work" BATCHTRACE_SIGNING_KEY=bench \
        "$batchtrace" proxy --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$fake" \
        --store "sqlite:$work/proxy-state.db" --endpoint "http://127.0.0.1:$sink" \
        2> "$work/proxy.log" &
    proxy_pid=$!
    pids+=("$proxy_pid")
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/proxy.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "bench/proxy.sh: the proxy did not start: $(cat "$work/proxy.log")" >&2; exit 1; }
    curl -sf -o /dev/null -H 'Authorization: Bearer sk-bench' "http://127.0.0.1:$port/v1/batches/batch_proxybench"
    proxied=$(best "$(download "http://127.0.0.1:$port/v1/files/file-bench-out/content")" "$proxied")
    for _ in $(seq 1200); do
        grep -q "collected" "$work/proxy.log" && break
        sleep 0.25
    done
    grep -q "collected (completed): $items items" "$work/proxy.log" ||
        { echo "bench/proxy.sh: run $run: the download was not traced: $(cat "$work/proxy.log")" >&2; exit 1; }
    kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$proxy_pid/status")
    [ "$kib" -gt "$peak_kib" ] && peak_kib=$kib
    kill -TERM "$proxy_pid"
    wait "$proxy_pid" || true
done
rm -f "$work"/proxy-state.db*

mb() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
ratio=$(awk -v d="$direct" -v p="$proxied" 'BEGIN { printf "%.2f", d / p }')
peak_mb=$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')
verdict() { if awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { exit !(op == "ge" ? a >= b : a <= b) }'; then echo ok; else echo MISSED; fi; }
echo "proxy (issue 16): a $((bytes / 1000000)) MB results download ($items items), best of $runs"
echo "  direct from the fake API   $(mb "$direct") MB/s ($direct s)"
echo "  through batchtrace proxy   $(mb "$proxied") MB/s ($proxied s), traced (collected to the OTLP sink)"
echo "  throughput ratio ${ratio} >= 0.80 $(verdict "$ratio" ge 0.80); proxy peak RSS $peak_mb MB <= 64 $(verdict "$peak_kib" le 65536)"
