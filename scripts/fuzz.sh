#!/bin/sh
# Builds every libFuzzer target with clang-14 and runs each for SECONDS
# (default 30). Crashes are written to build-fuzz/tests/fuzz/.
# usage: scripts/fuzz.sh [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-30}
CC=clang-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLADDER_FUZZ=ON -DLADDER_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build build-fuzz -j"$(nproc)"
ctest --test-dir build-fuzz -L fuzz --output-on-failure
