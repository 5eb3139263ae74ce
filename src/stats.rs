//! Per-`Poll` counters (cargo feature `stats`, off by default).
//!
//! Every `Poll` carries a `Counters`. With the feature off it is an empty
//! type whose methods are empty and inlined: the counting compiles to
//! nothing, and the `Poll` is no larger. With the feature on each counter is
//! an `AtomicU64`, bumped with a relaxed `fetch_add` where the event
//! happens, and [`Poll::stats`](crate::Poll::stats) copies them into a
//! [`PollStats`].

#[cfg(feature = "stats")]
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What a [`Poll`](crate::Poll) has done since it was created: a plain
/// copy of its counters, taken by [`Poll::stats`](crate::Poll::stats)
/// (cargo feature `stats`).
///
/// Each counter is exact; a copy taken while other threads use the `Poll`
/// reads each counter at a slightly different moment.
///
/// # Examples
///
/// ```
/// use evio::{Events, Poll, PollOpt, Ready, Registration, Token};
/// use std::time::Duration;
///
/// let poll = Poll::new()?;
/// let (registration, set_readiness) = Registration::new2();
/// poll.register(&registration, Token(0), Ready::readable(), PollOpt::edge())?;
/// set_readiness.set_readiness(Ready::readable())?;
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///
/// let stats = poll.stats();
/// assert_eq!(stats.polls, 1);
/// assert_eq!(stats.events, 1);
/// assert_eq!(stats.user_events, 1);
/// assert_eq!(stats.user_registrations, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(feature = "stats")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PollStats {
    /// Calls of `poll` and `poll_interruptible` that returned `Ok`.
    pub polls: u64,
    /// Events those polls delivered (the operating system's and user-space ones).
    pub events: u64,
    /// Polls that returned `Ok(0)`.
    pub empty_polls: u64,
    /// System calls made by the `Poll`'s methods and by registering,
    /// reregistering and deregistering handles with it: one per wait
    /// (`epoll_wait`, `kevent`, `GetQueuedCompletionStatusEx`, a wait
    /// restarted after a signal included) and one per registration change
    /// of an operating-system handle. The wake-up writes of
    /// `SetReadiness` and `Waker`, made by the threads that call them, are
    /// not counted.
    pub syscalls: u64,
    /// Waits that a signal interrupted (`EINTR`) and `poll` restarted.
    pub eintr_retries: u64,
    /// User-space readiness events (of [`Registration`](crate::Registration)s)
    /// delivered, part of `events`.
    pub user_events: u64,
    /// Registrations of evio's own IO types (sockets, pipes).
    pub io_registrations: u64,
    /// Registrations of raw descriptors through [`EventedFd`](crate::unix::EventedFd).
    pub fd_registrations: u64,
    /// Registrations of user-space [`Registration`](crate::Registration)s.
    pub user_registrations: u64,
    /// Successful reregistrations, of any kind.
    pub reregistrations: u64,
    /// Successful deregistrations, of any kind.
    pub deregistrations: u64,
}

/// What was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "stats"), allow(dead_code))]
pub(crate) enum Kind {
    /// One of evio's IO types: a system call.
    Io,
    /// A raw descriptor: a system call.
    Fd,
    /// A user-space `Registration`: no system call.
    User,
}

/// The counters of one `Poll`.
#[cfg(feature = "stats")]
#[derive(Debug, Default)]
pub(crate) struct Counters {
    polls: AtomicU64,
    events: AtomicU64,
    empty_polls: AtomicU64,
    syscalls: AtomicU64,
    eintr_retries: AtomicU64,
    user_events: AtomicU64,
    io_registrations: AtomicU64,
    fd_registrations: AtomicU64,
    user_registrations: AtomicU64,
    reregistrations: AtomicU64,
    deregistrations: AtomicU64,
}

/// Without the feature: nothing, and every method does nothing.
#[cfg(not(feature = "stats"))]
#[derive(Debug)]
pub(crate) struct Counters;

// The feature off costs no space in a `Poll`.
#[cfg(not(feature = "stats"))]
const _: () = assert!(std::mem::size_of::<Counters>() == 0);

#[cfg_attr(not(feature = "stats"), allow(unused_variables))]
impl Counters {
    /// All zero.
    #[inline]
    pub(crate) fn new() -> Counters {
        #[cfg(feature = "stats")]
        {
            Counters::default()
        }
        #[cfg(not(feature = "stats"))]
        {
            Counters
        }
    }

    /// A poll returned `Ok(n)`, `user` of them user-space events.
    #[inline(always)]
    pub(crate) fn polled(&self, n: usize, user: usize) {
        #[cfg(feature = "stats")]
        {
            self.polls.fetch_add(1, Relaxed);
            self.events.fetch_add(n as u64, Relaxed);
            if n == 0 {
                self.empty_polls.fetch_add(1, Relaxed);
            }
            if user != 0 {
                self.user_events.fetch_add(user as u64, Relaxed);
            }
        }
    }

    /// A system call was made (a wait, or a registration change).
    #[inline(always)]
    pub(crate) fn syscall(&self) {
        #[cfg(feature = "stats")]
        self.syscalls.fetch_add(1, Relaxed);
    }

    /// A wait was interrupted by a signal and is made again.
    #[inline(always)]
    pub(crate) fn eintr(&self) {
        #[cfg(feature = "stats")]
        self.eintr_retries.fetch_add(1, Relaxed);
    }

    /// A handle of `kind` was registered, if `res` says so; a system call
    /// was made for it unless it is a user-space one.
    #[inline(always)]
    pub(crate) fn registered<T>(&self, kind: Kind, res: &std::io::Result<T>) {
        #[cfg(feature = "stats")]
        {
            if kind != Kind::User {
                self.syscall();
            }
            if res.is_ok() {
                match kind {
                    Kind::Io => &self.io_registrations,
                    Kind::Fd => &self.fd_registrations,
                    Kind::User => &self.user_registrations,
                }
                .fetch_add(1, Relaxed);
            }
        }
    }

    /// A handle of `kind` was reregistered, if `res` says so.
    #[inline(always)]
    pub(crate) fn reregistered<T>(&self, kind: Kind, res: &std::io::Result<T>) {
        #[cfg(feature = "stats")]
        {
            if kind != Kind::User {
                self.syscall();
            }
            if res.is_ok() {
                self.reregistrations.fetch_add(1, Relaxed);
            }
        }
    }

    /// A handle of `kind` was deregistered, if `res` says so.
    #[inline(always)]
    pub(crate) fn deregistered<T>(&self, kind: Kind, res: &std::io::Result<T>) {
        #[cfg(feature = "stats")]
        {
            if kind != Kind::User {
                self.syscall();
            }
            if res.is_ok() {
                self.deregistrations.fetch_add(1, Relaxed);
            }
        }
    }

    /// A copy of every counter.
    #[cfg(feature = "stats")]
    pub(crate) fn snapshot(&self) -> PollStats {
        PollStats {
            polls: self.polls.load(Relaxed),
            events: self.events.load(Relaxed),
            empty_polls: self.empty_polls.load(Relaxed),
            syscalls: self.syscalls.load(Relaxed),
            eintr_retries: self.eintr_retries.load(Relaxed),
            user_events: self.user_events.load(Relaxed),
            io_registrations: self.io_registrations.load(Relaxed),
            fd_registrations: self.fd_registrations.load(Relaxed),
            user_registrations: self.user_registrations.load(Relaxed),
            reregistrations: self.reregistrations.load(Relaxed),
            deregistrations: self.deregistrations.load(Relaxed),
        }
    }
}
