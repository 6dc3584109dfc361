#!/usr/bin/env bash
# make test: install what the tests need, then build and test twice at once: the gcc build
# (RelWithDebInfo, with the memcheck.* valgrind tests) and the clang build under
# AddressSanitizer and UndefinedBehaviorSanitizer, warnings as errors in both.
#   BUILD_DIR=build SANITIZE_DIR=build-sanitize JOBS=2 PYTHON=/usr/bin/python3 scripts/test.sh
# The clang build compiles first; its tests run while the gcc build compiles and then beside
# the gcc tests (they mostly wait on processes and sockets); each ctest runs JOBS tests at a
# time and its output is printed when both end. Every test runs in one build at least: the
# label make_test_sanitize_only keeps a test out of the gcc run, make_test_gcc_only out of
# the clang run (CMakeLists.txt; docs/design.md, "make test time").
# Prints the install time and the test time apart; exit 1 when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SANITIZE_DIR=${SANITIZE_DIR:-build-sanitize}
JOBS=${JOBS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}

start=$(date +%s)
sh scripts/install-deps.sh test
# shellcheck source=tests/cli/lib.sh
(. tests/cli/lib.sh && bt_oracle_ready && bt_proxy_clients_ready)
installed=$(date +%s)
echo "make test: installs took $((installed - start)) s"

rm -f "$BUILD_DIR/ctest.log" "$SANITIZE_DIR/ctest.log"
sanitize_status=0
CC=clang cmake -S . -B "$SANITIZE_DIR" -DCMAKE_BUILD_TYPE=Debug -DBATCHTRACE_SANITIZE=ON \
    -DBATCHTRACE_WERROR=ON >/dev/null || sanitize_status=$?
if [ "$sanitize_status" = 0 ]; then
    cmake --build "$SANITIZE_DIR" -j "$JOBS" || sanitize_status=$?
fi
sanitize_tests=
if [ "$sanitize_status" = 0 ]; then
    echo "make test: clang build took $(($(date +%s) - installed)) s; its tests run while gcc builds"
    (cd "$SANITIZE_DIR" && ctest -j "$JOBS" -LE make_test_gcc_only --output-on-failure \
        > ctest.log 2>&1) &
    sanitize_tests=$!
fi

gcc_status=0
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_WERROR=ON \
    -DBATCHTRACE_PYTHON="$PYTHON" -DBATCHTRACE_PYTHON_REQUIRED=ON -DBATCHTRACE_RUBY_REQUIRED=ON \
    -DBATCHTRACE_MEMCHECK=ON >/dev/null || gcc_status=$?
if [ "$gcc_status" = 0 ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS" || gcc_status=$?
fi
if [ "$gcc_status" = 0 ]; then
    echo "make test: gcc build done at $(($(date +%s) - installed)) s; its tests running"
    (cd "$BUILD_DIR" && ctest -j "$JOBS" -LE make_test_sanitize_only --output-on-failure \
        > ctest.log 2>&1) || gcc_status=$?
fi
echo "make test: gcc tests done at $(($(date +%s) - installed)) s"
if [ -n "$sanitize_tests" ]; then
    wait "$sanitize_tests" || sanitize_status=$?
    echo "make test: clang tests done at $(($(date +%s) - installed)) s"
fi

if [ -f "$BUILD_DIR/ctest.log" ]; then
    echo "==== gcc build ($BUILD_DIR/ctest.log)"
    cat "$BUILD_DIR/ctest.log"
fi
if [ -f "$SANITIZE_DIR/ctest.log" ]; then
    echo "==== clang ASan/UBSan build ($SANITIZE_DIR/ctest.log)"
    cat "$SANITIZE_DIR/ctest.log"
fi
echo "make test: builds and tests took $(($(date +%s) - installed)) s (installs apart)"
[ "$gcc_status" = 0 ] && [ "$sanitize_status" = 0 ]
