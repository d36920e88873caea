#!/bin/sh
# Runs the benchmarks on demand (not part of the test suite) in a Release
# build, on the peer benchmark's workload. Needs node for the workload.
# usage: tests/bench/run.sh [N] [REPEATS]
#        tests/bench/run.sh --with-peer [REPEATS]   ladder sync beside the peer
#                                                   (compare.sh)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = --with-peer ]; then
    shift
    exec sh "$top/tests/bench/compare.sh" "$@"
fi
n=${1:-10000}
repeats=${2:-5}
peer=${LADDER_PEER_BENCH:-$top/../shared/bench/pouchdb}
data=$top/build-bench/data

command -v node >/dev/null || { echo "bench: node is needed to make the workload (apt-get install nodejs)" >&2; exit 1; }
[ -f "$peer/workload.js" ] || { echo "bench: no $peer/workload.js; set LADDER_PEER_BENCH" >&2; exit 1; }
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release -DLADDER_TESTS=ON >/dev/null
cmake --build "$top/build-bench" -j"$(nproc)" --target bench_merge bench_agent bench_hub bench_models bench_sync ladder ladder-hub >/dev/null
mkdir -p "$data"
[ -s "$data/docs-$n.ndjson" ] || node "$peer/workload.js" "$n" >"$data/docs-$n.ndjson"
# the peer's concurrent clients' records: client k is makeDocs(200, k + 1, 'ck')
[ -s "$data/conc.ndjson" ] || node -e '
const { makeDocs } = require(require("path").resolve(process.argv[1]));
for (let k = 0; k < 20; k++)
  for (const d of makeDocs(200, k + 1, `c${k}`)) console.log(JSON.stringify(d));
' "$peer/workload.js" >"$data/conc.ndjson"
[ "${LADDER_BENCH_DATA_ONLY:-}" ] && exit 0
echo "== merge: parse, validate and merge $n changes into memory"
"$top/build-bench/tests/bench/bench_merge" "$data/docs-$n.ndjson" "$repeats"
echo "== agent: whole ladder processes on a database of 10,000 assessments"
"$top/build-bench/tests/bench/bench_agent" "$top/build-bench/agent/ladder" \
    "$top/schema/models/account-manager.json" 10000 200
echo "== hub: push $n changes in sets of 1,000 over HTTPS keep-alive, pull them back"
"$top/build-bench/tests/bench/bench_hub" "$top/build-bench/hub/ladder-hub" \
    "$top/schema/models/account-manager.json" "$data/docs-$n.ndjson" "$n"
echo "== models: 1,000 publishes, then the history and a semantic diff"
"$top/build-bench/tests/bench/bench_models" "$top/schema/models/account-manager.json" 1000
echo "== sync: whole 'ladder sync' processes against ladder-hub serve, the peer's phases"
"$top/build-bench/tests/bench/bench_sync" "$top/build-bench/agent/ladder" \
    "$top/build-bench/hub/ladder-hub" "$top/schema/models/account-manager.json" \
    "$data/docs-$n.ndjson" "$data/conc.ndjson" "$n"
