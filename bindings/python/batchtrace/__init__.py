"""batchtrace: LLM batch results (OpenAI Batch, Anthropic Message Batches) as OpenTelemetry
traces, on the batchtrace C library.

    import batchtrace
    summary = batchtrace.log_batch_results(requests, results)

requests and results are lists or iterables of dicts in the provider's batch formats (or of
JSONL lines as str or bytes), bytes or str holding JSONL or a JSON array, or paths. The C
library reads them (the GIL released), correlates them by custom_id and exports one task span
and one LLM span per item; the summary comes back as a dict. Fatal errors raise Error;
rejected lines are listed in the summary, never dropped silently.
"""

import json as _json
import os as _os

from . import _batchtrace

__version__ = _batchtrace.version
__all__ = ["Error", "log_batch_results", "start", "collect", "flush", "bind", "status",
           "instrument", "instrument_openai", "instrument_anthropic", "uninstrument", "wait"]


class Error(Exception):
    """A call that could not run: a usage error or a fatal one (an unreadable file, a broken
    store, ...). diagnostics lists the rejected lines and warnings gathered before it
    stopped ({"file", "line", "reason"} dicts); exit_code is the CLI's (1 or 2, or 3 for a
    start whose request lines were rejected); summary is the call's summary dict."""

    def __init__(self, message, diagnostics=(), exit_code=1, summary=None):
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        self.exit_code = exit_code
        self.summary = summary if summary is not None else {}


def _looks_like_jsonl(text):
    """Whether a str holds records rather than a path: it starts with { or [ (after
    whitespace), or spans lines, or is empty."""
    stripped = text.lstrip()
    return not stripped or stripped[0] in "{[" or "\n" in text


def _source(value, role):
    """The C layer's source for one input: ("path", p), ("buffer", bytes-like) or
    ("iter", iterable). None stays None."""
    if value is None:
        return None
    if isinstance(value, _os.PathLike):
        return ("path", _os.fspath(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("buffer", value)
    if isinstance(value, str):
        return ("buffer", value.encode("utf-8")) if _looks_like_jsonl(value) else ("path", value)
    if isinstance(value, dict):
        # One object: a batch object, or an Anthropic create body {"requests": [...]}.
        return ("buffer", _batchtrace.dumps(value))
    try:
        iter(value)
    except TypeError:
        raise TypeError(
            f"{role} must be a list or iterable of dicts, bytes or str holding JSONL, or a "
            f"path, not {type(value).__name__}") from None
    return ("iter", value)


def _results_sources(results):
    """The results as a list of sources: several paths (an OpenAI output file and its error
    file) when results is a list or tuple of os.PathLike, else one source."""
    if isinstance(results, (list, tuple)) and results and all(
            isinstance(item, _os.PathLike) for item in results):
        return [("path", _os.fspath(item)) for item in results]
    return [_source(results, "results")]


def _check_trace_id(trace_id):
    """trace_id as 32 hex digits: a str as given (the library checks it), an int (as the
    OpenTelemetry API holds trace ids) formatted; None stays None."""
    if trace_id is None or isinstance(trace_id, str):
        return trace_id
    if isinstance(trace_id, int) and not isinstance(trace_id, bool):
        if not 0 < trace_id < 1 << 128:
            raise ValueError("trace_id must be a non-zero 128-bit integer")
        return "%032x" % trace_id
    raise TypeError(f"trace_id must be a str of 32 hex digits (or an int), not "
                    f"{type(trace_id).__name__}")


def _active_traceparent():
    """The W3C traceparent of the active OpenTelemetry span when opentelemetry is
    importable and that span is recording, else None."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    span = trace.get_current_span()
    if span is None or not span.is_recording():
        return None
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return "00-%032x-%016x-%02x" % (context.trace_id, context.span_id, int(context.trace_flags))


def _conventions(convention):
    """convention as a list of names: None, one str, or an iterable of str."""
    if convention is None:
        return None
    if isinstance(convention, str):
        return [convention]
    return list(convention)


def _export_options(exporter, output, endpoint, protocol, store, export_timeout=None):
    """The options every call shares, by the C layer's names (export_timeout: the seconds an
    OTLP request may take, retries included, before it is spooled; None: 30)."""
    return {"exporter": exporter, "output": None if output is None else _os.fspath(output),
            "endpoint": endpoint, "protocol": protocol,
            "store": None if store is None else str(store), "export_timeout": export_timeout}


def _finish(result):
    """The summary dict of a C call, or Error when it did not run."""
    rc, summary_json, message = result
    summary = _json.loads(summary_json)
    if rc < 0:
        raise Error(message, summary.get("rejected", []) + summary.get("warnings", []),
                    summary.get("exit_code", 1), summary)
    return summary


def collect(results, *, context=None, batch=None, requests=None, trace_id=None,
            batch_id=None, exporter=None, output=None, endpoint=None, protocol=None,
            convention=None, content=True, store=None, provider=None, force=False,
            max_attribute_bytes=None, parent=None, export_timeout=None):
    """Collect a batch: its results (and the batch object, the requests when the store
    keeps no copy), under the context token start returned (or the batch's
    metadata.batchtrace_ctx, or its id in the store). Without a context the spans nest under
    the active OpenTelemetry span, else under parent (a W3C traceparent), else in trace
    trace_id, else in a new trace. Returns the summary dict (the CLI's --json object)."""
    return _collect_sources(_results_sources(results), context=context, batch=batch,
                            requests=requests, trace_id=trace_id, batch_id=batch_id,
                            exporter=exporter, output=output, endpoint=endpoint,
                            protocol=protocol, convention=convention, content=content,
                            store=store, provider=provider, force=force,
                            max_attribute_bytes=max_attribute_bytes, parent=parent,
                            export_timeout=export_timeout)


def _collect_sources(results_sources, *, context, batch, requests, trace_id, batch_id,
                     exporter, output, endpoint, protocol, convention, content, store,
                     provider, force, max_attribute_bytes, parent, export_timeout=None):
    """collect over results already turned into the C layer's sources (the SDK
    instrumentation hands several downloaded files as buffers)."""
    trace_id = _check_trace_id(trace_id)
    parent = None if context is not None else (_active_traceparent() or parent)
    options = _export_options(exporter, output, endpoint, protocol, store, export_timeout)
    options.update({
        "parent": parent, "trace_id": None if parent else trace_id, "context": context,
        "batch_id": batch_id, "provider": provider, "conventions": _conventions(convention),
        "content": content, "force": force, "max_attribute_bytes": max_attribute_bytes,
    })
    return _finish(_batchtrace.collect(results_sources, _source(requests, "requests"),
                                       _source(batch, "batch"), options))


def log_batch_results(requests, results, trace_id=None, *, batch=None, exporter=None,
                      output=None, endpoint=None, convention=None, content=True, store=None,
                      provider=None):
    """Trace a finished batch in one call: one chat span per request/result pair (matched
    by custom_id) under a batch_results task span. The spans nest under the active
    OpenTelemetry span when there is one, else go to trace trace_id (32 hex digits), else
    to a new trace. Exports as the CLI does: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set,
    else OTLP/JSON lines in ./batchtrace-spans.jsonl. Returns the summary dict."""
    return collect(results, requests=requests, batch=batch, trace_id=trace_id,
                   exporter=exporter, output=output, endpoint=endpoint, convention=convention,
                   content=content, store=store, provider=provider)


def start(requests, *, parent=None, batch_id=None, keep_inputs=True, exporter=None,
          output=None, endpoint=None, protocol=None, store=None, provider=None,
          export_timeout=None):
    """Start a batch before (or right after) submitting it: record its identity and the
    inputs in the store and export the submit span, under the active OpenTelemetry span,
    else parent (a W3C traceparent), else $TRACEPARENT, else a new trace. Returns
    (context, metadata): put metadata in the batch's metadata so that collect finds the
    context by itself. Raises Error when a request line is rejected (nothing is recorded)."""
    active = _active_traceparent()
    options = _export_options(exporter, output, endpoint, protocol, store, export_timeout)
    options.update({"parent": active or parent, "batch_id": batch_id, "provider": provider,
                    "keep_inputs": keep_inputs})
    summary = _finish(_batchtrace.start(_source(requests, "requests"), options))
    if not summary.get("context"):
        raise Error("the batch was not started: request lines were rejected",
                    summary.get("rejected", []) + summary.get("warnings", []),
                    summary.get("exit_code", 3), summary)
    return summary["context"], summary["metadata"]


def bind(batch_id, context, *, store=None):
    """Record the provider's batch id (known only once the batch was created) against the
    context token start returned, so that collect finds the context from the batch id.
    Raises Error when the token fails verification or the id is bound to another context."""
    rc, _, message = _batchtrace.bind(batch_id, context,
                                      {"store": None if store is None else str(store)})
    if rc < 0:
        raise Error(message, (), 2 if rc == -1 else 1)


def status(*, batch_id=None, store=None):
    """What the store knows (read only): {store, batches: [{provider, batch_id, state,
    batch_status, trace_id, created, request_count, items_exported, task_exported,
    inputs_kept}], spooled_requests, spooled_spans}; only batch_id's batch when given."""
    return _finish(_batchtrace.status({"store": None if store is None else str(store),
                                       "batch_id": batch_id}))


def flush(*, store=None, endpoint=None):
    """Send what earlier runs left in the store's spool (spans an OTLP endpoint did not
    take). Returns the flush summary dict."""
    return _finish(_batchtrace.flush(_export_options(None, None, endpoint, None, store)))


from ._instrument import (instrument, instrument_anthropic, instrument_openai,  # noqa: E402
                          uninstrument, wait)


def __getattr__(name):
    """BatchtraceInstrumentor, the OpenTelemetry-style face of instrument(), exists when
    opentelemetry is importable."""
    if name == "BatchtraceInstrumentor":
        from ._instrument import instrumentor_class
        return instrumentor_class()
    raise AttributeError(f"module 'batchtrace' has no attribute {name!r}")
