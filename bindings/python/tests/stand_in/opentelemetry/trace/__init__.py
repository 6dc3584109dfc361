"""The stand-in's opentelemetry.trace (see the package docstring)."""

import contextlib

__all__ = ["TraceFlags", "SpanContext", "NonRecordingSpan", "INVALID_SPAN_CONTEXT",
           "INVALID_SPAN", "get_current_span", "use_span"]


class TraceFlags(int):
    """W3C trace flags; bit 0 is sampled."""
    DEFAULT = 0x00
    SAMPLED = 0x01

    @property
    def sampled(self):
        return bool(self & TraceFlags.SAMPLED)


class SpanContext:
    """The immutable part of a span that propagates: ids as ints, as in the real API."""

    def __init__(self, trace_id, span_id, is_remote, trace_flags=None, trace_state=None):
        self.trace_id = trace_id
        self.span_id = span_id
        self.is_remote = is_remote
        self.trace_flags = TraceFlags(trace_flags or 0)
        self.trace_state = trace_state

    @property
    def is_valid(self):
        return 0 < self.trace_id < 1 << 128 and 0 < self.span_id < 1 << 64


INVALID_SPAN_CONTEXT = SpanContext(0, 0, False)


class NonRecordingSpan:
    """A span that records nothing: what get_current_span returns with no span active."""

    def __init__(self, context):
        self._context = context

    def get_span_context(self):
        return self._context

    def is_recording(self):
        return False


INVALID_SPAN = NonRecordingSpan(INVALID_SPAN_CONTEXT)

_current = [INVALID_SPAN]


def get_current_span(context=None):
    """The active span, else INVALID_SPAN."""
    return _current[-1]


@contextlib.contextmanager
def use_span(span, end_on_exit=False, record_exception=True, set_status_on_exception=True):
    """Make span the active span inside the with block."""
    _current.append(span)
    try:
        yield span
    finally:
        _current.pop()
