# frozen_string_literal: true

# The gem's own calls: log_batch_results from Arrays, Enumerators, Strings and paths;
# start, bind, collect and flush; Batchtrace::Error.
require_relative "test_helper"
require "pathname"

class TestBatchtrace < Minitest::Test
  include BatchtraceTest

  REQUESTS = [
    { custom_id: "q1", method: "POST", url: "/v1/chat/completions",
      body: { model: :"gpt-4o-mini", messages: [{ role: "user", content: "Say hi" }] } },
    { "custom_id" => "q2", "body" => { "model" => "gpt-4o-mini",
                                       "messages" => [{ "role" => "user", "content" => "Say bye" }] } }
  ].freeze

  # The OpenAI output line of custom_id with text and usage.
  def result(custom_id, text, prompt_tokens)
    { id: "batch_req_#{custom_id}", custom_id: custom_id,
      response: { status_code: 200, request_id: "req_#{custom_id}",
                  body: { id: "chatcmpl-#{custom_id}", object: "chat.completion", created: 1_767_225_600,
                          model: "gpt-4o-mini-2024-07-18",
                          choices: [{ index: 0, message: { role: "assistant", content: text },
                                      finish_reason: "stop" }],
                          usage: { prompt_tokens: prompt_tokens, completion_tokens: 3,
                                   total_tokens: prompt_tokens + 3 } } },
      error: nil }
  end

  def results
    [result("q1", "hi", 20), result("q2", "bye", 21)]
  end

  def test_log_batch_results_from_hashes_with_symbols
    summary = Batchtrace.log_batch_results(REQUESTS, results)
    assert_equal 0, summary["exit_code"]
    assert_equal 2, summary["items"]["succeeded"]
    items = items_by_custom_id(read_spans)
    assert_equal %w[q1 q2], items.keys.sort
    first = items["q1"]
    assert_equal "chat gpt-4o-mini", first["name"]
    assert_equal [{ "role" => "user", "parts" => [{ "type" => "text", "content" => "Say hi" }] }],
                 JSON.parse(first["attrs"]["gen_ai.input.messages"])
    assert_equal [{ "type" => "text", "content" => "hi" }],
                 JSON.parse(first["attrs"]["gen_ai.output.messages"])[0]["parts"]
    assert_equal 20, first["attrs"]["gen_ai.usage.input_tokens"]
    assert_equal 3, first["attrs"]["gen_ai.usage.output_tokens"]
  end

  def test_trace_id_as_string_or_integer
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    Batchtrace.log_batch_results(REQUESTS, results, trace_id: trace_id)
    Batchtrace.log_batch_results(REQUESTS, results, trace_id: trace_id.to_i(16), output: "int.jsonl")
    assert_equal [trace_id], read_spans.map { |s| s["traceId"] }.uniq
    assert_equal [trace_id], read_spans("int.jsonl").map { |s| s["traceId"] }.uniq
    assert_raises(TypeError) { Batchtrace.log_batch_results(REQUESTS, results, trace_id: 1.5) }
    error = assert_raises(Batchtrace::Error) do
      Batchtrace.log_batch_results(REQUESTS, results, trace_id: "not-hex")
    end
    assert_match(/32 hex digits/, error.message)
    assert_equal 2, error.exit_code
  end

  def test_enumerator_jsonl_string_and_path_are_the_same_batch
    lines = results.map { |r| JSON.generate(r) }
    File.write("results.jsonl", lines.join("\n"))
    a = Batchtrace.log_batch_results(REQUESTS, results.each, output: "a.jsonl", trace_id: "1" * 32)
    b = Batchtrace.log_batch_results(REQUESTS, lines.join("\n"), output: "b.jsonl", trace_id: "1" * 32)
    c = Batchtrace.log_batch_results(REQUESTS, Pathname.new("results.jsonl"), output: "c.jsonl",
                                                                              trace_id: "1" * 32)
    d = Batchtrace.log_batch_results(REQUESTS, "results.jsonl", output: "d.jsonl", trace_id: "1" * 32)
    spans = %w[a b c d].map { |name| read_spans("#{name}.jsonl").map { |s| [s["spanId"], s["attrs"]] } }
    assert_equal 3, spans[0].length
    assert_equal [spans[0]] * 4, spans
    assert_equal [2] * 4, [a, b, c, d].map { |s| s["items"]["succeeded"] }
  end

  def test_enumerator_error_is_raised_again
    failing = Enumerator.new do |y|
      y << result("q1", "hi", 20)
      raise IOError, "the disk went away"
    end
    error = assert_raises(IOError) { Batchtrace.log_batch_results(REQUESTS, failing) }
    assert_equal "the disk went away", error.message
    assert_empty read_spans
  end

  def test_rejected_lines_are_in_the_summary
    summary = Batchtrace.log_batch_results(REQUESTS, [results[0], "{broken", results[1]])
    assert_equal 3, summary["exit_code"]
    assert_equal ["<results>", 2], summary["rejected"][0].values_at("file", "line")
  end

  def test_unreadable_path_raises_error
    error = assert_raises(Batchtrace::Error) do
      Batchtrace.log_batch_results(REQUESTS, Pathname.new("missing.jsonl"))
    end
    assert_equal 1, error.exit_code
    assert_match(/missing.jsonl/, error.message)
  end

  def test_start_collect_and_collect_again
    context, metadata = Batchtrace.start(REQUESTS, provider: :openai)
    assert_equal({ "batchtrace_ctx" => context }, metadata)
    Batchtrace.bind("batch_abc", context)
    summary = Batchtrace.collect(results, batch_id: "batch_abc")
    assert_equal 2, summary["spans_exported"] - 1
    spans = read_spans
    submit = spans.find { |s| s["name"] == "openai.batch.submit" }
    assert_equal [submit["traceId"]], spans.map { |s| s["traceId"] }.uniq
    again = Batchtrace.collect(results, batch_id: "batch_abc")
    assert_equal 2, again["items_skipped"]
    assert_equal spans.length, read_spans.length
    error = assert_raises(Batchtrace::Error) { Batchtrace.bind("batch_other", context) }
    assert_match(/already bound|bound to/, error.message)
  end

  def test_flush_with_an_empty_spool
    summary = Batchtrace.flush(endpoint: "http://127.0.0.1:9")
    assert_equal 0, summary["exit_code"]
    assert_equal 0, summary["spans_found"]
  end
end
