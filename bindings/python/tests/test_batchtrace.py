"""The Python binding: log_batch_results on dicts, bytes, str and paths (both providers),
the three ways of linking, bad input, start/collect/flush and batchtrace.Error."""

import json
import pathlib
import resource
import threading
import time

import pytest

import batchtrace
from conftest import FIXTURES, read_jsonl, read_spans

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"

# The seed example: the dict shapes of Respan's log_batch_results docs.
REQUESTS = [
    {"custom_id": "request-1",
     "body": {"model": "gpt-4o-mini",
              "messages": [{"role": "system", "content": "You are a helpful assistant."},
                           {"role": "user", "content": "What is the capital of France?"}]}},
    {"custom_id": "request-2",
     "body": {"model": "gpt-4o-mini",
              "messages": [{"role": "user", "content": "What is 2+2?"}]}},
]
RESULTS = [
    {"custom_id": "request-1",
     "response": {"status_code": 200,
                  "body": {"id": "chatcmpl-1", "model": "gpt-4o-mini", "created": 1711652400,
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "Paris."}}],
                           "usage": {"prompt_tokens": 20, "completion_tokens": 3,
                                     "total_tokens": 23}}}},
    {"custom_id": "request-2",
     "response": {"status_code": 200,
                  "body": {"id": "chatcmpl-2", "model": "gpt-4o-mini", "created": 1711652460,
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "4"}}],
                           "usage": {"prompt_tokens": 12, "completion_tokens": 1,
                                     "total_tokens": 13}}}},
]


def by_name(spans):
    """The task span and the item spans by custom_id."""
    tasks = [s for s in spans if "batchtrace.custom_id" not in s["attrs"]]
    assert len(tasks) == 1
    return tasks[0], {s["attrs"]["batchtrace.custom_id"]: s for s in spans if s is not tasks[0]}


def test_the_seed_example_gives_a_chat_span_per_pair_under_a_task_span():
    # Collected long after the results were made (conftest pins now in 2026): without a
    # batch object the task starts at the earliest `created`, and each item ends at its own.
    summary = batchtrace.log_batch_results(REQUESTS, RESULTS)
    assert summary["exit_code"] == 0
    assert summary["items"] == {"total": 2, "succeeded": 2, "errored": 0, "canceled": 0,
                                "expired": 0, "missing": 0}
    assert summary["tokens"]["input"] == 32 and summary["tokens"]["output"] == 4
    assert summary["rejected"] == [] and summary["warnings"] == []
    assert summary["destination"] == "OTLP/JSON lines in ./batchtrace-spans.jsonl"
    task, items = by_name(read_spans())
    assert sorted(items) == ["request-1", "request-2"]
    assert task["spanId"] == summary["task_span_id"]
    first = items["request-1"]
    assert first["name"] == "chat gpt-4o-mini"
    assert first["parentSpanId"] == task["spanId"]
    assert first["traceId"] == task["traceId"] == summary["trace_id"]
    assert json.loads(first["attrs"]["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a helpful assistant."}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is the capital of France?"}]},
    ]
    assert json.loads(first["attrs"]["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Paris."}]
    assert first["attrs"]["gen_ai.usage.input_tokens"] == 20
    assert first["attrs"]["gen_ai.usage.output_tokens"] == 3
    assert first["endTimeUnixNano"] == str(1711652400 * 10**9)
    assert items["request-2"]["endTimeUnixNano"] == str(1711652460 * 10**9)
    assert task["startTimeUnixNano"] == first["startTimeUnixNano"] == str(1711652400 * 10**9)
    assert task["endTimeUnixNano"] == str(1711652460 * 10**9)


def test_trace_id_puts_the_spans_in_that_trace_as_str_or_int():
    summary = batchtrace.log_batch_results(REQUESTS, RESULTS, TRACE_ID)
    assert summary["trace_id"] == TRACE_ID
    assert {s["traceId"] for s in read_spans()} == {TRACE_ID}
    batchtrace.log_batch_results(REQUESTS, RESULTS, int(TRACE_ID, 16), output="int.jsonl")
    assert {s["traceId"] for s in read_spans("int.jsonl")} == {TRACE_ID}


def test_without_a_span_or_trace_id_the_batch_is_a_trace_of_its_own():
    summary = batchtrace.log_batch_results(REQUESTS, RESULTS)
    task, items = by_name(read_spans())
    assert len(summary["trace_id"]) == 32 and summary["trace_id"] != TRACE_ID
    assert not task.get("parentSpanId")
    assert {s["traceId"] for s in items.values()} == {summary["trace_id"]}


def test_an_active_recording_span_nests_the_batch_under_it(opentelemetry):
    class RecordingSpan(opentelemetry.NonRecordingSpan):
        def is_recording(self):
            return True

    context = opentelemetry.SpanContext(int(TRACE_ID, 16), 0xb7ad6b7169203331, False,
                                        opentelemetry.TraceFlags(opentelemetry.TraceFlags.SAMPLED))
    with opentelemetry.use_span(RecordingSpan(context)):
        # The active span wins over trace_id.
        summary = batchtrace.log_batch_results(REQUESTS, RESULTS, "1" * 32)
    task, items = by_name(read_spans())
    assert summary["trace_id"] == TRACE_ID
    assert task["traceId"] == TRACE_ID and task["parentSpanId"] == "b7ad6b7169203331"
    assert {s["parentSpanId"] for s in items.values()} == {task["spanId"]}


def test_a_span_that_is_not_recording_leaves_trace_id_in_charge(opentelemetry):
    context = opentelemetry.SpanContext(int(TRACE_ID, 16), 0xb7ad6b7169203331, False)
    with opentelemetry.use_span(opentelemetry.NonRecordingSpan(context)):
        summary = batchtrace.log_batch_results(REQUESTS, RESULTS, "1" * 32)
    assert summary["trace_id"] == "1" * 32
    task, _ = by_name(read_spans())
    assert "parentSpanId" not in task or not task["parentSpanId"]


def test_without_an_active_span_the_stand_in_changes_nothing(opentelemetry):
    summary = batchtrace.log_batch_results(REQUESTS, RESULTS, TRACE_ID)
    assert summary["trace_id"] == TRACE_ID


def run_forms(forms, fixture_input, fixture_results, tmp_path):
    """log_batch_results once per (name, requests, results) form into NAME.jsonl; the
    files' bytes and the summaries' counts by name."""
    outputs, summaries = {}, {}
    for name, requests, results in forms:
        summary = batchtrace.log_batch_results(requests, results, TRACE_ID,
                                               output=f"{name}.jsonl",
                                               store=f"sqlite:{tmp_path / name}.db")
        summaries[name] = (summary["items"], summary["tokens"], summary["rejected_count"])
        outputs[name] = pathlib.Path(f"{name}.jsonl").read_bytes()
    return outputs, summaries


@pytest.mark.parametrize("fixture,input_name,results_name", [
    ("openai-chat-all-outcomes", "input.jsonl", "output.jsonl"),
    ("openai-tool-calls-and-reasoning", "input.jsonl", "output.jsonl"),
    ("anthropic-system-thinking-tools", "requests.jsonl", "results.jsonl"),
    ("anthropic-all-result-types", "requests.json", "results.jsonl"),
])
def test_dicts_bytes_str_paths_and_generators_give_identical_spans(
        fixture, input_name, results_name, tmp_path):
    input_path = FIXTURES / fixture / input_name
    results_path = FIXTURES / fixture / results_name
    if not input_path.exists():
        pytest.skip(f"{fixture} has no {input_name}")
    input_bytes, results_bytes = input_path.read_bytes(), results_path.read_bytes()
    if input_name.endswith(".json"):  # an Anthropic create body {"requests": [...]}
        input_dicts = json.loads(input_bytes)
        input_list = input_dicts["requests"]
    else:
        input_dicts = input_list = read_jsonl(input_path)
    result_dicts = read_jsonl(results_path)
    forms = [
        ("paths", input_path, results_path),
        ("bytes", input_bytes, results_bytes),
        ("str", input_bytes.decode(), results_bytes.decode()),
        ("dicts", input_dicts, result_dicts),
        ("list", input_list, result_dicts),
        ("array", json.dumps(input_list, separators=(",", ":")).encode(),
         json.dumps(result_dicts, separators=(",", ":")).encode()),
        ("generators", (r for r in input_list),
         (json.dumps(r, separators=(",", ":")) for r in result_dicts)),
        ("str_paths", str(input_path), str(results_path)),
    ]
    outputs, summaries = run_forms(forms, input_path, results_path, tmp_path)
    assert outputs["paths"]
    for name in outputs:
        assert summaries[name] == summaries["paths"], name
        assert outputs[name] == outputs["paths"], name


def test_openai_output_and_error_files_as_a_list_of_paths():
    fixture = FIXTURES / "openai-chat-all-outcomes"
    summary = batchtrace.collect([fixture / "output.jsonl", fixture / "errors.jsonl"],
                                 requests=fixture / "input.jsonl", batch=fixture / "batch.json")
    batch = json.loads((fixture / "batch.json").read_text())
    again = batchtrace.collect(read_jsonl(fixture / "output.jsonl") +
                               read_jsonl(fixture / "errors.jsonl"),
                               requests=read_jsonl(fixture / "input.jsonl"), batch=batch,
                               output="dicts.jsonl")
    assert summary["batch_id"] == again["batch_id"] == batch["id"]
    assert summary["items"] == again["items"]
    assert summary["items"]["errored"] > 0


def test_a_request_without_custom_id_is_a_rejected_line_and_the_rest_is_kept():
    requests = [REQUESTS[0], {"body": REQUESTS[1]["body"]}]
    summary = batchtrace.log_batch_results(requests, RESULTS)
    assert summary["exit_code"] == 3
    assert summary["rejected_count"] == 1
    rejected = summary["rejected"][0]
    assert (rejected["file"], rejected["line"]) == ("<requests>", 2)
    assert "custom_id" in rejected["reason"]
    assert summary["items"]["total"] == 2  # both results still exported
    assert summary["spans_exported"] == 3


def test_a_result_that_is_not_a_dict_is_a_rejected_line():
    summary = batchtrace.log_batch_results(REQUESTS, [RESULTS[0], 42, ["x"], RESULTS[1]])
    assert summary["exit_code"] == 3
    assert [(r["file"], r["line"]) for r in summary["rejected"]] == [("<results>", 2),
                                                                     ("<results>", 3)]
    assert summary["items"]["succeeded"] == 2


def test_objects_json_cannot_hold_raise_type_and_value_errors():
    with pytest.raises(TypeError, match="not JSON serializable"):
        batchtrace.log_batch_results(REQUESTS, [RESULTS[0], object()])
    with pytest.raises(ValueError, match="not JSON compliant"):
        batchtrace.log_batch_results(REQUESTS, [{"custom_id": "a", "x": float("nan")}])
    with pytest.raises(TypeError, match="results must be"):
        batchtrace.log_batch_results(REQUESTS, 42)


def test_an_exception_inside_a_generator_comes_out_unchanged():
    class Boom(Exception):
        pass

    def results():
        yield RESULTS[0]
        raise Boom("the generator broke")

    with pytest.raises(Boom, match="the generator broke"):
        batchtrace.log_batch_results(REQUESTS, results())


def test_a_wrong_trace_id_is_a_type_error_or_an_error_naming_it():
    with pytest.raises(TypeError, match="trace_id must be a str"):
        batchtrace.log_batch_results(REQUESTS, RESULTS, 1.5)
    with pytest.raises(TypeError, match="trace_id must be a str"):
        batchtrace.log_batch_results(REQUESTS, RESULTS, TRACE_ID.encode())
    with pytest.raises(batchtrace.Error, match="32 hex digits") as raised:
        batchtrace.log_batch_results(REQUESTS, RESULTS, "not-hex")
    assert raised.value.exit_code == 2
    assert raised.value.diagnostics == []


def test_an_unreadable_path_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(batchtrace.Error) as raised:
        batchtrace.log_batch_results(REQUESTS, missing)
    assert str(raised.value) == f"{missing}: No such file or directory"
    assert raised.value.exit_code == 1
    assert isinstance(raised.value.diagnostics, list)


def test_content_false_exports_no_message_text():
    batchtrace.log_batch_results(REQUESTS, RESULTS, content=False)
    text = pathlib.Path("batchtrace-spans.jsonl").read_text()
    assert "capital of France" not in text and "Paris." not in text


def test_start_then_collect_with_the_context_continues_its_trace():
    context, metadata = batchtrace.start(REQUESTS, output="start.jsonl")
    assert metadata == {"batchtrace_ctx": context}
    submit = read_spans("start.jsonl")
    assert len(submit) == 1
    summary = batchtrace.collect(RESULTS, context=context, output="collect.jsonl")
    assert summary["exit_code"] == 0
    assert summary["trace_id"] == submit[0]["traceId"]
    # The inputs came from the store: the items have their messages.
    _, items = by_name(read_spans("collect.jsonl"))
    assert "gen_ai.input.messages" in items["request-1"]["attrs"]
    # A second collect of the same batch sends nothing again.
    again = batchtrace.collect(RESULTS, context=context, output="again.jsonl")
    assert again["items_skipped"] == 2


def test_collect_finds_the_context_in_the_batch_objects_metadata():
    context, metadata = batchtrace.start(REQUESTS, output="start.jsonl")
    batch = json.loads((FIXTURES / "openai-chat-all-outcomes" / "batch.json").read_text())
    batch["metadata"] = metadata
    batch["request_counts"] = {"total": 2, "completed": 2, "failed": 0}
    summary = batchtrace.collect(RESULTS, batch=batch, output="collect.jsonl")
    assert summary["trace_id"] == read_spans("start.jsonl")[0]["traceId"]
    assert summary["batch_id"] == batch["id"]


def test_start_with_a_rejected_request_raises_error_with_the_diagnostics():
    with pytest.raises(batchtrace.Error) as raised:
        batchtrace.start([REQUESTS[0], {"body": {}}])
    assert raised.value.exit_code == 3
    assert [(d["file"], d["line"]) for d in raised.value.diagnostics] == [("<requests>", 2)]


def test_flush_without_an_endpoint_is_an_error():
    with pytest.raises(batchtrace.Error, match="needs an endpoint") as raised:
        batchtrace.flush()
    assert raised.value.exit_code == 2


def test_flush_with_an_empty_spool_sends_nothing():
    summary = batchtrace.flush(endpoint="http://127.0.0.1:9")
    assert summary["exit_code"] == 0
    assert summary["spans_found"] == 0


def test_a_million_generated_result_lines_run_in_bounded_memory():
    line = json.dumps(RESULTS[0]).replace("request-1", "r-%d")

    def results(count):
        for i in range(count):
            yield line % i

    batchtrace.log_batch_results([], results(1000), output="warm.jsonl")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = batchtrace.log_batch_results([], results(1_000_000), output="million.jsonl")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert summary["items"]["total"] == 1_000_000
    assert grown_kib < 256 * 1024, f"peak RSS grew by {grown_kib} KiB"


def test_other_threads_run_while_the_c_core_works():
    # A thread counts while log_batch_results works on 100,000 results. The generator is
    # drained first (with the GIL); from its end to the call's return C runs, then a little
    # Python (the summary). With the GIL held by C the counter moved about 15 times in that
    # window (the Python parts only); released, about 5,000.
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0)

    line = json.dumps(RESULTS[0]).replace("request-1", "r-%d")
    marks = {}

    def results():
        for i in range(100_000):
            yield line % i
        marks["drained"] = counter[0]

    thread = threading.Thread(target=count)
    thread.start()
    try:
        batchtrace.log_batch_results([], results(), output="threads.jsonl")
        after = counter[0]
    finally:
        stop.set()
        thread.join()
    assert after - marks["drained"] > 1000


def test_bind_then_collect_by_batch_id_continues_the_trace_and_status_shows_it():
    context, _ = batchtrace.start(REQUESTS, output="start.jsonl")
    batchtrace.bind("batch_abc", context)
    batchtrace.bind("batch_abc", context)  # binding the same pair again is fine
    summary = batchtrace.collect(RESULTS, batch_id="batch_abc", output="collect.jsonl")
    assert summary["trace_id"] == read_spans("start.jsonl")[0]["traceId"]
    batches = batchtrace.status(batch_id="batch_abc")["batches"]
    assert [(b["batch_id"], b["state"], b["inputs_kept"]) for b in batches] == [
        ("batch_abc", "complete", True)]
    with pytest.raises(batchtrace.Error, match="already bound") as raised:
        batchtrace.bind("batch_abc", batchtrace.start(REQUESTS, output="other.jsonl")[0])
    assert raised.value.exit_code == 1
    with pytest.raises(batchtrace.Error) as raised:
        batchtrace.bind("batch_xyz", "btx1.forged")
    assert raised.value.exit_code == 2
