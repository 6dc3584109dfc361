#!/usr/bin/env bash
# make test: install what the tests need, then build and test twice at once: the gcc build
# (RelWithDebInfo, with the memcheck.* valgrind tests) and the clang build under
# AddressSanitizer and UndefinedBehaviorSanitizer, warnings as errors in both.
#   BUILD_DIR=build SANITIZE_DIR=build-sanitize JOBS=2 PYTHON=/usr/bin/python3 scripts/test.sh
# The clang build compiles while the gcc tests run (they mostly wait on processes and
# sockets); each ctest runs JOBS tests at a time and its output is printed when it ends.
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

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHTRACE_WERROR=ON \
    -DBATCHTRACE_PYTHON="$PYTHON" -DBATCHTRACE_PYTHON_REQUIRED=ON -DBATCHTRACE_RUBY_REQUIRED=ON \
    -DBATCHTRACE_MEMCHECK=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "make test: gcc tests (and memcheck.*) running while the sanitizer build compiles"
(cd "$BUILD_DIR" && ctest -j "$JOBS" --output-on-failure > ctest.log 2>&1) &
gcc_tests=$!

sanitize_status=0
CC=clang cmake -S . -B "$SANITIZE_DIR" -DCMAKE_BUILD_TYPE=Debug -DBATCHTRACE_SANITIZE=ON \
    -DBATCHTRACE_WERROR=ON >/dev/null || sanitize_status=$?
if [ "$sanitize_status" = 0 ]; then
    cmake --build "$SANITIZE_DIR" -j "$JOBS" || sanitize_status=$?
fi
if [ "$sanitize_status" = 0 ]; then
    (cd "$SANITIZE_DIR" && ctest -j "$JOBS" --output-on-failure > ctest.log 2>&1) || sanitize_status=$?
fi

gcc_status=0
wait "$gcc_tests" || gcc_status=$?
echo "==== gcc build ($BUILD_DIR/ctest.log)"
cat "$BUILD_DIR/ctest.log"
if [ -f "$SANITIZE_DIR/ctest.log" ]; then
    echo "==== clang ASan/UBSan build ($SANITIZE_DIR/ctest.log)"
    cat "$SANITIZE_DIR/ctest.log"
fi
echo "make test: builds and tests took $(($(date +%s) - installed)) s (installs apart)"
[ "$gcc_status" = 0 ] && [ "$sanitize_status" = 0 ]
