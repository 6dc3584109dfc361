"""Shared fixtures: every test runs in its own directory (the default output
./batchtrace-spans.jsonl lands there), with its own store, a pinned collection time, no
OTLP endpoint, no ambient TRACEPARENT and no opentelemetry package unless it asks for the
stand-in."""

import json
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
STAND_IN = pathlib.Path(__file__).resolve().parent / "stand_in"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BATCHTRACE_STORE", f"sqlite:{tmp_path / 'store.db'}")
    monkeypatch.setenv("BATCHTRACE_NOW", "2026-03-01T12:00:00Z")
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "TRACEPARENT", "BRAINTRUST_PARENT"):
        monkeypatch.delenv(name, raising=False)
    # No opentelemetry, whatever the machine has: a None entry makes the import fail.
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    return tmp_path


@pytest.fixture
def opentelemetry(monkeypatch):
    """The stand-in opentelemetry package (the real one is not in Debian), imported fresh."""
    monkeypatch.delitem(sys.modules, "opentelemetry", raising=False)
    monkeypatch.delitem(sys.modules, "opentelemetry.trace", raising=False)
    monkeypatch.syspath_prepend(str(STAND_IN))
    import opentelemetry.trace
    yield opentelemetry.trace
    sys.modules.pop("opentelemetry.trace", None)


def read_spans(path="batchtrace-spans.jsonl"):
    """Every span of an OTLP/JSON lines file, each with its attributes as a plain dict."""
    spans = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            for resource in json.loads(line)["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        span["attrs"] = {a["key"]: _value(a["value"]) for a in span["attributes"]}
                        spans.append(span)
    return spans


def _value(value):
    """An OTLP/JSON AnyValue as a Python value."""
    (kind, inner), = value.items()
    if kind == "arrayValue":
        return [_value(v) for v in inner.get("values", [])]
    if kind == "intValue":
        return int(inner)
    return inner


def read_jsonl(path):
    """The records of a JSONL file as dicts."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
