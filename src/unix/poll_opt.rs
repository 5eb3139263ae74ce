use std::{fmt, ops};

use crate::poll_opt::EXCLUSIVE;
use crate::PollOpt;

/// Registration options that only Linux has: evio's additions to the
/// classic API (Linux and Android).
///
/// - **exclusive** (`EPOLLEXCLUSIVE`, Linux 4.5 and later): when several
///   `Poll`s wait on one handle (a listening socket shared by the threads
///   of a server, each with its own `Poll`), an event wakes one of them
///   (or a few), not all. Without it every thread wakes for every
///   connection and all but one find nothing to accept: the thundering
///   herd (see BENCHMARKS.md for the count of wake-ups).
///
/// `UnixPollOpt` converts into a [`PollOpt`], and `|` with a `PollOpt`
/// gives one:
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))]
/// # {
/// use evio::net::TcpListener;
/// use evio::unix::UnixPollOpt;
/// use evio::{Poll, PollOpt, Ready, Token};
///
/// let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
/// let poll = Poll::new()?;
/// let opts = UnixPollOpt::exclusive() | PollOpt::edge();
/// poll.register(&listener, Token(0), Ready::readable(), opts)?;
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// An exclusive registration is what epoll allows one to be:
///
/// - it is made by [`Poll::register`](crate::Poll::register) only: epoll
///   cannot change one, so [`Poll::reregister`](crate::Poll::reregister)
///   with `exclusive`, or of a handle registered with it, is an error
///   (`InvalidInput`, or the kernel's `EINVAL`): deregister it and
///   register it again;
/// - it cannot be oneshot, nor ask for priority readiness (priority
///   interest or [`PollOpt::urgent`]): `InvalidInput`;
/// - readable interest does not ask for the peer's half close
///   (`EPOLLRDHUP`, which epoll refuses here): such an event is readable,
///   and [`Event::is_read_closed`](crate::event::Event::is_read_closed) is
///   false for it. A listening socket, the handle this is made for, has no
///   half close;
/// - a user-space [`Registration`](crate::Registration) ignores it.
#[derive(Copy, PartialEq, Eq, Clone, Hash)]
pub struct UnixPollOpt(PollOpt);

impl UnixPollOpt {
    /// `EPOLLEXCLUSIVE`: one waiting `Poll` (or a few) is woken per event.
    #[inline]
    pub const fn exclusive() -> UnixPollOpt {
        UnixPollOpt(PollOpt::from_raw(EXCLUSIVE))
    }

    /// Returns true if exclusive is set.
    #[inline]
    pub const fn is_exclusive(&self) -> bool {
        self.0.is_exclusive()
    }
}

impl From<UnixPollOpt> for PollOpt {
    #[inline]
    fn from(opt: UnixPollOpt) -> PollOpt {
        opt.0
    }
}

impl From<PollOpt> for UnixPollOpt {
    #[inline]
    fn from(opt: PollOpt) -> UnixPollOpt {
        UnixPollOpt(opt)
    }
}

impl ops::BitOr<PollOpt> for UnixPollOpt {
    type Output = PollOpt;

    #[inline]
    fn bitor(self, other: PollOpt) -> PollOpt {
        PollOpt::from_raw(self.0.bits() | other.bits())
    }
}

impl ops::BitOr for UnixPollOpt {
    type Output = UnixPollOpt;

    #[inline]
    fn bitor(self, other: UnixPollOpt) -> UnixPollOpt {
        UnixPollOpt(PollOpt::from_raw(self.0.bits() | other.0.bits()))
    }
}

impl fmt::Debug for UnixPollOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_combines() {
        let opts = UnixPollOpt::exclusive() | PollOpt::edge();
        assert!(opts.is_edge() && UnixPollOpt::from(opts).is_exclusive());
        assert!(!UnixPollOpt::from(PollOpt::edge()).is_exclusive());
        // `!` stays within the classic options.
        assert!(!UnixPollOpt::from(!PollOpt::empty()).is_exclusive());
        assert_eq!(format!("{opts:?}"), "Edge-Triggered | Exclusive");
    }
}
