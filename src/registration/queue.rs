//! The queue between `SetReadiness` and `poll`.
//!
//! # Nodes
//!
//! Each `Registration` owns one reference-counted [`Node`], allocated by
//! `Registration::new2` and shared with its `SetReadiness` handles. All of a
//! node's mutable state except its token lives in one word, `state`:
//! readiness, interest, options, and the flags below. Every change to it is
//! a single compare-and-swap, so the updates of setters, of
//! register/reregister/deregister, of `Registration::drop` and of `poll` are
//! totally ordered, and each one sees everything the earlier ones did: no
//! update can be lost between two separate words.
//!
//! The `QUEUED` flag says that one reference to the node is held by the
//! queue (on the stack, in the backlog, or in the hands of a `poll` that is
//! delivering it). Whoever sets `QUEUED` in a state transition pushes the
//! node; whoever clears it (only `poll`) gives that reference up. So a node is
//! in the queue at most once, and `poll` always reads the state *after* the
//! transition that queued it.
//!
//! # Queue
//!
//! Setters push onto a Treiber stack (`head`, a compare-and-swap loop: the
//! setter side is lock-free). The push that finds the stack empty writes to
//! the `Poll`'s wake-up descriptor if a `poll` may be blocked: one that is
//! about to wait counts itself in `waiters` and then looks at the queue
//! again (`begin_wait`), and a setter that found the stack empty reads
//! `waiters` after its push, with a sequentially consistent fence on both
//! sides, so at least one of the two sees the other: either the poll finds
//! the node and does not block, or the setter wakes it. A `poll` that does
//! not wait (its thread is busy elsewhere, or its timeout is zero) costs the
//! setters no system call, and a burst of updates costs at most one. `poll` takes the whole stack with one swap, reverses it into
//! arrival order, and delivers the `backlog` (nodes left over by the previous
//! poll) first, then the new arrivals. Nodes that did not fit in the
//! `Events` buffer, and level-triggered nodes that fired (they must be looked
//! at again by the next poll), go back to the backlog in that order, so no
//! node can be starved by others.
//!
//! When the `Poll` is dropped the stack is replaced by a `CLOSED` marker:
//! later pushes give their reference straight back instead of leaving it in
//! a queue nobody will read (nodes hold the queue, queued nodes are held by
//! the queue: without this, that cycle would leak).

use std::{io, ptr};

pub(crate) use super::node::{Node, NodeRef};
use super::sync::{fence, Arc, AtomicPtr, AtomicUsize, Ordering, Waker};
use crate::{PollOpt, Ready, Token};

// The `state` word. It fits in 24 bits, so 32-bit targets work too.
/// The readiness last set.
const READY_MASK: usize = 0xff;
/// The registration's interest (a readiness set) is stored above it.
const INTEREST_SHIFT: u32 = 8;
/// The registration's options (`PollOpt` bits) above that.
const OPTS_SHIFT: u32 = 16;
const OPTS_MASK: usize = 0xf;
/// Registered with its `Poll` (cleared by deregister).
const REGISTERED: usize = 1 << 20;
/// May fire: cleared when a oneshot registration fires, set by (re)register.
const ARMED: usize = 1 << 21;
/// The queue holds a reference to the node (see the module docs).
const QUEUED: usize = 1 << 22;
/// The `Registration` is gone: the node never fires again.
const DROPPED: usize = 1 << 23;

/// The readiness `state` would report now, or empty if it cannot fire.
#[inline]
fn firing(state: usize) -> usize {
    if state & (REGISTERED | ARMED | DROPPED) != REGISTERED | ARMED {
        return 0;
    }
    state & (state >> INTEREST_SHIFT) & READY_MASK
}

impl Node {
    /// The readiness last set.
    pub(crate) fn readiness(&self) -> Ready {
        Ready::from_usize(self.state.load(Ordering::Acquire) & READY_MASK)
    }

    /// The queue this node is bound to, if any.
    fn bound(&self) -> Option<&Shared> {
        let q = self.queue.load(Ordering::Acquire);
        // SAFETY: a non-null pointer came from `Arc::into_raw` in `bind` and
        // the node holds that strong reference until its last reference is
        // given back, so the queue outlives the returned borrow of `self`.
        unsafe { q.as_ref() }
    }

    /// Is this node bound to a queue?
    pub(crate) fn is_bound(&self) -> bool {
        !self.queue.load(Ordering::Acquire).is_null()
    }

    /// Binds this node to `queue` for good; an error if it is bound to another.
    #[inline]
    pub(crate) fn bind(&self, queue: &ReadinessQueue) -> io::Result<()> {
        let want = Arc::as_ptr(&queue.shared) as *mut Shared;
        let cur = self.queue.load(Ordering::Acquire);
        if cur == want {
            return Ok(());
        }
        if !cur.is_null() {
            return Err(crate::poll::other_poll());
        }
        let raw = Arc::into_raw(queue.shared.clone()) as *mut Shared;
        match self
            .queue
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(other) => {
                // SAFETY: `raw` came from `Arc::into_raw` just above and was
                // not published, so this gives back the reference it holds.
                drop(unsafe { Arc::from_raw(raw) });
                if other == want {
                    Ok(())
                } else {
                    Err(crate::poll::other_poll())
                }
            }
        }
    }

    /// Stores `ready`; queues the node if it now fires and is not queued.
    pub(crate) fn set_readiness(node: &NodeRef, ready: Ready) -> io::Result<()> {
        let ready = ready.as_usize() & READY_MASK;
        let mut cur = node.state.load(Ordering::Acquire);
        let queue = loop {
            if cur & DROPPED != 0 {
                return Ok(());
            }
            let enqueue = cur & QUEUED == 0 && firing((cur & !READY_MASK) | ready) != 0;
            let mut next = (cur & !READY_MASK) | ready;
            if enqueue {
                next |= QUEUED;
            }
            if next == cur {
                return Ok(());
            }
            match node
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break enqueue,
                Err(actual) => cur = actual,
            }
        };
        if queue {
            Node::enqueue(node)
        } else {
            Ok(())
        }
    }

    /// Pushes the node onto its queue; the caller has just set `QUEUED`,
    /// so the reference this takes is the queue's.
    fn enqueue(node: &NodeRef) -> io::Result<()> {
        // REGISTERED was set (so the node was bound first) in a state this
        // thread has read with acquire ordering: the queue pointer is set.
        let queue = node.bound().expect("a registered node is bound to a queue");
        if queue.push(node.clone()) && queue.has_waiter() {
            queue.waker.wake()?;
        }
        Ok(())
    }

    /// Registers or reregisters the node (the same thing, as in the classic
    /// API): new token, interest and options, re-armed, and queued if its
    /// readiness fires under them.
    #[inline]
    pub(crate) fn configure(
        node: &NodeRef,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let config = ((interest.as_usize() & READY_MASK) << INTEREST_SHIFT)
            | ((opts.bits() & OPTS_MASK) << OPTS_SHIFT)
            | REGISTERED
            | ARMED;
        let mut cur = node.state.load(Ordering::Acquire);
        // Published by the state transition below (release), read by `poll`
        // after its own transition (acquire).
        node.token.store(token.0, Ordering::Relaxed);
        let enqueue = loop {
            let keep = cur & (READY_MASK | QUEUED | DROPPED);
            let enqueue = cur & QUEUED == 0 && firing(keep | config) != 0;
            let next = keep | config | if enqueue { QUEUED } else { 0 };
            match node
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break enqueue,
                Err(actual) => cur = actual,
            }
        };
        if enqueue {
            Node::enqueue(node)
        } else {
            Ok(())
        }
    }

    /// Deregisters the node: no more events until it is registered again.
    /// Deregistering a node that is not registered changes nothing.
    pub(crate) fn deregister(&self) {
        self.state
            .fetch_and(!(REGISTERED | ARMED), Ordering::AcqRel);
    }

    /// The `Registration` is dropped: the node never fires again.
    #[inline]
    pub(crate) fn drop_registration(&self) {
        self.state.fetch_or(DROPPED, Ordering::AcqRel);
    }
}

/// The stack's marker once the `Poll` is gone; never a node's address.
#[inline]
fn closed() -> *mut Node {
    ptr::NonNull::<Node>::dangling().as_ptr()
}

/// A list of nodes owned by one thread, linked through `next`, each holding
/// the queue's reference to its node.
struct Chain {
    head: *mut Node,
    tail: *mut Node,
}

impl Chain {
    fn new() -> Chain {
        Chain {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        }
    }

    fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Takes a list starting at `head`, owned by the caller, walking to its end.
    fn from_list(head: *mut Node) -> Chain {
        let mut tail = head;
        while !tail.is_null() {
            // SAFETY: the caller owns the list; each node is kept alive by
            // the queue reference it carries.
            let next = unsafe { (*tail).next.load(Ordering::Relaxed) };
            if next.is_null() {
                break;
            }
            tail = next;
        }
        Chain { head, tail }
    }

    /// Takes a stack owned by the caller (newest first) in arrival order.
    fn from_stack(mut cur: *mut Node) -> Chain {
        let tail = cur;
        let mut head = ptr::null_mut();
        while !cur.is_null() {
            // SAFETY: as in `from_list`.
            let next = unsafe { (*cur).next.load(Ordering::Relaxed) };
            // SAFETY: as in `from_list`.
            unsafe { (*cur).next.store(head, Ordering::Relaxed) };
            head = cur;
            cur = next;
        }
        Chain { head, tail }
    }

    fn push_back(&mut self, node: *mut Node) {
        // SAFETY: `node` carries the queue's reference, owned by this thread.
        unsafe { (*node).next.store(ptr::null_mut(), Ordering::Relaxed) };
        self.append(Chain {
            head: node,
            tail: node,
        });
    }

    fn append(&mut self, other: Chain) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other;
        } else {
            // SAFETY: `tail` is a node of this chain, owned by this thread.
            unsafe { (*self.tail).next.store(other.head, Ordering::Relaxed) };
            self.tail = other.tail;
        }
    }

    fn pop_front(&mut self) -> Option<NodeRef> {
        if self.head.is_null() {
            return None;
        }
        let node = self.head;
        // SAFETY: as in `from_list`.
        self.head = unsafe { (*node).next.load(Ordering::Relaxed) };
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        // SAFETY: every node in a chain carries a reference from
        // `NodeRef::into_raw`, which the caller now owns.
        Some(unsafe { NodeRef::from_raw(node) })
    }

    /// Gives back the references of every node in the chain.
    fn release(mut self) {
        while self.pop_front().is_some() {}
    }
}

pub(super) struct Shared {
    /// Treiber stack of queued nodes, newest first; `closed()` once the
    /// `Poll` is gone.
    head: AtomicPtr<Node>,
    /// Nodes a previous `poll` left for the next one, in delivery order.
    backlog: AtomicPtr<Node>,
    /// `poll`s that may be blocked in the selector (see `begin_wait`).
    waiters: AtomicUsize,
    waker: Waker,
}

impl Shared {
    /// After a push that found the stack empty: true if a `poll` may be
    /// blocked and must be woken. The fence pairs with the one in
    /// `ReadinessQueue::begin_wait`: either that poll sees this push, or
    /// this sees its count.
    #[inline]
    fn has_waiter(&self) -> bool {
        fence(Ordering::SeqCst);
        self.waiters.load(Ordering::Relaxed) != 0
    }

    /// Pushes `node` (its reference goes to the stack). True when the stack
    /// was empty: the caller must wake the `Poll`.
    #[inline]
    fn push(&self, node: NodeRef) -> bool {
        let raw = node.into_raw();
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            if head == closed() {
                // SAFETY: `raw` came from `NodeRef::into_raw` above and was
                // not published: this gives the reference back.
                unsafe { NodeRef::from_raw(raw) }.drop_cold();
                return false;
            }
            // SAFETY: `raw` is live (it holds a reference) and not published
            // yet, so this thread is the only one writing its link.
            unsafe { (*raw).next.store(head, Ordering::Relaxed) };
            match self
                .head
                .compare_exchange_weak(head, raw, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return head.is_null(),
                Err(actual) => head = actual,
            }
        }
    }

    /// Puts `chain` back as the backlog, merging with one another `poll`
    /// may have put back meanwhile.
    fn put_back(&self, mut chain: Chain) {
        while !chain.is_empty() {
            match self.backlog.compare_exchange(
                ptr::null_mut(),
                chain.head,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(_) => {
                    let other = self.backlog.swap(ptr::null_mut(), Ordering::AcqRel);
                    let mut merged = Chain::from_list(other);
                    merged.append(chain);
                    chain = merged;
                }
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Normally empty: queued nodes hold the queue alive. Kept for safety.
        let head = self.head.swap(closed(), Ordering::AcqRel);
        if head != closed() {
            Chain::from_stack(head).release();
        }
        Chain::from_list(self.backlog.swap(ptr::null_mut(), Ordering::AcqRel)).release();
    }
}

/// Counts a `poll` as a waiter while it lives (see `begin_wait`).
pub(crate) struct WaitGuard<'a>(&'a AtomicUsize);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What `ReadinessQueue::deliver` did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delivery {
    /// Some node was looked at (see `deliver_with`).
    pub(crate) looked: bool,
    /// Events added (counted with the `stats` feature only, 0 otherwise).
    pub(crate) events: usize,
}

/// A `Poll`'s user-space readiness queue (a handle; clones share it).
#[derive(Clone)]
pub(crate) struct ReadinessQueue {
    shared: Arc<Shared>,
}

impl ReadinessQueue {
    /// Creates the queue, with its wake-up descriptor registered in `selector`.
    #[cfg(not(all(loom, test)))]
    pub(crate) fn new(selector: &crate::sys::Selector) -> io::Result<ReadinessQueue> {
        Ok(ReadinessQueue::with_waker(Waker::new(
            selector,
            Token::RESERVED,
        )?))
    }

    /// Under loom the wake-up is a modelled counter.
    #[cfg(all(loom, test))]
    pub(crate) fn new(_selector: &crate::sys::Selector) -> io::Result<ReadinessQueue> {
        Ok(ReadinessQueue::with_waker(Waker::new()))
    }

    fn with_waker(waker: Waker) -> ReadinessQueue {
        ReadinessQueue {
            shared: Arc::new(Shared {
                head: AtomicPtr::new(ptr::null_mut()),
                backlog: AtomicPtr::new(ptr::null_mut()),
                waiters: AtomicUsize::new(0),
                waker,
            }),
        }
    }

    /// A queue for loom models.
    #[cfg(all(loom, test))]
    pub(crate) fn for_model() -> ReadinessQueue {
        ReadinessQueue::with_waker(Waker::new())
    }

    /// The modelled wake-up counter.
    #[cfg(all(loom, test))]
    pub(crate) fn waker(&self) -> &Waker {
        &self.shared.waker
    }

    /// True when some node waits to be looked at: `poll` must not block.
    /// Two loads, no read-modify-write.
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        let head = self.shared.head.load(Ordering::Acquire);
        (!head.is_null() && head != closed())
            || !self.shared.backlog.load(Ordering::Acquire).is_null()
    }

    /// True when the previous `poll` left nodes behind for lack of room.
    #[inline]
    pub(crate) fn has_backlog(&self) -> bool {
        !self.shared.backlog.load(Ordering::Acquire).is_null()
    }

    /// Writes the `Poll`'s wake-up descriptor: a blocked poll returns.
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.shared.waker.wake()
    }

    /// For a `poll` about to wait with a non-zero timeout: counts it as a
    /// waiter, so that setters wake it, and returns a guard that stops
    /// counting it when dropped (after the wait). `None`, counting nothing,
    /// when something is queued already: the poll must not block.
    pub(crate) fn begin_wait(&self) -> Option<WaitGuard<'_>> {
        let waiters = &self.shared.waiters;
        waiters.fetch_add(1, Ordering::Relaxed);
        // Pairs with the fence in `Shared::has_waiter`.
        fence(Ordering::SeqCst);
        if self.has_pending() {
            waiters.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(WaitGuard(waiters))
    }

    /// Turns queued nodes into events after the OS's events in `events`.
    pub(crate) fn deliver(&self, events: &mut crate::sys::Events) -> Delivery {
        events.remove_token(Token::RESERVED);
        let room = events.capacity().saturating_sub(events.len());
        // Counted for the `stats` feature only.
        #[cfg_attr(not(feature = "stats"), allow(unused_mut))]
        let mut count = 0;
        let looked = self.deliver_with(room, |token, ready| {
            events.push_user(token, ready);
            #[cfg(feature = "stats")]
            {
                count += 1;
            }
        });
        Delivery {
            looked,
            events: count,
        }
    }

    /// Delivers at most `room` events through `emit`, backlog first.
    ///
    /// Returns true when some node was queued, even if none had anything to
    /// report (its readiness was cleared, or its `Registration` dropped,
    /// after a `set_readiness` queued it): user-space activity woke the
    /// poll, and the poll returns, possibly with no event, as in the
    /// classic API. False when nothing was queued: the wake-up was evio's
    /// own (or another poll took the nodes), and the poll waits on.
    pub(crate) fn deliver_with(&self, mut room: usize, mut emit: impl FnMut(Token, Ready)) -> bool {
        let shared = &*self.shared;
        if room == 0 {
            // Nothing fits: the new arrivals join the backlog, after what is
            // there already. `has_pending` keeps the next poll from blocking,
            // and `has_backlog` gives them its buffer first (the OS's events
            // may fill every buffer otherwise).
            let head = shared.head.swap(ptr::null_mut(), Ordering::AcqRel);
            debug_assert!(head != closed());
            let looked = !head.is_null();
            shared.put_back(Chain::from_stack(head));
            return looked;
        }
        let mut todo = Chain::from_list(shared.backlog.swap(ptr::null_mut(), Ordering::AcqRel));
        let head = shared.head.swap(ptr::null_mut(), Ordering::AcqRel);
        // `poll` never runs once the queue is closed (it closes on `Poll` drop).
        debug_assert!(head != closed());
        todo.append(Chain::from_stack(head));

        // Level-triggered nodes that fired: looked at again by the next poll.
        let mut again = Chain::new();
        let mut looked = false;
        while room > 0 {
            let Some(node) = todo.pop_front() else { break };
            looked = true;
            let mut cur = node.state.load(Ordering::Acquire);
            let (ready, keep) = loop {
                debug_assert!(cur & QUEUED != 0);
                let ready = firing(cur);
                let opts = PollOpt::from_bits((cur >> OPTS_SHIFT) & OPTS_MASK);
                let mut next = cur & !QUEUED;
                if ready != 0 {
                    if opts.is_oneshot() {
                        next &= !ARMED;
                    } else if opts.triggers_on_level() {
                        next |= QUEUED;
                    }
                }
                match node.state.compare_exchange_weak(
                    cur,
                    next,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break (ready, next & QUEUED != 0),
                    Err(actual) => cur = actual,
                }
            };
            if ready != 0 {
                // Written before the state transition this one follows.
                let token = Token(node.token.load(Ordering::Relaxed));
                emit(token, Ready::from_usize(ready));
                room -= 1;
            }
            if keep {
                again.push_back(node.into_raw());
            }
            // Otherwise `QUEUED` is clear and dropping `node` gives the
            // queue's reference back.
        }
        // What did not fit goes first next time, then the level nodes.
        todo.append(again);
        shared.put_back(todo);
        looked
    }

    /// The `Poll` is gone: give back every queued reference, and make later
    /// pushes give theirs back at once.
    pub(crate) fn close(&self) {
        let head = self.shared.head.swap(closed(), Ordering::AcqRel);
        if head != closed() {
            Chain::from_stack(head).release();
        }
        let backlog = self.shared.backlog.swap(ptr::null_mut(), Ordering::AcqRel);
        Chain::from_list(backlog).release();
    }
}
