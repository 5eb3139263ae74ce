#!/usr/bin/env bash
# Runs the tests that drive the readiness queue and wakers from several threads
# (tests/registration.rs, tests/waker.rs) under ThreadSanitizer. Any report
# fails the step.
#
# The standard library is rebuilt with the sanitizer (-Zbuild-std, which needs
# the nightly `rust-src` component): an uninstrumented std hides the
# synchronization inside its Mutex, Condvar and channels and builds Arc with an
# acquire fence TSan does not understand, so it reports races in the test
# harness itself. Without `rust-src` there is no sound way to run TSan, and the
# step says so and skips rather than suppress reports.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "tsan: SKIPPED, no nightly toolchain" >&2
  exit 0
fi
if ! rustup +nightly component list --installed | grep -q '^rust-src'; then
  timeout 600 rustup component add rust-src --toolchain nightly || true
fi
if ! rustup +nightly component list --installed | grep -q '^rust-src'; then
  echo "tsan: SKIPPED, the nightly rust-src component could not be installed (needed for -Zbuild-std)" >&2
  exit 0
fi

export RUSTFLAGS="-Zsanitizer=thread"
export CARGO_TARGET_DIR=target/tsan
# Reports make the process exit non-zero even if the tests pass.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
target=x86_64-unknown-linux-gnu
args=(+nightly test -Zbuild-std --target "$target" --test registration --test waker)

cargo "${args[@]}" --no-run
log=$(mktemp)
if cargo "${args[@]}" 2>&1 | tee "$log"; then
  exit 0
fi
# Some kernels' address-space randomization breaks TSan's memory layout: retry
# once without it. Anything else (a race report, a failed test) fails the step.
if grep -q "unexpected memory mapping" "$log"; then
  setarch "$(uname -m)" -R cargo "${args[@]}"
else
  exit 1
fi
