#!/usr/bin/env bash
# Runs the whole test suite (unit, integration and doc tests) under
# AddressSanitizer with LeakSanitizer on: use-after-free, buffer overflows
# and leaked memory fail the step.
#
# Nightly only (-Zsanitizer). The target is given explicitly so that build
# scripts and proc-macros are built without the sanitizer. The standard
# library is the prebuilt, uninstrumented one: ASan checks what evio and the
# tests do, which is what this step is for. The model test runs 64 cases
# here (the plain `cargo test` runs the full 256).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "asan: SKIPPED, no nightly toolchain" >&2
  exit 0
fi

target=x86_64-unknown-linux-gnu
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export CARGO_TARGET_DIR=target/asan
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1"
export EVIO_MODEL_CASES=64

timeout 900 cargo +nightly test --target "$target" --no-run
timeout 900 cargo +nightly test --target "$target"
