# frozen_string_literal: true

require "stringio"
require "batchtrace"
require "batchtrace/instrumentation"

module Batchtrace
  # Traces the batches of the openai gem, where its shapes allow:
  #
  #   require "openai"
  #   require "batchtrace/openai"
  #   Batchtrace::OpenAI.instrument!
  #
  # files.create(file:, purpose: :batch) remembers the input file by its id when file is a
  # Pathname, a File (its path) or a StringIO (its string; nothing is read from the IO);
  # batches.create(input_file_id: ...) then starts the batch with those requests (submit span
  # under the active OpenTelemetry span) and binds its id; retrieve and cancel remember the
  # batch object; files.content(id) of the batch's output or error file collects the results
  # fetched so far in this process with the batch object (each item once; the task once
  # every result file of the batch was fetched). Inputs uploaded any other way, or results
  # fetched before the batch object was retrieved in this process, are not traced. Every SDK
  # call returns its own result unchanged; a batchtrace failure is logged once, never raised.
  module OpenAI
    FILES_PATH = %w[OpenAI Resources Files].freeze
    BATCHES_PATH = %w[OpenAI Resources Batches].freeze

    # Prepended to OpenAI::Resources::Files (same names and arity as the SDK's).
    module FilesPatch
      # Upload a file, remembering a batch input.
      def create(params)
        file = super
        Batchtrace::OpenAI.uploaded(params, file)
        file
      end

      # Download a file's content, collecting a batch's result file.
      def content(file_id, params = {})
        body = super
        Batchtrace::OpenAI.downloaded(file_id, body)
        body
      end
    end

    # Prepended to OpenAI::Resources::Batches (same names and arity as the SDK's).
    module BatchesPatch
      # Create a batch and start it in batchtrace.
      def create(params)
        batch = super
        Batchtrace::OpenAI.submitted(batch)
        batch
      end

      # Retrieve a batch, remembering the batch object.
      def retrieve(batch_id, params = {})
        batch = super
        Batchtrace::OpenAI.seen(batch)
        batch
      end

      # Cancel a batch, remembering the batch object.
      def cancel(batch_id, params = {})
        batch = super
        Batchtrace::OpenAI.seen(batch)
        batch
      end
    end

    class << self
      # Patch the SDK's Files and Batches classes (every client), or one client's files and
      # batches objects. options as Batchtrace::Anthropic.instrument!'s. Without the openai
      # gem loaded it does nothing and returns false; calling it again is harmless.
      def instrument!(client = nil, **options)
        @options = options
        if client
          Instrumentation.prepend_to_object(client.files, FilesPatch)
          Instrumentation.prepend_to_object(client.batches, BatchesPatch)
          return true
        end
        [Instrumentation.prepend_to(FILES_PATH, FilesPatch),
         Instrumentation.prepend_to(BATCHES_PATH, BatchesPatch)].all?
      end

      # After files.create: remember a batch input by the file's id.
      def uploaded(params, file)
        Instrumentation.guarded("batch input not kept") do
          next unless Instrumentation.field(params, :purpose).to_s == "batch"

          input = Instrumentation.field(params, :file)
          requests = case input
                     when Pathname then input
                     when File then Pathname.new(input.path)
                     when StringIO then input.string
                     end
          unless requests
            raise ArgumentError, "a batch input given as #{input.class} cannot be traced " \
                                 "(a Pathname, File or StringIO can)"
          end
          Instrumentation.remember(@inputs, Instrumentation.field(file, :id).to_s, requests)
        end
      end

      # After batches.create: start the batch with the requests of its input file.
      def submitted(batch)
        Instrumentation.guarded("batch not started") do
          seen(batch)
          requests = @inputs.delete(Instrumentation.field(batch, :input_file_id).to_s)
          next unless requests

          summary = Batchtrace.start_summary(requests, provider: "openai",
                                                       batch_id: Instrumentation.field(batch, :id).to_s,
                                                       **@options.slice(*Instrumentation::START_OPTIONS))
          Instrumentation.check_delivery(summary)
        end
      end

      # Remember a batch object and which batch its result files belong to.
      def seen(batch)
        Instrumentation.guarded("batch object not kept") do
          id = Instrumentation.field(batch, :id).to_s
          Instrumentation.remember(@batches, id, JSON.generate(batch))
          %i[output_file_id error_file_id].each do |key|
            file_id = Instrumentation.field(batch, key)
            Instrumentation.remember(@result_files, file_id.to_s, id) if file_id
          end
        end
      end

      # After files.content: collect a batch's result files fetched so far.
      def downloaded(file_id, body)
        Instrumentation.guarded("results not collected") do
          batch_id = @result_files[file_id.to_s]
          next unless batch_id && body.respond_to?(:string)

          fetched = (@fetched[batch_id] ||= {})
          fetched[file_id.to_s] = body.string
          collect(batch_id, fetched)
        end
      end

      # Forget what was remembered (tests).
      def reset
        @options = {}
        @inputs = {}
        @batches = {}
        @result_files = {}
        @fetched = {}
      end

      private

      # Collect the fetched result files (Strings, handed to the engine one piece each, not
      # copied) of batch_id with its batch object; forget them once every result file of the
      # batch was fetched.
      def collect(batch_id, fetched)
        batch = JSON.parse(@batches.fetch(batch_id))
        texts = fetched.values
        summary = Batchtrace.collect(-> { texts.shift }, batch: @batches[batch_id], provider: "openai",
                                                         parent: Batchtrace.active_traceparent,
                                                         **@options.slice(*Instrumentation::COLLECT_OPTIONS))
        Instrumentation.check_delivery(summary)
        expected = batch.values_at("output_file_id", "error_file_id").compact
        @fetched.delete(batch_id) if (expected - fetched.keys).empty?
      end
    end
    reset
  end
end
