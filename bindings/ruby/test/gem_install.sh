#!/usr/bin/env bash
# The gem as a user installs it, offline: `cmake --install` of the build into a staging
# prefix (libbatchtrace and batchtrace.pc), `gem build` of bindings/ruby, `gem install
# --local` into a private GEM_HOME with PKG_CONFIG_PATH pointing at the staged .pc, then a
# Ruby that finds batchtrace only through that GEM_HOME logs a batch.
#   bindings/ruby/test/gem_install.sh BUILD_DIR RUBY   (BUILD_DIR absolute)
. "$(dirname "$0")/../../../tests/cli/lib.sh"

BUILD=$1
RUBY=$2
GEM=$(dirname "$RUBY")/gem
cd "$BT_REPO_ROOT"

STAGE=$BT_TMP/stage
DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr/local >"$BT_TMP/install.log"
PC_DIR=$(dirname "$(find "$STAGE" -name batchtrace.pc | head -n 1)")
(cd bindings/ruby && "$GEM" build batchtrace.gemspec --output "$BT_TMP/batchtrace.gem") >"$BT_TMP/build.log"
PKG_CONFIG_PATH=$PC_DIR "$GEM" install --local --no-document --install-dir "$BT_TMP/gems" \
    "$BT_TMP/batchtrace.gem" >"$BT_TMP/gem-install.log" 2>&1 || {
    cat "$BT_TMP/gem-install.log" >&2
    exit 1
}

cd "$BT_TMP"
out=$(GEM_HOME=$BT_TMP/gems GEM_PATH=$BT_TMP/gems BATCHTRACE_STORE=sqlite:$BT_TMP/store.db \
    "$RUBY" -e '
require "batchtrace"
extension = $LOADED_FEATURES.grep(/batchtrace_ext/).first
abort "loaded #{extension}, not the installed gem" unless extension.start_with?(ENV["GEM_HOME"])
requests = [{ custom_id: "a", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] } }]
results = [{ custom_id: "a", response: { status_code: 200, body: { model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }] } } }]
summary = Batchtrace.log_batch_results(requests, results, trace_id: "1" * 32)
puts [Batchtrace::VERSION, summary["exit_code"], summary["items"]["succeeded"]].join(" ")')
expected="$("$BUILD/batchtrace" --version | awk '{print $2}') 0 1"
if [ "$out" != "$expected" ]; then
    echo "FAIL gem_install: got '$out', expected '$expected'"
    exit 1
fi
[ "$(grep -c '"traceId":"11111111111111111111111111111111"' batchtrace-spans.jsonl)" = 1 ] || {
    echo "FAIL gem_install: no span in trace 1111...: $(cat batchtrace-spans.jsonl)"
    exit 1
}
echo "ok gem_install ($out)"
