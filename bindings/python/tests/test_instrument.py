"""batchtrace.instrument(): the openai and anthropic SDKs' batch calls traced in one line,
through stand-ins with the SDKs' module paths, classes, signatures and return shapes
(tests/stand_in/openai, tests/stand_in/anthropic, over a fake provider in a directory).
Submit and results run in separate processes sharing the store, as a script and tomorrow's
cron job do; sync and async clients; what the SDK returns is compared with and without the
instrumentation."""

import asyncio
import json
import logging
import os
import pathlib
import socket
import subprocess
import sys
import textwrap

import pytest

import batchtrace
from batchtrace import _instrument
from conftest import STAND_IN, read_spans

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"
PACKAGE_DIR = str(pathlib.Path(batchtrace.__file__).resolve().parents[1])

OPENAI_REQUESTS = [
    {"custom_id": f"review-{i}", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": "gpt-4o-mini", "max_tokens": 5,
              "messages": [{"role": "user", "content": f"Label review {i}"}]}}
    for i in range(3)]
OPENAI_OUTPUT = [
    {"id": f"batch_req_{i}", "custom_id": f"review-{i}",
     "response": {"status_code": 200, "request_id": f"req_{i}",
                  "body": {"id": f"chatcmpl-{i}", "object": "chat.completion",
                           "created": 1772367000 + i, "model": "gpt-4o-mini-2024-07-18",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant",
                                                    "content": f"positive {i}"}}],
                           "usage": {"prompt_tokens": 10 + i, "completion_tokens": 2,
                                     "total_tokens": 12 + i}}},
     "error": None}
    for i in range(2)]
OPENAI_ERRORS = [
    {"id": "batch_req_2", "custom_id": "review-2",
     "response": {"status_code": 400, "request_id": "req_2",
                  "body": {"error": {"message": "This model's maximum context length is 5",
                                     "type": "invalid_request_error",
                                     "code": "context_length_exceeded"}}},
     "error": None}]

ANTHROPIC_REQUESTS = [
    {"custom_id": f"ticket-{i}",
     "params": {"model": "claude-sonnet-4-5", "max_tokens": 64,
                "system": "You answer support tickets.",
                "messages": [{"role": "user", "content": f"Where is order {i}?"}]}}
    for i in range(3)]
ANTHROPIC_RESULTS = [
    {"custom_id": f"ticket-{i}",
     "result": {"type": "succeeded",
                "message": {"id": f"msg_{i}", "type": "message", "role": "assistant",
                            "model": "claude-sonnet-4-5-20250929",
                            "content": [{"type": "text", "text": f"Shipped {i}."}],
                            "stop_reason": "end_turn", "stop_sequence": None,
                            "usage": {"input_tokens": 20 + i, "output_tokens": 4}}}}
    for i in range(2)] + [
    {"custom_id": "ticket-2",
     "result": {"type": "errored",
                "error": {"type": "error", "error": {"type": "invalid_request_error",
                                                     "message": "max_tokens too large"}}}}]


@pytest.fixture
def sdks(monkeypatch, tmp_path):
    """The stand-in SDKs importable, the provider in tmp_path/provider, the
    instrumentation's once-only log forgotten; uninstrumented afterwards."""
    for name in list(sys.modules):
        if name.split(".")[0] in ("openai", "anthropic", "stand_in_provider"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(STAND_IN))
    monkeypatch.setenv("STAND_IN_PROVIDER_DIR", str(tmp_path / "provider"))
    monkeypatch.setattr(_instrument, "_logged", set())
    import anthropic
    import openai
    import stand_in_provider
    yield openai, anthropic, stand_in_provider
    batchtrace.uninstrument()
    batchtrace.wait(30)


def run(script, **env):
    """Run script in a new Python process (the same store, provider and output file: the
    environment and directory are inherited) with the stand-ins importable and
    batchtrace.instrument() done; returns its stdout. The process's exit waits for the
    collects it started."""
    prelude = textwrap.dedent(f"""\
        import asyncio, json, pathlib, sys
        sys.path[:0] = [{str(STAND_IN)!r}, {PACKAGE_DIR!r}]
        import batchtrace, openai, anthropic, stand_in_provider
        from opentelemetry import trace
        assert batchtrace.instrument() == ["openai", "anthropic"]

        class Recording(trace.NonRecordingSpan):
            def is_recording(self):
                return True

        span = Recording(trace.SpanContext(0x{TRACE_ID}, 0x{PARENT_SPAN}, False,
                                           trace.TraceFlags(1)))
        """)
    environment = dict(os.environ, **env)
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)],
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def by_role(spans):
    """The submit span, the task span and the item spans by custom_id."""
    submit = [s for s in spans if s["name"].endswith(".batch.submit")]
    tasks = [s for s in spans if s["name"].endswith(".batch")]
    items = {s["attrs"]["batchtrace.custom_id"]: s for s in spans
             if "batchtrace.custom_id" in s["attrs"]}
    assert len(submit) <= 1 and len(tasks) <= 1
    assert len(items) == len(spans) - len(submit) - len(tasks), "an item was sent twice"
    return (submit or [None])[0], (tasks or [None])[0], items


@pytest.mark.parametrize("client", ["OpenAI", "AsyncOpenAI"])
def test_an_openai_batch_submitted_and_collected_in_two_processes_is_one_trace(sdks, client):
    pathlib.Path("batch_input.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in OPENAI_REQUESTS))
    is_async = client.startswith("Async")
    aw = "await " if is_async else ""
    submit = f"""
        {"async " if is_async else ""}def main():
            client = openai.{client}()
            with trace.use_span(span):
                uploaded = {aw}client.files.create(file=pathlib.Path("batch_input.jsonl"),
                                                   purpose="batch")
                batch = {aw}client.batches.create(input_file_id=uploaded.id,
                                                  endpoint="/v1/chat/completions",
                                                  completion_window="24h",
                                                  metadata={{"team": "books"}})
            print(json.dumps(batch.to_dict()))
        {"asyncio.run(main())" if is_async else "main()"}
    """
    out = run(submit)
    created = json.loads(out)
    assert created["metadata"]["team"] == "books"
    assert created["metadata"]["batchtrace_ctx"].startswith("btx1.")
    sdks[2].finish_openai_batch(os.environ["STAND_IN_PROVIDER_DIR"], created["id"],
                                "completed", OPENAI_OUTPUT, OPENAI_ERRORS,
                                in_progress_at=1772366500, completed_at=1772370000)
    collect = f"""
        {"async " if is_async else ""}def main():
            client = openai.{client}()
            batch = {aw}client.batches.retrieve({created["id"]!r})
            output = {aw}client.files.content(batch.output_file_id)
            errors = {aw}client.files.content(batch.error_file_id)
            print(len(output.content.splitlines()), len(errors.text.splitlines()))
        {"asyncio.run(main())" if is_async else "main()"}
    """
    assert run(collect).split() == ["2", "1"]

    submit_span, task, items = by_role(read_spans())
    assert submit_span["traceId"] == task["traceId"] == TRACE_ID
    assert submit_span["parentSpanId"] == task["parentSpanId"] == PARENT_SPAN
    assert submit_span["attrs"]["batchtrace.batch.request_count"] == 3
    assert task["name"] == "openai.batch"
    assert task["attrs"]["batchtrace.batch.id"] == created["id"]
    assert task["attrs"]["batchtrace.batch.status"] == "completed"
    assert task["endTimeUnixNano"] == str(1772370000 * 10**9)
    assert sorted(items) == ["review-0", "review-1", "review-2"]
    first = items["review-0"]
    assert first["parentSpanId"] == task["spanId"] and first["traceId"] == TRACE_ID
    assert json.loads(first["attrs"]["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Label review 0"}]}]
    assert json.loads(first["attrs"]["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "positive 0"}]
    assert first["attrs"]["gen_ai.usage.input_tokens"] == 10
    assert first["attrs"]["gen_ai.usage.output_tokens"] == 2
    assert first["attrs"]["batchtrace.result"] == "succeeded"
    failed = items["review-2"]
    assert failed["attrs"]["batchtrace.result"] == "errored"
    assert failed["attrs"]["error.type"] == "context_length_exceeded"
    assert failed["status"]["code"] in (2, "STATUS_CODE_ERROR")
    assert batchtrace.status()["batches"][0]["state"] == "complete"


@pytest.mark.parametrize("client,path", [("Anthropic", "messages.batches"),
                                         ("AsyncAnthropic", "messages.batches"),
                                         ("Anthropic", "beta.messages.batches"),
                                         ("AsyncAnthropic", "beta.messages.batches")])
def test_an_anthropic_batch_submitted_and_collected_in_two_processes_is_one_trace(
        sdks, client, path):
    is_async = client.startswith("Async")
    aw = "await " if is_async else ""
    requests = json.dumps(ANTHROPIC_REQUESTS)
    submit = f"""
        {"async " if is_async else ""}def main():
            client = anthropic.{client}()
            with trace.use_span(span):
                batch = {aw}client.{path}.create(requests=(r for r in json.loads({requests!r})))
            print(batch.id)
        {"asyncio.run(main())" if is_async else "main()"}
    """
    batch_id = run(submit).strip()
    sdks[2].finish_anthropic_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch_id,
                                   ANTHROPIC_RESULTS)
    loop = "async for" if is_async else "for"
    collect = f"""
        {"async " if is_async else ""}def main():
            client = anthropic.{client}()
            polled = {aw}client.{path}.retrieve({batch_id!r})
            assert polled.processing_status == "ended"
            seen = []
            {loop} result in {aw}client.{path}.results({batch_id!r}):
                seen.append(result.custom_id)
            print(" ".join(seen))
        {"asyncio.run(main())" if is_async else "main()"}
    """
    assert run(collect).split() == ["ticket-0", "ticket-1", "ticket-2"]

    submit_span, task, items = by_role(read_spans())
    assert submit_span["traceId"] == task["traceId"] == TRACE_ID
    assert submit_span["parentSpanId"] == task["parentSpanId"] == PARENT_SPAN
    assert submit_span["attrs"]["batchtrace.batch.id"] == batch_id
    assert task["name"] == "anthropic.batch"
    assert task["attrs"]["batchtrace.batch.status"] == "ended"
    assert "batchtrace.task.provisional" not in task["attrs"]
    # the batch object's ended_at (RFC 3339 with a fraction, as the SDK's datetime gives it)
    assert task["endTimeUnixNano"] == "1772371800250000000"
    assert sorted(items) == ["ticket-0", "ticket-1", "ticket-2"]
    first = items["ticket-0"]
    assert first["parentSpanId"] == task["spanId"]
    assert first["attrs"]["gen_ai.system_instructions"]
    assert json.loads(first["attrs"]["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Where is order 0?"}]}]
    assert json.loads(first["attrs"]["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Shipped 0."}]
    assert first["attrs"]["gen_ai.usage.input_tokens"] == 20
    assert items["ticket-2"]["attrs"]["batchtrace.result"] == "errored"


def test_an_early_break_collects_what_was_seen_and_the_full_iteration_finishes_the_batch(
        sdks):
    openai, anthropic, provider = sdks
    batchtrace.instrument()
    client = anthropic.Anthropic()
    batch = client.messages.batches.create(requests=ANTHROPIC_REQUESTS)
    provider.finish_anthropic_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id,
                                    ANTHROPIC_RESULTS)
    for result in client.messages.batches.results(batch.id):
        break
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task is None and sorted(items) == ["ticket-0"]
    assert batchtrace.status()["batches"][0]["state"] == "collecting"

    results = client.messages.batches.results(batch.id)
    assert [r.custom_id for r in results] == ["ticket-0", "ticket-1", "ticket-2"]
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task is not None and task["attrs"]["batchtrace.batch.request_counts.total"] == 3
    assert sorted(items) == ["ticket-0", "ticket-1", "ticket-2"]
    assert batchtrace.status()["batches"][0]["state"] == "complete"


def test_an_early_break_without_the_inputs_in_the_store_collects_nothing(sdks):
    openai, anthropic, provider = sdks
    client = anthropic.Anthropic()
    batch = client.messages.batches.create(requests=ANTHROPIC_REQUESTS)  # not instrumented
    provider.finish_anthropic_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id,
                                    ANTHROPIC_RESULTS)
    batchtrace.instrument()
    results = client.messages.batches.results(batch.id)
    assert next(results).custom_id == "ticket-0"
    del results
    assert batchtrace.wait(30)
    assert not pathlib.Path("batchtrace-spans.jsonl").exists()
    assert [r.custom_id for r in client.messages.batches.results(batch.id)] == [
        "ticket-0", "ticket-1", "ticket-2"]
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task["attrs"]["batchtrace.batch.id"] == batch.id
    assert sorted(items) == ["ticket-0", "ticket-1", "ticket-2"]


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openai_flow(openai, provider, file):
    """Upload, create, finish (as the provider), poll and download; what the SDK returned."""
    client = openai.OpenAI()
    uploaded = client.files.create(file=file, purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"team": "books"})
    provider.finish_openai_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id, "completed",
                                 OPENAI_OUTPUT, OPENAI_ERRORS, completed_at=1772370000)
    polled = client.batches.retrieve(batch.id)
    output = client.files.content(polled.output_file_id)
    errors = client.files.retrieve_content(polled.error_file_id)
    return [uploaded, batch, polled, output, errors]


async def async_anthropic_flow(anthropic, provider):
    client = anthropic.AsyncAnthropic()
    batch = await client.messages.batches.create(requests=ANTHROPIC_REQUESTS)
    provider.finish_anthropic_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id,
                                    ANTHROPIC_RESULTS)
    polled = await client.messages.batches.retrieve(batch.id)
    decoder = await client.messages.batches.results(batch.id)
    results = [r async for r in decoder]
    return [batch, polled, type(decoder), results]


def comparable(value):
    """What an SDK call returned, for comparison across runs: its type and its data without
    the ids the fake provider draws and without batchtrace's own metadata key."""
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if hasattr(value, "to_dict"):
        data = json.loads(json.dumps(value.to_dict(mode="json")))
        for key in ("id", "input_file_id", "output_file_id", "error_file_id", "results_url"):
            data.pop(key, None)
        if isinstance(data.get("metadata"), dict):
            data["metadata"].pop("batchtrace_ctx", None)
        return type(value).__name__, data
    if hasattr(value, "content") and hasattr(value, "response"):
        return type(value).__name__, value.content
    return value


@pytest.mark.parametrize("endpoint_down", [False, True])
def test_the_sdk_returns_the_same_with_and_without_instrumentation(sdks, monkeypatch,
                                                                   endpoint_down):
    openai, anthropic, provider = sdks
    pathlib.Path("in.jsonl").write_bytes(
        "".join(json.dumps(r) + "\n" for r in OPENAI_REQUESTS).encode())
    before = openai_flow(openai, provider, pathlib.Path("in.jsonl"))
    before += asyncio.run(async_anthropic_flow(anthropic, provider))
    if endpoint_down:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    batchtrace.instrument(export_timeout=0.5)
    after = openai_flow(openai, provider, pathlib.Path("in.jsonl"))
    after += asyncio.run(async_anthropic_flow(anthropic, provider))
    assert batchtrace.wait(60)
    assert comparable(after) == comparable(before)
    assert after[1].metadata == {"team": "books", "batchtrace_ctx": after[1].metadata[
        "batchtrace_ctx"]}
    if endpoint_down:  # nothing delivered: the spans wait in the spool for batchtrace flush
        assert not pathlib.Path("batchtrace-spans.jsonl").exists()
        assert batchtrace.status()["spooled_spans"] == 1 + 4 + 1 + 4
    else:
        _, task, items = by_role([s for s in read_spans()
                                  if s["attrs"].get("gen_ai.provider.name") == "openai"])
        assert task is not None and len(items) == 3


def test_instrument_and_uninstrument_are_idempotent(sdks):
    openai, anthropic, _ = sdks
    from openai.resources.batches import AsyncBatches, Batches
    from anthropic.resources.beta.messages.batches import Batches as BetaBatches
    originals = (Batches.create, AsyncBatches.retrieve, BetaBatches.results)
    assert batchtrace.instrument() == ["openai", "anthropic"]
    wrapped = (Batches.create, AsyncBatches.retrieve, BetaBatches.results)
    assert all(getattr(w, "__batchtrace_original__") is o for w, o in zip(wrapped, originals))
    batchtrace.instrument()
    batchtrace.instrument_openai()
    assert (Batches.create, AsyncBatches.retrieve, BetaBatches.results) == wrapped
    batchtrace.uninstrument()
    assert (Batches.create, AsyncBatches.retrieve, BetaBatches.results) == originals
    batchtrace.uninstrument()
    assert (Batches.create, AsyncBatches.retrieve, BetaBatches.results) == originals
    # uninstrumented: nothing is traced
    client = anthropic.Anthropic()
    client.messages.batches.create(requests=ANTHROPIC_REQUESTS)
    assert batchtrace.wait(30)
    assert not pathlib.Path("batchtrace-spans.jsonl").exists()


def test_the_opentelemetry_style_instrumentor(sdks, opentelemetry):
    from openai.resources.files import Files
    original = Files.content
    instrumentor = batchtrace.BatchtraceInstrumentor()
    instrumentor.instrument()
    assert Files.content.__batchtrace_original__ is original
    instrumentor.uninstrument()
    assert Files.content is original


def test_without_opentelemetry_there_is_no_instrumentor(sdks):
    with pytest.raises(ImportError):
        batchtrace.BatchtraceInstrumentor


def upload_and_create(openai, metadata):
    client = openai.OpenAI()
    uploaded = client.files.create(
        file=("in.jsonl", "".join(json.dumps(r) + "\n" for r in OPENAI_REQUESTS).encode()),
        purpose="batch")
    return client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                 completion_window="24h", metadata=metadata)


def test_metadata_with_room_gets_the_context_and_the_callers_dict_is_not_changed(sdks):
    openai = sdks[0]
    batchtrace.instrument()
    mine = {"team": "books", "run": "7"}
    batch = upload_and_create(openai, mine)
    assert mine == {"team": "books", "run": "7"}
    assert list(batch.metadata) == ["team", "run", "batchtrace_ctx"]
    assert list(upload_and_create(openai, None).metadata) == ["batchtrace_ctx"]


def test_full_metadata_is_sent_as_given_said_once_and_the_batch_still_links(sdks, caplog):
    openai, _, provider = sdks
    batchtrace.instrument()
    full = {f"key{i}": str(i) for i in range(16)}
    with caplog.at_level(logging.WARNING, logger="batchtrace"):
        batch = upload_and_create(openai, dict(full))
        upload_and_create(openai, dict(full))
    assert batch.metadata == full
    warnings = [r for r in caplog.records if r.name == "batchtrace"]
    assert len(warnings) == 1 and "16 keys" in warnings[0].getMessage()
    taken = upload_and_create(openai, {"batchtrace_ctx": "mine"})
    assert taken.metadata == {"batchtrace_ctx": "mine"}
    # the results still land in the submit's trace: the batch id was bound in the store
    assert batchtrace.wait(30)
    provider.finish_openai_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id, "completed",
                                 OPENAI_OUTPUT, OPENAI_ERRORS)
    client = openai.OpenAI()
    polled = client.batches.retrieve(batch.id)
    client.files.content(polled.output_file_id)
    client.files.content(polled.error_file_id)
    assert batchtrace.wait(30)
    spans = read_spans()
    submits = [s for s in spans if s["name"] == "openai.batch.submit"]
    task = [s for s in spans if s["name"] == "openai.batch"]
    assert len(task) == 1 and task[0]["traceId"] in {s["traceId"] for s in submits}
    assert task[0]["attrs"]["batchtrace.batch.id"] == batch.id


def test_an_instrumentation_failure_is_logged_once_and_never_raised(sdks, monkeypatch,
                                                                    caplog):
    openai = sdks[0]
    batchtrace.instrument()

    def broken(*args, **kwargs):
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(batchtrace, "start", broken)
    with caplog.at_level(logging.DEBUG, logger="batchtrace"):
        first = upload_and_create(openai, {"team": "books"})
        second = upload_and_create(openai, {"team": "books"})
    assert first.metadata == second.metadata == {"team": "books"}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "the store is on fire" in warnings[0].getMessage()
    assert "Batches.create" in warnings[0].getMessage()
    # the caller's own mistake is the SDK's to report, as without batchtrace
    with caplog.at_level(logging.DEBUG, logger="batchtrace"):
        with pytest.raises(TypeError):
            openai.OpenAI().batches.create(input_file_id="file-x", wrong_keyword=1)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize("form", ["path", "bytes", "file object", "tuple"])
def test_the_input_file_is_read_without_taking_it_from_the_upload(sdks, form):
    openai, _, provider = sdks
    batchtrace.instrument()
    body = "".join(json.dumps(r) + "\n" for r in OPENAI_REQUESTS).encode()
    pathlib.Path("in.jsonl").write_bytes(b"# not JSON\n" + body)
    handle = open("in.jsonl", "rb")
    handle.readline()  # the caller uploads from the second line on
    file = {"path": pathlib.Path("in.jsonl"), "bytes": body, "file object": handle,
            "tuple": ("in.jsonl", handle, "application/jsonl")}[form]
    if form == "path":
        pathlib.Path("in.jsonl").write_bytes(body)
    client = openai.OpenAI()
    uploaded = client.files.create(file=file, purpose="batch")
    handle.close()
    assert provider.Provider().file_bytes(uploaded.id) == body
    client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                          completion_window="24h")
    submit = [s for s in read_spans() if s["name"] == "openai.batch.submit"]
    assert len(submit) == 1 and submit[0]["attrs"]["batchtrace.batch.request_count"] == 3


def test_a_failed_openai_batch_is_collected_when_seen(sdks):
    openai, _, provider = sdks
    batchtrace.instrument()
    batch = upload_and_create(openai, None)
    provider.finish_openai_batch(
        os.environ["STAND_IN_PROVIDER_DIR"], batch.id, "failed", failed_at=1772366600,
        errors={"object": "list", "data": [{"code": "invalid_json_line", "line": 2,
                                            "message": "line 2 is not JSON", "param": None}]})
    openai.OpenAI().batches.retrieve(batch.id)
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task["status"]["message"] == "batch failed"
    assert sorted(items) == ["review-0", "review-1", "review-2"]
    assert items["review-1"]["attrs"]["error.type"] == "invalid_json_line"
    assert items["review-0"]["attrs"]["batchtrace.result"] == "missing"


def test_a_cancelled_openai_batch_ends_its_unrun_items_as_canceled(sdks):
    openai, _, provider = sdks
    batchtrace.instrument()
    client = openai.OpenAI()
    batch = upload_and_create(openai, None)
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling"
    unrun = [{"id": f"batch_req_{i}", "custom_id": f"review-{i}", "response": None,
              "error": {"code": "batch_cancelled", "message": "Batch was cancelled"}}
             for i in (1, 2)]
    provider.finish_openai_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id, "cancelled",
                                 OPENAI_OUTPUT[:1], unrun, cancelled_at=1772370000)
    polled = client.batches.retrieve(batch.id)
    client.files.retrieve_content(polled.error_file_id)
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task is None and sorted(items) == ["review-1", "review-2"]
    client.files.content(polled.output_file_id)
    assert batchtrace.wait(30)
    _, task, items = by_role(read_spans())
    assert task["status"]["message"] == "batch cancelled"
    assert task["attrs"]["batchtrace.batch.status"] == "cancelled"
    assert items["review-0"]["attrs"]["batchtrace.result"] == "succeeded"
    assert items["review-2"]["attrs"]["batchtrace.result"] == "canceled"
    assert items["review-2"]["attrs"]["error.type"] == "batch_cancelled"


def test_a_rejected_result_line_is_named_by_its_line_in_the_stream(sdks, caplog):
    _, anthropic, provider = sdks
    batchtrace.instrument()
    client = anthropic.Anthropic()
    batch = client.messages.batches.create(requests=ANTHROPIC_REQUESTS)
    lines = [ANTHROPIC_RESULTS[0], {"result": ANTHROPIC_RESULTS[1]["result"]},
             ANTHROPIC_RESULTS[2]]
    provider.finish_anthropic_batch(os.environ["STAND_IN_PROVIDER_DIR"], batch.id, lines)
    with caplog.at_level(logging.DEBUG, logger="batchtrace"):
        assert len(list(client.messages.batches.results(batch.id))) == 3
        assert batchtrace.wait(30)
    summaries = [r.args[1] for r in caplog.records
                 if isinstance(r.args, tuple) and len(r.args) == 2
                 and isinstance(r.args[1], dict) and "rejected" in r.args[1]]
    assert len(summaries) == 1
    assert [(d["file"], d["line"]) for d in summaries[0]["rejected"]] == [("<results>", 2)]
