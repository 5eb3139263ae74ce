# shellcheck shell=bash
# Sourced by the steps in .ci/steps/ that build for other targets than the
# host. Everything comes from Debian's package archive:
#
# - Debian's Rust (rustc-web, cargo-web, rust-web-clippy) with the source of
#   its standard library (rust-web-src). rustup can only give the host's
#   prebuilt std offline, so for every other target std is compiled from that
#   source (`-Zbuild-std`, accepted by a stable compiler with
#   RUSTC_BOOTSTRAP=1). All those targets share one target directory,
#   target/build-std, so each std is built once and reused by every step;
# - linkers (mingw-w64, gcc-aarch64-linux-gnu, gcc-12-multilib) and runners
#   (qemu-user for aarch64, Wine 8 for Windows).
#
# Knobs: EVIO_CI_WORK (scratch space: logs, the Wine prefix; default
# target/ci), EVIO_CI_NO_APT=1 (never call apt-get; missing packages are then
# an error), EVIO_CI_TEST_TARGETS (set by .ci/run: the targets whose test
# binaries the first test step builds together, see ci_build_tests).

CI_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CI_WORK=${EVIO_CI_WORK:-$CI_REPO/target/ci}
CI_LOGS=$CI_WORK/logs
mkdir -p "$CI_LOGS"

# The targets CI builds besides the host, and what it does with them.
CI_KQUEUE_TARGETS="x86_64-apple-darwin aarch64-apple-ios x86_64-unknown-freebsd x86_64-unknown-netbsd x86_64-unknown-openbsd x86_64-unknown-dragonfly"
CI_CHECK_ONLY_TARGETS="$CI_KQUEUE_TARGETS aarch64-linux-android"
CI_RUN_TARGETS="i686-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-gnu"

CI_CARGO=/usr/bin/cargo
CI_BUILD_STD=(-Zbuild-std=std,panic_abort)

ci_now() { date +%s; }
ci_die() {
  echo "ci: $*" >&2
  exit 2
}

# Lines of a cargo log worth reading: no progress lines, no passing tests.
ci_filter() {
  grep -vE '^\s+(Compiling|Checking|Downloaded|Downloading|Locking|Adding|Updating|Blocking|Fresh)\b|^test .* \.\.\. ok$|^$' || true
}

# ------------------------------------------------------------------ apt

ci_as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    ci_die "installing packages needs root or sudo: $*"
  fi
}

ci_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep 'install ok installed' >/dev/null
}

# `apt-get update`, at most once in six hours (a stamp in the work dir).
ci_apt_update() {
  local stamp=$CI_WORK/apt-updated
  if [ "${1:-}" != force ] && [ -n "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
    return 0
  fi
  echo "ci: apt-get update"
  ci_as_root apt-get update -qq >>"$CI_LOGS/apt.log" 2>&1 || {
    tail -20 "$CI_LOGS/apt.log"
    ci_die "apt-get update failed"
  }
  touch "$stamp"
}

# Installs those of the packages that dpkg does not list as installed, in
# one transaction, non-interactively.
ci_apt() {
  local missing=() p
  for p in "$@"; do
    ci_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "${EVIO_CI_NO_APT:-0}" = 1 ] && ci_die "missing packages: ${missing[*]} (EVIO_CI_NO_APT=1)"
  ci_apt_update
  echo "ci: apt-get install ${missing[*]}"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}")
  if ! ci_as_root "${install[@]}" >>"$CI_LOGS/apt.log" 2>&1; then
    # Package lists from an earlier run may be out of date.
    ci_apt_update force
    ci_as_root "${install[@]}" >>"$CI_LOGS/apt.log" 2>&1 || {
      tail -30 "$CI_LOGS/apt.log"
      ci_die "apt-get install ${missing[*]} failed"
    }
  fi
}

# The packages a target needs beyond Debian's Rust: to type-check it
# (`check`) or to link and run its tests (`run`).
ci_target_packages() {
  local target=$1 what=$2
  case "$target:$what" in
    x86_64-pc-windows-gnu:check) echo binutils-mingw-w64-x86-64 ;; # dlltool, for windows-sys's import libraries
    x86_64-pc-windows-gnu:run) echo binutils-mingw-w64-x86-64 gcc-mingw-w64-x86-64 wine64 ;;
    i686-unknown-linux-gnu:run) echo gcc-12-multilib ;;
    aarch64-unknown-linux-gnu:run) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user ;;
  esac
}

# ------------------------------------------------------------------ Debian's Rust

# Installs Debian's Rust and points cargo at it, for std built from source.
ci_debian_rust() {
  local pkgs=(ca-certificates rustc-web cargo-web rust-web-src rust-web-clippy)
  ci_apt "${pkgs[@]}"
  # The compiler, the std source and clippy must be one release (they come
  # from one source package); a partial upgrade would break -Zbuild-std.
  local v p
  v=$(dpkg-query -W -f='${Version}' rustc-web)
  for p in cargo-web rust-web-src rust-web-clippy; do
    if [ "$(dpkg-query -W -f='${Version}' "$p")" != "$v" ]; then
      echo "ci: $p is not at rustc-web's version $v: reinstalling them together"
      ci_apt_update
      ci_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
        >>"$CI_LOGS/apt.log" 2>&1 || ci_die "apt-get install ${pkgs[*]} failed"
      break
    fi
  done

  # rustup's proxies in ~/.cargo/bin come first in PATH: /usr/bin goes
  # before them, so that `cargo clippy` finds Debian's cargo-clippy and
  # clippy-driver, of the same release as the compiler.
  export PATH="/usr/bin:$PATH"
  export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_DIR=$CI_REPO/target/build-std
  unset RUSTUP_TOOLCHAIN CARGO_BUILD_TARGET RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTDOCFLAGS
  # Line tables are enough for the backtrace of a failing test. Full debug
  # information makes each target whose tests are built some 3 GB (std and
  # every test binary carry it) and slower to link; incremental state is
  # of no use to a CI run.
  export CARGO_PROFILE_DEV_DEBUG=line-tables-only
  export CARGO_INCREMENTAL=0
  local sysroot
  sysroot=$(/usr/bin/rustc --print sysroot)
  [ -f "$sysroot/lib/rustlib/src/rust/library/std/Cargo.toml" ] ||
    ci_die "no std source under $sysroot/lib/rustlib/src/rust (rust-web-src)"

  # Linkers and runners. They are set for every step, whether it links or
  # not: the linker is part of what cargo fingerprints, and a step that left
  # it out would rebuild another step's std.
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  # i686: the default `cc` with -m32, which gcc-12-multilib provides.
  # qemu-user runs aarch64 programs, with the cross libc as their root. The
  # cfg marks the tests that qemu-user cannot run (see src/sys/unix/uds.rs).
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="--cfg evio_qemu_user"
  echo "ci: $(/usr/bin/rustc -V), $(/usr/bin/cargo-clippy -V), std from source"
}

# `cargo` with Debian's toolchain and std built from source.
ci_cargo() {
  local cmd=$1
  shift
  "$CI_CARGO" "$cmd" "${CI_BUILD_STD[@]}" "$@"
}

# ------------------------------------------------------------------ tests of other targets

# Builds the test binaries of the workspace for `target` (doctests are built
# when they run). When EVIO_CI_TEST_TARGETS lists several targets (a whole
# CI run), they are all built in this one cargo invocation: std and the
# dependencies of three targets then keep both cores busy, where one
# target's std alone leaves one of them idle much of the time. The later
# steps find their binaries built.
ci_build_tests() {
  local own=$1 targets t args=() pkgs=() p=()
  targets=${EVIO_CI_TEST_TARGETS:-$own}
  case " $targets " in
    *" $own "*) ;;
    *) targets="$own $targets" ;;
  esac
  for t in $targets; do
    args+=(--target "$t")
    read -r -a p <<<"$(ci_target_packages "$t" run)"
    pkgs+=("${p[@]}")
  done
  [ ${#pkgs[@]} -gt 0 ] && ci_apt "${pkgs[@]}"
  local start log
  start=$(ci_now)
  log=$CI_LOGS/build-tests.log
  if ! ci_cargo test --workspace --no-run "${args[@]}" >"$log" 2>&1; then
    # `cargo test` has no --keep-going: one target's failure stops the
    # build of all. The verdict is the step's own target's, built alone;
    # another target's failure is reported by its own step.
    if ! ci_cargo test --workspace --no-run --target "$own" >"$log.$own" 2>&1; then
      ci_filter <"$log.$own" | tail -60
      ci_die "building the tests for $own failed (log: $log.$own)"
    fi
  fi
  echo "ci: test binaries for $targets built ($(($(ci_now) - start))s)"
}

# Runs the workspace's tests (doctests included) for `target`, with its
# runner; extra arguments go to the test binaries.
ci_run_tests() {
  local target=$1 start log rc
  shift
  start=$(ci_now)
  log=$CI_LOGS/test-$target.log
  set +e
  ci_cargo test --workspace --no-fail-fast --target "$target" -- "$@" 2>&1 | tee "$log" | ci_filter
  rc=${PIPESTATUS[0]}
  set -e
  ci_summary "$log"
  echo "ci: tests for $target: exit $rc ($(($(ci_now) - start))s)"
  return "$rc"
}

# Totals of the `test result:` lines of a cargo test log.
ci_summary() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) {
         if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
       END { printf "ci: %d passed, %d failed, %d ignored\n", p, f, g }' "$1"
}

# ------------------------------------------------------------------ Wine

# A Wine prefix of CI's own (target/ci/wine), created on first use, and
# Wine as the runner of windows-gnu programs.
ci_wine() {
  local wine=/usr/lib/wine/wine64 wineserver=/usr/lib/wine/wineserver
  [ -x "$wine" ] || ci_die "no $wine (package wine64)"
  export WINEPREFIX=$CI_WORK/wine
  export WINEARCH=win64
  export WINEDEBUG=-all
  # No Mono or Gecko: Wine would offer to download them.
  export WINEDLLOVERRIDES="mscoree,mshtml="
  unset DISPLAY WAYLAND_DISPLAY
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "ci: creating the Wine prefix $WINEPREFIX"
    rm -rf "$WINEPREFIX"
    "$wine" wineboot --init >"$CI_LOGS/wineboot.log" 2>&1 || {
      tail -20 "$CI_LOGS/wineboot.log"
      ci_die "wineboot failed"
    }
    "$wineserver" --wait
  fi
  local system32=$WINEPREFIX/drive_c/windows/system32
  [ -d "$system32" ] || ci_die "the Wine prefix has no system32 (log: $CI_LOGS/wineboot.log)"
  # Rust's std (1.78 and later) takes its random numbers from ProcessPrng in
  # bcryptprimitives.dll, which Wine only has from version 9: a program
  # built with it does not even start under Wine 8. Give the prefix a DLL
  # of that name that answers through BCryptGenRandom (.ci/lib/processprng.c).
  if [ ! -e /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/bcryptprimitives.dll ] &&
    [ ! -f "$system32/bcryptprimitives.dll" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$system32/bcryptprimitives.dll" \
      "$CI_REPO/.ci/lib/processprng.c" -lbcrypt ||
      ci_die "building bcryptprimitives.dll failed"
    echo "ci: bcryptprimitives.dll (ProcessPrng) added to the Wine prefix"
  fi
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$wine
  CI_WINESERVER=$wineserver
  echo "ci: $("$wine" --version 2>/dev/null), prefix $WINEPREFIX"
}

# Stops the prefix's wineserver (and any process left in it).
ci_wine_stop() {
  [ -n "${CI_WINESERVER:-}" ] && "$CI_WINESERVER" --kill >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------ an older Debian Rust

# Unpacks Debian's rustc-web/cargo-web of release `minor` (such as 1.85)
# into $CI_WORK/rust-<minor>, beside the installed toolchain rather than in
# its place: the packages are fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`, together with the libraries they need that are not
# installed. Sets CI_OLD_RUST to the unpacked root (its programs are in
# usr/bin and need LD_LIBRARY_PATH=$CI_OLD_RUST_LIBS).
ci_old_rust() {
  local minor=$1 dir=$CI_WORK/rust-$1 version
  CI_OLD_RUST=$dir/root
  CI_OLD_RUST_LIBS=$CI_OLD_RUST/usr/lib/x86_64-linux-gnu:$CI_OLD_RUST/lib/x86_64-linux-gnu
  if [ -x "$CI_OLD_RUST/usr/bin/cargo" ] &&
    LD_LIBRARY_PATH=$CI_OLD_RUST_LIBS "$CI_OLD_RUST/usr/bin/rustc" -V 2>/dev/null | grep "^rustc $minor\." >/dev/null; then
    return 0
  fi
  command -v apt-cache >/dev/null || ci_die "no apt-cache: Debian's rustc-web $minor cannot be fetched"
  version=$(apt-cache madison rustc-web 2>/dev/null | awk -v m="$minor." '$3 ~ "^" m { print $3; exit }')
  if [ -z "$version" ]; then
    ci_apt_update
    version=$(apt-cache madison rustc-web | awk -v m="$minor." '$3 ~ "^" m { print $3; exit }')
  fi
  [ -n "$version" ] || ci_die "Debian has no rustc-web $minor (apt-cache madison rustc-web)"
  rm -rf "$dir"
  mkdir -p "$dir/debs"
  (
    cd "$dir/debs"
    # The toolchain's own packages, at that version.
    local want=("rustc-web=$version" "cargo-web=$version" "libstd-rust-web-$minor=$version" "libstd-rust-web-dev=$version")
    local have=" rustc-web cargo-web libstd-rust-web-$minor libstd-rust-web-dev " deb dep round
    apt-get download -q "${want[@]}" >>"$CI_LOGS/apt.log" 2>&1 || ci_die "apt-get download ${want[*]} failed"
    # What they depend on and this machine lacks (a library of another LLVM
    # release, say), at its candidate version; then what those depend on.
    for round in 1 2 3; do
      want=()
      for deb in *.deb; do
        for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:any//' | tr -d ' '); do
          case "$have" in *" $dep "*) continue ;; esac
          have="$have$dep "
          ci_installed "$dep" && continue
          # A virtual package (libc-dev, say) has no candidate of its own:
          # what provides it is installed with the compiler it serves.
          apt-cache policy "$dep" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null || continue
          want+=("$dep")
        done
      done
      [ ${#want[@]} -eq 0 ] && break
      apt-get download -q "${want[@]}" >>"$CI_LOGS/apt.log" 2>&1 || ci_die "apt-get download ${want[*]} failed"
    done
    for deb in *.deb; do dpkg-deb -x "$deb" "$CI_OLD_RUST"; done
  )
  LD_LIBRARY_PATH=$CI_OLD_RUST_LIBS "$CI_OLD_RUST/usr/bin/rustc" -V >/dev/null &&
    LD_LIBRARY_PATH=$CI_OLD_RUST_LIBS "$CI_OLD_RUST/usr/bin/cargo" -V >/dev/null ||
    ci_die "the unpacked Rust $minor does not start (see ldd $CI_OLD_RUST/usr/bin/cargo)"
}
