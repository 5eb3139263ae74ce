//! A `Poll`'s user-space readiness, and how a poll merges it with the
//! system's events: [`UserSpace`] owns the queue (created by the first
//! `Registration` registered) and the fairness state between the two
//! sources, and runs the polls that have a queue.
//!
//! It depends on the backend (`sys`), the queue, the counters and the
//! timeout of a poll (`wait`); `Poll` holds one and hands it, with its
//! selector and counters, to the registrations as a [`PollSide`].

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use super::ReadinessQueue;
use crate::stats::Counters;
use crate::sys;
use crate::wait::Deadline;

/// What a `Registration` needs of the `Poll` it is registered with.
#[derive(Clone, Copy)]
pub(crate) struct PollSide<'a> {
    pub(crate) user: &'a UserSpace,
    pub(crate) selector: &'a sys::Selector,
    pub(crate) counters: &'a Counters,
}

/// User-space readiness of one `Poll`.
pub(crate) struct UserSpace {
    // Created by the first `Registration` registered, so a program without
    // one pays nothing for it.
    queue: OnceLock<ReadinessQueue>,
    // Set when the last poll gave the whole buffer to user-space readiness
    // (see `poll`): the next one asks the OS first.
    os_skipped: AtomicBool,
    // Set when the last poll with user-space readiness filled the whole
    // buffer: only then can entries have been left over for lack of room.
    filled: AtomicBool,
    // Whether `Poll::poll` may take its inlined fast path: its engine has
    // one (`sys::has_fast_path`: all but Linux's io_uring engine) and there
    // is no queue. Cleared for good when the queue is created. One test of
    // this, where the fast path tested the queue, keeps the engine's test
    // off the fast path.
    fast: AtomicBool,
}

impl UserSpace {
    /// No queue yet; `fast_path` says whether the `Poll`'s engine has a
    /// fast path.
    pub(crate) const fn new(fast_path: bool) -> UserSpace {
        UserSpace {
            queue: OnceLock::new(),
            os_skipped: AtomicBool::new(false),
            filled: AtomicBool::new(false),
            fast: AtomicBool::new(fast_path),
        }
    }

    /// Whether `Poll::poll` may take its fast path (see `fast`).
    #[inline(always)]
    pub(crate) fn fast(&self) -> bool {
        self.fast.load(Ordering::Acquire)
    }

    /// The queue, if a `Registration` created it.
    #[inline(always)]
    pub(crate) fn queue(&self) -> Option<&ReadinessQueue> {
        self.queue.get()
    }

    /// The queue, created on first use (its wake-up registered with
    /// `selector`).
    pub(crate) fn get_or_create(&self, selector: &sys::Selector) -> io::Result<&ReadinessQueue> {
        if let Some(q) = self.queue.get() {
            return Ok(q);
        }
        let q = ReadinessQueue::new(selector)?;
        // Polls take the general path from now on (one that read `fast`
        // before this store and waits is woken below).
        self.fast.store(false, Ordering::Release);
        // If another thread won the race, its queue is used and ours is dropped.
        if self.queue.set(q).is_ok() {
            // A poll that started before the queue existed took the fast
            // path: it is not counted as a waiter, so setters would not wake
            // it. One wake-up now makes it return and look at the queue.
            self.queue.get().expect("queue was just set").wake()?;
        }
        Ok(self.queue.get().expect("queue was just set"))
    }

    /// The `Poll` is dropped: the registrations' later calls do nothing.
    pub(crate) fn close(&self) {
        if let Some(q) = self.queue.get() {
            q.close();
        }
    }

    /// After a wait of the fast path during which a `Registration` created
    /// the queue: its wake-up record must not reach the caller, and its
    /// entries are delivered. `None` when there is nothing to report (only
    /// the queue's wake-up): the poll waits again.
    #[cold]
    #[inline(never)]
    pub(crate) fn deliver_raced(
        &self,
        events: &mut sys::Events,
        counters: &Counters,
    ) -> Option<usize> {
        let d = match self.queue.get() {
            Some(q) => q.deliver(events),
            None => return (events.len() != 0).then(|| self.polled(events, 0, counters)),
        };
        if events.len() == 0 && !d.looked {
            return None;
        }
        Some(self.polled(events, d.events, counters))
    }

    /// Finishes a wait of the general path that found no queue before it
    /// and a queue after it (a `Registration` created it meanwhile): its
    /// entries are delivered as after any wait with the queue.
    #[cold]
    #[inline(never)]
    pub(crate) fn finish_raced(
        &self,
        q: &ReadinessQueue,
        select: impl FnMut(&mut sys::Events, Option<Duration>) -> io::Result<()>,
        events: &mut sys::Events,
        deadline: Deadline,
        interruptible: bool,
        counters: &Counters,
    ) -> io::Result<usize> {
        match self.deliver(q, events, deadline, counters) {
            Ok(n) => Ok(n),
            Err(wait_for) => self.poll(
                q,
                select,
                events,
                deadline,
                wait_for,
                interruptible,
                counters,
            ),
        }
    }

    /// A poll with user-space readiness: waits on the system through
    /// `select` (or only looks, when entries are queued already), merges the queue's entries
    /// after the system's events, and waits again when woken with nothing
    /// to report.
    // The poll's parts, each from its owner (the `Poll`'s wait and
    // counters, this queue): bundling them would only move them about.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn poll(
        &self,
        q: &ReadinessQueue,
        mut select: impl FnMut(&mut sys::Events, Option<Duration>) -> io::Result<()>,
        events: &mut sys::Events,
        deadline: Deadline,
        mut wait_for: Option<Duration>,
        interruptible: bool,
        counters: &Counters,
    ) -> io::Result<usize> {
        loop {
            // A poll that may block says so first, and then setters wake
            // it; it does not block when something is queued already.
            let mut waiting = None;
            let wait = match wait_for {
                Some(Duration::ZERO) => wait_for,
                _ => match q.begin_wait() {
                    Some(guard) => {
                        waiting = Some(guard);
                        wait_for
                    }
                    None => Some(Duration::ZERO),
                },
            };
            // When the OS's events filled the whole buffer last time and
            // user-space entries were left over, every other poll gives the
            // buffer to them first, so neither side can starve the other.
            // What the OS has ready stays queued in the kernel meanwhile.
            // The backlog also holds level-triggered entries that fired;
            // they alone are no reason to skip the OS (its level-triggered
            // handles would miss a poll): only a buffer filled to the last
            // record is.
            let skip = q.has_backlog()
                && self.filled.load(Ordering::Relaxed)
                && !self.os_skipped.load(Ordering::Relaxed);
            self.os_skipped.store(skip, Ordering::Relaxed);
            let res = if skip {
                events.clear();
                Ok(())
            } else {
                select(events, wait)
            };
            drop(waiting);
            match res {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted && !interruptible => {
                    counters.eintr();
                    wait_for = deadline.after_signal(wait_for);
                    continue;
                }
                Err(e) => return Err(e),
            }
            match self.deliver(q, events, deadline, counters) {
                Ok(n) => return Ok(n),
                Err(next) => wait_for = next,
            }
        }
    }

    /// Delivers the queue's entries after a wait: the number of events, or
    /// how long the poll waits again.
    #[inline]
    fn deliver(
        &self,
        q: &ReadinessQueue,
        events: &mut sys::Events,
        deadline: Deadline,
        counters: &Counters,
    ) -> Result<usize, Option<Duration>> {
        let d = q.deliver(events);
        self.filled
            .store(events.len() >= events.capacity(), Ordering::Relaxed);
        // Woken only by the queue's own wake-up (or another thread's poll
        // took the entries): not a reason to return empty-handed from a
        // wait; wait again for the time left. The queue is drained now, so
        // the next wait blocks. Entries that had nothing to report after
        // all (readiness cleared, or the `Registration` dropped, after a
        // `set_readiness`) end the poll with no event, as in the classic
        // API.
        if events.len() == 0 && !d.looked {
            if let Some(wait_for) = deadline.wait_on() {
                return Err(wait_for);
            }
        }
        Ok(self.polled(events, d.events, counters))
    }

    #[inline]
    fn polled(&self, events: &sys::Events, user: usize, counters: &Counters) -> usize {
        counters.polled(events.len(), user);
        events.len()
    }
}
