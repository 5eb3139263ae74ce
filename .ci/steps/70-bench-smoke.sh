#!/usr/bin/env bash
# Smoke run of the benchmark suite (benches/): every workload for every peer,
# with short samples, so that the suite keeps building and running. Its
# figures mean nothing on a CI machine; BENCHMARKS.md has the real ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
# Thousands of descriptors for the 10,000-source and 1,000-connection workloads
# (the suite skips those it cannot open).
ulimit -n 65536 2>/dev/null || true
cargo bench --bench suite -- --quick
# The accept-spread counts (a second per run of 50 connections).
cargo bench --bench suite -- --accept-spread 50
echo "bench smoke: $(( $(date +%s) - start ))s"
