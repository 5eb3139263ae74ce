#!/usr/bin/env bash
# 32-bit x86 Linux (i686-unknown-linux-gnu), run natively: the whole test
# suite, doctests included. `usize` is 32 bits there, and glibc's `time_t`
# and `timespec` too, so every conversion between `usize`, `u64`, file
# descriptors and the kernel's records is checked for real. Debian's Rust,
# std built from source, linked by gcc-12-multilib (.ci/lib/cross.sh).
set -euo pipefail
source "$(dirname "$0")/../lib/cross.sh"
cd "$CI_REPO"
start=$(ci_now)
target=i686-unknown-linux-gnu

ci_debian_rust
ci_build_tests "$target"
rc=0
ci_run_tests "$target" || rc=$?
echo "linux-i686: $(($(ci_now) - start))s"
exit "$rc"
