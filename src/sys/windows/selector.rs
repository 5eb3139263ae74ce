//! The completion-port selector: the wait, and the re-arm list.
//!
//! `select` sends the polls of the slots on the re-arm list again (see
//! [`slot`](super::slot) for how the trigger modes are built on one-shot
//! AFD polls), waits on the port, and rewrites the completions in place
//! into evio's records: a slot's poll through [`Locked::complete`], a
//! wake-up into a readable event with its waker's token.
//!
//! Handles associated with the port through a `Binding` ([`overlapped`])
//! complete there too, keyed by their token; evio's own completions carry
//! the reserved key instead. A completion of theirs is handed to the
//! callback of its `Overlapped` and leaves no record: what the callback
//! reports goes through user-space readiness.
//!
//! The other parts of the backend: [`Shared`](super::shared) (the port and
//! the slab every registration, waker and binding shares, and the decoder
//! of completions), [`Events`](super::events) (the records),
//! [`Waker`](super::waker) (posted completions) and
//! [`IoSourceState`](super::state) (a socket's side of its registration).
//!
//! [`Locked::complete`]: super::slot::Locked::complete

use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use windows_sys::Win32::Networking::WinSock::SOCKET;
use windows_sys::Win32::System::IO::OVERLAPPED_ENTRY;

use super::events::{record, Events};
use super::overlapped;
use super::port::INFINITE;
use super::shared::{Completion, Shared};
use super::slot::RearmList;
use super::state::IoSourceState;
use crate::ready::READABLE;
use crate::{PollOpt, Ready, Token};

/// An IO completion port with AFD polls for sockets.
pub(crate) struct Selector {
    shared: Arc<Shared>,
    /// Slots whose poll is sent again at the start of the next `select`;
    /// only slots of `shared`'s slab are put there.
    rearm: RearmList,
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("port", self.shared.port())
            .finish()
    }
}

/// What wakers, registrations and bindings are bound to.
impl AsRef<Arc<Shared>> for Selector {
    fn as_ref(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            shared: Arc::new(Shared::new()?),
            rearm: RearmList::new(),
        })
    }

    /// One wait with a timeout of `-1` (none) or `0` ms, the fast path of
    /// `Poll::poll`: the number of events, or the error number (and no
    /// events), which the caller's general path repeats and reports.
    #[inline]
    pub(crate) fn select_quick(
        &self,
        events: &mut Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        match self.select(events, crate::poll::quick_timeout(timeout_ms)) {
            Ok(()) => Ok(events.len()),
            Err(e) => {
                events.clear();
                Err(e.raw_os_error().unwrap_or(0))
            }
        }
    }

    /// Waits until a completion reports something or `timeout` (rounded up
    /// to whole milliseconds) has passed, and turns the completions into
    /// records in `events`.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        // The clock is read only for a wait that may have to be resumed:
        // Windows can end a timed wait a little before the time asked for,
        // and completions that report nothing must not end it either.
        let start = match timeout {
            Some(to) if !to.is_zero() => Some(Instant::now()),
            _ => None,
        };
        let left = |start: Option<Instant>| match (timeout, start) {
            (Some(to), Some(start)) => to.checked_sub(start.elapsed()).filter(|d| !d.is_zero()),
            _ => None,
        };
        let mut ms = match timeout {
            None => INFINITE,
            Some(to) => ceil_ms(to),
        };
        loop {
            self.rearm.rearm_all(self.shared.slab());
            events.buf.clear();
            let cap = events.cap;
            let spare = &mut events.buf.spare_capacity_mut()[..cap];
            let n = self.shared.port().dequeue(spare, ms)?;
            if n > 0 {
                // SAFETY: the port wrote the first `n` (<= cap) records.
                unsafe { events.buf.set_len(n) };
                if self.process(&mut events.buf) > 0 {
                    return Ok(());
                }
            }
            // Nothing to report yet: wait on, for what is left of the time.
            ms = match timeout {
                None => INFINITE,
                Some(_) => match left(start) {
                    Some(d) => ceil_ms(d),
                    None => return Ok(()),
                },
            };
        }
    }

    /// Rewrites evio's completions in place into records, dropping those
    /// that report nothing, and calls back the bound handles' completions;
    /// returns how many records are left.
    ///
    /// A callback that panics does not keep the other completions from
    /// being handled (a poll's completion that is dropped would leave its
    /// socket unwatched for good); the first panic goes on once they are.
    fn process(&self, buf: &mut Vec<OVERLAPPED_ENTRY>) -> usize {
        let slab = self.shared.slab();
        let mut w = 0;
        let mut panicked = None;
        for r in 0..buf.len() {
            let e = buf[r];
            // SAFETY: `e` was just dequeued from the shared port, and is
            // decoded once.
            let report = match unsafe { self.shared.decode(&e) } {
                Completion::Poll(slot) => slot.lock().complete(slab, &self.rearm),
                Completion::Wake(state) => {
                    state.posted.store(false, Ordering::Release);
                    Some((state.token.0, READABLE as u32))
                }
                Completion::Bound => {
                    // SAFETY: only handles associated through a `Binding`
                    // have another key than evio's, and its contract makes
                    // the `lpOverlapped` of their completions that of a
                    // live `Overlapped`.
                    let res = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
                        overlapped::dispatch(&e)
                    }));
                    if let Err(p) = res {
                        panicked.get_or_insert(p);
                    }
                    None
                }
            };
            if let Some((token, bits)) = report {
                buf[w] = record(token, bits);
                w += 1;
            }
        }
        buf.truncate(w);
        if let Some(p) = panicked {
            panic::resume_unwind(p);
        }
        w
    }

    /// How many chunks of slots the slab holds.
    #[cfg(test)]
    pub(crate) fn chunks(&self) -> usize {
        self.shared.slab().chunks()
    }

    /// Registers `socket` for `state` (see [`IoSourceState`]).
    pub(crate) fn register(
        &self,
        state: &IoSourceState,
        socket: SOCKET,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        state.register(&self.shared, socket, token, interest, opts)
    }

    pub(crate) fn reregister(
        &self,
        state: &IoSourceState,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        state.reregister(&self.shared, token, interest, opts)
    }

    pub(crate) fn deregister(&self, state: &IoSourceState) -> io::Result<()> {
        state.deregister(&self.shared)
    }
}

/// Whole milliseconds, rounded up, below `INFINITE`.
fn ceil_ms(d: Duration) -> u32 {
    let ms = d
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
    ms.min(u64::from(INFINITE - 1)) as u32
}
