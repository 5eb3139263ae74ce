//! The engines of a `Poll` on Linux: epoll, or io_uring (see `uring.rs`).
//!
//! Both engines wait on an epoll set, which this selector owns; the io_uring
//! engine adds a ring that carries queued changes to it. `Poll::poll`'s
//! inlined fast path is the epoll engine's alone and makes no test of the
//! engine: `Poll` takes it only when `has_fast_path` said so at creation,
//! a test it already made (see `Poll::fast`). Every other call tests for the
//! ring once, with epoll's code inline and the ring's out of line, and the
//! two outcomes of a registration change meet as an error number.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::{epoll, uring};
use crate::engine::Engine;
use crate::{PollOpt, Ready, Token};

/// The selector of a `Poll`: an epoll set, and the ring of the io_uring
/// engine.
#[derive(Debug)]
pub(crate) struct Selector {
    epoll: epoll::Selector,
    ring: Option<Box<uring::Ring>>,
}

impl Selector {
    /// The epoll engine.
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            epoll: epoll::Selector::new()?,
            ring: None,
        })
    }

    /// The engine asked for, or epoll where that one cannot run (the
    /// kernel has no io_uring, refuses it, or lacks what the engine needs).
    pub(crate) fn with_engine(engine: Engine) -> io::Result<Selector> {
        let mut selector = Selector::new()?;
        if engine == Engine::IoUring {
            // Where the ring cannot run: silently epoll, as documented;
            // `Poll::engine` tells.
            selector.ring = uring::Ring::new().ok().map(Box::new);
        }
        Ok(selector)
    }

    /// Whether `Poll::poll` may take its inlined fast path
    /// (`select_quick`): the epoll engine only.
    #[inline]
    pub(crate) fn has_fast_path(&self) -> bool {
        self.ring.is_none()
    }

    /// The engine this selector runs.
    pub(crate) fn engine(&self) -> Engine {
        match self.ring {
            None => Engine::Epoll,
            Some(_) => Engine::IoUring,
        }
    }

    #[inline]
    pub(crate) fn select(
        &self,
        events: &mut epoll::Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        if self.ring.is_some() {
            return self.ring_select(events, timeout);
        }
        self.epoll.select(events, timeout)
    }

    /// The io_uring engine's wait, out of line.
    #[cold]
    #[inline(never)]
    fn ring_select(&self, events: &mut epoll::Events, timeout: Option<Duration>) -> io::Result<()> {
        match &self.ring {
            Some(ring) => ring.select(&self.epoll, events, timeout),
            None => self.epoll.select(events, timeout),
        }
    }

    /// The fast path of `Poll::poll` (a timeout of `-1` or `0` ms): the
    /// number of records, or the error number. For a selector whose
    /// `has_fast_path` is true only (it is the epoll engine's wait, and
    /// would skip the ring's queued changes).
    #[inline]
    pub(crate) fn select_quick(
        &self,
        events: &mut epoll::Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        debug_assert!(self.has_fast_path());
        self.epoll.select_quick(events, timeout_ms)
    }

    /// `select` for a selector whose `has_fast_path` is true only (as
    /// `select_quick`), with any timeout.
    #[inline]
    pub(crate) fn select_fast(
        &self,
        events: &mut epoll::Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        debug_assert!(self.has_fast_path());
        self.epoll.select(events, timeout)
    }

    /// The epoll engine's `register`, for a selector whose `has_fast_path`
    /// is true only (a socket bound to it says so: `SelectorId::is_fast`).
    #[inline]
    pub(crate) fn register_fast(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        debug_assert!(self.has_fast_path());
        self.epoll.register(fd, token, interest, opts)
    }

    /// As `register_fast`.
    #[inline]
    pub(crate) fn reregister_fast(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        debug_assert!(self.has_fast_path());
        self.epoll.reregister(fd, token, interest, opts)
    }

    /// As `register_fast`.
    #[inline]
    pub(crate) fn deregister_fast(&self, fd: RawFd) -> io::Result<()> {
        debug_assert!(self.has_fast_path());
        self.epoll.deregister(fd)
    }

    #[inline]
    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if opts.is_exclusive() {
            return self.register_exclusive(fd, token, interest, opts);
        }
        let errno = if self.ring.is_some() {
            self.ring_change(Change::Register, fd, token, interest, opts)
        } else {
            let flags = epoll::flags(interest, opts);
            self.epoll.ctl_errno(epoll::CTL_ADD, fd, token, flags)
        };
        result(errno)
    }

    /// `EPOLLEXCLUSIVE`: epoll's checks, and the words of its refusals.
    #[cold]
    #[inline(never)]
    fn register_exclusive(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        match &self.ring {
            None => self.epoll.register(fd, token, interest, opts),
            Some(ring) => ring.register(&self.epoll, fd, token, interest, opts),
        }
    }

    /// Reregisters a descriptor the caller may have closed (`EventedFd`).
    #[inline]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.modify(Change::Reregister, fd, token, interest, opts)
    }

    /// Reregisters a descriptor that the caller holds open for the length
    /// of the call (evio's own sockets): the io_uring engine queues it.
    #[inline]
    pub(crate) fn reregister_open(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.modify(Change::ReregisterOpen, fd, token, interest, opts)
    }

    #[inline]
    fn modify(
        &self,
        change: Change,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if opts.is_exclusive() {
            // epoll's own refusal, whichever the engine.
            return self.epoll.reregister(fd, token, interest, opts);
        }
        let errno = if self.ring.is_some() {
            self.ring_change(change, fd, token, interest, opts)
        } else {
            let flags = epoll::flags(interest, opts);
            self.epoll.ctl_errno(epoll::CTL_MOD, fd, token, flags)
        };
        result(errno)
    }

    #[inline]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let errno = if self.ring.is_some() {
            self.ring_change(
                Change::Deregister,
                fd,
                Token(0),
                Ready::empty(),
                PollOpt::empty(),
            )
        } else {
            let flags = rustix::event::epoll::EventFlags::empty();
            self.epoll.ctl_errno(epoll::CTL_DEL, fd, Token(0), flags)
        };
        result(errno)
    }

    /// A change on the io_uring engine, out of line: its outcome as an
    /// error number (0: done). Every error of these is the kernel's (or
    /// `ENOENT` in the kernel's stead, for a queued change of a descriptor
    /// not in the set); the refusals evio words itself, those of exclusive
    /// registrations, are taken before.
    #[cold]
    #[inline(never)]
    fn ring_change(
        &self,
        change: Change,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> i32 {
        let ep = &self.epoll;
        let res = match (&self.ring, change) {
            (Some(r), Change::Register) => r.register(ep, fd, token, interest, opts),
            (Some(r), Change::Reregister) => r.reregister(ep, fd, token, interest, opts),
            (Some(r), Change::ReregisterOpen) => r.reregister_open(ep, fd, token, interest, opts),
            (Some(r), Change::Deregister) => r.deregister(ep, fd),
            (None, Change::Register) => ep.register(fd, token, interest, opts),
            (None, Change::Reregister | Change::ReregisterOpen) => {
                ep.reregister(fd, token, interest, opts)
            }
            (None, Change::Deregister) => ep.deregister(fd),
        };
        match res {
            Ok(()) => 0,
            Err(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
        }
    }
}

/// A registration change, for `Selector::ring_change`.
#[derive(Clone, Copy)]
enum Change {
    Register,
    Reregister,
    ReregisterOpen,
    Deregister,
}

/// Both engines' outcome of a change as one error number (0: done), so
/// that the epoll engine's success is the one test of its system call
/// (joining two `io::Result`s costs a second test on that path).
#[inline]
fn result(errno: i32) -> io::Result<()> {
    match errno {
        0 => Ok(()),
        e => Err(crate::error::os(e)),
    }
}

impl epoll::RegisterFd for Selector {
    fn register_fd(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.register(fd, token, interest, opts)
    }
}

impl AsRawFd for Selector {
    /// The epoll set: what a `Poll` registered in another event loop waits on.
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}
