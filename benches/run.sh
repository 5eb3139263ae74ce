#!/usr/bin/env bash
# The whole benchmark run behind BENCHMARKS.md:
#   1. the suite's wall-clock medians and allocation counts (cargo bench),
#   2. instruction counts under callgrind (benches/callgrind.sh), and the
#      wake-ups per accepted connection of a server with several threads,
#   3. the HTTP responder on evio and on mio 1.x under wrk, alternated,
#   4. tables and a chart from all three (the suite's --report mode).
#
# Usage: benches/run.sh [--quick] [OUT_DIR]     (default OUT_DIR: benches/results)
# --quick: short samples, one 2-second wrk round each (a smoke run).
# SKIP_CALLGRIND=1 keeps OUT_DIR/callgrind.csv from an earlier run (instruction
# counts do not depend on the machine's load; wall-clock figures do), and
# SKIP_SUITE=1 keeps OUT_DIR/suite.csv and timeout_slack_1ns.txt.
# Installs wrk and valgrind with apt-get when they are missing. Everything
# runs on 127.0.0.1 only, and every server started here stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""
if [ "${1:-}" = "--quick" ]; then quick="--quick"; shift; fi
out=${1:-benches/results}
mkdir -p "$out"
# Absolute: cargo runs the suite in its package's directory (benches/).
out=$(cd "$out" && pwd)

need() {
  command -v "$1" >/dev/null && return
  apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need valgrind valgrind

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "kernel: $(uname -sr)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) x $(nproc)"
  echo "memory: $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "rustc: $(rustc --version)"
  echo "timer slack: $(cat /proc/self/timerslack_ns) ns"
} > "$out/machine.txt"
cat "$out/machine.txt"

if [ "${SKIP_SUITE:-}" = 1 ] && [ -s "$out/suite.csv" ]; then
  echo "=== 1. kept $out/suite.csv"
else
  echo "=== 1. suite (wall clock, allocations)"
  cargo bench --bench suite -- $quick --csv "$out/suite.csv"
  echo "=== 1b. timeouts with a timer slack of 1 ns (prctl PR_SET_TIMERSLACK)"
  SUITE_TIMERSLACK_NS=1 cargo bench --bench suite -- $quick timeout | tee "$out/timeout_slack_1ns.txt"
fi

echo "=== 2. callgrind (instructions)"
if [ "${SKIP_CALLGRIND:-}" = 1 ] && [ -s "$out/callgrind.csv" ]; then
  echo "kept $out/callgrind.csv"
elif [ -n "$quick" ]; then
  ONLY="empty_poll" benches/callgrind.sh "$out/callgrind.csv"
else
  benches/callgrind.sh "$out/callgrind.csv"
fi

echo "=== 2b. accept spread (wake-ups per accepted connection)"
conns=1000
if [ -n "$quick" ]; then conns=100; fi
cargo bench --bench suite -- --accept-spread "$conns" --csv "$out/accept_spread.csv"

echo "=== 3. HTTP under wrk"
cargo build --release --example http_hello --example http_hello_mio
secs=4; rounds=7
if [ -n "$quick" ]; then secs=2; rounds=1; fi
echo "server,round,requests_per_sec,p50,p90,p99" > "$out/wrk_rounds.csv"
port=18480
for round in $(seq "$rounds"); do
  for server in evio mio1; do
    example=http_hello; [ "$server" = mio1 ] && example=http_hello_mio
    port=$((port + 1))
    # The server stops by itself a few seconds after wrk is done.
    "target/release/examples/$example" "127.0.0.1:$port" $((secs + 5)) >/dev/null &
    pid=$!
    for _ in $(seq 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    report=$(wrk -t1 -c64 -d"${secs}s" --latency "http://127.0.0.1:$port/")
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rps=$(echo "$report" | sed -n 's/^Requests\/sec:[[:space:]]*//p')
    pct() { echo "$report" | awk -v p="$1%" '$1 == p { print $2 }'; }
    echo "$server,$round,$rps,$(pct 50),$(pct 90),$(pct 99)" | tee -a "$out/wrk_rounds.csv"
  done
done
# The median round of each server, by requests per second.
{
  echo "server,requests_per_sec,p50,p90,p99"
  for server in evio mio1; do
    grep "^$server," "$out/wrk_rounds.csv" | sort -t, -k3 -g \
      | awk -F, -v n="$rounds" 'NR == int((n + 1) / 2) { print $1 "," $3 "," $4 "," $5 "," $6 }'
  done
} > "$out/wrk.csv"

echo "=== 4. tables and chart"
cargo bench --bench suite -- --report "$out"
