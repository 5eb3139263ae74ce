//! User-space readiness: [`Registration`] and [`SetReadiness`].
//!
//! A `Registration` is an [`Evented`] handle whose readiness is set by hand,
//! from any thread, through its [`SetReadiness`]. The machinery is in
//! `queue`: a lock-free queue between the setters and `poll`, owned by the
//! `Poll` and created by the first `Registration` registered with it.

mod node;
mod queue;
mod sync;

#[cfg(all(test, loom))]
mod loom_tests;

use std::{fmt, io};

pub(crate) use self::queue::ReadinessQueue;
use self::queue::{Node, NodeRef};
use crate::event::Evented;
use crate::stats::Kind;
use crate::{Poll, PollOpt, Ready, Token};

/// Handle to a user-space readiness source, registered with a [`Poll`].
///
/// A `Registration` is an [`Evented`] handle whose readiness is set by hand
/// through its paired [`SetReadiness`], from any thread. It honours the
/// interest and the edge, level or oneshot option it is registered with,
/// just as a socket does, and a `set_readiness` wakes a `poll` that is
/// blocked on the `Poll` it is registered with.
///
/// A `Registration` stays bound to the first `Poll` it is registered with.
/// Dropping it deregisters it; later `set_readiness` calls do nothing.
///
/// # Examples
///
/// ```
/// use evio::{Events, Poll, PollOpt, Ready, Registration, Token};
/// use std::thread;
/// use std::time::Duration;
///
/// let poll = Poll::new()?;
/// let (registration, set_readiness) = Registration::new2();
/// poll.register(&registration, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// let t = thread::spawn(move || {
///     set_readiness.set_readiness(Ready::readable()).unwrap();
/// });
///
/// let mut events = Events::with_capacity(8);
/// let mut seen = false;
/// for _ in 0..50 {
///     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
///     if events.iter().any(|e| e.token() == Token(0) && e.readiness().is_readable()) {
///         seen = true;
///         break;
///     }
/// }
/// assert!(seen);
/// t.join().unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Registration {
    node: NodeRef,
}

/// Updates the readiness of its paired [`Registration`].
///
/// `SetReadiness` is `Clone`, `Send` and `Sync`: any thread may set the
/// readiness. Setting it never blocks, never takes a lock and never
/// allocates; it makes a system call (one `eventfd` write on Linux) only
/// when it is the first update since the `Poll` last looked at its queue.
#[derive(Clone)]
pub struct SetReadiness {
    node: NodeRef,
}

impl Registration {
    /// Creates a `Registration` and the `SetReadiness` that drives it.
    ///
    /// This allocates the registration's bookkeeping, once; nothing it does
    /// later allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::{Events, Poll, PollOpt, Ready, Registration, Token};
    /// use std::time::Duration;
    ///
    /// let poll = Poll::new()?;
    /// let (registration, set_readiness) = Registration::new2();
    /// poll.register(&registration, Token(1), Ready::readable(), PollOpt::edge())?;
    ///
    /// set_readiness.set_readiness(Ready::readable())?;
    /// let mut events = Events::with_capacity(8);
    /// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    /// let event = events.iter().next().unwrap();
    /// assert_eq!(event.token(), Token(1));
    /// assert!(event.readiness().is_readable());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn new2() -> (Registration, SetReadiness) {
        let (a, b) = NodeRef::new_pair();
        (Registration { node: a }, SetReadiness { node: b })
    }

    /// Creates a `Registration` already registered with `poll`.
    ///
    /// # Panics
    ///
    /// Panics if the registration fails (`Token(usize::MAX)`, or the
    /// operating system refusing the `Poll`'s wake-up descriptor).
    #[deprecated(since = "0.1.0", note = "use Registration::new2 and Poll::register")]
    pub fn new(
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> (Registration, SetReadiness) {
        let (registration, set_readiness) = Registration::new2();
        poll.register(&registration, token, interest, opts)
            .expect("registering a new Registration failed");
        (registration, set_readiness)
    }

    /// Sets the token, interest and options (old form of `Poll::reregister`,
    /// which does the same), registering the `Registration` with `poll` if
    /// it is not registered.
    #[deprecated(since = "0.1.0", note = "use Poll::reregister")]
    pub fn update(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        poll.reregister(self, token, interest, opts)
    }

    /// Stops the registration (old form of `Poll::deregister`, which does
    /// the same).
    #[deprecated(since = "0.1.0", note = "use Poll::deregister")]
    pub fn deregister(&self, poll: &Poll) -> io::Result<()> {
        poll.deregister(self)
    }
}

impl Registration {
    /// Binds the registration to `poll`'s readiness queue (made now if it
    /// is the first), or checks that it is bound to it already.
    #[inline]
    fn bind_to(&self, poll: &Poll) -> io::Result<()> {
        let queue = match poll.queue_if_created() {
            Some(queue) => queue,
            // Checked before the queue (and its descriptor) is created.
            None if self.node.is_bound() => return Err(crate::poll::other_poll()),
            None => poll.readiness_queue()?,
        };
        self.node.bind(queue)
    }
}

/// As in the classic API, `register` and `reregister` do the same thing
/// for a `Registration` (set its token, interest and options, registering
/// it if it is not), and `deregister` stops its events without ever
/// failing for one that is not registered. The first of these calls binds
/// the `Registration` to its `Poll` for good: any of them with another
/// `Poll` later is an error, even after a deregister.
impl Evented for Registration {
    #[inline]
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let res = self
            .bind_to(poll)
            .and_then(|()| Node::configure(&self.node, token, interest, opts));
        poll.counters().registered(Kind::User, &res);
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
        let res = self
            .bind_to(poll)
            .and_then(|()| Node::configure(&self.node, token, interest, opts));
        poll.counters().reregistered(Kind::User, &res);
        res
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        let res = self.bind_to(poll).map(|()| self.node.deregister());
        poll.counters().deregistered(Kind::User, &res);
        res
    }
}

impl Drop for Registration {
    #[inline]
    fn drop(&mut self) {
        self.node.drop_registration();
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration").finish_non_exhaustive()
    }
}

impl SetReadiness {
    /// The readiness last set.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::{Ready, Registration};
    ///
    /// let (_registration, set_readiness) = Registration::new2();
    /// assert!(set_readiness.readiness().is_empty());
    /// set_readiness.set_readiness(Ready::writable())?;
    /// assert_eq!(set_readiness.readiness(), Ready::writable());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readiness(&self) -> Ready {
        self.node.readiness()
    }

    /// Sets the readiness of the paired [`Registration`].
    ///
    /// When the readiness meets the registration's interest, the `Poll` it
    /// is registered with reports it, and a `poll` blocked on that `Poll`
    /// wakes up. How often depends on the registration's options:
    ///
    /// - edge: one event for all the calls made between two polls. Calls
    ///   before the next poll coalesce into one event, which carries the
    ///   readiness that holds when that poll looks (none if by then it no
    ///   longer meets the interest). A call after a poll has delivered the
    ///   event makes a new one, even with the same readiness;
    /// - level: an event at every poll while the readiness meets the
    ///   interest;
    /// - oneshot: one event, then nothing until the next
    ///   [`reregister`](Poll::reregister).
    ///
    /// Setting an empty readiness clears it. Readiness bits beyond those
    /// [`Ready`] and `UnixReady` define are dropped.
    ///
    /// After the `Registration` is dropped this returns `Ok` and does
    /// nothing. A readiness set just before the `Registration` is dropped is
    /// never reported, but its wake-up may still reach a blocked `poll`,
    /// which then returns with no event for it (possibly with 0 events).
    /// See [the guide](crate::guide#set_readiness-and-wake-coalesce).
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
    /// let mut events = Events::with_capacity(8);
    ///
    /// // Three calls before a poll: one event.
    /// set_readiness.set_readiness(Ready::readable())?;
    /// set_readiness.set_readiness(Ready::readable() | Ready::writable())?;
    /// set_readiness.set_readiness(Ready::readable())?;
    /// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    /// assert_eq!(events.len(), 1);
    ///
    /// // Nothing new: no event.
    /// poll.poll(&mut events, Some(Duration::ZERO))?;
    /// assert!(events.is_empty());
    ///
    /// // A call after the poll: a new event.
    /// set_readiness.set_readiness(Ready::readable())?;
    /// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    /// assert_eq!(events.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Only if the wake-up write to the `Poll` fails, which the operating
    /// system does not do in practice.
    pub fn set_readiness(&self, ready: Ready) -> io::Result<()> {
        Node::set_readiness(&self.node, ready)
    }
}

impl fmt::Debug for SetReadiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetReadiness")
            .field("readiness", &self.readiness())
            .finish()
    }
}
