"""The Python binding's benchmark (`make bench-python`, bench/README.md): log_batch_results on
BENCH_ITEMS (50,000) OpenAI items held as dicts, against the floor a pure-Python
implementation pays before doing anything (json.dumps of every request and result), and the
peak RSS it adds over holding the dicts; then a generator of BENCH_GENERATED (1,000,000)
result lines, whose peak RSS must not grow with it. Prints the ratios of this run; asserts
nothing."""

import json
import os
import resource
import sys
import tempfile
import time

import batchtrace

ITEMS = int(os.environ.get("BENCH_ITEMS", "50000"))
GENERATED = int(os.environ.get("BENCH_GENERATED", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def request(i):
    """An OpenAI chat request line as a dict (the sizes of bench/gen.c's, roughly)."""
    return {"custom_id": f"request-{i}", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "max_tokens": 200, "temperature": 0.2,
                     "messages": [
                         {"role": "system", "content": "You are a support assistant. Classify "
                          "the ticket as billing, shipping, product or other, then answer."},
                         {"role": "user", "content": f"Ticket {i}: my order #{i * 7} arrived "
                          "late and the box was damaged. Can I get a refund or a new one?"}]}}


def result(i):
    """The matching OpenAI output line as a dict."""
    return {"id": f"batch_req_{i:08d}", "custom_id": f"request-{i}",
            "response": {"status_code": 200, "request_id": f"req_{i:012d}",
                         "body": {"id": f"chatcmpl-{i}", "object": "chat.completion",
                                  "created": 1741737600 + i, "model": "gpt-4o-mini-2024-07-18",
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content":
                                                           "shipping: sorry about the damage; "
                                                           "a replacement is on its way and "
                                                           "you can keep the first one."}}],
                                  "usage": {"prompt_tokens": 61, "completion_tokens": 24,
                                            "total_tokens": 85}}},
            "error": None}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(runs, work):
    """The best wall time of runs calls of work()."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    os.environ.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    os.environ.setdefault("BATCHTRACE_NOW", "2026-03-12T00:00:00Z")
    work_dir = tempfile.mkdtemp(prefix="batchtrace-bench-python-")
    output = os.path.join(work_dir, "spans.jsonl")
    store = f"sqlite:{os.path.join(work_dir, 'store.db')}"
    requests = [request(i) for i in range(ITEMS)]
    results = [result(i) for i in range(ITEMS)]
    holding = peak_rss_mib()

    def floor():
        for item in requests:
            json.dumps(item)
        for item in results:
            json.dumps(item)

    def ours():
        if os.path.exists(output):
            os.unlink(output)
        summary = batchtrace.log_batch_results(requests, results, output=output, store=store)
        assert summary["items"]["succeeded"] == ITEMS, summary

    floor_s = best_of(RUNS, floor)
    ours_s = best_of(RUNS, ours)
    grown = peak_rss_mib() - holding
    print(f"batchtrace {batchtrace.__version__}, Python {sys.version.split()[0]}, "
          f"{ITEMS} OpenAI items as dicts (best of {RUNS})")
    print(f"  json.dumps of every request and result  {floor_s:8.3f} s   (the floor)")
    print(f"  batchtrace.log_batch_results            {ours_s:8.3f} s   "
          f"{ours_s / floor_s:.2f}x the floor (target: at most 2x)")
    print(f"  peak RSS over holding the dicts         {grown:8.1f} MiB (target: at most 64)")

    if GENERATED:
        os.unlink(output)
        line = json.dumps(result(0), separators=(",", ":")).replace("request-0", "r-%d")
        before = peak_rss_mib()
        start = time.perf_counter()
        summary = batchtrace.log_batch_results(
            [], (line % i for i in range(GENERATED)), output=output, store=store)
        elapsed = time.perf_counter() - start
        assert summary["items"]["total"] == GENERATED, summary
        print(f"  a generator of {GENERATED} result lines     {elapsed:8.3f} s, peak RSS "
              f"+{peak_rss_mib() - before:.1f} MiB over the run before")
    for name in os.listdir(work_dir):
        os.unlink(os.path.join(work_dir, name))
    os.rmdir(work_dir)


if __name__ == "__main__":
    main()
