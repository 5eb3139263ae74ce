#!/usr/bin/env bash
# Compiles the crate, its tests and examples for the systems no CI machine runs:
# kqueue on macOS, iOS, FreeBSD and NetBSD, epoll on Android. Type-checking only
# (`cargo check --all-targets`, std built from source); nothing here runs them.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The targets to check. To add one (Windows: x86_64-pc-windows-gnu), append it to
# CROSS_EXTRA_TARGETS; to also run the tests under Wine, add --wine to CROSS_EXTRA_ARGS.
UNIX_TARGETS="x86_64-apple-darwin aarch64-apple-ios x86_64-unknown-freebsd x86_64-unknown-netbsd aarch64-linux-android"
CROSS_EXTRA_TARGETS=${CROSS_EXTRA_TARGETS:-""}
CROSS_EXTRA_ARGS=${CROSS_EXTRA_ARGS:-""}

tool=""
for t in "${CROSS_CHECK_TOOL:-}" ../shared/tools/cross-check.sh /work/shared/tools/cross-check.sh; do
  if [ -n "$t" ] && [ -f "$t" ]; then tool=$t; break; fi
done
[ -n "$tool" ] || { echo "cross-check: ../shared/tools/cross-check.sh not found" >&2; exit 1; }

export CROSS_TARGETS="$UNIX_TARGETS $CROSS_EXTRA_TARGETS"
read -r -a extra <<< "$CROSS_EXTRA_ARGS"
rc=0
bash "$tool" . "${extra[@]}" || rc=$?

# Warnings do not fail the step, but code that only these targets compile is
# linted nowhere else: show them.
logs="${CROSS_WORK:-/tmp/cross-check}/logs"
for t in $CROSS_TARGETS; do
  f="$logs/check-$t.log"
  [ -f "$f" ] || continue
  n=$(grep -c '^warning' "$f" || true)
  if [ "$n" -gt 0 ]; then
    echo "---- $t: warnings"
    grep -A6 '^warning' "$f" | head -60
  fi
done
exit "$rc"
