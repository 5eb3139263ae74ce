#!/usr/bin/env bash
# The whole test suite (unit, integration and doc tests) a second time, with
# every `Poll::new()` of the test processes on the io_uring engine
# (EVIO_ENGINE=io_uring). tests/engine.rs fails this run if the engine in
# force is not io_uring where the kernel allows it (io_uring_disabled = 0),
# and tests/model.rs compares the two engines step by step in both runs.
# The test binaries are those `cargo test` built just before (the variable
# is read at run time), so this step only runs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
echo "kernel $(uname -r), kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo absent)"
EVIO_ENGINE=io_uring cargo test
echo "io_uring suite: $(( $(date +%s) - start ))s"
