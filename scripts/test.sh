#!/bin/sh
# The whole test suite, as the README's quick start runs it: installs the
# Debian packages, then builds twice and runs every test in both builds:
#   build/       warnings as errors (-Wall -Wextra -Werror ...)
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer
# Options: --no-install (skip apt-get), --quick (the first build only).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
install=1
quick=0
for arg in "$@"; do
    case $arg in
    --no-install) install=0 ;;
    --quick) quick=1 ;;
    *) echo "usage: scripts/test.sh [--no-install] [--quick]" >&2; exit 2 ;;
    esac
done
jobs=$(nproc 2>/dev/null || echo 2)

[ "$install" = 1 ] && ./scripts/install-deps.sh

run_build() { # dir, cmake options...
    dir=$1
    shift
    echo "== $dir: configure, build, test"
    cmake -S . -B "$dir" -DLADDER_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

run_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$quick" = 0 ]; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_build build-asan -DCMAKE_BUILD_TYPE=Debug -DLADDER_SANITIZE=ON
fi
