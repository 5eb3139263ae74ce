#!/usr/bin/env bash
# Shows that the `stats` feature, off, costs no instruction: counts evio's
# workloads under callgrind (benches/callgrind.sh, evio only) for the
# committed tree, and for a copy of it with every counting call deleted
# from the source (the lines that call `self.counters.*` or
# `poll.counters().*`, and the count in `ReadinessQueue::deliver`), then
# prints both side by side and fails if any count differs.
#
# Usage: benches/stats_off.sh [OUT.csv]   (default: target/bench-results/stats_off.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/bench-results/stats_off.csv}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git archive HEAD | tar -x -C "$copy"
python3 - "$copy" <<'PY'
import glob, re, sys
root = sys.argv[1]
for p in glob.glob(root + '/src/**/*.rs', recursive=True):
    if p.endswith('/stats.rs'):
        continue
    s = open(p).read()
    t = re.sub(r'\n[ \t]*(self\.counters\.|poll\.counters\(\)\.)[a-z_]+\([^;\n]*\);', '', s)
    t = t.replace('=> self.counters.eintr(),', '=> {}')
    t = t.replace('            #[cfg(feature = "stats")]\n            {\n                count += 1;\n            }\n', '')
    if t != s:
        open(p, 'w').write(t)
        print('without counting:', p[len(root) + 1:])
PY
if grep -rn 'counters\.[a-z_]*(\|counters()\.' "$copy/src" | grep -v '/stats.rs' | grep -v 'snapshot()'; then
  echo "counting calls left in the copy" >&2; exit 1
fi

STATS=0 PEERS=evio benches/callgrind.sh "$copy/with.csv"
(cd "$copy" && STATS=0 PEERS=evio CARGO_TARGET_DIR="$copy/target" benches/callgrind.sh "$copy/without.csv")

echo "workload,param,evio_stats_off,evio_without_counting" > "$out"
paste -d, <(tail -n +2 "$copy/with.csv" | cut -d, -f1,2,4) <(tail -n +2 "$copy/without.csv" | cut -d, -f4) >> "$out"
column -s, -t "$out"
awk -F, 'NR > 1 && $3 != $4 { bad = 1; print "differs: " $0 } END { exit bad }' "$out"
echo "identical: $out"
