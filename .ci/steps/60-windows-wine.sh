#!/usr/bin/env bash
# Windows (x86_64-pc-windows-gnu) under Wine 8 (Debian's wine64): the whole
# test suite, doctests included. Debian's Rust, std built from source,
# mingw-w64 as linker, a Wine prefix of CI's own with the one DLL Wine 8
# lacks for Rust's std (.ci/lib/cross.sh). Tests Wine cannot run are marked
# `#[cfg_attr(windows, ignore = "reason")]` and show up as ignored with their
# reason. Clippy for this target is .ci/steps/50-cross-check.sh.
set -euo pipefail
source "$(dirname "$0")/../lib/cross.sh"
cd "$CI_REPO"
start=$(ci_now)
target=x86_64-pc-windows-gnu

ci_debian_rust
ci_build_tests "$target"
ci_wine
trap ci_wine_stop EXIT
rc=0
ci_run_tests "$target" || rc=$?
echo "windows-wine: $(($(ci_now) - start))s"
exit "$rc"
