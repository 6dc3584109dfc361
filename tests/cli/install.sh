#!/usr/bin/env bash
# `cmake --install` (what `make install PREFIX=... DESTDIR=...` runs) into a staging
# directory, then a small program built against the staged tree with nothing but
# `pkg-config --cflags --libs batchtrace` (PKG_CONFIG_PATH pointed there): linked with the
# shared library and, apart, with the static one, and run. Also: the shared library's
# SONAME and that it exports batchtrace_* and nothing else.
#   tests/cli/install.sh BUILD_DIR CC [CFLAG...]   (CFLAGs: the sanitizer flags of the build)
. "$(dirname "$0")/lib.sh"

BUILD=$1
CC=$2
shift 2
CFLAGS=("$@")
passed=0
failed=0
cd "$BT_REPO_ROOT"
command -v pkg-config >/dev/null || { echo "$0: needs pkg-config (scripts/install-deps.sh)" >&2; exit 1; }

# check NAME CONDITION_TEXT...: records a check (the condition is evaluated with eval).
check() {
    local name=$1
    shift
    if eval "$@"; then
        echo "ok $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: $*"
        failed=$((failed + 1))
    fi
}

STAGE=$BT_TMP/stage
PREFIX=/usr/local
DESTDIR=$STAGE cmake --install "$BUILD" --prefix "$PREFIX" >"$BT_TMP/install.log" 2>&1 || true
ROOT=$STAGE$PREFIX
LIBDIR=$(sed -n 's/^libdir=${prefix}\///p' "$BUILD/batchtrace.pc" 2>/dev/null || true)
LIBDIR=${LIBDIR:-lib}
check installs_the_tool '[ -x "$ROOT/bin/batchtrace" ] && "$ROOT/bin/batchtrace" --version | grep -q "^batchtrace "'
check installs_the_header '[ -f "$ROOT/include/batchtrace.h" ]'
check installs_the_static_library '[ -f "$ROOT/$LIBDIR/libbatchtrace.a" ]'
check installs_the_shared_library '[ -L "$ROOT/$LIBDIR/libbatchtrace.so" ] && [ -L "$ROOT/$LIBDIR/libbatchtrace.so.0" ] && [ -f "$ROOT/$LIBDIR/libbatchtrace.so.0.1.0" ]'
check installs_the_pc_file '[ -f "$ROOT/$LIBDIR/pkgconfig/batchtrace.pc" ]'
check shared_library_soname '[ "$(readelf -d "$ROOT/$LIBDIR/libbatchtrace.so" | sed -n "s/.*Library soname: \[\(.*\)\]/\1/p")" = libbatchtrace.so.0 ]'
check exports_only_batchtrace_symbols '[ -z "$(nm -D --defined-only "$ROOT/$LIBDIR/libbatchtrace.so" | awk "{print \$3}" | grep -v "^batchtrace_")" ] && nm -D --defined-only "$ROOT/$LIBDIR/libbatchtrace.so" | grep -q " batchtrace_collect$"'
# The proxy (src/proxy/, libmicrohttpd) is the tool's alone: neither library holds it, links
# libmicrohttpd or asks for it in batchtrace.pc; nor does a binding built beside them.
check library_needs_no_libmicrohttpd '! readelf -d "$ROOT/$LIBDIR/libbatchtrace.so" | grep -q "NEEDED.*microhttpd" && ! grep -q microhttpd "$ROOT/$LIBDIR/pkgconfig/batchtrace.pc" && ! nm "$ROOT/$LIBDIR/libbatchtrace.a" 2>/dev/null | grep -q " [TU] MHD_\| T proxy_run$"'
for binding in "$BUILD"/python/batchtrace/_batchtrace*.so "$BUILD"/ruby/batchtrace/batchtrace_ext.so; do
    [ -f "$binding" ] || continue
    check "$(basename "$(dirname "$(dirname "$binding")")")_binding_needs_no_libmicrohttpd" \
        '! readelf -d "$binding" | grep -q "NEEDED.*microhttpd"'
done

export PKG_CONFIG_PATH=$ROOT/$LIBDIR/pkgconfig
cat >"$BT_TMP/app.c" <<'PROGRAM'
/* Collect one results file to a file of spans through the installed library. */
#include <batchtrace.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    const char *results[] = {argv[1]};
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_paths = results;
    options.results_count = 1;
    options.exporter = "file";
    options.output_path = argv[2];
    batchtrace_summary *summary = NULL;
    int rc = batchtrace_collect(&summary, &options);
    printf("batchtrace %s: rc %d, exit %d, spans %llu\n", batchtrace_version(), rc,
           summary ? summary->exit_code : -1,
           summary ? (unsigned long long)summary->spans_exported : 0ULL);
    batchtrace_summary_free(summary);
    return rc == BATCHTRACE_OK ? 0 : 1;
}
PROGRAM
RESULTS=tests/fixtures/openai-chat-all-outcomes/output.jsonl
export BATCHTRACE_NOW=2026-01-01T00:00:00Z # the same spans from both programs
WANT="batchtrace 0.1.0: rc 0, exit 0, spans 3"

# With libbatchtrace.so: Libs only (the shared library names its own dependencies).
# shellcheck disable=SC2046
"$CC" ${CFLAGS[@]+"${CFLAGS[@]}"} -o "$BT_TMP/app-shared" "$BT_TMP/app.c" \
    $(pkg-config --cflags --libs batchtrace) 2>"$BT_TMP/cc-shared.log" || true
check links_with_the_shared_library '[ -x "$BT_TMP/app-shared" ] && readelf -d "$BT_TMP/app-shared" | grep -q "NEEDED.*\[libbatchtrace.so.0\]"'
check runs_with_the_shared_library '[ "$(LD_LIBRARY_PATH="$ROOT/$LIBDIR" "$BT_TMP/app-shared" "$RESULTS" "$BT_TMP/shared-spans.jsonl")" = "$WANT" ]'

# With libbatchtrace.a: --static adds Libs.private (libcurl, SQLite, libcrypto, zlib, -lm,
# -pthread); -Bstatic picks the archive over the .so beside it.
# shellcheck disable=SC2046
"$CC" ${CFLAGS[@]+"${CFLAGS[@]}"} -o "$BT_TMP/app-static" "$BT_TMP/app.c" \
    $(pkg-config --cflags batchtrace) -Wl,-Bstatic -lbatchtrace -Wl,-Bdynamic -Wl,--as-needed \
    $(pkg-config --static --libs batchtrace) 2>"$BT_TMP/cc-static.log" || true
check links_with_the_static_library '[ -x "$BT_TMP/app-static" ] && ! readelf -d "$BT_TMP/app-static" | grep -q "libbatchtrace"'
check runs_with_the_static_library '[ "$("$BT_TMP/app-static" "$RESULTS" "$BT_TMP/static-spans.jsonl")" = "$WANT" ]'
check same_spans_either_way 'cmp -s "$BT_TMP/shared-spans.jsonl" "$BT_TMP/static-spans.jsonl"'

if [ "$failed" != 0 ]; then
    echo "--- install:"; cat "$BT_TMP/install.log"
    echo "--- cc (shared):"; cat "$BT_TMP/cc-shared.log"
    echo "--- cc (static):"; cat "$BT_TMP/cc-static.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
