//! The completion-port selector: AFD polls for sockets, posted completions
//! for wake-ups.
//!
//! Each registered socket owns a [`Slot`] from the selector's slab. The slot
//! holds the buffers of the socket's one outstanding AFD poll, so they stay
//! put until the driver is done with them, and the registration's state.
//! Slots are allocated 32 at a time, each such chunk with its own handle on
//! the AFD device, and never moved or freed before the selector itself: a
//! slot given back (deregistered, or its socket dropped) goes on a free list
//! once its last poll has completed, and the next registration takes it.
//! Registering, polling and socket IO therefore allocate nothing once the
//! slab is as large as the most sockets ever registered at once.
//!
//! AFD polls are one-shot; the three trigger modes are built on them:
//! - level: after an event the poll is sent again when the next `select`
//!   starts, so it reports the condition again while it holds (and not
//!   once the user has drained the socket in between);
//! - edge: after an event the reported directions are left out of the
//!   socket's polls until an operation on the socket returns `WouldBlock`
//!   (see [`IoSourceState::do_io`]), which puts them back;
//! - oneshot: after an event nothing is polled until `reregister`.
//!
//! Handles associated with the port through a `Binding` ([`overlapped`])
//! complete there too, keyed by their token; evio's own completions carry
//! the reserved key instead. A completion of theirs is handed to the
//! callback of its `Overlapped` and leaves no record: what the callback
//! reports goes through user-space readiness.
//!
//! The other parts of the backend: [`Events`](super::events) (the records),
//! [`Waker`](super::waker) (posted completions) and
//! [`IoSourceState`](super::state) (a socket's side of its registration).

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::{cell::UnsafeCell, fmt};

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, HANDLE, INVALID_HANDLE_VALUE, STATUS_CANCELLED, WAIT_TIMEOUT,
};
use windows_sys::Win32::Networking::WinSock::SOCKET;
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, OVERLAPPED_ENTRY,
};

use super::afd::{self, afd_mask, afd_ready, Afd, PollBuffers};
use super::events::{record, Events};
use super::overlapped::{self, INTERNAL_KEY};
use super::state::IoSourceState;
use super::waker::WakerState;
use crate::ready::{ERROR, HUP, READABLE, WRITABLE};
use crate::{PollOpt, Ready, Token};

/// Slots per slab chunk. Each chunk has its own AFD handle: the driver
/// keeps a handle's outstanding polls in a list, so a handle carries few.
const CHUNK: usize = 32;

/// A registration's state, under its slot's lock.
pub(super) struct SlotState {
    /// Unique number of the registration using the slot (0: free).
    pub(super) owner: u64,
    pub(super) socket: SOCKET,
    pub(super) token: usize,
    pub(super) interest: usize,
    pub(super) opts: PollOpt,
    /// The readiness currently watched (edge and oneshot narrow it).
    pub(super) active: usize,
    /// A poll is outstanding; its conditions are `pending_mask`.
    pub(super) pending: bool,
    pub(super) pending_mask: u32,
    /// A cancel was asked for the outstanding poll.
    pub(super) cancelling: bool,
    /// Deregistered: the slot goes back to the free list when the
    /// outstanding poll completes.
    pub(super) deleted: bool,
    /// The socket was closed under the registration.
    pub(super) closed: bool,
    /// On the selector's re-arm list.
    pub(super) queued: bool,
}

impl SlotState {
    pub(super) const fn free() -> SlotState {
        SlotState {
            owner: 0,
            socket: 0,
            token: 0,
            interest: 0,
            opts: PollOpt::empty(),
            active: 0,
            pending: false,
            pending_mask: 0,
            cancelling: false,
            deleted: false,
            closed: false,
            queued: false,
        }
    }
}

/// What a completion's context points to: its first field says which.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(super) enum Kind {
    Slot = 1,
    Waker = 2,
}

/// What a completion's context points to.
///
/// # Safety
///
/// `ptr` must be the context of a completion evio queued: a live `Slot` or
/// `WakerState`, both `repr(C)` with their `Kind` first.
unsafe fn kind_of(ptr: *const ()) -> Kind {
    // SAFETY: per the contract, the first field is a `Kind`, written once
    // at creation and never changed.
    unsafe { *(ptr as *const Kind) }
}

/// One socket's place in the selector.
#[repr(C)]
pub(super) struct Slot {
    kind: Kind,
    /// The AFD handle of the slot's chunk, which sends its polls.
    pub(super) afd: HANDLE,
    /// The outstanding poll's buffers: the driver writes them until the
    /// poll's completion is dequeued; otherwise only touched under `state`.
    pub(super) bufs: UnsafeCell<PollBuffers>,
    state: Mutex<SlotState>,
    /// Next free slot, under the slab's lock.
    next_free: AtomicPtr<Slot>,
    /// Next slot on the re-arm list.
    next_rearm: AtomicPtr<Slot>,
}

impl Slot {
    fn new(afd: HANDLE) -> Slot {
        Slot {
            kind: Kind::Slot,
            afd,
            bufs: UnsafeCell::new(PollBuffers::new()),
            state: Mutex::new(SlotState::free()),
            next_free: AtomicPtr::new(ptr::null_mut()),
            next_rearm: AtomicPtr::new(ptr::null_mut()),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, SlotState> {
        // A panic while holding the lock leaves consistent data behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Slots and the AFD handle they send their polls through.
struct Chunk {
    slots: Box<[Slot]>,
    _afd: Afd,
}

struct Slab {
    chunks: Vec<Chunk>,
    free: *mut Slot,
    /// The AFD handle opened with the selector, for the first chunk.
    spare_afd: Option<Afd>,
}

// SAFETY: the raw pointer only points into `chunks`, owned by the slab.
unsafe impl Send for Slab {}

/// What the selector and every registration and waker share.
pub(super) struct Inner {
    pub(super) port: HANDLE,
    slab: Mutex<Slab>,
    /// Slots whose poll is sent again at the start of the next `select`
    /// (a lock-free stack, taken whole).
    rearm: AtomicPtr<Slot>,
}

// SAFETY: the port handle is used only in thread-safe system calls; the
// slots' shared data is behind their locks, and the poll buffers are
// touched only by the thread holding the slot's lock or by the driver.
unsafe impl Send for Inner {}
// SAFETY: as above.
unsafe impl Sync for Inner {}

impl Inner {
    fn slab(&self) -> MutexGuard<'_, Slab> {
        self.slab.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a free slot, growing the slab by a chunk (with its own AFD
    /// handle) when none is left.
    pub(super) fn alloc_slot(&self) -> io::Result<*const Slot> {
        let mut slab = self.slab();
        if slab.free.is_null() {
            let afd = match slab.spare_afd.take() {
                Some(afd) => afd,
                None => Afd::open(self.port)?,
            };
            let slots: Box<[Slot]> = (0..CHUNK).map(|_| Slot::new(afd.handle())).collect();
            for slot in slots.iter().rev() {
                slot.next_free.store(slab.free, Ordering::Relaxed);
                slab.free = slot as *const Slot as *mut Slot;
            }
            slab.chunks.push(Chunk { slots, _afd: afd });
        }
        let slot = slab.free;
        // SAFETY: `slot` points into a chunk owned by the slab.
        slab.free = unsafe { (*slot).next_free.load(Ordering::Relaxed) };
        Ok(slot)
    }

    /// Gives a slot back; its poll must not be outstanding.
    pub(super) fn free_slot(&self, slot: &Slot, st: &mut SlotState) {
        *st = SlotState::free();
        let mut slab = self.slab();
        slot.next_free.store(slab.free, Ordering::Relaxed);
        slab.free = slot as *const Slot as *mut Slot;
    }

    /// Brings the outstanding poll in line with `st.active`: sends one
    /// when none is out, cancels one that asks for other conditions (its
    /// completion sends the right one).
    pub(super) fn update(&self, slot: &Slot, st: &mut SlotState) -> io::Result<()> {
        if st.deleted || st.closed {
            return Ok(());
        }
        let want = afd_mask(st.active);
        if st.pending {
            if st.pending_mask != want && !st.cancelling {
                // SAFETY: the buffers are those of the poll sent on the
                // slot's AFD handle, open as long as the slab.
                unsafe { afd::cancel(slot.afd, slot.bufs.get())? };
                st.cancelling = true;
            }
            return Ok(());
        }
        if want == 0 {
            return Ok(());
        }
        // SAFETY: no poll is outstanding on these buffers (`pending` is
        // false under the lock); the slot lives as long as the slab, and
        // the slab outlives every poll (see `Drop for Inner`).
        unsafe {
            afd::poll(
                slot.afd,
                slot.bufs.get(),
                st.socket,
                want,
                slot as *const Slot as *const (),
            )?
        };
        st.pending = true;
        st.pending_mask = want;
        st.cancelling = false;
        Ok(())
    }

    /// Puts `slot` on the re-arm list; its state must say `queued`.
    fn push_rearm(&self, slot: &Slot) {
        let ptr = slot as *const Slot as *mut Slot;
        let mut head = self.rearm.load(Ordering::Relaxed);
        loop {
            slot.next_rearm.store(head, Ordering::Relaxed);
            match self
                .rearm
                .compare_exchange_weak(head, ptr, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Sends the polls of the slots on the re-arm list.
    fn rearm_all(&self) {
        let mut cur = self.rearm.swap(ptr::null_mut(), Ordering::Acquire);
        while !cur.is_null() {
            // SAFETY: slots on the list are in the slab, which lives as long
            // as `self`; a queued slot is not freed until taken off here.
            let slot = unsafe { &*cur };
            cur = slot.next_rearm.load(Ordering::Relaxed);
            let mut st = slot.lock();
            st.queued = false;
            if st.deleted {
                if !st.pending {
                    self.free_slot(slot, &mut st);
                }
            } else if self.update(slot, &mut st).is_err() {
                // The socket was closed under its registration.
                st.closed = true;
            }
        }
    }

    /// Handles the completion of `slot`'s poll; returns the record to
    /// report, if any.
    fn complete(&self, slot: &Slot) -> Option<(usize, u32)> {
        let mut st = slot.lock();
        st.pending = false;
        st.cancelling = false;
        if st.deleted {
            // A slot on the re-arm list is freed when the list is taken.
            if !st.queued {
                self.free_slot(slot, &mut st);
            }
            return None;
        }
        // SAFETY: the poll completed (its completion was dequeued), so the
        // driver is done with the buffers; we hold the slot's lock.
        let bufs = unsafe { &*slot.bufs.get() };
        let status = bufs.status();
        let events = if status == STATUS_CANCELLED {
            0
        } else if status < 0 {
            // The poll itself failed: report it as an error on the socket.
            afd::POLL_CONNECT_FAIL
        } else if bufs.info.number_of_handles >= 1 {
            bufs.info.handles[0].events
        } else {
            0
        };
        if events & afd::POLL_LOCAL_CLOSE != 0 {
            st.closed = true;
            return None;
        }
        let (kind, closed) = afd_ready(events & afd_mask(st.active));
        // Readiness the user did not ask for is dropped; error and hang-up
        // are always reported, as the other backends do.
        let kind = kind & (st.interest | ERROR | HUP);
        let mut record = None;
        if kind != 0 {
            record = Some((st.token, kind as u32 | closed));
            if st.opts.is_oneshot() {
                st.active = 0;
            } else if !st.opts.triggers_on_level() {
                st.active &= !(kind & (READABLE | WRITABLE | HUP));
                if kind & (READABLE | WRITABLE) == READABLE | WRITABLE {
                    st.active = 0;
                }
            }
        }
        // The next poll is sent when the next `select` starts, so that it
        // sees what the user did with this event (a level-triggered socket
        // drained meanwhile reports nothing).
        if !st.queued && !st.closed && afd_mask(st.active) != 0 {
            st.queued = true;
            self.push_rearm(slot);
        }
        record
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Outstanding polls write into the slab: cancel them and wait for
        // their completions before the memory goes.
        let mut outstanding = 0usize;
        {
            let slab = self.slab();
            for slot in slab.chunks.iter().flat_map(|c| c.slots.iter()) {
                let mut st = slot.lock();
                if st.pending {
                    if !st.cancelling {
                        // SAFETY: the buffers are those of the poll sent on
                        // the slot's AFD handle, still open.
                        let _ = unsafe { afd::cancel(slot.afd, slot.bufs.get()) };
                        st.cancelling = true;
                    }
                    outstanding += 1;
                }
            }
        }
        let mut entries = [OVERLAPPED_ENTRY::default(); 64];
        let mut rounds = 0;
        while outstanding > 0 && rounds < 100 {
            rounds += 1;
            let mut n = 0u32;
            // SAFETY: `entries` is a live local array of 64 records.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    self.port,
                    entries.as_mut_ptr(),
                    entries.len() as u32,
                    &mut n,
                    100,
                    0,
                )
            };
            if ok == 0 {
                continue;
            }
            for e in &entries[..n as usize] {
                if release_completion(e) {
                    outstanding = outstanding.saturating_sub(1);
                }
            }
        }
        // Wake-ups still queued hold a reference to their waker's state.
        loop {
            let mut n = 0u32;
            // SAFETY: `entries` is a live local array of 64 records.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    self.port,
                    entries.as_mut_ptr(),
                    entries.len() as u32,
                    &mut n,
                    0,
                    0,
                )
            };
            if ok == 0 || n == 0 {
                break;
            }
            for e in &entries[..n as usize] {
                if release_completion(e) {
                    outstanding = outstanding.saturating_sub(1);
                }
            }
        }
        if outstanding > 0 {
            // The driver may still write into the slab: leak it rather
            // than free memory in use.
            let slab = std::mem::replace(
                &mut *self.slab(),
                Slab {
                    chunks: Vec::new(),
                    free: ptr::null_mut(),
                    spare_afd: None,
                },
            );
            std::mem::forget(slab);
        }
        // SAFETY: the port is open and owned here; the AFD handles close
        // after this (field drop).
        unsafe { CloseHandle(self.port) };
    }
}

/// Drops what a completion dequeued while the selector goes away holds;
/// true if it was a poll's.
fn release_completion(e: &OVERLAPPED_ENTRY) -> bool {
    if e.lpCompletionKey != INTERNAL_KEY {
        // A bound handle's operation: with the `Poll` gone, nobody is
        // there to call it back (as when the classic port is closed).
        return false;
    }
    let ctx = e.lpOverlapped as *const ();
    // SAFETY: a completion with evio's key is an AFD poll or a wake-up
    // (see `process`).
    match unsafe { kind_of(ctx) } {
        Kind::Slot => true,
        Kind::Waker => {
            // SAFETY: `wake` turned one reference into this pointer.
            drop(unsafe { Arc::from_raw(ctx as *const WakerState) });
            false
        }
    }
}

/// An IO completion port with an AFD handle for socket polls.
pub(crate) struct Selector {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("port", &self.inner.port)
            .finish()
    }
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: creating a new port: no handle is passed in.
        let port = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0) };
        if port.is_null() {
            return Err(io::Error::last_os_error());
        }
        let afd = match Afd::open(port) {
            Ok(afd) => afd,
            Err(e) => {
                // SAFETY: the port was just created and is owned here.
                unsafe { CloseHandle(port) };
                return Err(e);
            }
        };
        Ok(Selector {
            inner: Arc::new(Inner {
                port,
                slab: Mutex::new(Slab {
                    chunks: Vec::new(),
                    free: ptr::null_mut(),
                    spare_afd: Some(afd),
                }),
                rearm: AtomicPtr::new(ptr::null_mut()),
            }),
        })
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
            self.inner.rearm_all();
            events.buf.clear();
            let cap = events.cap.min(u32::MAX as usize) as u32;
            let mut n = 0u32;
            // SAFETY: the buffer has room for `cap` records; the port is open.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    self.inner.port,
                    events.buf.as_mut_ptr(),
                    cap,
                    &mut n,
                    ms,
                    0,
                )
            };
            if ok == 0 {
                // SAFETY: reads this thread's last error.
                let err = unsafe { GetLastError() };
                if err != WAIT_TIMEOUT {
                    return Err(io::Error::from_raw_os_error(err as i32));
                }
            } else {
                // SAFETY: the port wrote `n` (<= cap) records.
                unsafe { events.buf.set_len(n as usize) };
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

    /// Rewrites AFD completions in place into records, dropping those
    /// that report nothing, and calls back the bound handles' completions;
    /// returns how many records are left.
    ///
    /// A callback that panics does not keep the other completions from
    /// being handled (a poll's completion that is dropped would leave its
    /// socket unwatched for good); the first panic goes on once they are.
    fn process(&self, buf: &mut Vec<OVERLAPPED_ENTRY>) -> usize {
        let mut w = 0;
        let mut panicked = None;
        for r in 0..buf.len() {
            let e = buf[r];
            if e.lpCompletionKey != INTERNAL_KEY {
                // SAFETY: only handles associated through a `Binding` have
                // another key, and its contract makes the `lpOverlapped` of
                // their completions that of a live `Overlapped`.
                let res =
                    panic::catch_unwind(AssertUnwindSafe(|| unsafe { overlapped::dispatch(&e) }));
                if let Err(p) = res {
                    panicked.get_or_insert(p);
                }
                continue;
            }
            let ctx = e.lpOverlapped as *const ();
            // SAFETY: a completion with evio's key is an AFD poll carrying
            // its slot, or a wake-up carrying its waker's state.
            if unsafe { kind_of(ctx) } == Kind::Waker {
                // SAFETY: `wake` turned one reference into this pointer.
                let state = unsafe { Arc::from_raw(ctx as *const WakerState) };
                state.posted.store(false, Ordering::Release);
                buf[w] = record(state.token.0, READABLE as u32);
                w += 1;
                continue;
            }
            // SAFETY: AFD completions carry their slot as context, and a
            // slot outlives every poll sent for it.
            let slot = unsafe { &*(ctx as *const Slot) };
            if let Some((token, bits)) = self.inner.complete(slot) {
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
        self.inner.slab().chunks.len()
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
        state.register(self, socket, token, interest, opts)
    }

    pub(crate) fn reregister(
        &self,
        state: &IoSourceState,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        state.reregister(self, token, interest, opts)
    }

    pub(crate) fn deregister(&self, state: &IoSourceState) -> io::Result<()> {
        state.deregister(self)
    }
}

/// `GetQueuedCompletionStatusEx`'s "no time-out".
const INFINITE: u32 = u32::MAX;

/// Whole milliseconds, rounded up, below `INFINITE`.
fn ceil_ms(d: Duration) -> u32 {
    let ms = d
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
    ms.min(u64::from(INFINITE - 1)) as u32
}
