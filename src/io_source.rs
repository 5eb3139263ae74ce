//! [`IoSource`]: a socket plus what it takes to register it.

use std::io;
use std::ops::Deref;

use crate::event::Evented;
use crate::poll::SelectorId;
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
}

impl<T> IoSource<T> {
    #[inline]
    pub(crate) fn new(inner: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner,
            selector_id: SelectorId::new(),
        }
    }

    /// Runs one IO operation on the socket.
    #[inline]
    pub(crate) fn do_io<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(f, &self.inner)
    }

    /// A new handle for the same socket, made by `clone` from the std
    /// socket; it shares this one's `Poll` binding, as a `try_clone` does
    /// in the classic API.
    pub(crate) fn try_clone_with(
        &self,
        clone: impl FnOnce(&T) -> io::Result<T>,
    ) -> io::Result<IoSource<T>> {
        Ok(IoSource {
            state: sys::IoSourceState::new(),
            inner: clone(&self.inner)?,
            selector_id: self.selector_id.clone(),
        })
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

#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> Evented for IoSource<T> {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.associate(poll)?;
        poll.selector()
            .register(self.inner.as_raw_fd(), token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.check(poll)?;
        // The socket is held open for the length of the call: on Linux the
        // io_uring engine may queue the change for the next poll.
        #[cfg(target_os = "linux")]
        let res = poll
            .selector()
            .reregister_open(self.inner.as_raw_fd(), token, interest, opts);
        #[cfg(not(target_os = "linux"))]
        let res = poll
            .selector()
            .reregister(self.inner.as_raw_fd(), token, interest, opts);
        res.map_err(not_registered)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.selector_id.check(poll)?;
        poll.selector()
            .deregister(self.inner.as_raw_fd())
            .map_err(not_registered)
    }
}

/// epoll and kqueue answer `ENOENT` to a change of a descriptor they do not
/// hold (never registered, or deregistered since): that error in words, as
/// for a handle that was never registered; any other error as it is.
#[cfg(unix)]
#[cold]
pub(crate) fn not_registered(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ENOENT) {
        io::Error::new(
            io::ErrorKind::NotFound,
            "the handle is not registered with this Poll",
        )
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
        poll.selector().register(
            &self.state,
            self.inner.as_raw_socket() as _,
            token,
            interest,
            opts,
        )
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.selector_id.check(poll)?;
        poll.selector()
            .reregister(&self.state, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.selector_id.check(poll)?;
        poll.selector().deregister(&self.state)
    }
}
