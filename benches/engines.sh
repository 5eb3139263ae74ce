#!/usr/bin/env bash
# evio's two Linux engines side by side (BENCHMARKS.md, "Engines"): system
# calls, user-space instructions and wall clock per operation, for evio on
# epoll, evio on io_uring, and mio 0.6.23 for reference.
#
# - system calls: `strace -c` on the event loop's thread (the main thread;
#   the client threads of `many` are left out), in the suite's fixed-count
#   mode (`--callgrind`), with ITERS iterations and with none: the
#   difference divided by the operations made;
# - instructions: callgrind the same way (see benches/callgrind.sh);
# - wall clock: `--engines`, the suite's interleaved samples.
#
# Usage: benches/engines.sh [OUT_DIR]   (default: target/bench-results)
# QUICK=1 takes short wall-clock samples; SKIP_COUNTS=1 only the wall clock,
# SKIP_WALL=1 only the counts.
# Needs strace and valgrind (apt-get install -y strace valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/bench-results}
mkdir -p "$out"
unset EVIO_ENGINE
ulimit -n 65536 2>/dev/null || true

bin=$(cargo bench --bench suite --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*suite-[0-9a-f]*\)).*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "cannot find the suite binary" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# syscalls WORKLOAD PEER PARAM ITERS -> "calls operations"
syscalls() {
  local f="$tmp/strace.out" ops calls
  ops=$(strace -c -o "$f" "$bin" --callgrind "$1" "$2" "$3" "$4" 2>/dev/null | sed -n 's/^ops //p')
  calls=$(awk '$NF == "total" { print $4 }' "$f")
  echo "${calls:-0} ${ops:-0}"
}

# instructions WORKLOAD PEER PARAM ITERS -> "instructions operations"
instructions() {
  local f="$tmp/cg.out" ops ir
  rm -f "$f"
  ops=$(valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file="$f" \
      "$bin" --callgrind "$1" "$2" "$3" "$4" 2>/dev/null | sed -n 's/^ops //p')
  ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
  [ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
  echo "${ir:-0} ${ops:-0}"
}

per() {
  awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" \
    'BEGIN { if (c - d > 0) printf "%.3f", (a - b) / (c - d); else print "nan" }'
}

if [ "${SKIP_COUNTS:-0}" != 1 ]; then
  command -v strace >/dev/null && command -v valgrind >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq strace valgrind; }
  csv="$out/engines_counts.csv"
  echo "workload,param,peer,syscalls_per_op,instructions_per_op" > "$csv"
  printf '%-11s %6s %-11s %12s %12s\n' workload param peer "syscalls/op" "instr/op"
  while read -r workload param iters; do
    [ -n "$workload" ] || continue
    for peer in evio evio_uring mio06; do
      read -r s1 o1 < <(syscalls "$workload" "$peer" "$param" "$iters")
      read -r s0 o0 < <(syscalls "$workload" "$peer" "$param" 0)
      read -r i1 p1 < <(instructions "$workload" "$peer" "$param" "$iters")
      read -r i0 p0 < <(instructions "$workload" "$peer" "$param" 0)
      sc=$(per "$s1" "$s0" "$o1" "$o0")
      ir=$(per "$i1" "$i0" "$p1" "$p0")
      printf '%-11s %6s %-11s %12s %12s\n' "$workload" "$param" "$peer" "$sc" "$ir"
      echo "$workload,$param,$peer,$sc,$ir" >> "$csv"
    done
  done <<'LIST'
empty_poll 0 20000
rearm 1 20000
rearm 100 200
pingpong 64 5000
many 1000 5000
churn 1 10000
LIST
  echo "written: $csv"
fi

[ "${SKIP_WALL:-0}" = 1 ] && exit 0
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
"$bin" --engines "${quick[@]}" --csv "$out/engines_wall.csv"
echo "written: $out/engines_wall.csv"
