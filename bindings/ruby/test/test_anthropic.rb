# frozen_string_literal: true

# Batchtrace::Anthropic through the stand-in SDK (test/stand_in/anthropic.rb): the spans of
# create + results_streaming, the SDK's own return values, a second process, iterating twice,
# an early break, an unreachable endpoint, a broken store, the beta path, idempotence, and
# instrument! without the SDK.
require_relative "test_helper"
require "stringio"
require_relative "stand_in/anthropic"
require "batchtrace/anthropic"

class TestAnthropic < Minitest::Test
  include BatchtraceTest

  FIXTURE = File.join(FIXTURES, "anthropic-all-result-types")
  ENDED = JSON.parse(File.read(File.join(FIXTURE, "batch.json")))
              .slice("request_counts", "ended_at", "cancel_initiated_at").freeze
  STAND_IN = File.join(__dir__, "stand_in", "anthropic")

  def setup
    super
    @log = StringIO.new
    Batchtrace::Instrumentation.logger = Logger.new(@log)
    Batchtrace::Instrumentation.reset_reports
    Batchtrace::Anthropic.reset
    Batchtrace::Anthropic.instrument!
    @server = File.join(@dir, "server")
    Dir.mkdir(@server)
    @client = Anthropic::Client.new(api_key: "test", base_url: @server)
  end

  # The fixture's create params, as a caller writes them (Symbol keys).
  def params
    JSON.parse(File.read(File.join(FIXTURE, "requests.json")), symbolize_names: true)
  end

  def result_lines
    File.readlines(File.join(FIXTURE, "results.jsonl"), chomp: true)
  end

  # Create the fixture's batch with client and end it with all its results.
  def create_and_end(client = @client, batches = client.messages.batches)
    batch = batches.create(params)
    AnthropicStandIn.finish(@server, batch.id, result_lines, ENDED)
    batch
  end

  def test_create_then_results_streaming_gives_every_span
    batch = create_and_end
    assert_equal "ended", @client.messages.batches.retrieve(batch.id).processing_status
    seen = []
    @client.messages.batches.results_streaming(batch.id).each { |item| seen << item.custom_id }
    assert_equal %w[essay-grade-05 essay-grade-01 essay-grade-03 essay-grade-06 essay-grade-02
                    essay-grade-04], seen
    spans = read_spans
    submit = spans.find { |s| s["name"] == "anthropic.batch.submit" }
    task = spans.find { |s| s["name"] == "anthropic.batch" }
    items = items_by_custom_id(spans)
    assert_equal 8, spans.length
    assert_equal [submit["traceId"]], spans.map { |s| s["traceId"] }.uniq
    assert_equal batch.id, submit["attrs"]["batchtrace.batch.id"]
    assert_equal 6, submit["attrs"]["batchtrace.batch.request_count"]
    assert_equal [task["spanId"]] * 6, items.values.map { |s| s["parentSpanId"] }
    assert_equal({ "code" => 2, "message" => "batch canceled" }, task["status"])
    assert_equal "ended", task["attrs"]["batchtrace.batch.status"] # the retrieved batch object
    assert_nil task["attrs"]["batchtrace.task.provisional"]

    first = items.fetch("essay-grade-01")
    assert_equal "chat claude-haiku-4-5", first["name"]
    assert_equal "succeeded", first["attrs"]["batchtrace.result"]
    assert_equal [{ "role" => "user", "parts" => [{ "type" => "text", "content" =>
      "Essay: Homework should be optional because students learn best when they choose what to practise." }] }],
                 JSON.parse(first["attrs"]["gen_ai.input.messages"])
    assert_equal [{ "type" => "text", "content" =>
      "Grade: 3\nA clear claim, but it needs evidence that choice actually improves learning." }],
                 JSON.parse(first["attrs"]["gen_ai.output.messages"])[0]["parts"]
    assert_equal ["end_turn"], first["attrs"]["gen_ai.response.finish_reasons"]
    assert_equal 58, first["attrs"]["gen_ai.usage.input_tokens"]
    assert_equal 24, first["attrs"]["gen_ai.usage.output_tokens"]
    assert_equal 0, first["attrs"]["gen_ai.usage.cache_read.input_tokens"]
    assert_equal 0, first["attrs"]["gen_ai.usage.cache_creation.input_tokens"]
    assert_nil first["status"]

    assert_equal "chat claude-sonnet-4-5", items["essay-grade-03"]["name"]
    assert_equal({ "code" => 2, "message" => "temperature: range: 0..1" }, items["essay-grade-03"]["status"])
    assert_equal "errored", items["essay-grade-03"]["attrs"]["batchtrace.result"]
    assert_equal "canceled", items["essay-grade-04"]["attrs"]["batchtrace.result"]
    assert_equal({ "code" => 2, "message" => "request canceled before processing" },
                 items["essay-grade-04"]["status"])
    assert_equal "expired", items["essay-grade-06"]["attrs"]["batchtrace.result"]
    assert_equal({ "code" => 2, "message" => "request expired before processing" },
                 items["essay-grade-06"]["status"])
    assert_empty @log.string
  end

  def test_the_sdk_returns_the_same_objects_as_without_instrumentation
    plain = Anthropic::Client.new(api_key: "test", base_url: @server)
    batch = @client.messages.batches.create(params)
    assert_same @client.last_returned, batch
    assert_kind_of Anthropic::Messages::MessageBatch, batch
    AnthropicStandIn.finish(@server, batch.id, result_lines, ENDED)
    retrieved = @client.messages.batches.retrieve(batch.id)
    assert_same @client.last_returned, retrieved
    stream = @client.messages.batches.results_streaming(batch.id)
    assert_same @client.last_returned, stream
    assert_kind_of Anthropic::Internal::JsonLStream, stream
    items = stream.to_a
    refute_empty read_spans

    # The same calls through the SDK's own methods (under the patch): equal values.
    original = ->(name) { Anthropic::Resources::Messages::Batches.instance_method(name).super_method }
    assert_equal Anthropic::Resources::Messages::Batches, original.call(:retrieve).owner
    raw_batches = plain.messages.batches
    assert_equal retrieved, original.call(:retrieve).bind_call(raw_batches, batch.id)
    raw_items = original.call(:results_streaming).bind_call(raw_batches, batch.id).to_a
    assert_equal raw_items, items
    assert_equal raw_items.map(&:class), items.map(&:class)
    assert_equal [Anthropic::Messages::MessageBatchIndividualResponse], items.map(&:class).uniq
    assert_equal result_lines.map { |line| JSON.parse(line) }, items.map { |item| JSON.parse(item.to_json) }
  end

  def test_create_under_an_active_opentelemetry_span
    require_relative "stand_in/opentelemetry"
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    batch = OpenTelemetry::Trace.with_span(trace_id, "00f067aa0ba902b7") { create_and_end }
    @client.messages.batches.results_streaming(batch.id).to_a
    spans = read_spans
    submit = spans.find { |s| s["name"] == "anthropic.batch.submit" }
    task = spans.find { |s| s["name"] == "anthropic.batch" }
    assert_equal [trace_id], spans.map { |s| s["traceId"] }.uniq
    assert_equal ["00f067aa0ba902b7"] * 2, [submit["parentSpanId"], task["parentSpanId"]]
  ensure
    Object.send(:remove_const, :OpenTelemetry) if defined?(::OpenTelemetry)
  end

  def test_results_in_another_process_land_in_the_submitting_trace
    batch = create_and_end
    submit = read_spans.find { |s| s["name"] == "anthropic.batch.submit" }
    out = run_ruby(<<~RUBY)
      require #{STAND_IN.dump}
      require "batchtrace/anthropic"
      Batchtrace::Anthropic.instrument!
      client = Anthropic::Client.new(api_key: "test", base_url: #{@server.dump})
      puts client.messages.batches.results_streaming(#{batch.id.dump}).count
    RUBY
    assert_equal "6\n", out
    spans = read_spans
    assert_equal 8, spans.length
    assert_equal [submit["traceId"]], spans.map { |s| s["traceId"] }.uniq
    task = spans.find { |s| s["name"] == "anthropic.batch" }
    # Without the batch object in that process the task is provisional (its end unknown).
    assert_equal true, task["attrs"]["batchtrace.task.provisional"]
    assert_equal [task["spanId"]], items_by_custom_id(spans).values.map { |s| s["parentSpanId"] }.uniq
  end

  def test_iterating_twice_exports_nothing_the_second_time
    batch = create_and_end
    stream = @client.messages.batches.results_streaming(batch.id)
    assert_equal 6, stream.count
    exported = read_spans.length
    assert_equal 8, exported
    assert_equal 0, stream.count # the SDK's stream is single-pass
    assert_equal 6, @client.messages.batches.results_streaming(batch.id).count
    assert_equal exported, read_spans.length
    assert_empty @log.string
  end

  def test_an_early_break_collects_what_was_seen_and_leaves_the_rest
    batch = create_and_end
    @client.messages.batches.retrieve(batch.id)
    first_two = @client.messages.batches.results_streaming(batch.id).first(2)
    assert_equal %w[essay-grade-05 essay-grade-01], first_two.map(&:custom_id)
    spans = read_spans
    assert_equal %w[essay-grade-01 essay-grade-05], items_by_custom_id(spans).keys.sort
    assert_nil spans.find { |s| s["name"] == "anthropic.batch" }, "a partial read finished the task"

    error = assert_raises(RuntimeError) do
      @client.messages.batches.results_streaming(batch.id).each do |item|
        raise "stop" if item.custom_id == "essay-grade-06"
      end
    end
    assert_equal "stop", error.message
    assert_equal %w[essay-grade-01 essay-grade-03 essay-grade-05 essay-grade-06],
                 items_by_custom_id(read_spans).keys.sort
    assert_nil read_spans.find { |s| s["name"] == "anthropic.batch" }

    assert_equal 6, @client.messages.batches.results_streaming(batch.id).count
    spans = read_spans
    assert_equal 8, spans.length # each item once, then the task
    assert_equal 6, items_by_custom_id(spans).length
    assert_equal 1, spans.count { |s| s["name"] == "anthropic.batch" }
  end

  def test_an_interrupt_in_the_block_exports_and_marks_nothing
    batch = create_and_end
    assert_raises(Interrupt) do
      @client.messages.batches.results_streaming(batch.id).each_with_index do |_item, index|
        raise Interrupt if index == 2
      end
    end
    assert_equal ["anthropic.batch.submit"], read_spans.map { |s| s["name"] }
    assert_equal 6, @client.messages.batches.results_streaming(batch.id).count
    assert_equal 6, items_by_custom_id(read_spans).length
    assert_empty @log.string
  end

  def test_an_unreachable_endpoint_never_raises_and_spools
    Batchtrace::Anthropic.instrument!(exporter: "otlp", endpoint: "http://127.0.0.1:9",
                                      export_timeout: 1)
    batch = create_and_end
    assert_equal 6, @client.messages.batches.results_streaming(batch.id).to_a.length
    assert_equal 2, @log.string.lines.length, @log.string
    assert_match(/ 1 spans were not delivered: spooled in sqlite:\S+ \(Batchtrace.flush sends them\)/,
                 @log.string.lines[0]) # the submit span
    assert_match(/ 7 spans were not delivered: spooled in sqlite:\S+ \(Batchtrace.flush sends them\)/,
                 @log.string.lines[1])
    flushed = Batchtrace.flush(endpoint: "http://127.0.0.1:9", export_timeout: 1)
    assert_equal 8, flushed["spans_found"] # the submit span and the collect's 7
  end

  def test_a_broken_store_is_logged_once_and_the_sdk_answers
    File.write("not-a-dir", "")
    Batchtrace::Anthropic.instrument!(store: "sqlite:#{@dir}/not-a-dir/store.db")
    batch = create_and_end
    assert_equal "msgbatch_stand_in_0001", batch.id
    stream = @client.messages.batches.results_streaming(batch.id)
    assert_equal 6, stream.map(&:custom_id).length
    assert_equal 2, @log.string.lines.length, @log.string
    assert_match(/batch not started: .*store/, @log.string.lines[0])
    assert_match(/results not collected: /, @log.string.lines[1])
    assert_empty read_spans
  end

  def test_the_beta_path
    batch = create_and_end(@client, @client.beta.messages.batches)
    assert_kind_of Anthropic::Beta::Messages::BetaMessageBatch, batch
    items = @client.beta.messages.batches.results_streaming(batch.id).to_a
    assert_equal [Anthropic::Beta::Messages::BetaMessageBatchIndividualResponse], items.map(&:class).uniq
    assert_equal 6, items_by_custom_id(read_spans).length
  end

  def test_instrument_is_idempotent
    assert Batchtrace::Anthropic.instrument!
    assert Batchtrace::Anthropic.instrument!
    assert_equal 1, Anthropic::Resources::Messages::Batches.ancestors.count(Batchtrace::Anthropic::BatchesPatch)
    assert_equal 1, Anthropic::Resources::Beta::Messages::Batches.ancestors
                                                             .count(Batchtrace::Anthropic::BatchesPatch)
    batch = create_and_end
    @client.messages.batches.results_streaming(batch.id).to_a
    assert_equal 8, read_spans.length
  end

  def test_instrument_one_client
    fixture = FIXTURE.dump
    out = run_ruby(<<~RUBY)
      require #{STAND_IN.dump}
      require "batchtrace/anthropic"
      Dir.mkdir("one")
      traced = Anthropic::Client.new(api_key: "test", base_url: "one")
      other = Anthropic::Client.new(api_key: "test", base_url: "one")
      p Batchtrace::Anthropic.instrument!(traced, output: "traced.jsonl")
      p Anthropic::Resources::Messages::Batches.ancestors.include?(Batchtrace::Anthropic::BatchesPatch)
      params = JSON.parse(File.read(File.join(#{fixture}, "requests.json")), symbolize_names: true)
      [traced, other].each { |client| client.beta.messages.batches.create(params) }
    RUBY
    assert_equal "true\nfalse\n", out
    submits = read_spans("traced.jsonl")
    assert_equal ["anthropic.batch.submit"], submits.map { |s| s["name"] }
    assert_equal "msgbatch_stand_in_0001", submits[0]["attrs"]["batchtrace.batch.id"]
  end

  def test_instrument_without_the_sdk_is_a_no_op
    out = run_ruby(<<~RUBY)
      require "batchtrace/anthropic"
      p Batchtrace::Anthropic.instrument!
      p defined?(::Anthropic)
      module Anthropic; module Resources; class Messages; class Batches; def create(params) = :sdk; end; end; end; end
      p Anthropic::Resources::Messages::Batches.ancestors.include?(Batchtrace::Anthropic::BatchesPatch)
    RUBY
    assert_equal "false\nnil\nfalse\n", out
  end
end
