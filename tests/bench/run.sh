#!/bin/sh
# Runs the benchmarks on demand (not part of the test suite) in a Release
# build, on the peer benchmark's workload. Needs node for the workload.
# usage: tests/bench/run.sh [N] [REPEATS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-10000}
repeats=${2:-5}
peer=${LADDER_PEER_BENCH:-$top/../shared/bench/pouchdb}
data=$top/build-bench/data

command -v node >/dev/null || { echo "bench: node is needed to make the workload (apt-get install nodejs)" >&2; exit 1; }
[ -f "$peer/workload.js" ] || { echo "bench: no $peer/workload.js; set LADDER_PEER_BENCH" >&2; exit 1; }
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DLADDER_TESTS=ON >/dev/null
cmake --build "$top/build-bench" -j"$(nproc)" --target bench_merge bench_agent bench_hub ladder ladder-hub >/dev/null
mkdir -p "$data"
[ -s "$data/docs-$n.ndjson" ] || node "$peer/workload.js" "$n" >"$data/docs-$n.ndjson"
echo "== merge: parse, validate and merge $n changes into memory"
"$top/build-bench/tests/bench/bench_merge" "$data/docs-$n.ndjson" "$repeats"
echo "== agent: whole ladder processes on a database of 10,000 assessments"
"$top/build-bench/tests/bench/bench_agent" "$top/build-bench/agent/ladder" \
    "$top/schema/models/account-manager.json" 10000 200
echo "== hub: push $n changes in sets of 1,000 over HTTPS keep-alive, pull them back"
"$top/build-bench/tests/bench/bench_hub" "$top/build-bench/hub/ladder-hub" \
    "$top/schema/models/account-manager.json" "$data/docs-$n.ndjson" "$n"
