#!/usr/bin/env bash
# crates.io's classic mio 0.6 ecosystem on evio: compat/ecosystem builds
# tokio 0.1 (with tokio-tcp, tokio-udp, tokio-uds), tokio-process and
# tokio-signal 0.2, hyper 0.12 and mio-extras 2 from its own lock file,
# with `mio` patched to compat/mio06 (evio under the classic name), and
# runs its programs over loopback and through child processes' pipes. Each
# program checks every byte it receives and exits non-zero on a mismatch,
# an error or a time-out. Debug build: about 1 minute cold on the 2-core
# machine (a release build takes twice that and the programs run in seconds
# either way), 6 s warm.
set -euo pipefail
cd "$(dirname "$0")/../../compat/ecosystem"
start=$(date +%s)

cargo fmt --check
cargo build --locked --bins
cargo test --locked --lib -q

# The lock file has one mio, the patched one (no source: a path), and none
# of what mio 0.6.23 brought in is still there because of mio.
awk '/^\[\[package\]\]/{name="";src=""} /^name = /{name=$3} /^source = /{src=$3}
     /^version = / && name=="\"mio\"" {ver=$3}
     /^$/ && name=="\"mio\"" {n++; if (src!="") bad=1}
     END {if (n!=1 || bad || ver!="\"0.6.24\"") {print "lock file: mio is not the patched 0.6.24 alone"; exit 1}}' Cargo.lock
for crate in net2 lazycell miow kernel32-sys; do
  users=$(cargo tree --locked --target all -e normal -i "$crate" --depth 1 --prefix none 2>/dev/null | tail -n +2 | sort -u | tr '\n' ' ' || true)
  if [ -z "$users" ]; then
    echo "lock file: no $crate"
  else
    echo "lock file: $crate, asked for by: $users"
    if echo "$users" | grep -q '^mio \| mio v'; then
      echo "FAILED: $crate is still brought in by mio" >&2
      exit 1
    fi
  fi
done

for program in tokio_echo tokio_udp hyper_roundtrip mixed_poll tokio_process; do
  echo "--- $program"
  timeout 300 ./target/debug/"$program"
done
echo "ecosystem: $(( $(date +%s) - start ))s"
