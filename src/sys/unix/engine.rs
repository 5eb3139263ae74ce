//! The engines of a `Poll` on Linux: epoll, or io_uring (see `uring.rs`).
//!
//! One enum, matched once per call with the epoll arm first: epoll's calls
//! inline here as they did into `Poll` before there was a choice, and the
//! io_uring engine's are out of line.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::{epoll, uring};
use crate::poll::Engine;
use crate::{PollOpt, Ready, Token};

/// The selector of a `Poll`: one of the engines.
#[derive(Debug)]
pub(crate) enum Selector {
    Epoll(epoll::Selector),
    IoUring(Box<uring::Selector>),
}

impl Selector {
    /// The epoll engine.
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector::Epoll(epoll::Selector::new()?))
    }

    /// The engine asked for, or epoll where that one cannot run (the
    /// kernel has no io_uring, refuses it, or lacks what the engine needs).
    pub(crate) fn with_engine(engine: Engine) -> io::Result<Selector> {
        if engine == Engine::IoUring {
            match uring::Selector::new() {
                Ok(s) => return Ok(Selector::IoUring(Box::new(s))),
                // Silently epoll, as documented; `Poll::engine` tells.
                Err(_unavailable) => {}
            }
        }
        Selector::new()
    }

    #[inline(always)]
    pub(crate) fn is_epoll(&self) -> bool {
        matches!(self, Selector::Epoll(_))
    }

    /// The engine this selector runs.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Selector::Epoll(_) => Engine::Epoll,
            Selector::IoUring(_) => Engine::IoUring,
        }
    }

    #[inline]
    pub(crate) fn select(
        &self,
        events: &mut epoll::Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        match self {
            Selector::Epoll(s) => s.select(events, timeout),
            Selector::IoUring(s) => s.select(events, timeout),
        }
    }

    /// The fast path of `Poll::poll` (a timeout of `-1` or `0` ms): the
    /// number of records, or the error number.
    #[inline]
    pub(crate) fn select_quick(
        &self,
        events: &mut epoll::Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        match self {
            Selector::Epoll(s) => s.select_quick(events, timeout_ms),
            Selector::IoUring(s) => s.select_quick(events, timeout_ms),
        }
    }

    #[inline]
    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        match self {
            Selector::Epoll(s) => s.register(fd, token, interest, opts),
            Selector::IoUring(s) => s.register(fd, token, interest, opts),
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
        match self {
            Selector::Epoll(s) => s.reregister(fd, token, interest, opts),
            Selector::IoUring(s) => s.reregister(fd, token, interest, opts),
        }
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
        match self {
            Selector::Epoll(s) => s.reregister(fd, token, interest, opts),
            Selector::IoUring(s) => s.reregister_open(fd, token, interest, opts),
        }
    }

    #[inline]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        match self {
            Selector::Epoll(s) => s.deregister(fd),
            Selector::IoUring(s) => s.deregister(fd),
        }
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
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Selector::Epoll(s) => s.as_raw_fd(),
            Selector::IoUring(s) => s.as_raw_fd(),
        }
    }
}
