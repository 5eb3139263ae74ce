//! Operating-system backends.
//!
//! Each backend offers the same small set of names, which the portable layer
//! uses without knowing which backend it got:
//!
//! - `Selector`: `new()`, `select(&self, &mut Events, Option<Duration>)`,
//!   `select_quick` (the fast path's wait), `register`, `reregister`,
//!   `deregister`;
//! - `Events`: the backend's own records (`with_capacity`, `capacity`,
//!   `len`, `get`, `records`, `clear`, `push_user`, `remove_token`), of type
//!   `SysEvent`, and `decode(&SysEvent) -> record::Decoded`: the record's
//!   token, readiness bits and closed marks, which `event.rs` turns into an
//!   [`Event`](crate::event::Event) when it is read;
//! - `Waker`: `new(&Selector, Token)`, `wake(&self)`;
//! - `IoSourceState`: what a socket needs beside its descriptor to be
//!   registered (nothing on Unix; on Windows its slot in the selector, and
//!   `do_io` re-arms the socket's AFD poll after an operation would block,
//!   which is why Windows's `Selector::register`, `reregister` and
//!   `deregister` take the state rather than the descriptor).
//!
//! Each backend also exports its platform facts as constants, which the
//! portable layer reads:
//!
//! - `SELECT_REJECTS_ZERO_CAPACITY`: true where the selector's `select`
//!   itself fails on an `Events` of capacity 0 (epoll: the kernel answers
//!   `EINVAL`), so that `Poll::poll` need not look first;
//! - `EXTRA_READINESS`: the readiness bits beyond readable, writable,
//!   error and hang-up that the backend reports (priority, AIO, LIO), of
//!   which `Ready::all` and `UnixReady` are made;
//! - `EINTR`: the error number of a wait interrupted by a signal.
//!
//! [`record`] is what the backends share: the readiness bits' layout, the
//! decoded record, and the record buffer of kqueue and Windows. It names
//! no system, and nothing in a backend depends on the portable layer's
//! events.
//!
//! This is the one place where the backend family is chosen; the Unix
//! family chooses between epoll and kqueue in `unix/mod.rs`. The third
//! family, the simulator, replaces the operating system's under
//! `--cfg evio_sim`.

pub(crate) mod record;

/// The timeout that the fast path's milliseconds (`-1` or `0`) stand for,
/// for the backends whose `select_quick` is their `select`.
#[inline]
pub(crate) fn quick_timeout(ms: isize) -> Option<std::time::Duration> {
    if ms < 0 {
        None
    } else {
        Some(std::time::Duration::ZERO)
    }
}

#[cfg(not(any(
    windows,
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "openbsd"
)))]
compile_error!(
    "evio has no backend for this target: it supports epoll (Linux, Android), kqueue \
     (macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly BSD) and IO completion ports (Windows)"
);

/// Whether `Poll::poll` may take its inlined fast path on `selector`
/// (`select_quick`, and `select_fast`): on Linux the epoll engine only (the
/// io_uring engine's waits hand its queued changes over first); elsewhere
/// always. Asked once, when the `Poll` is created.
#[cfg(target_os = "linux")]
pub(crate) fn has_fast_path(selector: &Selector) -> bool {
    selector.has_fast_path()
}
#[cfg(not(target_os = "linux"))]
pub(crate) fn has_fast_path(_selector: &Selector) -> bool {
    true
}

/// `select` on a selector whose `has_fast_path` is true, with no test of
/// the engine.
#[cfg(target_os = "linux")]
#[inline(always)]
pub(crate) fn select_fast(
    selector: &Selector,
    events: &mut Events,
    timeout: Option<std::time::Duration>,
) -> std::io::Result<()> {
    selector.select_fast(events, timeout)
}
#[cfg(not(target_os = "linux"))]
#[inline(always)]
pub(crate) fn select_fast(
    selector: &Selector,
    events: &mut Events,
    timeout: Option<std::time::Duration>,
) -> std::io::Result<()> {
    selector.select(events, timeout)
}

/// A registration change on a selector whose `has_fast_path` is true, with
/// no test of the engine: for a socket whose binding says so
/// (`SelectorId::is_fast`). (The simulator's selector has one engine.)
#[cfg(unix)]
#[inline(always)]
pub(crate) fn register_fast(
    selector: &Selector,
    fd: std::os::fd::RawFd,
    token: crate::Token,
    interest: crate::Ready,
    opts: crate::PollOpt,
) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", not(evio_sim)))]
    return selector.register_fast(fd, token, interest, opts);
    #[cfg(not(all(target_os = "linux", not(evio_sim))))]
    selector.register(fd, token, interest, opts)
}

/// As `register_fast`.
#[cfg(unix)]
#[inline(always)]
pub(crate) fn reregister_fast(
    selector: &Selector,
    fd: std::os::fd::RawFd,
    token: crate::Token,
    interest: crate::Ready,
    opts: crate::PollOpt,
) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", not(evio_sim)))]
    return selector.reregister_fast(fd, token, interest, opts);
    #[cfg(not(all(target_os = "linux", not(evio_sim))))]
    selector.reregister(fd, token, interest, opts)
}

/// As `register_fast`.
#[cfg(unix)]
#[inline(always)]
pub(crate) fn deregister_fast(selector: &Selector, fd: std::os::fd::RawFd) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", not(evio_sim)))]
    return selector.deregister_fast(fd);
    #[cfg(not(all(target_os = "linux", not(evio_sim))))]
    selector.deregister(fd)
}

#[cfg(all(unix, not(evio_sim)))]
mod unix;
#[cfg(all(unix, not(evio_sim)))]
pub(crate) use self::unix::*;

#[cfg(all(windows, not(evio_sim)))]
mod windows;
#[cfg(all(windows, not(evio_sim)))]
pub(crate) use self::windows::*;

// The simulator (`RUSTFLAGS="--cfg evio_sim"`): a backend of its own, in
// place of the operating system's; see `sim/mod.rs` and `evio::sim`.
#[cfg(all(evio_sim, not(unix)))]
compile_error!("the simulator (--cfg evio_sim) runs on Unix hosts only");
#[cfg(evio_sim)]
pub(crate) mod sim;
#[cfg(evio_sim)]
pub(crate) use self::sim::*;
