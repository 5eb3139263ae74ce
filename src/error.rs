//! Every `io::Error` evio makes itself, built here: one constructor per
//! kind, and the errors that several modules return with the same words.
//!
//! Each constructor is cold and out of line, so that the code that returns
//! an error keeps only a call on its failure branch. This module depends
//! on nothing in the crate: the portable layer and the backends both use it.

use std::io;

/// An `InvalidInput` error.
#[cold]
#[inline(never)]
pub(crate) fn invalid_input(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// An `InvalidInput` error whose message is made at run time.
#[cold]
#[inline(never)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) fn invalid_input_string(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// An `InvalidData` error.
#[cold]
#[inline(never)]
#[cfg_attr(evio_sim, allow(dead_code))]
pub(crate) fn invalid_data(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// A `NotFound` error.
#[cold]
#[inline(never)]
pub(crate) fn not_found(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, msg)
}

/// An `AlreadyExists` error.
#[cold]
#[inline(never)]
pub(crate) fn already_exists(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, msg)
}

/// An `Unsupported` error.
#[cold]
#[inline(never)]
pub(crate) fn unsupported(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, msg)
}

/// A `TimedOut` error (the simulator's).
#[cold]
#[inline(never)]
#[cfg_attr(not(evio_sim), allow(dead_code))]
pub(crate) fn timed_out(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, msg)
}

/// An `AddrNotAvailable` error whose message is made at run time (the
/// simulator's).
#[cold]
#[inline(never)]
#[cfg_attr(not(evio_sim), allow(dead_code))]
pub(crate) fn addr_not_available_string(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::AddrNotAvailable, msg)
}

/// An error of kind `Other` with a fixed message.
#[cold]
#[inline(never)]
pub(crate) fn other(msg: &'static str) -> io::Error {
    io::Error::other(msg)
}

/// An error of kind `Other` whose message is made at run time.
#[cold]
#[inline(never)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) fn other_string(msg: String) -> io::Error {
    io::Error::other(msg)
}

/// The operating system's error `code` (an errno, or a Win32 or Winsock
/// error code).
#[cold]
#[inline(never)]
pub(crate) fn os(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// Polling into an `Events` buffer of capacity 0.
#[cold]
#[inline(never)]
pub(crate) fn zero_capacity() -> io::Error {
    invalid_input("cannot poll into an Events buffer of capacity 0")
}

/// Registering with `Token(usize::MAX)`, which evio keeps for itself.
#[cold]
#[inline(never)]
pub(crate) fn reserved_token() -> io::Error {
    invalid_input("Token(usize::MAX) is reserved and cannot be registered")
}

/// A handle bound to one `Poll` used with another.
#[cold]
#[inline(never)]
pub(crate) fn other_poll() -> io::Error {
    other("the handle is already registered with another Poll")
}

/// A handle that this `Poll` does not hold: `NotFound`, as epoll and
/// kqueue answer (and as the classic API reports it).
#[cold]
#[inline(never)]
pub(crate) fn not_this_poll() -> io::Error {
    not_found("the handle is not registered with this Poll")
}

/// Listeners that share an address and its connections: Linux and Android
/// only.
#[cold]
#[inline(never)]
#[cfg_attr(evio_sim, allow(dead_code))]
pub(crate) fn reuseport_unsupported() -> io::Error {
    unsupported("listeners that share connections (SO_REUSEPORT) are a Linux and Android addition")
}

/// A channel's receiver registered a second time: of kind `Other`, as the
/// classic channel answers.
#[cold]
#[inline(never)]
pub(crate) fn receiver_registered_already() -> io::Error {
    other("the channel's receiver is registered already")
}

/// A channel's receiver reregistered or deregistered before it was
/// registered: of kind `Other`, as the classic channel answers.
#[cold]
#[inline(never)]
pub(crate) fn receiver_not_registered() -> io::Error {
    other("the channel's receiver is not registered")
}

/// A socket registered a second time (Windows, where the portable layer
/// keeps the registration itself).
#[cold]
#[inline(never)]
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn socket_registered_already() -> io::Error {
    already_exists("the socket is registered already")
}

/// A socket that this `Poll` does not hold (Windows).
#[cold]
#[inline(never)]
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn socket_not_registered() -> io::Error {
    not_found("the socket is not registered with this Poll")
}

/// `reregister` with `EPOLLEXCLUSIVE`, or of an exclusive registration
/// (Linux, Android).
#[cold]
#[inline(never)]
#[cfg_attr(
    any(evio_sim, not(any(target_os = "linux", target_os = "android"))),
    allow(dead_code)
)]
pub(crate) fn exclusive_is_for_register() -> io::Error {
    invalid_input(
        "epoll cannot change an exclusive registration: deregister it and register it again",
    )
}

/// A keepalive idle time asked of OpenBSD, which has none per socket.
#[cold]
#[inline(never)]
#[cfg_attr(not(target_os = "openbsd"), allow(dead_code))]
pub(crate) fn no_keepidle() -> io::Error {
    unsupported(
        "OpenBSD has no per-socket keepalive idle time (TCP_KEEPIDLE); \
         the system-wide sysctl net.inet.tcp.keepidle applies",
    )
}
