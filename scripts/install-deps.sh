#!/bin/sh
# Installs the Debian packages batchtrace needs that are missing on this machine.
#   scripts/install-deps.sh build   what building needs (make demo)
#   scripts/install-deps.sh test    that, plus what the tests need (make test)
#   scripts/install-deps.sh bench   build, plus what the benchmark needs (make bench)
#   scripts/install-deps.sh python  build, plus the Python headers (make python)
#   scripts/install-deps.sh ruby    build, plus the Ruby headers and minitest (make ruby)
# Runs apt-get only when something is missing; uses sudo when not root.
set -eu

profile=${1:-build}

build_packages="cmake make gcc pkg-config libcurl4-openssl-dev libssl-dev zlib1g-dev libsqlite3-dev libpq-dev libmicrohttpd-dev"
test_packages="clang nodejs npm valgrind time sqlite3 python3-dev python3-pytest ruby-dev ruby-minitest chromium postgresql"
bench_packages="nodejs npm time curl jq postgresql"
python_packages="python3-dev"
ruby_packages="ruby-dev ruby-minitest"

wanted=$build_packages
if [ "$profile" = test ]; then
    wanted="$wanted $test_packages"
fi
if [ "$profile" = bench ]; then
    wanted="$wanted $bench_packages"
fi
if [ "$profile" = python ]; then
    wanted="$wanted $python_packages"
fi
if [ "$profile" = ruby ]; then
    wanted="$wanted $ruby_packages"
fi

missing=""
for package in $wanted; do
    case $package in
        # node may come from another source than Debian's package; accept any working one
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

[ -z "$missing" ] && exit 0

echo "batchtrace: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "batchtrace: need root (or sudo) to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
