#!/bin/sh
# `ladder sync` beside the peer (PouchDB -> express-pouchdb over HTTPS) in
# the same run: each round runs the peer's `node bench.js --tls` and then
# bench_sync, on the same records; prints the medians side by side with
# their ratios and the issue's targets, as a Markdown table.
# usage: tests/bench/compare.sh [REPEATS]    (default 3)
# env: N (10000); LADDER_PEER_BENCH, the peer's sources (read-only is fine);
#      LADDER_PEER_RUN, where a writable copy gets its node_modules
#      (default /tmp/ladder-peer-bench, outside the repository)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
repeats=${1:-3}
n=${N:-10000}
peer=${LADDER_PEER_BENCH:-$top/../shared/bench/pouchdb}
run=${LADDER_PEER_RUN:-/tmp/ladder-peer-bench}
data=$top/build-bench/data
out=$top/build-bench/compare-$(date +%Y%m%d-%H%M%S)
bin=$top/build-bench

LADDER_BENCH_DATA_ONLY=1 sh "$top/tests/bench/run.sh" "$n"
cmake --build "$bin" -j"$(nproc)" --target bench_sync bench_get ladder ladder-hub >/dev/null
# the binaries of this run, copied: a rebuild meanwhile does not mix versions
mkdir -p "$out/bin"
cp "$bin/agent/ladder" "$bin/hub/ladder-hub" "$bin/tests/bench/bench_sync" \
    "$bin/tests/bench/bench_get" "$out/bin/"
git -C "$top" log -1 --format='# ladder at commit %h (%cs)' >"$out/version.txt" 2>/dev/null || :
git -C "$top" status --short -- agent hub shared 2>/dev/null | wc -l |
    sed 's/^ */# files changed since in agent, hub and shared: /' >>"$out/version.txt"
if [ ! -d "$run/node_modules" ]; then
    rm -rf "$run"
    cp -r "$peer" "$run"
    chmod -R u+w "$run"
    (cd "$run" && npm ci --no-audit --no-fund)
fi
mkdir -p "$out"
for i in $(seq 1 "$repeats"); do
    echo "== round $i/$repeats: peer, node bench.js --tls" >&2
    (cd "$run" && N=$n node bench.js --tls) | tee "$out/peer.$i.txt" >&2
    echo "== round $i/$repeats: ladder, bench_sync" >&2
    "$out/bin/bench_sync" "$out/bin/ladder" "$out/bin/ladder-hub" \
        "$top/schema/models/account-manager.json" "$data/docs-$n.ndjson" \
        "$data/conc.ndjson" "$n" | tee "$out/ours.$i.txt" >&2
done

node - "$out" "$repeats" <<'JS'
const fs = require('fs');
const [dir, repeats] = process.argv.slice(2);
const read = (who) => { // name -> {unit, values}
  const t = new Map();
  for (let i = 1; i <= repeats; i++)
    for (const line of fs.readFileSync(`${dir}/${who}.${i}.txt`, 'utf8').split('\n')) {
      const [name, value, ...unit] = line.split(' ');
      if (!line || line.startsWith('#') || isNaN(Number(value))) continue;
      if (!t.has(name)) t.set(name, { unit: unit.join(' '), values: [] });
      t.get(name).values.push(Number(value));
    }
  return t;
};
const ours = read('ours'), peer = read('peer');
const med = (r) => { if (!r) return NaN; const s = [...r.values].sort((a, b) => a - b); return s[s.length >> 1]; };
// name, how the ratio reads, target
const rows = [
  ['push_initial', 'time', '>= 10x faster'], ['push_initial_rate', 'rate', ''],
  ['push_floor_store', 'time', ''],
  ['push_incremental_100', 'time', '>= 3x faster'],
  ['pull_full', 'time', '>= 10x faster'], ['pull_full_rate', 'rate', ''],
  ['noop_sync_2way', 'time', '>= 3x faster'], ['noop_sync_pusher', 'time', ''],
  ['noop_push', 'time', ''], ['noop_pull', 'time', ''],
  ['noop_floor_https_get', 'time', ''],
  ['concurrent_push', 'time', ''], ['concurrent_push_rate', 'rate', ''],
  ['server_peak_rss', 'size', '< 30 MiB'], ['client_peak_rss', 'size', '< 20 MiB'],
  ['doc_json_bytes_avg', 'size', ''],
];
const fmt = (x) => isNaN(x) ? '-' : String(x);
console.log(`\n# medians of ${repeats} round(s); raw outputs in ${dir}`);
console.log(fs.readFileSync(`${dir}/version.txt`, 'utf8'));
console.log('| measurement | unit | ladder | peer (https) | ratio | target | met |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [name, kind, target] of rows) {
  const o = med(ours.get(name)), p = med(peer.get(name));
  const unit = (ours.get(name) || peer.get(name) || { unit: '' }).unit;
  let ratio = kind === 'rate' ? o / p : p / o;
  let met = '';
  if (target.startsWith('>=')) met = ratio >= Number(target.split(' ')[1].replace('x', '')) ? 'yes' : 'no';
  if (target.startsWith('<')) met = o < Number(target.split(' ')[1]) ? 'yes' : 'no';
  const r = isNaN(ratio) ? '-' : (kind === 'time' ? `${ratio.toFixed(2)}x faster` :
    kind === 'rate' ? `${ratio.toFixed(2)}x` : `${ratio.toFixed(2)}x smaller`);
  console.log(`| ${name} | ${unit} | ${fmt(o)} | ${fmt(p)} | ${r} | ${target} | ${met} |`);
}
// the most any client could show against the peer here: the peer's
// time over the floor under every process of ours, measured in the run
for (const [phase, floor] of [['push_initial', 'push_floor_store'],
                              ['noop_sync_2way', 'noop_floor_https_get']]) {
  const p = med(peer.get(phase)), f = med(ours.get(floor));
  if (!isNaN(p) && !isNaN(f))
    console.log(`# ${phase}: the peer's ${p} over the floor's ${f} (${floor}) ` +
                `is ${(p / f).toFixed(2)}x, the best ratio a sync above that floor could reach`);
}
for (const who of ['ours', 'peer'])
  for (const [name, r] of (who === 'ours' ? ours : peer))
    if (r.values.length > 1) console.log(`# ${who} ${name}: ${r.values.join(', ')}`);
JS
