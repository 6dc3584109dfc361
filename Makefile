# The two things a newcomer types: `make demo` and `make test`. CMake does the building.
BUILD_DIR ?= build
SANITIZE_DIR ?= build-sanitize
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS += --no-print-directory

.PHONY: all build demo test deps deps-test clean bench deps-bench fuzz tsan install python deps-python \
	bench-python ruby deps-ruby

all: build

deps:
	@sh scripts/install-deps.sh build

deps-test:
	@sh scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Install under $(DESTDIR)$(PREFIX): bin/batchtrace, include/batchtrace.h,
# lib/libbatchtrace.a, lib/libbatchtrace.so (SONAME libbatchtrace.so.0) and
# lib/pkgconfig/batchtrace.pc. DESTDIR stages the tree (for a package); the .pc file's paths
# are relative to where it lies, so pkg-config works from the staged tree too.
PREFIX ?= /usr/local
DESTDIR ?=
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# Collect the bundled OpenAI and Anthropic examples with the embedded default exporter
# (OTLP/JSON lines in ./batchtrace-spans.jsonl).
demo: build
	@sh scripts/demo.sh $(BUILD_DIR)/batchtrace

# Unit tests, the header test, the end-to-end CLI tests with the OTLP oracle and a subset of
# the CLI cases under valgrind memcheck, built with gcc; and the tests again built with clang
# under AddressSanitizer and UndefinedBehaviorSanitizer (the slow CLI scripts there only);
# warnings are errors in both. Both ctests run $(JOBS) tests at a time, side by side
# (scripts/test.sh, tests/cli/README.md, docs/design.md "make test time").
test:
	@BUILD_DIR=$(BUILD_DIR) SANITIZE_DIR=$(SANITIZE_DIR) JOBS=$(JOBS) PYTHON=$(PYTHON) \
		bash scripts/test.sh

# The Python package (bindings/python): the extension built for $(PYTHON) (Debian's
# interpreter, whose python3-dev and python3-pytest the tests use) into
# $(BUILD_DIR)/python, importable with PYTHONPATH=$(BUILD_DIR)/python.
PYTHON ?= /usr/bin/python3

deps-python:
	@sh scripts/install-deps.sh python

python: deps-python
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_PYTHON=$(PYTHON) \
		-DBATCHTRACE_PYTHON_REQUIRED=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target batchtrace_python
	@echo "batchtrace for Python: PYTHONPATH=$(BUILD_DIR)/python $(PYTHON) -c 'import batchtrace'"

# The Ruby gem's library (bindings/ruby): the extension built by CMake for $(RUBY) (Debian's,
# whose ruby-dev and ruby-minitest the tests use) into $(BUILD_DIR)/ruby, loadable with
# ruby -I$(BUILD_DIR)/ruby. `gem build` in bindings/ruby makes the gem (README.md, "Ruby").
RUBY ?= /usr/bin/ruby

deps-ruby:
	@sh scripts/install-deps.sh ruby

ruby: deps-ruby
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_RUBY=$(RUBY) \
		-DBATCHTRACE_RUBY_REQUIRED=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target batchtrace_ruby
	@echo "batchtrace for Ruby: $(RUBY) -I$(BUILD_DIR)/ruby -e 'require \"batchtrace\"'"

# The benchmark (bench/README.md): a Release build in $(BENCH_DIR), batches generated once
# into $(BENCH_DIR)/bench-data, then batchtrace against the OpenTelemetry JS SDK and a
# parse-only floor; prints the table and the ratios of this run.
BENCH_DIR ?= build-bench

deps-bench:
	@sh scripts/install-deps.sh bench

bench: deps-bench
	@BENCH_BUILD_DIR=$(BENCH_DIR) bash bench/run.sh

# The Python binding's benchmark (bench/README.md): log_batch_results on 50,000 OpenAI items
# in dicts against json.dumps of the same dicts, and a generator of 1,000,000 result lines.
bench-python: python
	@PYTHONPATH=$(BUILD_DIR)/python $(PYTHON) bench/python.py

# The libFuzzer targets (fuzz/README.md): a clang build with -DBATCHTRACE_FUZZ=ON in
# $(FUZZ_DIR), then each target in turn for FUZZ_SECONDS, seeded from the fixtures.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

fuzz: deps-test
	@CC=clang cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# ThreadSanitizer over the code that runs threads (docs/design.md, "Threads under
# ThreadSanitizer"): a clang build with -DBATCHTRACE_TSAN=ON in $(TSAN_DIR), then the unit
# tests and the CLI scripts of collect's workers, the file exporter's syncer, the store,
# sync's downloads and the proxy. A race makes its test fail (exit code 66); run the test's
# script by hand to read the report. Not part of `make test` (two to five minutes here).
TSAN_DIR ?= build-tsan
TSAN_TESTS ?= ^(unit\.test_(line_chunks|exporter_file|store|marks|source|api_sources|proxy_tap)|cli\.(cases|export|lifecycle|crash|output_file|sync|proxy))$$

tsan: deps-test
	@CC=clang cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_TSAN=ON >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS)
	@cd $(TSAN_DIR) && ctest -j $(JOBS) --output-on-failure -R '$(TSAN_TESTS)' -E '\.pg$$'

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR) $(TSAN_DIR)
