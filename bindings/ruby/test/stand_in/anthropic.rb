# frozen_string_literal: true

# A stand-in for the anthropic gem's Message Batches (the gem is not in Debian): the same
# constant paths, method names, arity and return shapes as lib/anthropic/resources/messages/
# batches.rb and its models, over a "server" that is a directory of JSON files (base_url),
# so that two processes share it. Models keep the wire data with Symbol keys (#to_h, #[]) and
# write it back with #to_json, as the SDK's BaseModel does; results come as a single-pass
# Enumerable stream (JsonLStream, fused like the SDK's). Tests script the batch's end with
# AnthropicStandIn.finish.
require "json"

module Anthropic
  module Internal
    module Type
      # The SDK's model base: wire data with Symbol keys.
      class BaseModel
        def initialize(data = {})
          @data = data.transform_keys(&:to_sym)
        end

        def to_h = @data
        alias to_hash to_h

        def [](key)
          raise ArgumentError, "Expected symbol key for lookup, got #{key.inspect}" unless key.instance_of?(Symbol)

          @data[key]
        end

        def to_json(*args) = @data.to_json(*args)

        def ==(other) = self.class == other.class && @data == other.to_h

        def method_missing(name, *args)
          @data.key?(name) && args.empty? ? @data[name] : super
        end

        def respond_to_missing?(name, include_private = false) = @data.key?(name) || super
      end

      # The SDK's stream base: Enumerable, each needs a block.
      module BaseStream
        include Enumerable

        attr_reader :status, :headers

        def each(&blk)
          raise ArgumentError, "A block must be given to ##{__method__}" unless block_given?

          @iterator.each(&blk)
        end

        def to_enum = @iterator
        alias enum_for to_enum

        def close = nil

        def initialize(model:, url:, status:, headers:, response:, unwrap:, stream:)
          @model = model
          @url = url
          @status = status
          @headers = headers
          @response = response
          @unwrap = unwrap
          @stream = stream
          @iterator = iterator
        end
      end
    end

    # Results as JSON lines, each coerced into the model; one pass only (fused).
    class JsonLStream
      include Type::BaseStream

      private def iterator
        fused = false
        Enumerator.new do |y|
          next if fused

          fused = true
          @stream.each { |line| y << @model.new(JSON.parse(line, symbolize_names: true)) }
        end
      end
    end
  end

  module Models
    module Messages
      class MessageBatch < Internal::Type::BaseModel; end
      class MessageBatchIndividualResponse < Internal::Type::BaseModel; end
    end

    module Beta
      module Messages
        class BetaMessageBatch < Internal::Type::BaseModel; end
        class BetaMessageBatchIndividualResponse < Internal::Type::BaseModel; end
      end
    end
  end
  Messages = Models::Messages
  Beta = Models::Beta

  module Resources
    class Messages
      class Batches
        def create(params)
          @client.request(method: :post, path: "v1/messages/batches", body: params,
                          model: Anthropic::Messages::MessageBatch)
        end

        def retrieve(message_batch_id, params = {})
          @client.request(method: :get, path: ["v1/messages/batches/%1$s", message_batch_id],
                          model: Anthropic::Messages::MessageBatch)
        end

        def cancel(message_batch_id, params = {})
          @client.request(method: :post,
                          path: ["v1/messages/batches/%1$s/cancel", message_batch_id],
                          model: Anthropic::Messages::MessageBatch)
        end

        def results_streaming(message_batch_id, params = {})
          @client.request(method: :get, path: ["v1/messages/batches/%1$s/results", message_batch_id],
                          stream: Anthropic::Internal::JsonLStream,
                          model: Anthropic::Messages::MessageBatchIndividualResponse)
        end

        def initialize(client:)
          @client = client
        end
      end

      attr_reader :batches

      def initialize(client:)
        @batches = Batches.new(client: client)
      end
    end

    class Beta
      class Messages
        class Batches
          def create(params)
            @client.request(method: :post, path: "v1/messages/batches?beta=true", body: params,
                            model: Anthropic::Beta::Messages::BetaMessageBatch)
          end

          def retrieve(message_batch_id, params = {})
            @client.request(method: :get, path: ["v1/messages/batches/%1$s?beta=true", message_batch_id],
                            model: Anthropic::Beta::Messages::BetaMessageBatch)
          end

          def cancel(message_batch_id, params = {})
            @client.request(method: :post,
                            path: ["v1/messages/batches/%1$s/cancel?beta=true", message_batch_id],
                            model: Anthropic::Beta::Messages::BetaMessageBatch)
          end

          def results_streaming(message_batch_id, params = {})
            @client.request(method: :get,
                            path: ["v1/messages/batches/%1$s/results?beta=true", message_batch_id],
                            stream: Anthropic::Internal::JsonLStream,
                            model: Anthropic::Beta::Messages::BetaMessageBatchIndividualResponse)
          end

          def initialize(client:)
            @client = client
          end
        end

        attr_reader :batches

        def initialize(client:)
          @batches = Batches.new(client: client)
        end
      end

      attr_reader :messages

      def initialize(client:)
        @messages = Messages.new(client: client)
      end
    end
  end

  # The client: its "server" is the directory base_url. last_returned is the object the
  # last request returned (tests check the instrumented call hands back this very object).
  class Client
    attr_reader :messages, :beta, :last_returned, :streamed

    def initialize(api_key: nil, base_url: nil)
      @dir = base_url
      @messages = Resources::Messages.new(client: self)
      @beta = Resources::Beta.new(client: self)
      @streamed = []
    end

    def request(method:, path:, model:, body: nil, stream: nil, **)
      path = format(path[0], *path[1..]) if path.is_a?(Array)
      route = path.sub("?beta=true", "").split("/")
      data = case [method, route.length, route.last]
             in [:post, 3, _] then create_batch(body)
             in [:get, 4, _] then read_batch(route[3])
             in [:post, 5, "cancel"] then cancel_batch(route[3])
             in [:get, 5, "results"]
               lines = File.readlines(File.join(@dir, "#{route[3]}.results.jsonl"), chomp: true)
               traced = lines.lazy.map { |line| line.tap { @streamed << line } }
               return @last_returned = stream.new(model: model, url: path, status: 200,
                                                   headers: {}, response: nil, unwrap: nil,
                                                   stream: traced)
             end
      @last_returned = model.new(data)
    end

    private

    def create_batch(body)
      requests = JSON.parse(JSON.generate(body))["requests"]
      count_file = File.join(@dir, "count")
      count = File.exist?(count_file) ? File.read(count_file).to_i + 1 : 1
      File.write(count_file, count.to_s)
      batch = { "id" => format("msgbatch_stand_in_%04d", count), "type" => "message_batch",
                "processing_status" => "in_progress",
                "request_counts" => { "processing" => requests.length, "succeeded" => 0,
                                      "errored" => 0, "canceled" => 0, "expired" => 0 },
                "ended_at" => nil, "created_at" => "2026-01-27T18:00:41.271763Z",
                "expires_at" => "2026-01-28T18:00:41.271763Z", "archived_at" => nil,
                "cancel_initiated_at" => nil, "results_url" => nil }
      write_batch(batch)
    end

    def cancel_batch(id)
      batch = JSON.parse(File.read(File.join(@dir, "#{id}.json")))
      write_batch(batch.merge("processing_status" => "canceling",
                              "cancel_initiated_at" => "2026-01-28T17:58:41.701676Z"))
    end

    def read_batch(id) = JSON.parse(File.read(File.join(@dir, "#{id}.json")), symbolize_names: true)

    def write_batch(batch)
      File.write(File.join(@dir, "#{batch['id']}.json"), JSON.generate(batch))
      JSON.parse(JSON.generate(batch), symbolize_names: true)
    end
  end
end

# What the tests do as "the provider": end a batch with result lines.
module AnthropicStandIn
  # Write the results of batch id and mark it ended with fields (a Hash of wire fields).
  def self.finish(dir, id, result_lines, fields = {})
    File.write(File.join(dir, "#{id}.results.jsonl"), result_lines.join("\n") + "\n")
    path = File.join(dir, "#{id}.json")
    batch = JSON.parse(File.read(path)).merge("processing_status" => "ended").merge(fields)
    File.write(path, JSON.generate(batch))
  end
end
