# frozen_string_literal: true

# A stand-in for the openai gem's batches and files (the gem is not in Debian): the same
# constant paths, method names, arity and return shapes as lib/openai/resources/batches.rb
# and files.rb (models with Symbol-keyed wire data, #to_h, #[] and #to_json; files.content a
# StringIO), over a "server" that is a directory (base_url). Tests end a batch with
# OpenAIStandIn.finish.
require "json"
require "stringio"
require "pathname"

module OpenAI
  module Internal
    module Type
      # The SDK's model base: wire data with Symbol keys.
      class BaseModel
        def initialize(data = {})
          @data = data.transform_keys(&:to_sym)
        end

        def to_h = @data
        alias to_hash to_h

        def [](key) = @data[key]

        def to_json(*args) = @data.to_json(*args)

        def ==(other) = self.class == other.class && @data == other.to_h

        def method_missing(name, *args)
          @data.key?(name) && args.empty? ? @data[name] : super
        end

        def respond_to_missing?(name, include_private = false) = @data.key?(name) || super
      end
    end
  end

  module Models
    class Batch < Internal::Type::BaseModel; end
    class FileObject < Internal::Type::BaseModel; end
  end
  Batch = Models::Batch
  FileObject = Models::FileObject

  module Resources
    class Batches
      def create(params)
        @client.request(method: :post, path: "batches", body: params, model: OpenAI::Batch)
      end

      def retrieve(batch_id, params = {})
        @client.request(method: :get, path: ["batches/%1$s", batch_id], model: OpenAI::Batch)
      end

      def cancel(batch_id, params = {})
        @client.request(method: :post, path: ["batches/%1$s/cancel", batch_id], model: OpenAI::Batch)
      end

      def initialize(client:)
        @client = client
      end
    end

    class Files
      def create(params)
        @client.request(method: :post, path: "files", body: params, model: OpenAI::FileObject)
      end

      def content(file_id, params = {})
        @client.request(method: :get, path: ["files/%1$s/content", file_id], model: StringIO)
      end

      def initialize(client:)
        @client = client
      end
    end
  end

  # The client: its "server" is the directory base_url; last_returned is what the last
  # request returned.
  class Client
    attr_reader :batches, :files, :last_returned

    def initialize(api_key: nil, base_url: nil)
      @dir = base_url
      @batches = Resources::Batches.new(client: self)
      @files = Resources::Files.new(client: self)
    end

    def request(method:, path:, model:, body: nil, **)
      path = format(path[0], *path[1..]) if path.is_a?(Array)
      route = path.split("/")
      @last_returned =
        case [method, route]
        in [:post, ["files"]] then model.new(upload(body))
        in [:get, ["files", id, "content"]] then StringIO.new(File.read(File.join(@dir, id)))
        in [:post, ["batches"]] then model.new(create_batch(body))
        in [:get, ["batches", id]] then model.new(read_batch(id))
        in [:post, ["batches", id, "cancel"]] then model.new(read_batch(id).merge(status: "cancelling"))
        end
    end

    private

    def next_number
      count_file = File.join(@dir, "count")
      count = File.exist?(count_file) ? File.read(count_file).to_i + 1 : 1
      File.write(count_file, count.to_s)
      count
    end

    def upload(params)
      file = params[:file]
      bytes = file.is_a?(Pathname) ? file.read : file.read
      id = format("file-stand-in-%04d", next_number)
      File.write(File.join(@dir, id), bytes)
      { id: id, object: "file", bytes: bytes.bytesize, purpose: params[:purpose].to_s }
    end

    def create_batch(params)
      id = format("batch_stand_in_%04d", next_number)
      batch = { id: id, object: "batch", endpoint: params[:endpoint].to_s, errors: nil,
                input_file_id: params[:input_file_id], completion_window: "24h", status: "validating",
                output_file_id: nil, error_file_id: nil, created_at: 1_768_862_417,
                request_counts: { total: 0, completed: 0, failed: 0 }, metadata: params[:metadata] }
      File.write(File.join(@dir, "#{id}.json"), JSON.generate(batch))
      batch
    end

    def read_batch(id) = JSON.parse(File.read(File.join(@dir, "#{id}.json")), symbolize_names: true)
  end
end

# What the tests do as "the provider": end a batch with an output and an error file.
module OpenAIStandIn
  # Write batch id's result files and give the batch fields (wire fields, String keys).
  def self.finish(dir, id, output, errors, fields = {})
    File.write(File.join(dir, "file-out-#{id}"), output)
    File.write(File.join(dir, "file-err-#{id}"), errors)
    path = File.join(dir, "#{id}.json")
    batch = JSON.parse(File.read(path)).merge(fields)
                .merge("output_file_id" => "file-out-#{id}", "error_file_id" => "file-err-#{id}")
    File.write(path, JSON.generate(batch))
  end
end
