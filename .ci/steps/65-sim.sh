#!/usr/bin/env bash
# The simulator (`--cfg evio_sim`): lint the crate with it, run its tests
# (tests/sim*.rs) and a bounded number of seeds of the example servers
# under faults. In a target directory of its own, so that the normal
# build is not rebuilt. A longer run is one command:
#   SIM_SEEDS=10000 .ci/steps/65-sim.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
seeds=${SIM_SEEDS:-300}
export RUSTFLAGS="--cfg evio_sim"
export CARGO_TARGET_DIR=target/sim
cargo clippy -p evio --all-targets --locked -- -D warnings
cargo test -p evio --locked --test 'sim*'
# One line per failing seed (and what failed), then the totals. The
# echo, chat and HTTP servers of examples/, with faults and one
# misbehaving connection per run.
cargo run -q -p evio --locked --example sim_echo -- --seeds "$seeds" 2>&1 |
  grep -E '^(seed [0-9]+: [^o]|[0-9]+ seeds|trace:)'
cargo run -q -p evio --locked --example sim_servers -- --seeds "$seeds" 2>&1 |
  grep -E '^(seed [0-9]+: |[0-9]+ runs|trace:)' 
# The planted bug: found within 50 seeds, and replayed to the same trace.
cargo run -q -p evio --locked --example planted_bug | tail -1
echo "sim: $(( $(date +%s) - start ))s"
