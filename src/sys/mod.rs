//! Operating-system backends.
//!
//! Each backend offers the same small set of names, which the portable layer
//! uses without knowing which backend it got:
//!
//! - `Selector`: `new()`, `select(&self, &mut Events, Option<Duration>)`,
//!   `register`, `reregister`, `deregister`;
//! - `Events`: the OS's own event records (`with_capacity`, `capacity`, `len`,
//!   `get`, `clear`, `push_user`, `remove_token`), and `event::to_event` that
//!   turns one record into an [`Event`](crate::event::Event) when it is read;
//! - `Waker`: `new(&Selector, Token)`, `wake(&self)`;
//! - `IoSourceState`: what a socket needs beside its descriptor to be
//!   registered (nothing on Unix; on Windows its slot in the selector, and
//!   `do_io` re-arms the socket's AFD poll after an operation would block,
//!   which is why Windows's `Selector::register`, `reregister` and
//!   `deregister` take the state rather than the descriptor).
//!
//! Each backend also exports its platform facts as constants:
//! `SELECT_REJECTS_ZERO_CAPACITY`, true where the selector's `select`
//! itself fails on an `Events` of capacity 0 (epoll: the kernel answers
//! `EINVAL`), so that `Poll::poll` need not look first.
//!
//! This is the one place where the backend family is chosen; the Unix
//! family chooses between epoll and kqueue in `unix/mod.rs`.

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

/// Whether `Poll::poll` may take its inlined fast path on `selector`: on
/// Linux only with the epoll engine (the io_uring engine's select is out of
/// line, on the general path); elsewhere always.
#[cfg(target_os = "linux")]
#[inline(always)]
pub(crate) fn fast_path(selector: &Selector) -> bool {
    selector.is_epoll()
}
#[cfg(not(target_os = "linux"))]
#[inline(always)]
pub(crate) fn fast_path(_selector: &Selector) -> bool {
    true
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use self::windows::*;
