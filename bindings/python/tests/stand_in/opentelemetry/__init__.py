"""A stand-in for the opentelemetry-api package (not in Debian) used by batchtrace's tests:
only what batchtrace reads, under the real API's names (opentelemetry.trace.get_current_span,
Span.get_span_context, Span.is_recording, SpanContext.trace_id/span_id/trace_flags/is_valid,
TraceFlags, NonRecordingSpan, INVALID_SPAN, use_span). Written for these tests; no code of
the real package is copied."""
