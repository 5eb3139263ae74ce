//! A socket's registration state (`IoSourceState`), and the re-arming of
//! edge-triggered polls after an operation would block.

use std::fmt;
use std::io;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, OnceLock};

use windows_sys::Win32::Networking::WinSock::SOCKET;

use super::afd;
use super::selector::{Inner, Selector, Slot, SlotState};
use crate::{PollOpt, Ready, Token};

/// Unique numbers for registrations, so a stale slot pointer is recognized.
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// A socket's registration: the selector it is bound to and its slot.
pub(crate) struct IoSourceState {
    inner: OnceLock<Arc<Inner>>,
    slot: AtomicPtr<Slot>,
    owner: AtomicU64,
    /// The base socket, found at the first registration (0: not yet).
    base: AtomicUsize,
}

impl fmt::Debug for IoSourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSourceState")
            .field("registered", &!self.slot.load(Ordering::Relaxed).is_null())
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
            inner: OnceLock::new(),
            slot: AtomicPtr::new(ptr::null_mut()),
            owner: AtomicU64::new(0),
            base: AtomicUsize::new(0),
        }
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
        let slot = self.slot.load(Ordering::Acquire);
        if slot.is_null() {
            return;
        }
        let owner = self.owner.load(Ordering::Acquire);
        let Some(inner) = self.inner.get() else {
            return;
        };
        // SAFETY: slots live as long as the slab, which `inner` keeps alive.
        let slot = unsafe { &*slot };
        let mut st = slot.lock();
        if st.owner != owner || st.opts.is_oneshot() || st.active == st.interest {
            return;
        }
        st.active = st.interest;
        if inner.update(slot, &mut st).is_err() {
            // The socket is gone from under the poll: nothing to watch.
            st.closed = true;
        }
    }

    /// The slot of the current registration, locked, if this state has one.
    fn locked(&self) -> Option<(&Slot, MutexGuard<'_, SlotState>)> {
        let slot = self.slot.load(Ordering::Acquire);
        if slot.is_null() {
            return None;
        }
        let owner = self.owner.load(Ordering::Acquire);
        // SAFETY: a non-null slot pointer implies `inner` is set, and the
        // slab it points into lives as long as `inner`.
        let slot = unsafe { &*slot };
        let st = slot.lock();
        if st.owner != owner {
            return None;
        }
        Some((slot, st))
    }

    fn bind(&self, selector: &Selector) -> io::Result<&Arc<Inner>> {
        let inner = self.inner.get_or_init(|| selector.inner.clone());
        if !Arc::ptr_eq(inner, &selector.inner) {
            return Err(crate::poll::other_poll());
        }
        Ok(inner)
    }

    pub(super) fn register(
        &self,
        selector: &Selector,
        socket: SOCKET,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let inner = self.bind(selector)?;
        if !self.slot.load(Ordering::Acquire).is_null() {
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
        let owner = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
        let slot_ptr = inner.alloc_slot()?;
        // SAFETY: the slot is in the slab, which `inner` keeps alive.
        let slot = unsafe { &*slot_ptr };
        let mut st = slot.lock();
        *st = SlotState {
            owner,
            socket: base,
            token: token.0,
            interest: interest.as_usize(),
            opts,
            active: interest.as_usize(),
            ..SlotState::free()
        };
        self.owner.store(owner, Ordering::Release);
        if self
            .slot
            .compare_exchange(
                ptr::null_mut(),
                slot_ptr as *mut Slot,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            inner.free_slot(slot, &mut st);
            return Err(already_registered());
        }
        if let Err(e) = inner.update(slot, &mut st) {
            self.slot.store(ptr::null_mut(), Ordering::Release);
            inner.free_slot(slot, &mut st);
            return Err(e);
        }
        Ok(())
    }

    pub(super) fn reregister(
        &self,
        selector: &Selector,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let inner = self.bind(selector)?;
        let Some((slot, mut st)) = self.locked() else {
            return Err(not_registered());
        };
        st.token = token.0;
        st.interest = interest.as_usize();
        st.opts = opts;
        st.active = interest.as_usize();
        inner.update(slot, &mut st)
    }

    pub(super) fn deregister(&self, selector: &Selector) -> io::Result<()> {
        let inner = self.bind(selector)?;
        self.release(inner)
    }

    /// Ends the current registration; the slot is given back once no poll
    /// is outstanding on it.
    fn release(&self, inner: &Inner) -> io::Result<()> {
        let Some((slot, mut st)) = self.locked() else {
            return Err(not_registered());
        };
        self.slot.store(ptr::null_mut(), Ordering::Release);
        st.owner = 0;
        if st.pending {
            st.deleted = true;
            if !st.cancelling {
                // SAFETY: the buffers are those of the poll sent on the
                // slot's AFD handle, open as long as the slab.
                if unsafe { afd::cancel(slot.afd, slot.bufs.get()) }.is_ok() {
                    st.cancelling = true;
                }
            }
        } else if st.queued {
            // Freed when the re-arm list is taken.
            st.deleted = true;
        } else {
            inner.free_slot(slot, &mut st);
        }
        Ok(())
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.get() {
            let _ = self.release(inner);
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
