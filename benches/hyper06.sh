#!/usr/bin/env bash
# hyper 0.12 "hello" server on tokio 0.1, on crates.io's mio 0.6.23 and on
# evio (the same source, compat/ecosystem/src/bin/hyper_hello.rs, built in
# compat/ecosystem/classic without a patch and in compat/ecosystem with
# `mio` patched to compat/mio06), loaded by wrk over loopback.
#
# For each round, runtime (tokio's current-thread and thread-pool) and
# implementation (the order of the two alternating from round to round):
# start the server, warm it up for 1 s, then one `wrk -t1 -c50 -d5s` run;
# requests/s come from wrk, the server's CPU time (user + system, from
# /proc/PID/stat) is read before and after the run and divided by the
# requests wrk completed. Prints every run, then per runtime and
# implementation the median and the spread (min-max) over the rounds, and
# the same for the ratio evio / mio 0.6.23 within each round.
#
# usage: benches/hyper06.sh [rounds]      (default 7; needs wrk)
# env:   WRK_DURATION (default 5s), WRK_CONNECTIONS (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
duration=${WRK_DURATION:-5s}
conns=${WRK_CONNECTIONS:-50}
command -v wrk > /dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

echo "building (release)..." >&2
(cd compat/ecosystem/classic && cargo build --locked --release -q --bin hyper_hello)
(cd compat/ecosystem && cargo build --locked --release -q --bin hyper_hello)
declare -A bin=(
  [mio-0.6.23]=compat/ecosystem/classic/target/release/hyper_hello
  [evio]=compat/ecosystem/target/release/hyper_hello
)
tck=$(getconf CLK_TCK)
results=$(mktemp)
trap 'rm -f "$results"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

cpu_ticks() { # utime + stime of a process, in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

run_one() { # impl runtime round
  local impl=$1 runtime=$2 round=$3 out addr before after reqs rps
  out=$(mktemp)
  "${bin[$impl]}" "$runtime" > "$out" &
  pid=$!
  for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on //p' "$out")
    [ -n "$addr" ] && break
    sleep 0.05
  done
  rm -f "$out"
  [ -n "$addr" ] || { echo "server $impl $runtime did not start" >&2; exit 1; }
  wrk -t1 -c"$conns" -d1s "http://$addr/" > /dev/null
  before=$(cpu_ticks "$pid")
  wrkout=$(wrk -t1 -c"$conns" -d"$duration" "http://$addr/")
  after=$(cpu_ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  if echo "$wrkout" | grep -q 'Non-2xx\|Socket errors'; then
    echo "$wrkout" >&2
    echo "errors in the $impl $runtime run" >&2
    exit 1
  fi
  reqs=$(echo "$wrkout" | awk '/requests in/ { print $1 }')
  rps=$(echo "$wrkout" | awk '/^Requests\/sec/ { print $2 }')
  awk -v i="$impl" -v r="$runtime" -v n="$round" -v q="$reqs" -v s="$rps" \
      -v t=$((after - before)) -v hz="$tck" 'BEGIN {
    us = t / hz * 1e6 / q
    printf "%s %s %d %.0f %.2f\n", r, i, n, s, us
  }' | tee -a "$results"
}

echo "runtime impl round requests/s cpu-us/request"
for round in $(seq "$rounds"); do
  for runtime in current pool; do
    if [ $((round % 2)) -eq 1 ]; then order="mio-0.6.23 evio"; else order="evio mio-0.6.23"; fi
    for impl in $order; do
      run_one "$impl" "$runtime" "$round"
    done
  done
done

echo
stats() { # column of the results -> "median (min-max)"
  sort -g | awk -v fmt="$1" '{ v[NR] = $1 }
    END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf fmt " (" fmt "-" fmt ")", m, v[1], v[NR]
    }'
}

echo "runtime  impl        requests/s median (min-max)   server CPU us/request median (min-max), $rounds rounds"
for runtime in current pool; do
  for impl in mio-0.6.23 evio; do
    rps=$(awk -v r="$runtime" -v i="$impl" '$1 == r && $2 == i { print $4 }' "$results" | stats "%.0f")
    cpu=$(awk -v r="$runtime" -v i="$impl" '$1 == r && $2 == i { print $5 }' "$results" | stats "%.2f")
    printf "%-8s %-11s %-30s %s\n" "$runtime" "$impl" "$rps" "$cpu"
  done
done

# Each round runs the two implementations back to back, so the ratio within
# a round is less affected by the machine's other load than either figure.
echo
echo "runtime  evio/mio-0.6.23 within a round: requests/s ratio median (min-max)   CPU/request ratio median (min-max)"
for runtime in current pool; do
  pairs=$(awk -v r="$runtime" '$1 == r { v[$2 " " $3] = $4 " " $5; n[$3] = 1 }
    END { for (k in n) { split(v["evio " k], e, " "); split(v["mio-0.6.23 " k], m, " ");
          printf "%f %f\n", e[1] / m[1], e[2] / m[2] } }' "$results")
  rps=$(echo "$pairs" | awk '{ print $1 }' | stats "%.3f")
  cpu=$(echo "$pairs" | awk '{ print $2 }' | stats "%.3f")
  printf "%-8s %-58s %s\n" "$runtime" "$rps" "$cpu"
done
