# frozen_string_literal: true

# A stand-in for the opentelemetry-api gem's current span (the gem is not in Debian): the
# names Batchtrace.active_traceparent reads, OpenTelemetry::Trace.current_span, Span#recording?,
# Span#context and SpanContext#valid?, #hex_trace_id, #hex_span_id, #trace_flags.sampled?.
module OpenTelemetry
  module Trace
    TraceFlags = Struct.new(:sampled) do
      def sampled? = sampled
    end
    SpanContext = Struct.new(:hex_trace_id, :hex_span_id, :trace_flags) do
      def valid? = hex_trace_id != "0" * 32
    end
    Span = Struct.new(:context, :recording) do
      def recording? = recording
    end

    class << self
      attr_accessor :current

      # The active span: the one with_span set, else a non-recording invalid one.
      def current_span
        current || Span.new(SpanContext.new("0" * 32, "0" * 16, TraceFlags.new(false)), false)
      end

      # Run the block with a recording span of these ids active.
      def with_span(trace_id, span_id)
        self.current = Span.new(SpanContext.new(trace_id, span_id, TraceFlags.new(true)), true)
        yield
      ensure
        self.current = nil
      end
    end
  end
end
