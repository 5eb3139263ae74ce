#!/usr/bin/env bash
# Lints every target CI builds besides the host, warnings denied: the kqueue
# family (macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly) and Android, which
# nothing here runs, and the targets whose tests later steps run (i686 and
# aarch64 Linux, Windows). `cargo clippy --workspace --all-targets` type-checks
# the crates, their tests, examples and benchmarks as it lints them. Debian's
# Rust and clippy, std built from source (.ci/lib/cross.sh).
set -euo pipefail
source "$(dirname "$0")/../lib/cross.sh"
cd "$CI_REPO"
start=$(ci_now)

ci_debian_rust
targets="$CI_CHECK_ONLY_TARGETS $CI_RUN_TARGETS"
pkgs=()
for t in $targets; do
  read -r -a p <<<"$(ci_target_packages "$t" check)"
  pkgs+=("${p[@]}")
done
[ ${#pkgs[@]} -gt 0 ] && ci_apt "${pkgs[@]}"

lint=(--workspace --all-targets --locked -- -D warnings)

# All targets in one invocation: ten standard libraries checked side by side
# keep both cores busy. When it fails, the runs per target below (warm by
# then, a few seconds each) tell which target failed, and why.
t0=$(ci_now)
args=()
for t in $targets; do args+=(--target "$t"); done
if ci_cargo clippy --keep-going "${args[@]}" "${lint[@]}" >"$CI_LOGS/clippy-all.log" 2>&1; then
  echo "cross-check: PASS, clippy for $targets ($(($(ci_now) - t0))s)"
  exit 0
fi
echo "cross-check: every target checked together, with errors ($(($(ci_now) - t0))s)"

failed=()
for t in $targets; do
  t0=$(ci_now)
  log=$CI_LOGS/clippy-$t.log
  if ci_cargo clippy --target "$t" "${lint[@]}" >"$log" 2>&1; then
    printf 'PASS  clippy %-28s %4ss\n' "$t" "$(($(ci_now) - t0))"
  else
    printf 'FAIL  clippy %-28s %4ss (log: %s)\n' "$t" "$(($(ci_now) - t0))" "$log"
    ci_filter <"$log" | head -80
    failed+=("$t")
  fi
done
echo "cross-check: $(($(ci_now) - start))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "cross-check: FAILED for ${failed[*]}" >&2
  exit 1
fi
