//! Unix backends: epoll on Linux and Android, kqueue on the BSDs (FreeBSD,
//! NetBSD, OpenBSD, DragonFly) and Apple's systems.

// The one choice inside the family: epoll on Linux and Android, kqueue on
// every other Unix that `sys/mod.rs` admits.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
use self::epoll as backend;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod kqueue;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use self::kqueue as backend;

// Linux: a `Poll` runs the epoll engine or the io_uring one, both of
// epoll's records.
#[cfg(target_os = "linux")]
mod engine;
// The ring, where the `io-uring` crate has a binding for the architecture
// (as Cargo.toml says); elsewhere a ring that never starts, so that a
// `Poll` asked for io_uring runs epoll.
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64",
        target_arch = "powerpc64"
    )
))]
mod uring;
#[cfg(all(
    target_os = "linux",
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64",
        target_arch = "powerpc64"
    ))
))]
#[path = "uring_none.rs"]
mod uring;
#[cfg(not(target_os = "linux"))]
pub(crate) use self::backend::Selector;
#[cfg(target_os = "linux")]
pub(crate) use self::engine::Selector;

pub(crate) use self::backend::{
    decode, Events, SysEvent, Waker, EXTRA_READINESS, SELECT_REJECTS_ZERO_CAPACITY,
};

// The kqueue selector's kernel-free logic, unit-tested on Linux and
// Android too.
#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
#[path = "kqueue/logic.rs"]
mod kqueue_logic;

/// Raw system calls of the hot path, where their convention is written here.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) mod syscall;

pub(crate) mod fd;
pub(crate) mod net;
pub(crate) mod pipe;
pub(crate) mod uds;

/// The error number of a wait interrupted by a signal.
pub(crate) const EINTR: i32 = libc::EINTR;

/// Turns a rustix error into an `io::Error`: the one place this conversion is written.
#[inline]
pub(crate) fn cvt<T>(res: rustix::io::Result<T>) -> std::io::Result<T> {
    res.map_err(std::io::Error::from)
}

/// What a socket needs beside its descriptor to be registered: nothing on Unix.
#[derive(Debug, Default)]
pub(crate) struct IoSourceState;

impl IoSourceState {
    #[inline]
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    /// Runs one IO operation on the socket.
    #[inline]
    pub(crate) fn do_io<T, F, R>(&self, f: F, io: &T) -> std::io::Result<R>
    where
        F: FnOnce(&T) -> std::io::Result<R>,
    {
        f(io)
    }
}
