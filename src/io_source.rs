//! [`IoSource`]: a socket plus what it takes to register it.

use std::io;
use std::ops::Deref;

use crate::event::Evented;
use crate::poll::SelectorId;
use crate::stats::Kind;
use crate::{sys, Poll, PollOpt, Ready, Token};

/// Wraps a non-blocking socket `T` (a std socket type) for registration.
///
/// On Unix this is the socket and the id of the `Poll` it is bound to; on
/// Windows `sys::IoSourceState` also holds the socket's completion-port state,
/// and `do_io` re-arms the readiness poll after an operation would block.
pub(crate) struct IoSource<T> {
    state: sys::IoSourceState,
    inner: T,
    selector_id: SelectorId,
    // The descriptor, read (and checked not to be -1) once: the std
    // sockets' `as_fd` is a call into std that the compiler does not
    // inline. Borrowed for as long as `inner` lives, and handed out only
    // for the length of a borrow of `self`.
    #[cfg(unix)]
    fd: std::os::fd::BorrowedFd<'static>,
}

/// What an `IoSource` wraps: on Unix, something with a descriptor.
#[cfg(unix)]
pub(crate) trait Handle: std::os::fd::AsRawFd {}
#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> Handle for T {}
/// What an `IoSource` wraps.
#[cfg(windows)]
pub(crate) trait Handle {}
#[cfg(windows)]
impl<T> Handle for T {}

impl<T: Handle> IoSource<T> {
    #[inline]
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            // SAFETY: `inner` owns the descriptor and lives as long as this
            // source, which never hands the `'static` borrow out (see `fd`).
            #[cfg(unix)]
            fd: unsafe { std::os::fd::BorrowedFd::borrow_raw(inner.as_raw_fd()) },
            inner,
            selector_id: SelectorId::new(),
        }
    }

    /// A new handle for the same socket, made by `clone` from the std
    /// socket; it shares this one's `Poll` binding, as a `try_clone` does
    /// in the classic API.
    pub(crate) fn try_clone_with(
        &self,
        clone: impl FnOnce(&T) -> io::Result<T>,
    ) -> io::Result<IoSource<T>> {
        let mut source = IoSource::new(clone(&self.inner)?);
        source.selector_id = self.selector_id.clone();
        Ok(source)
    }
}

impl<T> IoSource<T> {
    /// Runs one IO operation on the socket.
    #[inline]
    pub(crate) fn do_io<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(f, &self.inner)
    }

    /// Runs one IO operation on the socket's descriptor (on Windows, on the
    /// socket, as `do_io`): the operations of the hot path, which need
    /// nothing but the descriptor.
    #[cfg(unix)]
    #[inline]
    pub(crate) fn do_io_fd<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(std::os::fd::BorrowedFd<'_>) -> io::Result<R>,
    {
        f(self.fd)
    }

    /// Runs one IO operation on the socket (see the Unix version).
    #[cfg(windows)]
    #[inline]
    pub(crate) fn do_io_fd<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.do_io(f)
    }

    pub(crate) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> Deref for IoSource<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

// Each change first tests the socket's binding with one compare: bound to
// this `Poll`, and the `Poll`'s engine has the fast path (everywhere but
// Linux's io_uring engine), the change goes straight to the kernel; the
// first registration, a socket bound elsewhere (an error) and the io_uring
// engine take the out-of-line path, which tells them apart.
#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> Evented for IoSource<T> {
    #[inline]
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if !self.selector_id.is_fast(poll) {
            return self.register_slow(poll, token, interest, opts);
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        let res = sys::register_fast(poll.selector(), fd, token, interest, opts);
        poll.counters().registered(Kind::Io, &res);
        res
    }

    #[inline]
    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if !self.selector_id.is_fast(poll) {
            return self.reregister_slow(poll, token, interest, opts);
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        let res = sys::reregister_fast(poll.selector(), fd, token, interest, opts)
            .map_err(not_registered);
        poll.counters().reregistered(Kind::Io, &res);
        res
    }

    #[inline]
    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        if !self.selector_id.is_fast(poll) {
            return self.deregister_slow(poll);
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        let res = sys::deregister_fast(poll.selector(), fd).map_err(not_registered);
        poll.counters().deregistered(Kind::Io, &res);
        res
    }
}

#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> IoSource<T> {
    #[cold]
    #[inline(never)]
    fn register_slow(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.associate(poll)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        let res = poll.selector().register(fd, token, interest, opts);
        poll.counters().registered(Kind::Io, &res);
        res
    }

    #[cold]
    #[inline(never)]
    fn reregister_slow(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.check(poll)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        // The socket is held open for the length of the call: on Linux the
        // io_uring engine may queue the change for the next poll.
        #[cfg(target_os = "linux")]
        let res = poll.selector().reregister_open(fd, token, interest, opts);
        #[cfg(not(target_os = "linux"))]
        let res = poll.selector().reregister(fd, token, interest, opts);
        let res = res.map_err(not_registered);
        poll.counters().reregistered(Kind::Io, &res);
        res
    }

    #[cold]
    #[inline(never)]
    fn deregister_slow(&self, poll: &Poll) -> io::Result<()> {
        self.selector_id.check(poll)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.fd);
        let res = poll.selector().deregister(fd).map_err(not_registered);
        poll.counters().deregistered(Kind::Io, &res);
        res
    }
}

/// epoll and kqueue answer `ENOENT` to a change of a descriptor they do not
/// hold (never registered, or deregistered since): that error in words, as
/// for a handle that was never registered; any other error as it is.
#[cfg(unix)]
#[cold]
pub(crate) fn not_registered(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ENOENT) {
        crate::error::not_found("the handle is not registered with this Poll")
    } else {
        e
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsRawSocket> Evented for IoSource<T> {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.associate(poll)?;
        let res = poll.selector().register(
            &self.state,
            self.inner.as_raw_socket() as _,
            token,
            interest,
            opts,
        );
        poll.counters().registered(Kind::Io, &res);
        res
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.check(poll)?;
        let res = poll
            .selector()
            .reregister(&self.state, token, interest, opts);
        poll.counters().reregistered(Kind::Io, &res);
        res
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.selector_id.check(poll)?;
        let res = poll.selector().deregister(&self.state);
        poll.counters().deregistered(Kind::Io, &res);
        res
    }
}
