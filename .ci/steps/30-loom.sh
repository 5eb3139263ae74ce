#!/usr/bin/env bash
# Model-checks the user-space readiness queue (src/registration/queue.rs) with
# loom: setters, reregister, Registration drop and Poll drop racing `poll`
# (src/registration/loom_tests.rs). Loom explores every interleaving and
# weak-memory outcome of each small model, and fails on a leaked or doubly
# released reference.
set -euo pipefail
cd "$(dirname "$0")/../.."

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR=target/loom
# The models are small enough to be explored without a preemption bound;
# LOOM_MAX_PREEMPTIONS may be set to trade completeness for time.
time cargo test --release --lib registration::loom_tests
