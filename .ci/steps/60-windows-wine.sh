#!/usr/bin/env bash
# Windows: compiles the crate, its tests and examples for x86_64-pc-windows-gnu
# (std built from source, mingw linker) and runs the whole test suite, doctests
# included, under Wine 8 (Debian's wine64). Tests Wine cannot run are marked
# `#[cfg_attr(windows, ignore = "reason")]` and show up as ignored with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

tool=""
for t in "${CROSS_CHECK_TOOL:-}" ../shared/tools/cross-check.sh /work/shared/tools/cross-check.sh; do
  if [ -n "$t" ] && [ -f "$t" ]; then tool=$t; break; fi
done
[ -n "$tool" ] || { echo "windows-wine: ../shared/tools/cross-check.sh not found" >&2; exit 1; }

target=x86_64-pc-windows-gnu
export CROSS_TARGETS=$target
rc=0
bash "$tool" . --wine || rc=$?

# No clippy for this target here: at least keep the build free of warnings.
log="${CROSS_WORK:-/tmp/cross-check}/logs/check-$target.log"
if [ -f "$log" ] && grep -q '^warning' "$log"; then
  echo "---- $target: warnings (they fail this step)"
  grep -A8 '^warning' "$log" | head -80
  rc=1
fi
exit "$rc"
