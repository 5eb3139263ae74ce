//! [`Poll`]: the readiness event queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use std::{fmt, io};

use crate::engine::Engine;
use crate::event::Evented;
use crate::registration::{PollSide, UserSpace};
use crate::stats::Counters;
use crate::wait::Deadline;
use crate::{error, sys, Events, PollOpt, Ready, Token};

/// Polls for readiness events on all registered handles.
///
/// `Poll` asks the operating system (epoll, kqueue or an IO completion port)
/// which registered handles are ready, and reports them as
/// [`Event`](crate::event::Event)s in an [`Events`] buffer. Each handle is
/// registered with a [`Token`], an interest ([`Ready`]) and options
/// ([`PollOpt`]: edge, level, oneshot).
///
/// `Poll` is `Send + Sync`: handles may be registered from any thread, and
/// several threads may call [`poll`](Poll::poll) on one `Poll`; each call
/// works on its own `Events` and none corrupts another.
///
/// # Examples
///
/// ```
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use evio::net::{TcpListener, TcpStream};
/// use std::time::Duration;
///
/// let poll = Poll::new()?;
/// let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
/// poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// let _client = TcpStream::connect(&listener.local_addr()?)?;
///
/// let mut events = Events::with_capacity(16);
/// let mut accepted = false;
/// for _ in 0..100 {
///     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
///     if events.iter().any(|e| e.token() == Token(0) && e.readiness().is_readable()) {
///         let (_conn, _addr) = listener.accept()?;
///         accepted = true;
///         break;
///     }
/// }
/// assert!(accepted);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Poll {
    selector: sys::Selector,
    id: usize,
    // User-space readiness (`Registration`s): its queue, and how a poll
    // merges it with the OS's events.
    user: UserSpace,
    // What the `Poll` has done (nothing, of no size, without the `stats`
    // feature).
    counters: Counters,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl Poll {
    /// Creates a new `Poll` (an epoll, kqueue or completion-port instance).
    ///
    /// On Linux the environment variable `EVIO_ENGINE=io_uring` makes every
    /// `Poll::new` of the process run the [io_uring engine](Engine::IoUring)
    /// (where the kernel allows it), and `EVIO_ENGINE=epoll` the default.
    pub fn new() -> io::Result<Poll> {
        Poll::with_engine(Engine::from_env())
    }

    /// Creates a new `Poll` on `engine`, or on the platform's default
    /// engine where `engine` cannot run: [`engine`](Poll::engine) tells
    /// which one it got.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::{Engine, Poll};
    ///
    /// let poll = Poll::with_engine(Engine::IoUring)?;
    /// // io_uring on a Linux that allows it, the default engine elsewhere.
    /// let engine = poll.engine();
    /// assert!(engine == Engine::IoUring || engine == Engine::DEFAULT);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_engine(engine: Engine) -> io::Result<Poll> {
        #[cfg(target_os = "linux")]
        let selector = sys::Selector::with_engine(engine)?;
        #[cfg(not(target_os = "linux"))]
        let selector = {
            let _ = engine;
            sys::Selector::new()?
        };
        Ok(Poll {
            user: UserSpace::new(sys::has_fast_path(&selector)),
            selector,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            counters: Counters::new(),
        })
    }

    /// Registers `handle` to be monitored for the readiness in `interest`,
    /// reported with `token`, triggering as `opts` says.
    ///
    /// The registration lasts until [`deregister`](Poll::deregister) or
    /// until the handle is dropped; a socket or
    /// [`Registration`](crate::Registration) is bound
    /// to the first `Poll` it is registered with, for good. What events
    /// mean and what a program must do with them is in
    /// [the guide](crate::guide); how each trigger mode is built on each
    /// system is with [`PollOpt`].
    ///
    /// # Platform notes
    ///
    /// - **Linux, Android (epoll)**: one `epoll_ctl` call. Any descriptor
    ///   epoll takes can be registered through
    ///   [`EventedFd`](crate::unix::EventedFd) (sockets, pipes, terminals,
    ///   `eventfd`, `timerfd`, `signalfd`; a regular file is refused with
    ///   `EPERM`). epoll registers the open socket, not the descriptor:
    ///   while a duplicate of the descriptor is open (a `try_clone`, a
    ///   `dup`, a child process), dropping the registered one leaves the
    ///   registration in place, and its events keep coming (see
    ///   [the guide](crate::guide#dropping-a-handle-and-try_clone)).
    ///   Error and hang-up are reported whatever the interest, even an
    ///   empty one. Readable interest also asks for `EPOLLRDHUP`, which
    ///   [`Event::is_read_closed`](crate::event::Event::is_read_closed)
    ///   reports (a half close is no hang-up). Priority interest, or
    ///   [`PollOpt::urgent`], asks for `EPOLLPRI`.
    /// - **macOS, iOS, the BSDs (kqueue)**: readable and writable are
    ///   two filters of the descriptor, changed in one `kevent` call whose
    ///   receipts are checked one by one. Errors and hang-up come with a
    ///   filter, so an interest with neither readable nor writable reports
    ///   nothing, and a hang-up-only interest uses the read filter, whose
    ///   events are readable too. Registering a handle twice returns
    ///   `AlreadyExists` after the second registration has replaced the
    ///   first (kqueue has no "add only if absent"). Closing a descriptor
    ///   removes its filters, whatever other descriptors of the socket
    ///   exist. Priority and `urgent` are not reported.
    /// - **Windows (IOCP and AFD)**: sockets only. A socket's readiness
    ///   comes from one-shot `IOCTL_AFD_POLL` requests on the AFD device,
    ///   completed on the `Poll`'s completion port; data is never copied
    ///   through intermediate buffers. Registering takes a slot in the
    ///   `Poll`'s slab of socket states (grown 32 at a time, each chunk with
    ///   its own handle to the AFD device, and reused), so once the slab
    ///   has grown to the most sockets registered at once, registering,
    ///   polling and socket IO allocate nothing. Dropping a registered
    ///   socket cancels its outstanding request and gives its slot back.
    /// - **`Registration`**, on every system: the readiness lives in user
    ///   space; the first `Registration` registered with a `Poll` sets up
    ///   the `Poll`'s queue for them, and one more descriptor (an `eventfd`,
    ///   an `EVFILT_USER` event, or a posted completion on Windows) to wake
    ///   a blocked `poll`.
    ///
    /// # Errors
    ///
    /// - [`InvalidInput`](io::ErrorKind::InvalidInput) for `Token(usize::MAX)`;
    /// - [`AlreadyExists`](io::ErrorKind::AlreadyExists) if the handle is
    ///   registered already (use [`reregister`](Poll::reregister)); a
    ///   `Registration` registered again is reregistered instead, as in the
    ///   classic API;
    /// - the operating system's error for a closed or invalid handle;
    /// - an error if a socket or `Registration` is bound to another `Poll`.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::net::TcpListener;
    /// use evio::{Poll, PollOpt, Ready, Token};
    /// use std::io::ErrorKind;
    ///
    /// let poll = Poll::new()?;
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
    /// poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
    ///
    /// // Registering it again is an error; reregister changes it.
    /// let again = poll.register(&listener, Token(1), Ready::readable(), PollOpt::edge());
    /// assert_eq!(again.unwrap_err().kind(), ErrorKind::AlreadyExists);
    /// poll.reregister(&listener, Token(1), Ready::readable(), PollOpt::level())?;
    ///
    /// // It is bound to this Poll, even after a deregister.
    /// poll.deregister(&listener)?;
    /// let other = Poll::new()?;
    /// assert!(other.register(&listener, Token(0), Ready::readable(), PollOpt::edge()).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn register<E: Evented + ?Sized>(
        &self,
        handle: &E,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        check_token(token)?;
        handle.register(self, token, interest, opts)
    }

    /// Changes the token, interest and options of a registered `handle`.
    /// It also re-arms a oneshot registration.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for `Token(usize::MAX)`;
    /// an error (`NotFound` from epoll and kqueue) if the handle is not
    /// registered, except for a `Registration`, which this registers, as in
    /// the classic API.
    #[inline]
    pub fn reregister<E: Evented + ?Sized>(
        &self,
        handle: &E,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        check_token(token)?;
        handle.reregister(self, token, interest, opts)
    }

    /// Stops monitoring `handle`. No event for it is delivered by a poll
    /// that starts after this returns.
    ///
    /// # Errors
    ///
    /// An error (`NotFound` from epoll and kqueue) if the handle is not
    /// registered, except for a `Registration`, which this leaves as it is,
    /// as in the classic API.
    #[inline]
    pub fn deregister<E: Evented + ?Sized>(&self, handle: &E) -> io::Result<()> {
        handle.deregister(self)
    }

    /// Waits for readiness events, filling `events`, and returns how many
    /// there are.
    ///
    /// `timeout` of `None` waits until an event arrives; `Some(d)` waits at
    /// most `d`, rounded up to the system's precision (never cut short),
    /// and `Some(Duration::ZERO)` only looks. A signal that interrupts the
    /// wait restarts it, so that the call never returns before the timeout
    /// without an event; it may then last longer than `timeout` (to keep
    /// the clock out of the common path, time is counted only from the
    /// first signal on). See
    /// [`poll_interruptible`](Poll::poll_interruptible) to be told instead.
    ///
    /// A poll may also return with no event (`Ok(0)`) before its timeout
    /// when user-space readiness woke it and had nothing to report by the
    /// time it looked: a `set_readiness` whose readiness was cleared again,
    /// or whose `Registration` was dropped, meanwhile (as in the classic
    /// API, whose `poll` has the same spurious returns).
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if `events` has a
    /// capacity of 0; the operating system's error otherwise.
    #[inline]
    pub fn poll(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        // The common case, small enough to inline into the caller's event
        // loop: no timeout or a zero one, no user-space readiness queue, and
        // one wait that succeeds. It makes no call, so the caller keeps its
        // values in registers across it; and every other case is one call
        // that returns the final result, so that only the `Events` buffer
        // has to outlive a call in the caller. A timeout with a length
        // takes `poll_timed`, which makes the same single wait; a signal,
        // an error, user-space readiness and a buffer of capacity 0 take
        // the general path, which repeats the wait when it has to.
        let ms = match timeout {
            None => -1,
            // One test for both halves (`is_zero` makes two).
            Some(to) if to.as_secs() | u64::from(to.subsec_nanos()) == 0 => 0,
            Some(_) => return self.poll_timed(events, timeout),
        };
        if self.user.fast() && (sys::SELECT_REJECTS_ZERO_CAPACITY || events.capacity() != 0) {
            let res = self.selector.select_quick(&mut events.inner, ms);
            self.counters.syscall();
            let errno = match res {
                Ok(n) => {
                    if n == 0 || self.user.queue().is_none() {
                        self.counters.polled(n, 0);
                        return Ok(n);
                    }
                    0
                }
                Err(errno) => errno,
            };
            return self.poll_after_quick(events, ms, errno);
        }
        self.poll_general(events, sys::quick_timeout(ms))
    }

    /// After a fast-path wait that failed with `errno` (no events then) or
    /// during which a `Registration` created the queue (`errno` 0, events).
    #[cold]
    #[inline(never)]
    fn poll_after_quick(&self, events: &mut Events, ms: isize, errno: i32) -> io::Result<usize> {
        let timeout = sys::quick_timeout(ms);
        if events.is_empty() {
            if errno == sys::EINTR {
                // The general path waits again.
                self.counters.eintr();
            }
            return self.poll_general(events, timeout);
        }
        self.poll_raced(events, timeout)
    }

    /// `poll` with a timeout that has a length: the same single wait as its
    /// fast path when it can, the general path otherwise.
    #[inline(never)]
    fn poll_timed(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        if self.user.fast() && (sys::SELECT_REJECTS_ZERO_CAPACITY || events.capacity() != 0) {
            let res = sys::select_fast(&self.selector, &mut events.inner, timeout);
            self.counters.syscall();
            match res {
                Ok(()) => {
                    let n = events.len();
                    if n == 0 || self.user.queue().is_none() {
                        self.counters.polled(n, 0);
                        return Ok(n);
                    }
                    return self.poll_raced(events, timeout);
                }
                // The general path waits again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.counters.eintr(),
                Err(_) => {}
            }
        }
        self.poll_general(events, timeout)
    }

    /// Finishes a fast-path poll during which the user-space queue was
    /// created (see `UserSpace::deliver_raced`).
    #[cold]
    #[inline(never)]
    fn poll_raced(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        match self.user.deliver_raced(&mut events.inner, &self.counters) {
            Some(n) => Ok(n),
            // Only the queue's wake-up: wait again (for the whole timeout:
            // never less than asked).
            None => self.poll_general(events, timeout),
        }
    }

    #[cold]
    #[inline(never)]
    fn poll_general(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        self.poll_inner(events, timeout, false)
    }

    /// Like [`poll`](Poll::poll), but a signal that interrupts the wait
    /// returns an [`Interrupted`](io::ErrorKind::Interrupted) error.
    pub fn poll_interruptible(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        self.poll_inner(events, timeout, true)
    }

    /// The general path: a wait on the OS alone, repeated after a signal
    /// unless `interruptible`, or with user-space readiness the merge of
    /// `UserSpace::poll`.
    #[inline]
    fn poll_inner(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
        interruptible: bool,
    ) -> io::Result<usize> {
        if events.capacity() == 0 {
            return Err(error::zero_capacity());
        }
        if let Some(q) = self.user.queue() {
            // The clock is read: user-space readiness may wake a wait with
            // nothing to report, which then goes on for the time left.
            let deadline = Deadline::new(timeout, true);
            let inner = &mut events.inner;
            return self.user.poll(
                q,
                |events, wait| self.select(events, wait),
                inner,
                deadline,
                timeout,
                interruptible,
                &self.counters,
            );
        }
        // The clock is read only when a signal could cut the wait short.
        let deadline = Deadline::new(timeout, !interruptible);
        let mut wait_for = timeout;
        loop {
            match self.select(&mut events.inner, wait_for) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted && !interruptible => {
                    self.counters.eintr();
                    wait_for = deadline.after_signal(wait_for);
                    continue;
                }
                Err(e) => return Err(e),
            }
            // A `Registration` may have created the queue during the wait
            // (its wake-up record must not reach the caller): as in
            // `poll_raced`, the queue's entries are delivered now.
            if let Some(q) = self.user.queue() {
                let inner = &mut events.inner;
                return self.user.finish_raced(
                    q,
                    |events, wait| self.select(events, wait),
                    inner,
                    deadline,
                    interruptible,
                    &self.counters,
                );
            }
            self.counters.polled(events.len(), 0);
            return Ok(events.len());
        }
    }

    /// The engine this `Poll` runs.
    pub fn engine(&self) -> Engine {
        #[cfg(target_os = "linux")]
        return self.selector.engine();
        #[cfg(not(target_os = "linux"))]
        Engine::DEFAULT
    }

    /// One wait of the general path on the OS, counted.
    #[inline]
    fn select(&self, events: &mut sys::Events, wait: Option<Duration>) -> io::Result<()> {
        self.counters.syscall();
        self.selector.select(events, wait)
    }

    #[inline]
    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
    }

    /// The counters of the `stats` feature (nothing without it).
    #[inline]
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// A copy of this `Poll`'s counters (cargo feature `stats`): polls,
    /// events delivered, system calls made, empty polls, waits restarted
    /// after a signal, user-space events delivered, and registrations by
    /// kind. See [`PollStats`](crate::PollStats).
    #[cfg(feature = "stats")]
    pub fn stats(&self) -> crate::PollStats {
        self.counters.snapshot()
    }

    /// A number that tells this `Poll` apart from every other in the process.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// What a socket bound to this `Poll` holds: its `id`, with the top
    /// bit set where the engine has no fast path (Linux's io_uring), so
    /// that a bound socket's one compare with `id` also tells the engine
    /// (ids count up from 1 and never reach the top bit).
    #[inline]
    pub(crate) fn bind_id(&self) -> usize {
        let slow = usize::from(!sys::has_fast_path(&self.selector));
        self.id | slow << (usize::BITS - 1)
    }

    /// What a `Registration` needs of this `Poll`: its user-space
    /// readiness, selector and counters.
    #[inline]
    pub(crate) fn user_side(&self) -> PollSide<'_> {
        PollSide {
            user: &self.user,
            selector: &self.selector,
            counters: &self.counters,
        }
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        self.user.close();
    }
}

#[inline]
fn check_token(token: Token) -> io::Result<()> {
    if token == Token::RESERVED {
        return Err(error::reserved_token());
    }
    Ok(())
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll")
            .field("id", &self.id)
            .field("engine", &self.engine())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for Poll {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.selector.as_raw_fd()
    }
}

/// Binds a socket to the first `Poll` it is registered with.
#[derive(Debug, Default)]
pub(crate) struct SelectorId(AtomicUsize);

impl SelectorId {
    pub(crate) const fn new() -> SelectorId {
        SelectorId(AtomicUsize::new(0))
    }

    /// Whether this socket is bound to `poll` and `poll`'s engine has the
    /// fast path (see `Poll::bind_id`): one load and one compare, which
    /// lets a change skip every other test.
    #[cfg(unix)]
    #[inline]
    pub(crate) fn is_fast(&self, poll: &Poll) -> bool {
        self.0.load(Ordering::Acquire) == poll.id()
    }

    /// Binds to `poll`, or checks that it is the one bound already.
    #[inline]
    pub(crate) fn associate(&self, poll: &Poll) -> io::Result<()> {
        // Bound already (every registration after the first): one load.
        let cur = self.0.load(Ordering::Acquire);
        if cur == poll.id() {
            return Ok(());
        }
        self.bind(cur, poll)
    }

    #[cold]
    #[inline(never)]
    fn bind(&self, cur: usize, poll: &Poll) -> io::Result<()> {
        let id = poll.bind_id();
        if cur == id {
            return Ok(());
        }
        if cur != 0 {
            return Err(error::other_poll());
        }
        match self
            .0
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(bound) if bound == id => Ok(()),
            Err(_) => Err(error::other_poll()),
        }
    }

    /// Checks that `poll` is the one this socket is bound to.
    ///
    /// A socket bound to another `Poll` is not registered with this one:
    /// `NotFound`, as epoll and kqueue answer for a handle they do not hold
    /// (and as the classic API reports it).
    #[inline]
    pub(crate) fn check(&self, poll: &Poll) -> io::Result<()> {
        let cur = self.0.load(Ordering::Acquire);
        if cur == poll.id() || cur == poll.bind_id() {
            Ok(())
        } else {
            Err(error::not_this_poll())
        }
    }
}

impl Clone for SelectorId {
    /// A clone (of a `try_clone`d socket) shares its original's binding, as
    /// in the classic API: bound to the same `Poll` if the original is
    /// bound at that moment, unbound otherwise.
    fn clone(&self) -> SelectorId {
        SelectorId(AtomicUsize::new(self.0.load(Ordering::Acquire)))
    }
}
