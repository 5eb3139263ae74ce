//! The io_uring engine's ring on a Linux architecture that the `io-uring`
//! crate has no binding for (i686, 32-bit ARM...): there is none, and a
//! `Poll` asked for the engine runs epoll (`Poll::engine` says so).

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::epoll::{self, Events};
use crate::{PollOpt, Ready, Token};

/// A ring that cannot exist: `new` always fails, so no method is ever
/// called.
#[derive(Debug)]
pub(crate) enum Ring {}

impl Ring {
    /// Always fails: the engine needs a binding of the kernel's io_uring
    /// structures for this architecture.
    pub(crate) fn new() -> io::Result<Ring> {
        Err(crate::error::unsupported(
            "no io_uring binding for this architecture",
        ))
    }

    pub(crate) fn select(
        &self,
        _ep: &epoll::Selector,
        _events: &mut Events,
        _timeout: Option<Duration>,
    ) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn register(
        &self,
        _ep: &epoll::Selector,
        _fd: RawFd,
        _token: Token,
        _interest: Ready,
        _opts: PollOpt,
    ) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn reregister(
        &self,
        _ep: &epoll::Selector,
        _fd: RawFd,
        _token: Token,
        _interest: Ready,
        _opts: PollOpt,
    ) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn reregister_open(
        &self,
        _ep: &epoll::Selector,
        _fd: RawFd,
        _token: Token,
        _interest: Ready,
        _opts: PollOpt,
    ) -> io::Result<()> {
        match *self {}
    }

    pub(crate) fn deregister(&self, _ep: &epoll::Selector, _fd: RawFd) -> io::Result<()> {
        match *self {}
    }
}
