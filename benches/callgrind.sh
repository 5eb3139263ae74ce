#!/usr/bin/env bash
# Instruction counts per operation, under callgrind, for every peer.
#
# Each workload runs twice in the suite's fixed-count mode (`--callgrind`):
# with ITERS iterations and with none. Callgrind counts only the user-space
# instructions executed inside `harness::measured` (`--toggle-collect`),
# so set-up, warm-up and the kernel are left out; the zero-iteration run is
# subtracted, and the difference is divided by the operations made.
#
# Usage: benches/callgrind.sh [OUT.csv]   (default: target/bench-results/callgrind.csv)
# ONLY="dispatch wake" and PEERS="evio raw" narrow the run; STATS=0 leaves
# out the peer "evio+stats" (evio built with its `stats` feature).
# Needs valgrind (apt-get install -y valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/bench-results/callgrind.csv}
mkdir -p "$(dirname "$out")"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }

suite_bin() {
  cargo bench --bench suite --no-run "$@" 2>&1 | sed -n 's/.*Executable .*(\(.*suite-[0-9a-f]*\)).*/\1/p' | tail -1
}
bin=$(suite_bin)
[ -x "$bin" ] || { echo "cannot find the suite binary" >&2; exit 1; }
# Peer "evio+stats": evio with its `stats` feature on (the per-Poll
# counters), from a second build of the suite. STATS=0 leaves it out.
bin_stats=""
if [ "${STATS:-1}" != 0 ]; then
  bin_stats=$(suite_bin --features stats)
  [ -x "$bin_stats" ] || { echo "cannot find the suite binary with stats" >&2; exit 1; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# count WORKLOAD PEER PARAM ITERS -> "instructions operations"
# (SUITE_SECOND_THREAD=1 in the environment: with a second thread)
count() {
  local f="$tmp/cg.out"
  local ops
  local b=$bin peer=$2
  if [ "$peer" = "evio+stats" ]; then b=$bin_stats; peer=evio; fi
  rm -f "$f"
  ops=$(valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file="$f" \
      "$b" --callgrind "$1" "$peer" "$3" "$4" 2>/dev/null | sed -n 's/^ops //p' || true)
  [ -s "$f" ] && [ -n "$ops" ] || { echo "0 0"; return; }
  local ir
  ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
  [ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
  echo "${ir:-0} ${ops:-0}"
}

# per IR(N) IR(0) OPS(N) OPS(0) -> instructions per operation
per() {
  awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" \
    'BEGIN { if (c - d > 0) printf "%.2f", (a - b) / (c - d); else print "nan" }'
}

echo "workload,param,peer,instructions_per_op,instructions_per_op_2_threads,ops" > "$out"
printf '%-16s %7s %-11s %14s %14s\n' workload param peer "instr/op" "2 threads"
# workload param iterations peers...
while read -r workload param iters peers; do
  [ -n "$workload" ] || continue
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $workload "* ]]; then continue; fi
  for peer in $peers; do
    if [ -n "${PEERS:-}" ] && [[ " $PEERS " != *" $peer "* ]]; then continue; fi
    if [ "$peer" = "evio+stats" ] && [ -z "$bin_stats" ]; then continue; fi
    read -r ir1 ops1 < <(count "$workload" "$peer" "$param" "$iters")
    read -r ir0 ops0 < <(count "$workload" "$peer" "$param" 0)
    read -r mt1 mops1 < <(SUITE_SECOND_THREAD=1 count "$workload" "$peer" "$param" "$iters")
    read -r mt0 mops0 < <(SUITE_SECOND_THREAD=1 count "$workload" "$peer" "$param" 0)
    st=$(per "$ir1" "$ir0" "$ops1" "$ops0")
    mt=$(per "$mt1" "$mt0" "$mops1" "$mops0")
    printf '%-16s %7s %-11s %14s %14s\n' "$workload" "$param" "$peer" "$st" "$mt"
    echo "$workload,$param,$peer,$st,$mt,$((ops1 - ops0))" >> "$out"
  done
done <<'LIST'
dispatch 1 20000 evio evio+stats raw mio1 mio06 polling
dispatch 100 2000 evio evio+stats raw mio1 mio06 polling
dispatch 10000 100 evio evio+stats raw mio1 mio06 polling
empty_poll 0 20000 evio evio+stats raw mio1 mio06 polling
pingpong 64 5000 evio evio+stats raw mio1 mio06 polling
dispatch_turn 1 20000 evio evio+stats raw mio1 mio06 polling
dispatch_turn 100 2000 evio evio+stats raw mio1 mio06 polling
dispatch_turn 10000 100 evio evio+stats raw mio1 mio06 polling
empty_poll_turn 0 20000 evio evio+stats raw mio1 mio06 polling
pingpong_turn 64 5000 evio evio+stats raw mio1 mio06 polling
oneshot 100 500 evio evio+stats raw mio1 mio06 polling
oneshot_turn 100 500 evio evio+stats raw mio1 mio06 polling
set_readiness 1 20000 evio evio+stats mio06
wake 1 20000 evio evio+stats raw mio1 polling
churn 1 10000 evio evio+stats raw mio1 mio06 polling
churn_udp 1 10000 evio evio+stats raw mio1 mio06 polling
registration 1 10000 evio evio+stats mio06
LIST
echo "written: $out"
