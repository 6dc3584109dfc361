# frozen_string_literal: true

# Builds batchtrace_ext (batchtrace_ext.c) against an installed libbatchtrace, found with
# `pkg-config batchtrace`: `make install` in a batchtrace checkout puts batchtrace.pc under
# PREFIX/lib/pkgconfig (point PKG_CONFIG_PATH there for another prefix). The extension
# remembers the library's directory (rpath), so no LD_LIBRARY_PATH is needed. Nothing is
# downloaded: `gem install` works offline.
require "mkmf"

unless pkg_config("batchtrace")
  abort "batchtrace: libbatchtrace not found by pkg-config (run `make install` in the " \
        "batchtrace checkout, or set PKG_CONFIG_PATH to the directory of batchtrace.pc)"
end
abort "batchtrace: batchtrace.h lacks batchtrace_start" unless have_func("batchtrace_start", "batchtrace.h")

libdir = `pkg-config --variable=libdir batchtrace`.strip
$LDFLAGS << " -Wl,-rpath,#{libdir}" unless libdir.empty?
$CFLAGS << " -std=c11 -Wall -Wextra -Wno-unused-parameter"
create_makefile("batchtrace/batchtrace_ext")
