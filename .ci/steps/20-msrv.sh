#!/usr/bin/env bash
# The minimum Rust version the manifests declare (`rust-version`) is the one
# this step builds with: Debian's rustc-web and cargo-web of that release,
# unpacked beside the installed toolchain (.ci/lib/cross.sh). It builds the
# libraries that declare it (evio, and compat/mio06, which is evio under the
# classic name); the tests, examples and benchmark suite are built and run
# with the newer toolchains of the other steps.
set -euo pipefail
source "$(dirname "$0")/../lib/cross.sh"
cd "$CI_REPO"
start=$(ci_now)

declared() { sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$1" | head -1; }
msrv=$(declared Cargo.toml)
[ -n "$msrv" ] || ci_die "Cargo.toml declares no rust-version"
manifests=(Cargo.toml)
for m in */Cargo.toml */*/Cargo.toml; do
  case "$m" in target/*) continue ;; esac
  [ -f "$m" ] || continue
  v=$(declared "$m")
  [ -z "$v" ] && continue
  [ "$v" = "$msrv" ] || ci_die "$m declares rust-version $v, Cargo.toml $msrv: CI checks one"
  manifests+=("$m")
done

ci_old_rust "$msrv"
export PATH="$CI_OLD_RUST/usr/bin:/usr/bin:$PATH"
export LD_LIBRARY_PATH=$CI_OLD_RUST_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUSTC=$CI_OLD_RUST/usr/bin/rustc RUSTDOC=$CI_OLD_RUST/usr/bin/rustdoc
export CARGO_TARGET_DIR=$CI_REPO/target/msrv
unset RUSTUP_TOOLCHAIN RUSTC_BOOTSTRAP RUSTFLAGS CARGO_BUILD_TARGET
echo "msrv: $("$RUSTC" -V), $(cargo -V)"
# name@version of the package a manifest declares.
pkgid() { awk -F'"' '/^\[/ { p = ($0 == "[package]") } p && /^name *=/ { n = $2 } p && /^version *=/ { v = $2 } END { print n "@" v }' "$1"; }
for m in "${manifests[@]}"; do
  id=$(pkgid "$m")
  echo "msrv: cargo build -p $id"
  cargo build --locked -p "$id"
done
echo "msrv: $(($(ci_now) - start))s"
