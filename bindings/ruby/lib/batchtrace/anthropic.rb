# frozen_string_literal: true

require "batchtrace"
require "batchtrace/instrumentation"

module Batchtrace
  # Traces the Message Batches of the anthropic gem:
  #
  #   require "anthropic"
  #   require "batchtrace/anthropic"
  #   Batchtrace::Anthropic.instrument!
  #
  # create starts the batch (its requests recorded in the store, the submit span under the
  # active OpenTelemetry span) and binds the batch id; results_streaming returns the SDK's
  # stream, whose iteration hands each result to a collect as it passes (one chat span per
  # item, the task span once the whole stream was read); retrieve and cancel remember the
  # batch object, so that a stream read after an ended batch was retrieved finishes the task
  # with the batch's times and status. The context survives in the store, keyed by batch
  # id: another process that reads the results lands in the submitting trace. Every SDK
  # call returns its own result unchanged; a batchtrace failure is logged once
  # (Batchtrace::Instrumentation.logger), never raised.
  module Anthropic
    # The classes patched: client.messages.batches and client.beta.messages.batches.
    CLASS_PATHS = [%w[Anthropic Resources Messages Batches],
                   %w[Anthropic Resources Beta Messages Batches]].freeze

    # What is prepended to the SDK's Batches classes (or to one client's objects). Same
    # method names and arity as the SDK's.
    module BatchesPatch
      # Create a batch and start it in batchtrace.
      def create(params)
        batch = super
        Batchtrace::Anthropic.submitted(params, batch)
        batch
      end

      # Retrieve a batch, remembering the batch object.
      def retrieve(message_batch_id, params = {})
        batch = super
        Batchtrace::Anthropic.seen(batch)
        batch
      end

      # Cancel a batch, remembering the batch object.
      def cancel(message_batch_id, params = {})
        batch = super
        Batchtrace::Anthropic.seen(batch)
        batch
      end

      # The SDK's results stream, its iteration collected.
      def results_streaming(message_batch_id, params = {})
        Batchtrace::Anthropic.watch(super, message_batch_id)
      end
    end

    # Extends one results stream: each with a block collects as it iterates. Other ways in
    # (to_enum, enum_for: the SDK's own enumerator) are not instrumented.
    module StreamPatch
      # Iterate the stream, collecting what passes.
      def each(&block)
        options = @batchtrace_collect_options
        return super unless block && options

        Batchtrace::Instrumentation.each_collected(method(:each).super_method, options, &block)
      end
    end

    @options = {}
    @batches = {}

    class << self
      # Patch the SDK's Batches classes (every client), or only client's batches objects
      # when a client is given. options go to start and collect (exporter:, output:,
      # endpoint:, protocol:, store:, convention:, content:, max_attribute_bytes:). Without
      # the anthropic gem loaded it does nothing and returns false; calling it again is
      # harmless. Returns true when something is patched.
      def instrument!(client = nil, **options)
        @options = options
        return instrument_client(client) if client

        CLASS_PATHS.map { |names| Instrumentation.prepend_to(names, BatchesPatch) }.any?
      end

      # After create: start the batch with its requests and the batch id.
      def submitted(params, batch)
        Instrumentation.guarded("batch not started") do
          seen(batch)
          requests = Instrumentation.field(params, :requests)
          body = JSON.generate({ "requests" => requests })
          summary = Batchtrace.start_summary(body, provider: "anthropic",
                                                   batch_id: Instrumentation.field(batch, :id).to_s,
                                                   **@options.slice(*Instrumentation::START_OPTIONS))
          Instrumentation.check_delivery(summary)
        end
      end

      # Remember a batch object (wire JSON) by its id.
      def seen(batch)
        Instrumentation.guarded("batch object not kept") do
          Instrumentation.remember(@batches, Instrumentation.field(batch, :id).to_s, JSON.generate(batch))
        end
      end

      # Mark a results stream for collection; returns the stream itself.
      def watch(stream, batch_id)
        Instrumentation.guarded("results not collected") do
          options = collect_options(batch_id.to_s)
          Instrumentation.prepend_to_object(stream, StreamPatch)
          stream.instance_variable_set(:@batchtrace_collect_options, options)
        end
        stream
      end

      # Forget the remembered batch objects and options (tests).
      def reset
        @batches = {}
        @options = {}
      end

      private

      # Patch one client's batches objects (messages and beta.messages).
      def instrument_client(client)
        targets = [client.messages.batches]
        targets << client.beta.messages.batches if client.respond_to?(:beta)
        targets.each { |batches| Instrumentation.prepend_to_object(batches, BatchesPatch) }
        true
      end

      # What a collect of batch_id's results takes: the provider, the batch id (the store
      # finds the context), the ended batch object when one was seen, the caller's span.
      def collect_options(batch_id)
        batch = @batches[batch_id]
        batch = nil unless batch && JSON.parse(batch)["processing_status"] == "ended"
        { provider: "anthropic", batch_id: batch_id, batch: batch,
          parent: Batchtrace.active_traceparent,
          **@options.slice(*Instrumentation::COLLECT_OPTIONS) }
      end
    end
  end
end
