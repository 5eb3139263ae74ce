//! The synchronization primitives the readiness queue is written against.
//!
//! Normally these are the standard library's; under `cfg(loom)` they are
//! loom's model-checked stand-ins, and the operating system's wake-up is
//! replaced by a counter the model can observe.

#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::Arc;

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering};
#[cfg(all(loom, test))]
pub(crate) use loom::sync::Arc;

#[cfg(not(all(loom, test)))]
pub(crate) use crate::sys::Waker;

/// Stand-in for the `Poll`'s wake-up descriptor in loom models: each wake
/// adds one to a counter that a modelled `poll` consumes.
#[cfg(all(loom, test))]
#[derive(Debug)]
pub(crate) struct Waker {
    pending: AtomicUsize,
}

#[cfg(all(loom, test))]
impl Waker {
    pub(crate) fn new() -> Waker {
        Waker {
            pending: AtomicUsize::new(0),
        }
    }

    pub(crate) fn wake(&self) -> std::io::Result<()> {
        self.pending.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Takes the wake-ups written so far, like a blocked `epoll_wait`
    /// returning for the descriptor.
    pub(crate) fn take(&self) -> usize {
        self.pending.swap(0, Ordering::AcqRel)
    }
}
