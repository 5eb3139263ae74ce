//! [`Engine`]: which kernel interface a `Poll` runs on. A leaf module: the
//! portable layer and the Linux backend's engine enum both name it.

use std::sync::OnceLock;

/// The kernel interface a [`Poll`](crate::Poll) runs on: see
/// [`Poll::with_engine`](crate::Poll::with_engine) and
/// [`Poll::engine`](crate::Poll::engine).
///
/// Every engine gives the same API and the same semantics; they differ in
/// how many system calls some workloads make (see `BENCHMARKS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// epoll (Linux, Android): the default there.
    Epoll,
    /// Linux: epoll's readiness, with the `reregister` calls of evio's own
    /// sockets queued in user space and carried to the kernel in one batch
    /// through an io_uring (`IORING_OP_EPOLL_CTL`) when the next poll
    /// starts. Needs Linux 5.6 (`IORING_OP_EPOLL_CTL`,
    /// `IORING_REGISTER_PROBE`, `IORING_FEAT_NODROP`) on x86_64, AArch64,
    /// RISC-V 64, LoongArch64 or POWER64, and io_uring allowed
    /// (`kernel.io_uring_disabled`, seccomp); elsewhere a `Poll` asked for
    /// it runs [`Epoll`](Engine::Epoll).
    IoUring,
    /// kqueue (macOS, iOS, FreeBSD, NetBSD): the only engine there.
    Kqueue,
    /// An IO completion port with AFD polls (Windows): the only engine there.
    Iocp,
}

impl Engine {
    /// The engine of [`Poll::new`](crate::Poll::new) when `EVIO_ENGINE` says nothing.
    pub const DEFAULT: Engine = if cfg!(any(target_os = "linux", target_os = "android")) {
        Engine::Epoll
    } else if cfg!(windows) {
        Engine::Iocp
    } else {
        Engine::Kqueue
    };

    /// The engine `EVIO_ENGINE` names (`io_uring` or `epoll`; read once per
    /// process), or [`DEFAULT`](Engine::DEFAULT).
    pub(crate) fn from_env() -> Engine {
        static FROM_ENV: OnceLock<Engine> = OnceLock::new();
        *FROM_ENV.get_or_init(|| match std::env::var("EVIO_ENGINE").as_deref() {
            Ok("io_uring" | "io-uring" | "iouring" | "uring") => Engine::IoUring,
            Ok("epoll") => Engine::Epoll,
            _ => Engine::DEFAULT,
        })
    }
}
