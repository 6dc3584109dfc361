# The two things a newcomer types: `make demo` and `make test`. CMake does the building.
BUILD_DIR ?= build
SANITIZE_DIR ?= build-sanitize
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS += --no-print-directory

.PHONY: all build demo test deps deps-test clean

all: build

deps:
	@sh scripts/install-deps.sh build

deps-test:
	@sh scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Collect the bundled OpenAI and Anthropic examples with the embedded default exporter
# (OTLP/JSON lines in ./batchtrace-spans.jsonl).
demo: build
	@sh scripts/demo.sh $(BUILD_DIR)/batchtrace

# Unit tests, the header test and the end-to-end CLI tests with the OTLP oracle: once built
# with gcc, once with clang under AddressSanitizer and UndefinedBehaviorSanitizer; warnings
# are errors in both.
test: deps-test
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_WERROR=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@cd $(BUILD_DIR) && ctest --output-on-failure
	@CC=clang cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DBATCHTRACE_SANITIZE=ON \
		-DBATCHTRACE_WERROR=ON >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && ctest --output-on-failure

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
