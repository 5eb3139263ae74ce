//! The waker: a completion posted to the port.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::shared::{Shared, WakeState};
use crate::Token;

/// A cross-thread wake-up: a completion posted to the port.
///
/// At most one wake-up per waker is queued at a time, so any number of
/// `wake` calls between two polls make one event.
pub(crate) struct Waker {
    shared: Arc<Shared>,
    state: Arc<WakeState>,
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waker")
            .field("token", &self.state.token)
            .finish()
    }
}

impl Waker {
    /// A waker posting to the port of `selector` (a `Selector`).
    pub(crate) fn new<S: AsRef<Arc<Shared>>>(selector: &S, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            shared: selector.as_ref().clone(),
            state: Arc::new(WakeState {
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
        if let Err(e) = self.shared.post_wake(&self.state) {
            self.state.posted.store(false, Ordering::Release);
            return Err(e);
        }
        Ok(())
    }
}
