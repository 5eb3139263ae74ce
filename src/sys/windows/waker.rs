//! The waker: a completion posted to the port.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use windows_sys::Win32::System::IO::PostQueuedCompletionStatus;

use super::overlapped::INTERNAL_KEY;
use super::selector::{Inner, Kind, Selector};
use crate::Token;

/// A waker's shared state: the context of its posted completion.
#[repr(C)]
pub(super) struct WakerState {
    kind: Kind,
    /// A wake-up is queued on the port and not yet dequeued.
    pub(super) posted: AtomicBool,
    pub(super) token: Token,
}

/// A cross-thread wake-up: a completion posted to the port.
///
/// At most one wake-up per waker is queued at a time, so any number of
/// `wake` calls between two polls make one event.
pub(crate) struct Waker {
    inner: Arc<Inner>,
    state: Arc<WakerState>,
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waker")
            .field("token", &self.state.token)
            .finish()
    }
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            inner: selector.inner.clone(),
            state: Arc::new(WakerState {
                kind: Kind::Waker,
                posted: AtomicBool::new(false),
                token,
            }),
        })
    }

    /// Posts a completion unless one is queued already: the poll that
    /// dequeues it reports a readable event with the waker's token.
    pub(crate) fn wake(&self) -> io::Result<()> {
        if self.state.posted.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // The queued completion holds one reference, given back by the
        // poll that dequeues it (or by the selector's drop).
        let ctx = Arc::into_raw(self.state.clone());
        // SAFETY: the port stays open while `inner` lives; the context
        // points to a live `WakerState`, kept alive by the reference above.
        // The key marks the completion as evio's own.
        let ok = unsafe {
            PostQueuedCompletionStatus(self.inner.port, 0, INTERNAL_KEY, ctx as *const _)
        };
        if ok == 0 {
            let err = io::Error::last_os_error();
            // SAFETY: nothing was queued: take the reference back.
            drop(unsafe { Arc::from_raw(ctx) });
            self.state.posted.store(false, Ordering::Release);
            return Err(err);
        }
        Ok(())
    }
}
