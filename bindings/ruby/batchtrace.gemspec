# frozen_string_literal: true

# The batchtrace gem: `gem build batchtrace.gemspec` here, then `gem install
# batchtrace-VERSION.gem` (offline). Its extension is built against an installed libbatchtrace
# (`make install` in the checkout; ext/batchtrace/extconf.rb). The version is the project's
# (CMakeLists.txt).
version = File.read(File.expand_path("../../CMakeLists.txt", __dir__))[/project\(batchtrace VERSION ([0-9.]+)/, 1]

Gem::Specification.new do |spec|
  spec.name = "batchtrace"
  spec.version = version
  spec.summary = "LLM batch results (OpenAI Batch, Anthropic Message Batches) as OpenTelemetry traces"
  spec.description = "Ruby binding of libbatchtrace: log_batch_results, start, collect, flush, " \
                     "and instrumentation of the anthropic and openai gems' batches."
  spec.authors = ["batchtrace"]
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb", "ext/batchtrace/*.{c,rb}"] }
  spec.extensions = ["ext/batchtrace/extconf.rb"]
  spec.require_paths = ["lib"]
end
