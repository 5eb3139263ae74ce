#!/usr/bin/env bash
# The whole test suite (unit, integration and doc tests) a second time, with
# every `Poll::new()` of the test processes on the io_uring engine
# (EVIO_ENGINE=io_uring). The test binaries are those `cargo test` built just
# before (the variable is read at run time), so this step only runs them:
# about 60 s on 2 cores.
#
# First it says which engine the suite will really run on. Where the kernel
# refuses io_uring (no io_uring, `kernel.io_uring_disabled`, a seccomp
# profile, a kernel older than 5.6), `Poll` falls back to epoll: the step
# says so, the suite then runs on epoll, and the tests that need the ring
# print "skipped: ..." with the reason. Where the kernel allows it,
# tests/engine.rs fails the run if any `Poll::new()` is not on io_uring.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
echo "kernel $(uname -r), kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo absent)"
line=$(EVIO_ENGINE=io_uring cargo test -q --test engine engine_in_force -- --exact --nocapture 2>&1 |
  sed -n 's/^engine in force: //p')
case "$line" in
  IoUring*) echo "io_uring step: the suite runs on the io_uring engine ($line)" ;;
  Epoll*)
    echo "io_uring step: THE KERNEL REFUSES THE io_uring ENGINE HERE; Poll falls back to epoll,"
    echo "so this run is the suite on epoll again, and the io_uring tests skip: $line" ;;
  *) echo "io_uring step: cannot tell the engine in force (tests/engine.rs engine_in_force)" >&2; exit 1 ;;
esac
EVIO_ENGINE=io_uring cargo test
echo "io_uring suite: $(( $(date +%s) - start ))s (engine: ${line%% *})"
