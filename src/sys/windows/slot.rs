//! A registered socket's state: its slot in the slab, and the two state
//! machines the slot runs, that of its one outstanding AFD poll
//! ([`PollState`]) and that of the registration ([`Life`]).
//!
//! Each registered socket owns a [`Slot`]. The slot holds the buffers of
//! the socket's one outstanding AFD poll, so they stay put until the driver
//! is done with them, and the registration's state, under a lock. Slots are
//! allocated [`CHUNK`] at a time, each such chunk with its own handle on the
//! AFD device, and never moved or freed before the [`Slab`] itself: a slot
//! given back (deregistered, or its socket dropped) goes on a free list
//! once its last poll has completed, and the next registration takes it.
//! Registering, polling and socket IO therefore allocate nothing once the
//! slab is as large as the most sockets ever registered at once.
//!
//! A registration refers to its slot through a [`SlotRef`]: the slot's
//! address and its generation, which goes up each time the slot is taken,
//! so a reference to a slot that was given back and taken again is
//! recognized and refused. A `SlotRef` is only ever read through the slab
//! that made it ([`SlotRef::lock`] borrows it), so it cannot be used past
//! the slot's memory.
//!
//! Every change of a slot's state is one method of [`Locked`], the slot
//! under its lock.
//!
//! AFD polls are one-shot; the three trigger modes are built on them:
//! - level: after an event the poll is sent again when the next `select`
//!   starts (the slot goes on the [`RearmList`]), so it reports the
//!   condition again while it holds (and not once the user has drained the
//!   socket in between);
//! - edge: after an event the reported directions are left out of the
//!   socket's polls until an operation on the socket returns `WouldBlock`
//!   ([`Locked::restore_edge`]), which puts them back;
//! - oneshot: after an event nothing is polled until `reregister`.

use std::cell::UnsafeCell;
use std::io;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard};

use windows_sys::Win32::Foundation::{HANDLE, STATUS_CANCELLED};
use windows_sys::Win32::Networking::WinSock::SOCKET;

use super::afd::{self, afd_mask, afd_ready, Afd, PollBuffers};
use super::port::Port;
use crate::ready::{ERROR, HUP, READABLE, WRITABLE};
use crate::{PollOpt, Ready, Token};

/// Slots per slab chunk. Each chunk has its own AFD handle: the driver
/// keeps a handle's outstanding polls in a list, so a handle carries few.
const CHUNK: usize = 32;

/// Where a slot's AFD poll stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PollState {
    /// No poll is outstanding: the buffers are the slot's own.
    Idle,
    /// A poll for these AFD conditions is outstanding.
    Polling(u32),
    /// A poll is outstanding and its cancel was asked for; its completion
    /// comes all the same.
    Cancelling,
}

/// Where a slot's registration stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Life {
    /// Not in use: on the slab's free list.
    Free,
    /// Registered: the polls follow the watched readiness.
    Registered,
    /// Registered, but the socket was closed under it: nothing more is
    /// polled.
    Closed,
    /// Deregistered: the slot goes back to the free list once no poll is
    /// outstanding and it is off the re-arm list.
    Deregistered,
}

/// A registration's state, under its slot's lock.
struct SlotState {
    /// Goes up each time the slot is taken (see [`SlotRef`]).
    generation: u64,
    life: Life,
    poll: PollState,
    /// On the selector's re-arm list.
    queued: bool,
    /// The base socket the polls are for.
    socket: SOCKET,
    token: usize,
    interest: usize,
    opts: PollOpt,
    /// The readiness currently watched (edge and oneshot narrow it).
    active: usize,
}

impl SlotState {
    const fn free(generation: u64) -> SlotState {
        SlotState {
            generation,
            life: Life::Free,
            poll: PollState::Idle,
            queued: false,
            socket: 0,
            token: 0,
            interest: 0,
            opts: PollOpt::empty(),
            active: 0,
        }
    }
}

/// One socket's place in the slab.
pub(super) struct Slot {
    /// The AFD handle of the slot's chunk, which sends its polls; open as
    /// long as the chunk.
    afd: HANDLE,
    /// The outstanding poll's buffers: the driver writes them until the
    /// poll's completion is dequeued; otherwise only touched under `state`.
    bufs: UnsafeCell<PollBuffers>,
    state: Mutex<SlotState>,
    /// Next free slot, under the slab's lock.
    next_free: AtomicPtr<Slot>,
    /// Next slot on the re-arm list.
    next_rearm: AtomicPtr<Slot>,
}

// The context of a slot's poll is the slot's address, which leaves its low
// bit clear for `shared` to mark other contexts with.
const _: () = assert!(std::mem::align_of::<Slot>() >= 2);

// SAFETY: the state is behind a lock; the buffers are touched only by the
// thread holding that lock, and only while no poll is outstanding on them
// (or by the driver while one is); the AFD handle is a plain value used in
// thread-safe system calls.
unsafe impl Send for Slot {}
// SAFETY: as above.
unsafe impl Sync for Slot {}

impl Slot {
    fn new(afd: HANDLE) -> Slot {
        Slot {
            afd,
            bufs: UnsafeCell::new(PollBuffers::new()),
            state: Mutex::new(SlotState::free(0)),
            next_free: AtomicPtr::new(ptr::null_mut()),
            next_rearm: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The slot under its lock.
    pub(super) fn lock(&self) -> Locked<'_> {
        Locked {
            slot: self,
            // A panic while holding the lock leaves consistent data behind:
            // every transition writes whole states.
            st: self.state.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// The context its polls carry: the slot's address.
    fn context(&self) -> *const () {
        self as *const Slot as *const ()
    }
}

/// A registration's reference to its slot: valid while the slot's
/// generation is the one it was taken with and the registration has not
/// ended.
#[derive(Clone, Copy, Debug)]
pub(super) struct SlotRef {
    slot: NonNull<Slot>,
    generation: u64,
}

// SAFETY: the pointer is only dereferenced by `lock`, through the slab that
// owns the slot, and `Slot` is `Sync`.
unsafe impl Send for SlotRef {}
// SAFETY: as above.
unsafe impl Sync for SlotRef {}

impl SlotRef {
    /// Whether both references name the same slot (of any generation).
    #[cfg(test)]
    pub(super) fn same_slot(&self, other: &SlotRef) -> bool {
        self.slot == other.slot
    }

    /// The slot under its lock, if the registration this reference was made
    /// for still holds it. `slab` must be the slab that made the reference.
    pub(super) fn lock<'a>(&self, slab: &'a Slab) -> Option<Locked<'a>> {
        let _ = slab;
        // SAFETY: the slot is in `slab` (the caller's contract), whose
        // slots are never moved or freed while it lives; the borrow of
        // `slab` bounds the reference.
        let slot: &'a Slot = unsafe { self.slot.as_ref() };
        let locked = slot.lock();
        let live = matches!(locked.st.life, Life::Registered | Life::Closed);
        (live && locked.st.generation == self.generation).then_some(locked)
    }
}

/// A slot under its lock: every change of its state is one method here.
pub(super) struct Locked<'a> {
    slot: &'a Slot,
    st: MutexGuard<'a, SlotState>,
}

impl Locked<'_> {
    /// Free → registered: takes the slot for a new registration and sends
    /// its first poll.
    fn begin(
        &mut self,
        socket: SOCKET,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        debug_assert_eq!(self.st.life, Life::Free);
        let generation = self.st.generation + 1;
        *self.st = SlotState {
            life: Life::Registered,
            socket,
            token: token.0,
            interest: interest.as_usize(),
            opts,
            active: interest.as_usize(),
            ..SlotState::free(generation)
        };
        self.sync()
    }

    /// `reregister`: new token, interest and mode; the poll follows.
    pub(super) fn reregister(
        &mut self,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.st.token = token.0;
        self.st.interest = interest.as_usize();
        self.st.opts = opts;
        self.st.active = interest.as_usize();
        self.sync()
    }

    /// An operation on the socket would block: the directions an
    /// edge-triggered event took out of the poll go back in.
    pub(super) fn restore_edge(&mut self) {
        if self.st.opts.is_oneshot() || self.st.active == self.st.interest {
            return;
        }
        self.st.active = self.st.interest;
        if self.sync().is_err() {
            // The socket is gone from under the poll: nothing to watch.
            self.st.life = Life::Closed;
        }
    }

    /// Registered → deregistered: the slot goes back to the free list now,
    /// or, with a poll outstanding or a place on the re-arm list, when that
    /// ends.
    pub(super) fn deregister(&mut self, slab: &Slab) {
        self.st.life = Life::Deregistered;
        match self.st.poll {
            PollState::Polling(_) => {
                // SAFETY: the buffers are those of the poll sent on the
                // slot's AFD handle, open as long as the slab.
                if unsafe { afd::cancel(self.slot.afd, self.slot.bufs.get()) }.is_ok() {
                    self.st.poll = PollState::Cancelling;
                }
            }
            PollState::Cancelling => {}
            PollState::Idle if self.st.queued => {}
            PollState::Idle => self.free(slab),
        }
    }

    /// The slot was taken off the re-arm list: its poll is sent again (or
    /// a deregistered slot given back).
    pub(super) fn rearm(&mut self, slab: &Slab) {
        self.st.queued = false;
        match self.st.life {
            Life::Deregistered if self.st.poll == PollState::Idle => self.free(slab),
            Life::Registered => {
                if self.sync().is_err() {
                    // The socket was closed under its registration.
                    self.st.life = Life::Closed;
                }
            }
            Life::Deregistered | Life::Closed | Life::Free => {}
        }
    }

    /// The slot's poll completed: returns the record to report (token,
    /// readiness and closed marks), if any, and puts the slot on `rearm`
    /// when it is to be polled again.
    pub(super) fn complete(&mut self, slab: &Slab, rearm: &RearmList) -> Option<(usize, u32)> {
        self.st.poll = PollState::Idle;
        if self.st.life == Life::Deregistered {
            // A slot on the re-arm list is freed when the list is taken.
            if !self.st.queued {
                self.free(slab);
            }
            return None;
        }
        let events = self.outcome();
        if events & afd::POLL_LOCAL_CLOSE != 0 {
            self.st.life = Life::Closed;
            return None;
        }
        let (kind, closed) = afd_ready(events & afd_mask(self.st.active));
        // Readiness the user did not ask for is dropped; error and hang-up
        // are always reported, as the other backends do.
        let kind = kind & (self.st.interest | ERROR | HUP);
        let mut record = None;
        if kind != 0 {
            record = Some((self.st.token, kind as u32 | closed));
            if self.st.opts.is_oneshot() {
                self.st.active = 0;
            } else if !self.st.opts.triggers_on_level() {
                self.st.active &= !(kind & (READABLE | WRITABLE | HUP));
                if kind & (READABLE | WRITABLE) == READABLE | WRITABLE {
                    self.st.active = 0;
                }
            }
        }
        // The next poll is sent when the next `select` starts, so that it
        // sees what the user did with this event (a level-triggered socket
        // drained meanwhile reports nothing).
        if !self.st.queued && self.st.life == Life::Registered && afd_mask(self.st.active) != 0 {
            self.st.queued = true;
            rearm.push(self.slot);
        }
        record
    }

    /// The slab goes away: cancels the outstanding poll; true if one is
    /// outstanding (its completion is still to come).
    fn cancel_for_drop(&mut self) -> bool {
        if let PollState::Polling(_) = self.st.poll {
            // SAFETY: the buffers are those of the poll sent on the slot's
            // AFD handle, still open.
            let _ = unsafe { afd::cancel(self.slot.afd, self.slot.bufs.get()) };
            self.st.poll = PollState::Cancelling;
        }
        self.st.poll != PollState::Idle
    }

    /// The AFD conditions the completed poll found (a failed poll counts as
    /// an error on the socket, a cancelled one as nothing).
    fn outcome(&self) -> u32 {
        debug_assert_eq!(self.st.poll, PollState::Idle);
        // SAFETY: the poll completed (its completion was dequeued), so the
        // driver is done with the buffers; we hold the slot's lock.
        let bufs = unsafe { &*self.slot.bufs.get() };
        let status = bufs.status();
        if status == STATUS_CANCELLED {
            0
        } else if status < 0 {
            afd::POLL_CONNECT_FAIL
        } else if bufs.info.number_of_handles >= 1 {
            bufs.info.handles[0].events
        } else {
            0
        }
    }

    /// Brings the outstanding poll in line with the watched readiness:
    /// sends one when none is out, cancels one that asks for other
    /// conditions (its completion sends the right one).
    fn sync(&mut self) -> io::Result<()> {
        if self.st.life != Life::Registered {
            return Ok(());
        }
        let want = afd_mask(self.st.active);
        match self.st.poll {
            PollState::Cancelling => {}
            PollState::Polling(mask) if mask == want => {}
            PollState::Polling(_) => {
                // SAFETY: the buffers are those of the poll sent on the
                // slot's AFD handle, open as long as the slab.
                unsafe { afd::cancel(self.slot.afd, self.slot.bufs.get())? };
                self.st.poll = PollState::Cancelling;
            }
            PollState::Idle if want == 0 => {}
            PollState::Idle => {
                // SAFETY: no poll is outstanding on these buffers (the
                // state is idle, under the lock); the slot lives as long as
                // the slab, and the slab outlives every poll (see
                // `Slab::cancel_all` and `Shared`'s drop).
                unsafe {
                    afd::poll(
                        self.slot.afd,
                        self.slot.bufs.get(),
                        self.st.socket,
                        want,
                        self.slot.context(),
                    )?
                };
                self.st.poll = PollState::Polling(want);
            }
        }
        Ok(())
    }

    /// Gives the slot back to the slab; no poll may be outstanding and the
    /// slot may not be on the re-arm list.
    fn free(&mut self, slab: &Slab) {
        debug_assert!(self.st.poll == PollState::Idle && !self.st.queued);
        *self.st = SlotState::free(self.st.generation);
        slab.push_free(self.slot);
    }
}

/// Slots and the AFD handle they send their polls through.
struct Chunk {
    slots: Box<[Slot]>,
    _afd: Afd,
}

struct SlabInner {
    chunks: Vec<Chunk>,
    free: *mut Slot,
    /// The AFD handle opened with the slab, for the first chunk.
    spare_afd: Option<Afd>,
}

// SAFETY: the raw pointer only points into `chunks`, owned here.
unsafe impl Send for SlabInner {}

/// Every slot of one selector, in chunks that never move.
pub(super) struct Slab {
    inner: Mutex<SlabInner>,
}

impl Slab {
    /// A slab whose first chunk will use `afd`.
    pub(super) fn new(afd: Afd) -> Slab {
        Slab {
            inner: Mutex::new(SlabInner {
                chunks: Vec::new(),
                free: ptr::null_mut(),
                spare_afd: Some(afd),
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, SlabInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a free slot for `socket` and sends its first poll.
    pub(super) fn register(
        &self,
        port: &Port,
        socket: SOCKET,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<SlotRef> {
        let slot = self.alloc(port)?;
        let mut locked = slot.lock();
        if let Err(e) = locked.begin(socket, token, interest, opts) {
            locked.free(self);
            return Err(e);
        }
        Ok(SlotRef {
            slot: NonNull::from(slot),
            generation: locked.st.generation,
        })
    }

    /// Takes a free slot, growing the slab by a chunk (with its own AFD
    /// handle) when none is left.
    fn alloc(&self, port: &Port) -> io::Result<&Slot> {
        let mut inner = self.inner();
        if inner.free.is_null() {
            let afd = match inner.spare_afd.take() {
                Some(afd) => afd,
                None => Afd::open(port)?,
            };
            let slots: Box<[Slot]> = (0..CHUNK).map(|_| Slot::new(afd.handle())).collect();
            for slot in slots.iter().rev() {
                slot.next_free.store(inner.free, Ordering::Relaxed);
                inner.free = slot as *const Slot as *mut Slot;
            }
            inner.chunks.push(Chunk { slots, _afd: afd });
        }
        // SAFETY: `free` points into a chunk owned by the slab, which lives
        // as long as `self`; chunks never move.
        let slot: &Slot = unsafe { &*inner.free };
        inner.free = slot.next_free.load(Ordering::Relaxed);
        Ok(slot)
    }

    fn push_free(&self, slot: &Slot) {
        let mut inner = self.inner();
        slot.next_free.store(inner.free, Ordering::Relaxed);
        inner.free = slot as *const Slot as *mut Slot;
    }

    /// How many chunks the slab holds.
    #[cfg(test)]
    pub(super) fn chunks(&self) -> usize {
        self.inner().chunks.len()
    }

    /// Cancels every outstanding poll; returns how many completions are
    /// still to come.
    pub(super) fn cancel_all(&mut self) -> usize {
        let inner = self.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        let slots = inner.chunks.iter().flat_map(|c| c.slots.iter());
        slots.filter(|slot| slot.lock().cancel_for_drop()).count()
    }

    /// Leaves the slots' memory (and AFD handles) to the process: the
    /// driver may still write into it.
    pub(super) fn leak(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        std::mem::forget(std::mem::take(&mut inner.chunks));
        inner.free = ptr::null_mut();
    }
}

/// The slots whose poll is sent again at the start of the next `select`:
/// a lock-free stack through the slots, taken whole.
pub(super) struct RearmList {
    head: AtomicPtr<Slot>,
}

impl RearmList {
    pub(super) const fn new() -> RearmList {
        RearmList {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Pushes `slot`; its state says it is queued.
    fn push(&self, slot: &Slot) {
        let ptr = slot as *const Slot as *mut Slot;
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            slot.next_rearm.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, ptr, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Takes every slot off the list and re-arms it ([`Locked::rearm`]).
    /// `slab` must be the slab of every slot pushed.
    pub(super) fn rearm_all(&self, slab: &Slab) {
        let mut cur = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        while !cur.is_null() {
            // SAFETY: only slots of `slab` are pushed (the caller's
            // contract, kept by the selector, which owns both); slots live
            // as long as their slab, and a queued slot is not freed until
            // taken off here.
            let slot = unsafe { &*cur };
            cur = slot.next_rearm.load(Ordering::Relaxed);
            slot.lock().rearm(slab);
        }
    }
}
