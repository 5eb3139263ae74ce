#!/usr/bin/env bash
# The `stats` feature (per-Poll counters, off by default): lint the crate
# with it on, and run the tests that read the counters (tests/stats.rs)
# and the library's own tests with it.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
cargo clippy -p evio --all-targets --features stats -- -D warnings
cargo test -p evio --features stats --lib --test stats --test poll --test registration
echo "stats: $(( $(date +%s) - start ))s"
