"""Build the batchtrace package with pip, offline: `python3 -m pip install ./bindings/python`
from a checkout. The extension is compiled together with the library's sources (src/, all
but the command-line tool and the proxy) and linked to the system's libcurl, SQLite, OpenSSL and zlib
(the Debian packages scripts/install-deps.sh build installs, plus python3-dev). There is
deliberately no pyproject.toml: pip would then build in an isolated environment and fetch
setuptools from the network."""

import os
import pathlib
import re

from setuptools import Extension, setup

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def library_sources():
    """Every C file of the library (src/ but src/cli/ and src/proxy/), as absolute paths."""
    return sorted(str(path) for path in (REPO / "src").rglob("*.c")
                  if not {"cli", "proxy"} & set(path.relative_to(REPO / "src").parts))


def project_version():
    """The version CMakeLists.txt gives the project."""
    text = (REPO / "CMakeLists.txt").read_text()
    return re.search(r"project\(batchtrace VERSION ([0-9.]+)", text).group(1)


VERSION = project_version()

extension = Extension(
    "batchtrace._batchtrace",
    sources=[str(HERE / "batchtrace" / "_batchtrace.c")] + library_sources(),
    include_dirs=[str(REPO / "include"), str(REPO / "src")],
    define_macros=[("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", None),
                   ("BATCHTRACE_VERSION", f'"{VERSION}"')],
    extra_compile_args=["-std=c11", "-O2", "-pthread", "-Wno-unused-parameter"],
    libraries=["curl", "sqlite3", "crypto", "z", "m"],
    extra_link_args=["-pthread"],
)

setup(
    name="batchtrace",
    version=VERSION,
    description="LLM batch-API results (OpenAI Batch, Anthropic Message Batches) as "
                "OpenTelemetry traces",
    packages=["batchtrace"],
    package_dir={"batchtrace": os.path.relpath(HERE / "batchtrace", HERE)},
    ext_modules=[extension],
    python_requires=">=3.8",
)
