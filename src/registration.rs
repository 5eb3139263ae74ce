//! User-space readiness: [`Registration`] and [`SetReadiness`].
//!
//! Each `Registration` owns a reference-counted node. `SetReadiness` stores
//! the new readiness in the node and, when the node is not queued yet, pushes
//! it onto a lock-free stack owned by the `Poll` (a compare-and-swap loop).
//! Only the push that finds the stack empty writes to the `Poll`'s wake-up
//! descriptor, so a burst of updates costs one system call. `poll` takes the
//! whole stack with one swap and turns each node into at most one event.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::{fmt, io};

use crate::event::Evented;
use crate::{sys, Poll, PollOpt, Ready, Token};

// `config` word: interest in the low 16 bits, options above, state flags on top.
const OPTS_SHIFT: u32 = 16;
const REGISTERED: usize = 1 << 30;
const ARMED: usize = 1 << 31;

struct Node {
    readiness: AtomicUsize,
    config: AtomicUsize,
    token: AtomicUsize,
    queued: AtomicBool,
    dropped: AtomicBool,
    next: AtomicPtr<Node>,
    queue: OnceLock<Arc<ReadinessQueue>>,
}

impl Node {
    fn config(interest: Ready, opts: PollOpt) -> usize {
        (interest.as_usize() & 0xffff) | (opts.bits() << OPTS_SHIFT) | REGISTERED | ARMED
    }

    fn interest(config: usize) -> Ready {
        Ready::from_usize(config & 0xffff)
    }

    fn opts(config: usize) -> PollOpt {
        PollOpt::from_bits((config >> OPTS_SHIFT) & 0xff)
    }

    fn bound_to(&self, poll: &Poll) -> bool {
        match (self.queue.get(), poll.queue_if_created()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The queue between `SetReadiness` and `Poll`: a lock-free stack of nodes.
pub(crate) struct ReadinessQueue {
    head: AtomicPtr<Node>,
    closed: AtomicBool,
    waker: sys::Waker,
}

impl ReadinessQueue {
    pub(crate) fn new(selector: &sys::Selector) -> io::Result<Arc<ReadinessQueue>> {
        Ok(Arc::new(ReadinessQueue {
            head: AtomicPtr::new(ptr::null_mut()),
            closed: AtomicBool::new(false),
            waker: sys::Waker::new(selector, Token::RESERVED)?,
        }))
    }

    /// True when some node waits to be looked at: `poll` must not block.
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        !self.head.load(Ordering::Acquire).is_null()
    }

    /// Queues `node` unless it is queued already; wakes the poller when
    /// the stack was empty and `wake` is asked for.
    fn enqueue(&self, node: &Arc<Node>, wake: bool) -> io::Result<()> {
        if node.queued.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let was_empty = self.push(Arc::into_raw(node.clone()) as *mut Node);
        if self.closed.load(Ordering::SeqCst) {
            // The `Poll` is gone: nobody will pop what we pushed.
            self.release_all();
            return Ok(());
        }
        if was_empty && wake {
            self.waker.wake()?;
        }
        Ok(())
    }

    /// Pushes a node the stack owns one reference to; true if it was empty.
    fn push(&self, node: *mut Node) -> bool {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `node` comes from `Arc::into_raw`, so it is live until
            // the stack gives up that reference.
            unsafe { (*node).next.store(head, Ordering::Relaxed) };
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => return head.is_null(),
                Err(h) => head = h,
            }
        }
    }

    /// Called when the `Poll` is dropped: nothing will pop the stack any more,
    /// so let go of what it holds (nodes hold the queue, and the queue holds
    /// queued nodes: without this, that cycle would leak).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.release_all();
    }

    /// Takes the whole stack and drops the references it held.
    fn release_all(&self) {
        let mut cur = self.head.swap(ptr::null_mut(), Ordering::SeqCst);
        while !cur.is_null() {
            // SAFETY: every pointer on the stack came from `Arc::into_raw`
            // and the swap above made this thread its only owner.
            let node = unsafe { Arc::from_raw(cur) };
            cur = node.next.load(Ordering::Relaxed);
            node.queued.store(false, Ordering::Release);
        }
    }

    /// Turns queued nodes into events in `events`, after the OS's events.
    pub(crate) fn deliver(&self, events: &mut sys::Events) {
        events.remove_token(Token::RESERVED);
        let mut cur = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        while !cur.is_null() {
            // SAFETY: every pointer on the stack came from `Arc::into_raw`,
            // and the swap above made this thread the only owner of the list.
            let node = unsafe { Arc::from_raw(cur) };
            cur = node.next.load(Ordering::Relaxed);
            if events.len() >= events.capacity() {
                // No room: back on the stack, still marked queued, for the next poll.
                self.push(Arc::into_raw(node) as *mut Node);
                continue;
            }
            // Clear `queued` before reading the state: an update racing with
            // us either is seen below or queues the node again.
            node.queued.swap(false, Ordering::SeqCst);
            if node.dropped.load(Ordering::Acquire) {
                continue;
            }
            let config = node.config.load(Ordering::Acquire);
            if config & (REGISTERED | ARMED) != (REGISTERED | ARMED) {
                continue;
            }
            let token = Token(node.token.load(Ordering::Acquire));
            let ready =
                Ready::from_usize(node.readiness.load(Ordering::SeqCst)) & Node::interest(config);
            if ready.is_empty() {
                continue;
            }
            events.push_user(token, ready);
            let opts = Node::opts(config);
            if opts.is_oneshot() {
                // Disarm, unless a reregister changed the config meanwhile.
                let _ = node.config.compare_exchange(
                    config,
                    config & !ARMED,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            } else if opts.triggers_on_level() {
                // Looked at again by the next poll, while the readiness holds.
                let _ = self.enqueue(&node, false);
            }
        }
    }
}

impl Drop for ReadinessQueue {
    fn drop(&mut self) {
        self.release_all();
    }
}

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
    node: Arc<Node>,
}

/// Updates the readiness of its paired [`Registration`].
///
/// `SetReadiness` is `Clone`, `Send` and `Sync`: any thread may set the
/// readiness. Setting it never blocks and never allocates.
#[derive(Clone)]
pub struct SetReadiness {
    node: Arc<Node>,
}

impl Registration {
    /// Creates a `Registration` and the `SetReadiness` that drives it.
    ///
    /// This is the one allocation user-space readiness makes per registration.
    pub fn new2() -> (Registration, SetReadiness) {
        let node = Arc::new(Node {
            readiness: AtomicUsize::new(0),
            config: AtomicUsize::new(0),
            token: AtomicUsize::new(0),
            queued: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
            next: AtomicPtr::new(ptr::null_mut()),
            queue: OnceLock::new(),
        });
        (Registration { node: node.clone() }, SetReadiness { node })
    }

    /// Creates a `Registration` already registered with `poll`.
    ///
    /// # Panics
    ///
    /// Panics if the registration fails (an invalid token, or the operating
    /// system refusing the `Poll`'s wake-up descriptor).
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

    /// Changes the token, interest and options (old form of `Poll::reregister`).
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

    /// Stops the registration (old form of `Poll::deregister`).
    #[deprecated(since = "0.1.0", note = "use Poll::deregister")]
    pub fn deregister(&self, poll: &Poll) -> io::Result<()> {
        poll.deregister(self)
    }

    fn configure(&self, poll: &Poll, token: Token, config: usize) -> io::Result<()> {
        let queue = poll.readiness_queue()?;
        self.node.token.store(token.0, Ordering::Release);
        self.node.config.store(config, Ordering::Release);
        // Look at the readiness again under the new configuration.
        queue.enqueue(&self.node, true)
    }
}

impl Evented for Registration {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let queue = poll.readiness_queue()?;
        let bound = self.node.queue.get_or_init(|| queue.clone());
        if !Arc::ptr_eq(bound, queue) {
            return Err(crate::poll::other_poll());
        }
        if self.node.config.load(Ordering::Acquire) & REGISTERED != 0 {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the Registration is registered already",
            ));
        }
        self.configure(poll, token, Node::config(interest, opts))
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if !self.node.bound_to(poll) {
            return Err(not_registered(self.node.queue.get().is_some()));
        }
        if self.node.config.load(Ordering::Acquire) & REGISTERED == 0 {
            return Err(not_registered(false));
        }
        self.configure(poll, token, Node::config(interest, opts))
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        if !self.node.bound_to(poll) {
            return Err(not_registered(self.node.queue.get().is_some()));
        }
        if self.node.config.swap(0, Ordering::AcqRel) & REGISTERED == 0 {
            return Err(not_registered(false));
        }
        Ok(())
    }
}

fn not_registered(other_poll: bool) -> io::Error {
    if other_poll {
        crate::poll::other_poll()
    } else {
        io::Error::new(
            io::ErrorKind::NotFound,
            "the Registration is not registered with this Poll",
        )
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.node.dropped.store(true, Ordering::Release);
        self.node.config.store(0, Ordering::Release);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration").finish_non_exhaustive()
    }
}

impl SetReadiness {
    /// The readiness last set.
    pub fn readiness(&self) -> Ready {
        Ready::from_usize(self.node.readiness.load(Ordering::Acquire))
    }

    /// Sets the readiness of the paired [`Registration`].
    ///
    /// When the readiness meets the registration's interest, the `Poll` it
    /// is registered with reports it (waking a blocked `poll`), as its
    /// edge, level or oneshot option says. Setting an empty readiness
    /// clears it. After the `Registration` is dropped this does nothing.
    ///
    /// # Errors
    ///
    /// Only if the wake-up write to the `Poll` fails, which the operating
    /// system does not do in practice.
    pub fn set_readiness(&self, ready: Ready) -> io::Result<()> {
        let node = &self.node;
        node.readiness.store(ready.as_usize(), Ordering::SeqCst);
        if node.dropped.load(Ordering::Acquire) {
            return Ok(());
        }
        let config = node.config.load(Ordering::Acquire);
        if config & (REGISTERED | ARMED) != (REGISTERED | ARMED)
            || (ready & Node::interest(config)).is_empty()
        {
            return Ok(());
        }
        match node.queue.get() {
            Some(queue) => queue.enqueue(node, true),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for SetReadiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetReadiness")
            .field("readiness", &self.readiness())
            .finish()
    }
}
