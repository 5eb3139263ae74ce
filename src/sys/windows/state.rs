//! A socket's registration state (`IoSourceState`), and the re-arming of
//! edge-triggered polls after an operation would block.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use windows_sys::Win32::Networking::WinSock::SOCKET;

use super::afd;
use super::shared::Shared;
use super::slot::SlotRef;
use crate::{PollOpt, Ready, Token};

/// A socket's registration: the port it is bound to and its slot.
pub(crate) struct IoSourceState {
    shared: OnceLock<Arc<Shared>>,
    /// The slot of the current registration, if any.
    slot: Mutex<Option<SlotRef>>,
    /// The base socket, found at the first registration (0: not yet).
    base: AtomicUsize,
}

impl fmt::Debug for IoSourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSourceState")
            .field("registered", &self.slot().is_some())
            .finish()
    }
}

impl Default for IoSourceState {
    fn default() -> Self {
        IoSourceState::new()
    }
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState {
            shared: OnceLock::new(),
            slot: Mutex::new(None),
            base: AtomicUsize::new(0),
        }
    }

    /// The reference to the current registration's slot.
    #[cfg(test)]
    pub(super) fn slot_ref(&self) -> Option<SlotRef> {
        *self.slot()
    }

    fn slot(&self) -> MutexGuard<'_, Option<SlotRef>> {
        // Only whole values are stored: a panic leaves a consistent one.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one IO operation; when it would block, puts the directions an
    /// edge-triggered event took out back into the socket's poll.
    #[inline]
    pub(crate) fn do_io<T, F, R>(&self, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        let res = f(io);
        if let Err(e) = &res {
            if e.kind() == io::ErrorKind::WouldBlock {
                self.rearm();
            }
        }
        res
    }

    #[cold]
    fn rearm(&self) {
        let Some(shared) = self.shared.get() else {
            return;
        };
        let slot = self.slot();
        if let Some(mut locked) = slot.and_then(|r| r.lock(shared.slab())) {
            locked.restore_edge();
        }
    }

    fn bind(&self, shared: &Arc<Shared>) -> io::Result<&Arc<Shared>> {
        let bound = self.shared.get_or_init(|| shared.clone());
        if !Arc::ptr_eq(bound, shared) {
            return Err(crate::poll::other_poll());
        }
        Ok(bound)
    }

    pub(super) fn register(
        &self,
        shared: &Arc<Shared>,
        socket: SOCKET,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let shared = self.bind(shared)?;
        let mut slot = self.slot();
        if slot.is_some() {
            return Err(already_registered());
        }
        // The socket under a handle never changes: ask once.
        let base = match self.base.load(Ordering::Relaxed) {
            0 => {
                let base = afd::base_socket(socket)?;
                self.base.store(base, Ordering::Relaxed);
                base
            }
            base => base,
        };
        let r = shared
            .slab()
            .register(shared.port(), base, token, interest, opts)?;
        *slot = Some(r);
        Ok(())
    }

    pub(super) fn reregister(
        &self,
        shared: &Arc<Shared>,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let shared = self.bind(shared)?;
        let slot = self.slot();
        let Some(mut locked) = slot.and_then(|r| r.lock(shared.slab())) else {
            return Err(not_registered());
        };
        locked.reregister(token, interest, opts)
    }

    pub(super) fn deregister(&self, shared: &Arc<Shared>) -> io::Result<()> {
        let shared = self.bind(shared)?;
        self.release(shared)
    }

    /// Ends the current registration; the slot is given back once no poll
    /// is outstanding on it.
    fn release(&self, shared: &Shared) -> io::Result<()> {
        let mut slot = self.slot();
        let Some(mut locked) = slot.and_then(|r| r.lock(shared.slab())) else {
            return Err(not_registered());
        };
        locked.deregister(shared.slab());
        drop(locked);
        *slot = None;
        Ok(())
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.get() {
            let _ = self.release(shared);
        }
    }
}

#[cold]
fn already_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the socket is registered already",
    )
}

#[cold]
fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the socket is not registered with this Poll",
    )
}
