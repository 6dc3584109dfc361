# frozen_string_literal: true

# Shared by the tests: each test runs in its own directory (the default output
# ./batchtrace-spans.jsonl lands there) with its own store, a pinned collection time, no OTLP
# endpoint and no ambient TRACEPARENT; spans are read back from the file exporter's
# OTLP/JSON lines.
require "minitest/autorun"
require "json"
require "rbconfig"
require "tmpdir"
require "batchtrace"

REPO = File.expand_path("../../..", __dir__)
FIXTURES = File.join(REPO, "tests", "fixtures")

module BatchtraceTest
  ENV_NAMES = %w[BATCHTRACE_STORE BATCHTRACE_NOW OTEL_EXPORTER_OTLP_ENDPOINT
                 OTEL_EXPORTER_OTLP_TRACES_ENDPOINT TRACEPARENT BRAINTRUST_PARENT].freeze

  def setup
    super
    @saved_env = ENV.to_h.slice(*ENV_NAMES)
    ENV_NAMES.each { |name| ENV.delete(name) }
    @dir = Dir.mktmpdir("batchtrace-ruby")
    @saved_cwd = Dir.pwd
    Dir.chdir(@dir)
    ENV["BATCHTRACE_STORE"] = "sqlite:#{File.join(@dir, 'store.db')}"
    ENV["BATCHTRACE_NOW"] = "2026-03-01T12:00:00Z"
  end

  def teardown
    Dir.chdir(@saved_cwd)
    FileUtils.rm_rf(@dir)
    ENV_NAMES.each { |name| ENV.delete(name) }
    @saved_env.each { |name, value| ENV[name] = value }
    super
  end

  # Every span of an OTLP/JSON lines file, with "attrs" holding its attributes as plain
  # values.
  def read_spans(path = "batchtrace-spans.jsonl")
    return [] unless File.exist?(path)

    File.readlines(path).flat_map do |line|
      JSON.parse(line)["resourceSpans"].flat_map do |resource|
        resource["scopeSpans"].flat_map do |scope|
          scope["spans"].each do |span|
            span["attrs"] = span["attributes"].to_h { |a| [a["key"], any_value(a["value"])] }
          end
        end
      end
    end
  end

  # An OTLP/JSON AnyValue as a Ruby value.
  def any_value(value)
    kind, inner = value.first
    case kind
    when "arrayValue" then inner.fetch("values", []).map { |v| any_value(v) }
    when "intValue" then Integer(inner)
    else inner
    end
  end

  # The item spans of spans by custom_id.
  def items_by_custom_id(spans)
    spans.select { |s| s["attrs"].key?("batchtrace.custom_id") }
         .to_h { |s| [s["attrs"]["batchtrace.custom_id"], s] }
  end

  # Run Ruby code in another process with this one's load path; returns its stdout.
  def run_ruby(code, env = {})
    includes = $LOAD_PATH.flat_map { |dir| ["-I", File.expand_path(dir)] }
    out = IO.popen(env, [RbConfig.ruby, *includes, "-e", code], err: %i[child out], &:read)
    assert $?.success?, "the child failed:\n#{out}"
    out
  end

  def read_jsonl(path)
    File.readlines(path).reject { |line| line.strip.empty? }.map { |line| JSON.parse(line) }
  end
end
