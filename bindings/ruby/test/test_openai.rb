# frozen_string_literal: true

# Batchtrace::OpenAI through the stand-in SDK (test/stand_in/openai.rb): upload, create,
# retrieve, then the output and error files' content; instrument! without the SDK.
require_relative "test_helper"
require_relative "stand_in/openai"
require "batchtrace/openai"

class TestOpenAI < Minitest::Test
  include BatchtraceTest

  FIXTURE = File.join(FIXTURES, "openai-chat-all-outcomes")
  ENDED = JSON.parse(File.read(File.join(FIXTURE, "batch.json")))
              .slice("status", "request_counts", "expired_at", "in_progress_at", "finalizing_at").freeze

  def setup
    super
    @log = StringIO.new
    Batchtrace::Instrumentation.logger = Logger.new(@log)
    Batchtrace::Instrumentation.reset_reports
    Batchtrace::OpenAI.reset
    assert Batchtrace::OpenAI.instrument!
    @server = File.join(@dir, "server")
    Dir.mkdir(@server)
    @client = OpenAI::Client.new(api_key: "test", base_url: @server)
  end

  # Upload input (a StringIO or a Pathname), create the batch, end it with the fixture's files.
  def submit_and_end(input)
    file = @client.files.create(file: input, purpose: :batch)
    batch = @client.batches.create(input_file_id: file.id, endpoint: :"/v1/chat/completions",
                                   completion_window: :"24h")
    assert_same @client.last_returned, batch
    OpenAIStandIn.finish(@server, batch.id, File.read(File.join(FIXTURE, "output.jsonl")),
                         File.read(File.join(FIXTURE, "errors.jsonl")), ENDED)
    @client.batches.retrieve(batch.id)
  end

  def test_upload_create_and_both_result_files
    batch = submit_and_end(StringIO.new(File.read(File.join(FIXTURE, "input.jsonl"))))
    submit = read_spans.find { |s| s["name"] == "openai.batch.submit" }
    assert_equal batch.id, submit["attrs"]["batchtrace.batch.id"]
    assert_equal 5, submit["attrs"]["batchtrace.batch.request_count"]

    output = @client.files.content(batch.output_file_id)
    assert_same @client.last_returned, output
    assert_equal [0, File.read(File.join(FIXTURE, "output.jsonl"))], [output.pos, output.string]
    spans = read_spans
    assert_equal 2, items_by_custom_id(spans).length
    assert_nil spans.find { |s| s["name"] == "openai.batch" }, "the task ended without the error file"

    @client.files.content(batch.error_file_id)
    spans = read_spans
    items = items_by_custom_id(spans)
    task = spans.find { |s| s["name"] == "openai.batch" }
    assert_equal 5, items.length
    assert_equal [submit["traceId"]], spans.map { |s| s["traceId"] }.uniq
    assert_equal [task["spanId"]], items.values.map { |s| s["parentSpanId"] }.uniq
    assert_equal({ "code" => 2, "message" => "batch expired" }, task["status"])
    assert_equal ["chat gpt-4o-mini"], items.values.map { |s| s["name"] }.uniq
    assert_equal 1, spans.count { |s| s["name"] == "openai.batch" }
    assert_empty @log.string
  end

  def test_a_pathname_input_and_an_untraceable_one
    batch = submit_and_end(Pathname.new(File.join(FIXTURE, "input.jsonl")))
    @client.files.content(batch.output_file_id)
    @client.files.content(batch.error_file_id)
    assert_equal 7, read_spans.length

    @client.files.create(file: Object.new.tap { |o| def o.read = "" }, purpose: "batch")
    assert_match(/batch input not kept: a batch input given as Object cannot be traced/, @log.string)
  end

  def test_instrument_without_the_sdk_is_a_no_op
    out = run_ruby(<<~RUBY)
      require "batchtrace/openai"
      p Batchtrace::OpenAI.instrument!
      p defined?(::OpenAI)
    RUBY
    assert_equal "false\nnil\n", out
  end
end
