#!/usr/bin/env bash
# 64-bit Arm Linux (aarch64-unknown-linux-gnu), run under qemu-user: the
# whole test suite, doctests included, on the kernel interface Android
# shares (an unpacked `epoll_event`, unsigned `char`). Debian's Rust, std
# built from source, gcc-aarch64-linux-gnu as linker, `qemu-aarch64 -L
# /usr/aarch64-linux-gnu` as runner (.ci/lib/cross.sh). Tests qemu-user
# cannot run are marked `#[cfg_attr(evio_qemu_user, ignore = "reason")]`
# and show up as ignored with their reason.
set -euo pipefail
source "$(dirname "$0")/../lib/cross.sh"
cd "$CI_REPO"
start=$(ci_now)
target=aarch64-unknown-linux-gnu

ci_debian_rust
ci_build_tests "$target"
# Emulated, the model test's 256 cases take over a minute; 64 here (the
# x86_64 and i686 runs check all 256).
export EVIO_MODEL_CASES=${EVIO_MODEL_CASES:-64}
rc=0
ci_run_tests "$target" || rc=$?
echo "linux-aarch64: $(($(ci_now) - start))s"
exit "$rc"
