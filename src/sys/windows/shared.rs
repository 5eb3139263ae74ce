//! What the selector, the registrations, the wakers and the bindings of
//! one `Poll` share: the completion port and the slab of socket slots, and
//! the one decoder of what evio's own completions carry.
//!
//! Completions with evio's key ([`INTERNAL_KEY`]) carry one of two
//! contexts as their `lpOverlapped`, told apart by the pointer's low bit:
//! - clear: the [`Slot`] whose AFD poll completed (its address, see
//!   `slot.rs`);
//! - set: a wake-up, the address of its [`WakeState`] (one reference of an
//!   `Arc`, given back when the completion is decoded).
//!
//! Any other key is a handle associated through a `Binding`, whose
//! `lpOverlapped` is the caller's (see [`super::overlapped`]).

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use windows_sys::Win32::System::IO::OVERLAPPED_ENTRY;

use super::afd::Afd;
use super::port::{Port, INTERNAL_KEY};
use super::slot::{Slab, Slot};
use crate::Token;

/// The mark of a wake-up's context.
const WAKE_TAG: usize = 1;

/// A waker's shared state: the context of its posted completion.
pub(super) struct WakeState {
    /// A wake-up is queued on the port and not yet dequeued.
    pub(super) posted: AtomicBool,
    pub(super) token: Token,
}

// Its address leaves the low bit clear for the mark.
const _: () = assert!(std::mem::align_of::<WakeState>() >= 2);

/// What one dequeued completion is.
pub(super) enum Completion<'a> {
    /// A slot's AFD poll completed.
    Poll(&'a Slot),
    /// A waker's wake-up, with the reference its posting held.
    Wake(Arc<WakeState>),
    /// An operation on a handle associated through a `Binding`.
    Bound,
}

/// The port and the slab.
pub(crate) struct Shared {
    // Dropped before the slab, whose AFD handles are associated with it.
    port: Port,
    slab: Slab,
}

impl Shared {
    pub(super) fn new() -> io::Result<Shared> {
        let port = Port::new()?;
        let afd = Afd::open(&port)?;
        Ok(Shared {
            port,
            slab: Slab::new(afd),
        })
    }

    pub(super) fn port(&self) -> &Port {
        &self.port
    }

    pub(super) fn slab(&self) -> &Slab {
        &self.slab
    }

    /// Queues a wake-up for `state`; the completion holds one reference
    /// until it is decoded.
    pub(super) fn post_wake(&self, state: &Arc<WakeState>) -> io::Result<()> {
        let ptr = Arc::into_raw(state.clone());
        let context = (ptr as usize | WAKE_TAG) as *const ();
        if let Err(e) = self.port.post(context) {
            // SAFETY: nothing was queued: take the reference back.
            drop(unsafe { Arc::from_raw(ptr) });
            return Err(e);
        }
        Ok(())
    }

    /// What `entry` is.
    ///
    /// # Safety
    ///
    /// `entry` must have been dequeued from this `Shared`'s port, and be
    /// decoded once (a wake-up gives its reference back here).
    pub(super) unsafe fn decode(&self, entry: &OVERLAPPED_ENTRY) -> Completion<'_> {
        if entry.lpCompletionKey != INTERNAL_KEY {
            return Completion::Bound;
        }
        let ctx = entry.lpOverlapped as usize;
        if ctx & WAKE_TAG != 0 {
            // SAFETY: a marked context is a wake-up's, made by `post_wake`
            // from one reference, which this decoding takes back.
            Completion::Wake(unsafe { Arc::from_raw((ctx & !WAKE_TAG) as *const WakeState) })
        } else {
            // SAFETY: an unmarked context with evio's key is the slot whose
            // poll completed; slots are never freed before the slab, which
            // `self` owns.
            Completion::Poll(unsafe { &*(ctx as *const Slot) })
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Outstanding polls write into the slab: cancel them and wait for
        // their completions before the memory goes.
        let mut outstanding = self.slab.cancel_all();
        let mut entries = [std::mem::MaybeUninit::<OVERLAPPED_ENTRY>::uninit(); 64];
        let mut rounds = 0;
        // Wait (a bounded time) while polls are outstanding; then take what
        // is queued, so the wake-ups give their references back.
        loop {
            let ms = if outstanding > 0 && rounds < 100 {
                100
            } else {
                0
            };
            rounds += 1;
            let n = match self.port.dequeue(&mut entries, ms) {
                Ok(n) => n,
                Err(_) if ms > 0 => continue,
                Err(_) => break,
            };
            if n == 0 && ms == 0 {
                break;
            }
            for e in &entries[..n] {
                // SAFETY: the port wrote the first `n` records.
                let e = unsafe { e.assume_init_ref() };
                // SAFETY: dequeued from this port just now, decoded once.
                match unsafe { self.decode(e) } {
                    Completion::Poll(_) => outstanding = outstanding.saturating_sub(1),
                    Completion::Wake(state) => drop(state),
                    // A bound handle's operation: with the `Poll` gone,
                    // nobody is there to call it back (as when the classic
                    // port is closed).
                    Completion::Bound => {}
                }
            }
        }
        if outstanding > 0 {
            // The driver may still write into the slab: leak it rather
            // than free memory in use.
            self.slab.leak();
        }
    }
}
