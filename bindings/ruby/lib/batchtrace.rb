# frozen_string_literal: true

# batchtrace: LLM batch results (OpenAI Batch, Anthropic Message Batches) as OpenTelemetry
# traces, on the batchtrace C library.
#
#   require "batchtrace"
#   summary = Batchtrace.log_batch_results(requests, results)
#
# requests and results are Arrays or Enumerables of Hashes in the provider's batch formats
# (or of JSONL lines as Strings, or SDK model objects), a String holding JSONL or a JSON
# array, or a path (Pathname, or a String that is not JSON). The C library reads them (the
# GVL released), correlates them by custom_id and exports one task span and one LLM span per
# item; the summary comes back as a Hash with String keys. Fatal errors raise
# Batchtrace::Error; rejected lines are listed in the summary, never dropped silently.
#
# Records are serialized with JSON.generate: Symbol keys and values become strings, and an
# SDK model object (anthropic, openai gems) is written by its own #to_json, the SDK's wire
# form (not #to_h, which holds Symbols and omits unset fields).
require "json"
require "pathname"
require "batchtrace/batchtrace_ext"

module Batchtrace
  VERSION = Native::VERSION

  # A call that could not run: a usage error or a fatal one (an unreadable file, a broken
  # store, ...). diagnostics lists the rejected lines and warnings gathered before it stopped
  # (Hashes with "file", "line", "reason"); exit_code is the CLI's (1 or 2, or 3 for a start
  # whose request lines were rejected); summary is the call's summary Hash.
  class Error < StandardError
    attr_reader :diagnostics, :exit_code, :summary

    def initialize(message, diagnostics = [], exit_code = 1, summary = {})
      super(message)
      @diagnostics = diagnostics
      @exit_code = exit_code
      @summary = summary
    end
  end

  # A callback source's piece is handed over once it holds this many bytes.
  PIECE_BYTES = 256 << 10
  # The exit code of a run whose spans were not all delivered (spooled ones included).
  EXIT_EXPORT_FAILED = 5

  class << self
    # Collect a batch: its results (and the batch object; the requests when the store keeps
    # no copy), under the context token start returned (or the batch's
    # metadata.batchtrace_ctx, or its id in the store). Without a context the spans nest
    # under the active OpenTelemetry span, else under parent (a W3C traceparent), else in
    # trace trace_id, else in a new trace. Returns the summary Hash (the CLI's --json
    # object).
    def collect(results, context: nil, batch: nil, requests: nil, trace_id: nil, batch_id: nil,
                exporter: nil, output: nil, endpoint: nil, protocol: nil, convention: nil,
                content: true, store: nil, provider: nil, force: false,
                max_attribute_bytes: nil, parent: nil, export_timeout: nil)
      parent = context.nil? ? active_traceparent || parent : nil
      options = export_options(exporter, output, endpoint, protocol, store, export_timeout).merge(
        parent: parent, trace_id: parent ? nil : trace_id_text(trace_id), context: context,
        batch_id: batch_id, provider: provider&.to_s, conventions: conventions(convention),
        content: content, force: force, max_attribute_bytes: max_attribute_bytes
      )
      finish(Native.collect(results_sources(results), source(requests, "requests"),
                            source(batch, "batch"), options))
    end

    # Trace a finished batch in one call: one chat span per request/result pair (matched by
    # custom_id) under a batch_results task span, nested under the active OpenTelemetry span
    # when there is one, else in trace trace_id (32 hex digits), else in a new trace. Exports
    # as the CLI does: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else OTLP/JSON lines in
    # ./batchtrace-spans.jsonl. options are collect's. Returns the summary Hash.
    def log_batch_results(requests, results, trace_id: nil, **options)
      collect(results, requests: requests, trace_id: trace_id, **options)
    end

    # Start a batch before (or right after) submitting it: record its identity and inputs in
    # the store and export the submit span, under the active OpenTelemetry span, else parent
    # (a W3C traceparent), else $TRACEPARENT, else a new trace. batch_id, when known, binds
    # the batch at once. Returns [context, metadata]: put metadata in the batch's metadata
    # (OpenAI) so that collect finds the context by itself. Raises Error when a request line
    # is rejected (nothing is recorded).
    def start(requests, **options)
      summary = start_summary(requests, **options)
      [summary["context"], summary["metadata"]]
    end

    # start (same options), returning its whole summary Hash (context, trace_id, traceparent, ...).
    def start_summary(requests, parent: nil, batch_id: nil, keep_inputs: true, exporter: nil,
                      output: nil, endpoint: nil, protocol: nil, store: nil, provider: nil,
                      export_timeout: nil)
      options = export_options(exporter, output, endpoint, protocol, store, export_timeout).merge(
        parent: active_traceparent || parent, batch_id: batch_id, provider: provider&.to_s,
        keep_inputs: keep_inputs
      )
      summary = finish(Native.start(source(requests, "requests"), options))
      unless summary["context"]
        raise Error.new("the batch was not started: request lines were rejected",
                        diagnostics(summary), summary.fetch("exit_code", 3), summary)
      end
      summary
    end

    # Record the provider's batch id against the context token start returned, so that
    # collect finds the context from the batch id alone. Raises Error when the token fails
    # verification or the id is bound to another context.
    def bind(batch_id, context, store: nil)
      rc, message = Native.bind(batch_id.to_s, context.to_s, store&.to_s)
      raise Error.new(message, [], rc == -2 ? 1 : 2) if rc.negative?

      nil
    end

    # Send what earlier runs left in the store's spool (spans an OTLP endpoint did not
    # take). Returns the flush summary Hash.
    def flush(store: nil, endpoint: nil, export_timeout: nil)
      finish(Native.flush(export_options(nil, nil, endpoint, nil, store, export_timeout)))
    end

    # The source the C layer reads for one input: [:path, p], [:buffer, String] or
    # [:callback, callable]; a Proc is a callable already (each call returns a String of
    # whole JSONL lines, nil at the end, false to stop the run). nil stays nil.
    def source(value, role)
      case value
      when nil then nil
      when Proc then [:callback, value]
      when Pathname then [:path, value.to_s]
      when String then jsonl?(value) ? [:buffer, value] : [:path, value]
      when Hash then [:buffer, JSON.generate(value)]
      else
        unless value.respond_to?(:each)
          raise TypeError, "#{role} must be an Array or Enumerable of records, a String " \
                           "holding JSONL, or a path, not #{value.class}"
        end
        [:callback, pieces(value.to_enum)]
      end
    end

    # One record as a JSONL line's text: a String as it is, anything else as JSON.
    def line(record)
      record.is_a?(String) ? record : JSON.generate(record)
    end

    # The W3C traceparent of the active OpenTelemetry span when the opentelemetry-api gem is
    # loaded and that span is recording, else nil.
    def active_traceparent
      return nil unless defined?(::OpenTelemetry::Trace) &&
                        ::OpenTelemetry::Trace.respond_to?(:current_span)

      span = ::OpenTelemetry::Trace.current_span
      return nil unless span.respond_to?(:recording?) && span.recording?

      context = span.context
      return nil unless context.valid?

      format("00-%s-%s-%02x", context.hex_trace_id, context.hex_span_id,
             context.trace_flags.sampled? ? 1 : 0)
    end

    private

    # A String holds records rather than a path: it starts with { or [ (after whitespace),
    # spans lines, or is empty.
    def jsonl?(text)
      stripped = text.lstrip
      stripped.empty? || stripped.start_with?("{", "[") || text.include?("\n")
    end

    # A callable over an enumerator: each call serializes records until the piece holds
    # PIECE_BYTES, nil at the end.
    def pieces(enumerator)
      lambda do
        piece = +""
        while piece.bytesize < PIECE_BYTES
          begin
            record = enumerator.next
          rescue StopIteration
            break
          end
          piece << line(record) << "\n"
        end
        piece.empty? ? nil : piece
      end
    end

    # The results as a list of sources: several paths (an OpenAI output file and its error
    # file) when results is an Array of Pathnames, else one source.
    def results_sources(results)
      if results.is_a?(Array) && !results.empty? && results.all?(Pathname)
        return results.map { |path| [:path, path.to_s] }
      end

      [source(results, "results")]
    end

    # trace_id as 32 hex digits: a String as given (the library checks it), an Integer
    # formatted; nil stays nil.
    def trace_id_text(trace_id)
      case trace_id
      when nil, String then trace_id
      when Integer
        raise ArgumentError, "trace_id must be a non-zero 128-bit integer" unless
          trace_id.positive? && trace_id < (1 << 128)

        format("%032x", trace_id)
      else
        raise TypeError, "trace_id must be a String of 32 hex digits (or an Integer), " \
                         "not #{trace_id.class}"
      end
    end

    # convention as an Array of names: nil, one name, or an Array of them.
    def conventions(convention)
      convention.nil? ? nil : Array(convention).map(&:to_s)
    end

    # The options every call shares, by the C layer's names.
    def export_options(exporter, output, endpoint, protocol, store, export_timeout)
      { exporter: exporter&.to_s, output: output&.to_s, endpoint: endpoint, protocol: protocol,
        store: store&.to_s, export_timeout: export_timeout }
    end

    # The rejected lines and warnings of a summary.
    def diagnostics(summary)
      summary.fetch("rejected", []) + summary.fetch("warnings", [])
    end

    # The summary Hash of a C call, or Error when it did not run.
    def finish(result)
      rc, summary_json, message = result
      summary = JSON.parse(summary_json)
      raise Error.new(message, diagnostics(summary), summary.fetch("exit_code", 1), summary) if
        rc.negative?

      summary
    end
  end
end
