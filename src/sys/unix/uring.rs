//! The io_uring engine (Linux): epoll's readiness, with interest changes
//! carried to the kernel in batches through an io_uring.
//!
//! # What goes through the ring
//!
//! The readiness itself is epoll's: the engine owns an epoll instance, and a
//! poll is one `epoll_wait` on it, exactly as in the epoll engine. What the
//! ring carries is the hot registration change of event loops, the
//! `reregister` of evio's own sockets (a oneshot registration re-armed after
//! each event, an interest switched between readable and writable): each
//! one becomes an `IORING_OP_EPOLL_CTL` submission queued in user space,
//! and the next poll hands the whole batch to the kernel in one
//! `io_uring_enter` before it waits. A loop that re-arms `n` sources per
//! poll makes two system calls per poll instead of `n + 1`.
//!
//! Because the kernel object is an ordinary epoll set, every documented
//! semantic is epoll's by construction: edge, level and oneshot; the
//! readiness mask reported; hang-up (`EPOLLHUP` only) and errors; a closed
//! descriptor leaving the set by itself; a deregistered descriptor's
//! number reused with no event of the old registration.
//!
//! # What stays a direct system call, and why
//!
//! - `register` and `deregister` are `epoll_ctl` calls: their errors
//!   (`AlreadyExists`, `NotFound`, `EBADF`, `EPERM`, `EINVAL`) are the
//!   kernel's, returned at once, and `deregister` has taken effect when it
//!   returns. Any batch still queued is handed to the kernel first, so that
//!   no queued change can land on a later registration of the same number.
//! - `reregister` through an `EventedFd` (a raw descriptor the caller may
//!   have closed): its errors too must be the kernel's, at once.
//! - A `reregister` queued while another thread is blocked in `poll` is
//!   handed to the kernel at once (that poll would not see it otherwise).
//!
//! A queued `reregister` of one of evio's sockets (which holds its
//! descriptor open for the length of the call) is checked in user space
//! against the set of descriptors registered through this engine, so that
//! one that is not registered is `NotFound` at once, as epoll says. The
//! kernel's answer for the batch comes back as completions, which the next
//! hand-over reads: a failed change (the socket was closed meanwhile, or
//! dropped from the set by closing its last descriptor) clears the
//! descriptor from that set.
//!
//! # Why not `IORING_OP_POLL_ADD`
//!
//! A poll request of the ring reports the readiness of the wake-up that
//! fired it (only the readable bits when data arrives, `POLLPRI` included
//! for every socket wake-up), not what holds now, as epoll does; it reports
//! `POLLRDHUP` to a registration that did not ask for it; and it holds a
//! reference to the file, so a socket closed without a deregister stays
//! open (its peer never sees the close) while the request lives. Each of
//! these breaks a documented semantic, and mending it costs the system
//! calls the engine would save. See `BENCHMARKS.md`.
//!
//! # Memory
//!
//! The ring is created with `SQ_ENTRIES` submission entries (the completion
//! ring is twice that) and never grows. Each queued change keeps its
//! `epoll_event` in `State::records`, at the index of its submission entry,
//! until the kernel has consumed the entry (it copies the record then). A
//! burst of changes larger than the submission ring is handed to the
//! kernel each time the ring is full, and queuing goes on: nothing is ever
//! dropped. Every completion is read before the next hand-over, so the
//! completion ring never overflows. The only allocation after creation is
//! a bit set of descriptors (registered, exclusive) growing to a new
//! highest descriptor.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use io_uring::{opcode, types, IoUring, Probe};

use super::epoll::{self, Events};
use crate::{PollOpt, Ready, Token};

/// Submission entries of the ring (a power of two).
const SQ_ENTRIES: u32 = 256;

/// How many times a hand-over interrupted by a signal, or refused for lack
/// of kernel memory, is tried again before the error is returned.
const RETRIES: u32 = 64;

/// The io_uring engine: an epoll set whose changes go through a ring.
pub(crate) struct Selector {
    epoll: epoll::Selector,
    ring: IoUring,
    /// The submission and completion queues, the records of queued
    /// changes and the registered set: one user at a time.
    state: Mutex<State>,
    /// Set while submissions are queued and not yet handed to the kernel;
    /// read by `select` without the lock.
    queued: AtomicBool,
    /// Threads in, or about to enter, a blocking wait.
    waiters: AtomicUsize,
}

struct State {
    /// The record each queued `EPOLL_CTL` points at, at the index of its
    /// submission entry (`tail % SQ_ENTRIES`).
    records: Box<[libc::epoll_event]>,
    /// The submission queue's tail as this engine last wrote it (every
    /// entry is pushed here, so it is the ring's tail).
    tail: u32,
    /// One bit per descriptor registered through this engine.
    registered: Vec<u64>,
    /// One bit per descriptor registered with `EPOLLEXCLUSIVE`, which
    /// epoll cannot modify: their `reregister` is a direct call, so that
    /// its `EINVAL` comes at once.
    exclusive: Vec<u64>,
    /// Changes the kernel refused after they were queued (their descriptor
    /// was closed or left the set meanwhile), for the tests.
    refused: u64,
}

impl State {
    fn is_registered(&self, fd: RawFd) -> bool {
        has(&self.registered, fd)
    }

    fn set_registered(&mut self, fd: RawFd, on: bool) {
        put(&mut self.registered, fd, on);
        if !on {
            put(&mut self.exclusive, fd, false);
        }
    }
}

/// Whether bit `fd` of `set` is set.
fn has(set: &[u64], fd: RawFd) -> bool {
    let fd = fd as usize;
    set.get(fd / 64).is_some_and(|w| w & (1 << (fd % 64)) != 0)
}

/// Sets or clears bit `fd` of `set`.
fn put(set: &mut Vec<u64>, fd: RawFd, on: bool) {
    let (word, bit) = (fd as usize / 64, 1u64 << (fd as usize % 64));
    if word >= set.len() {
        if !on {
            return;
        }
        // Grows only to a new highest descriptor, doubling.
        let len = (word + 1).next_power_of_two().max(16);
        set.resize(len, 0);
    }
    if on {
        set[word] |= bit;
    } else {
        set[word] &= !bit;
    }
}

/// Why the ring cannot be used; the `Poll` then runs the epoll engine.
#[derive(Debug)]
pub(crate) enum Unavailable {
    /// `io_uring_setup` failed (`ENOSYS`: no io_uring; `EPERM`: refused by
    /// `kernel.io_uring_disabled` or a seccomp filter; `EACCES`, `ENOMEM`...).
    Setup(io::Error),
    /// The kernel lacks an operation or feature the engine needs.
    Missing(&'static str),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Setup(e) => write!(f, "io_uring_setup failed: {e}"),
            Unavailable::Missing(what) => write!(f, "the kernel lacks {what}"),
        }
    }
}

impl Selector {
    /// Creates the engine, or says why it cannot run here.
    pub(crate) fn new() -> Result<Selector, Unavailable> {
        let ring = IoUring::builder()
            .setup_clamp()
            .build(SQ_ENTRIES)
            .map_err(Unavailable::Setup)?;
        let mut probe = Probe::new();
        // IORING_REGISTER_PROBE itself is Linux 5.6, as is EPOLL_CTL.
        if ring.submitter().register_probe(&mut probe).is_err() {
            return Err(Unavailable::Missing("IORING_REGISTER_PROBE"));
        }
        if !probe.is_supported(opcode::EpollCtl::CODE) {
            return Err(Unavailable::Missing("IORING_OP_EPOLL_CTL"));
        }
        if !ring.params().is_feature_nodrop() {
            return Err(Unavailable::Missing("IORING_FEAT_NODROP"));
        }
        let entries = ring.params().sq_entries() as usize;
        let epoll = epoll::Selector::new().map_err(Unavailable::Setup)?;
        let empty = libc::epoll_event { events: 0, u64: 0 };
        Ok(Selector {
            epoll,
            ring,
            state: Mutex::new(State {
                records: vec![empty; entries].into_boxed_slice(),
                tail: 0,
                registered: Vec::new(),
                exclusive: Vec::new(),
                refused: 0,
            }),
            queued: AtomicBool::new(false),
            waiters: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panic (no invariant spans
        // two fields' updates), so a poisoned lock is taken as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for events, at most `timeout`: the queued changes go to the
    /// kernel first, then one `epoll_wait` (the epoll engine's own).
    #[inline(never)]
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let blocking = timeout != Some(Duration::ZERO);
        if blocking {
            // Paired with `queue_change`: either this thread sees the
            // queued flag, or the queuing thread sees this waiter and
            // hands its change over itself (sequentially consistent on
            // both sides, so at least one of the two sees the other).
            self.waiters.fetch_add(1, Ordering::SeqCst);
        }
        let res = if self.queued.load(Ordering::SeqCst) {
            let mut st = self.lock();
            self.flush(&mut st)
        } else {
            Ok(())
        };
        let res = match res {
            Ok(()) => self.epoll.select(events, timeout),
            Err(e) => {
                events.clear();
                Err(e)
            }
        };
        if blocking {
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
        res
    }

    /// `select` with a timeout of `-1` (none) or `0` ms: the number of
    /// records, or the error number.
    pub(crate) fn select_quick(
        &self,
        events: &mut Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        let timeout = if timeout_ms < 0 {
            None
        } else {
            Some(Duration::ZERO)
        };
        match self.select(events, timeout) {
            Ok(()) => Ok(events.len()),
            Err(e) => Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }

    /// Registers `fd`: `epoll_ctl(ADD)`, after any queued change.
    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let mut st = self.lock();
        self.flush_if_queued(&mut st)?;
        self.epoll.register(fd, token, interest, opts)?;
        st.set_registered(fd, true);
        put(&mut st.exclusive, fd, opts.is_exclusive());
        Ok(())
    }

    /// Reregisters a descriptor the caller may have closed: `epoll_ctl(MOD)`
    /// at once, so that its errors are the kernel's.
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let mut st = self.lock();
        self.flush_if_queued(&mut st)?;
        match self.epoll.reregister(fd, token, interest, opts) {
            Ok(()) => {
                st.set_registered(fd, true);
                Ok(())
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::NotFound {
                    st.set_registered(fd, false);
                }
                Err(e)
            }
        }
    }

    /// Reregisters a descriptor the caller holds open for the length of the
    /// call (one of evio's sockets): the change is queued, and goes to the
    /// kernel with the next poll.
    pub(crate) fn reregister_open(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if opts.is_exclusive() {
            // Refused by the epoll engine's own check, at once.
            return self.reregister(fd, token, interest, opts);
        }
        let mut st = self.lock();
        if !st.is_registered(fd) {
            // What `epoll_ctl(MOD)` answers for a descriptor not in the set.
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        if has(&st.exclusive, fd) {
            drop(st);
            return self.reregister(fd, token, interest, opts);
        }
        let record = libc::epoll_event {
            events: epoll::flags(interest, opts).bits(),
            u64: token.0 as u64,
        };
        self.queue_change(&mut st, fd, record)
    }

    /// Deregisters `fd`: `epoll_ctl(DEL)`, after any queued change, so it
    /// has taken effect when this returns.
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut st = self.lock();
        self.flush_if_queued(&mut st)?;
        let res = self.epoll.deregister(fd);
        match &res {
            Ok(()) => st.set_registered(fd, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => st.set_registered(fd, false),
            Err(_) => {}
        }
        res
    }

    /// Queues one `EPOLL_CTL_MOD` of `fd` to `record`.
    fn queue_change(&self, st: &mut State, fd: RawFd, record: libc::epoll_event) -> io::Result<()> {
        let mask = st.records.len() as u32 - 1;
        loop {
            // SAFETY: the state lock is held, and every use of the queues is
            // made under it, so no other `SubmissionQueue` exists.
            let mut sq = unsafe { self.ring.submission_shared() };
            if !sq.is_full() {
                let idx = (st.tail & mask) as usize;
                st.records[idx] = record;
                let entry = opcode::EpollCtl::new(
                    types::Fd(self.epoll.as_raw_fd()),
                    types::Fd(fd),
                    libc::EPOLL_CTL_MOD,
                    (&st.records[idx] as *const libc::epoll_event).cast::<types::epoll_event>(),
                )
                .build()
                .user_data(fd as u32 as u64);
                // SAFETY: the entry points at `records[idx]`, which stays
                // where it is (a boxed slice never moved or resized) and is
                // not written again until the tail comes round to `idx`,
                // which `is_full` forbids before the kernel has consumed this
                // entry; the kernel copies the record when it consumes the
                // entry. Not full, so the push succeeds.
                let pushed = unsafe { sq.push(&entry) };
                debug_assert!(pushed.is_ok());
                st.tail = st.tail.wrapping_add(1);
                // Publishes the new tail (a release store): the kernel reads
                // the tail with acquire ordering, so it sees the entry and
                // the record written before it.
                drop(sq);
                break;
            }
            drop(sq);
            // A burst larger than the ring: hand what is queued over, go on.
            self.flush(st)?;
        }
        self.queued.store(true, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) != 0 {
            // A poll may be blocked already and would not see the change.
            self.flush(st)?;
        }
        Ok(())
    }

    fn flush_if_queued(&self, st: &mut State) -> io::Result<()> {
        if self.queued.load(Ordering::Relaxed) {
            self.flush(st)
        } else {
            Ok(())
        }
    }

    /// Hands every queued change to the kernel and waits for their
    /// completions (they complete at once, or within microseconds when the
    /// kernel defers one to a worker because another thread holds the
    /// epoll set's lock), so that every change has taken effect when this
    /// returns; then reads the completions.
    fn flush(&self, st: &mut State) -> io::Result<()> {
        let mut retries = 0;
        loop {
            // SAFETY: the state lock is held (see `queue_change`).
            let n = unsafe { self.ring.submission_shared() }.len();
            if n == 0 {
                break;
            }
            // Every completion was read by the previous hand-over, so
            // waiting for `n` waits for this batch's.
            match self.ring.submitter().submit_and_wait(n) {
                Ok(_) => {}
                Err(e)
                    if retries < RETRIES
                        && matches!(
                            e.raw_os_error(),
                            Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
                        ) =>
                {
                    retries += 1;
                }
                Err(e) => {
                    self.reap(st);
                    return Err(e);
                }
            }
            self.reap(st);
        }
        self.queued.store(false, Ordering::SeqCst);
        self.reap(st);
        Ok(())
    }

    /// Reads every completion: a refused change means its descriptor is no
    /// longer in the set.
    fn reap(&self, st: &mut State) {
        // SAFETY: the state lock is held (see `queue_change`), so no other
        // `CompletionQueue` exists. Dropping it publishes the new head (a
        // release store) after the entries have been read.
        let cq = unsafe { self.ring.completion_shared() };
        for cqe in cq {
            if cqe.result() < 0 {
                st.refused += 1;
                st.set_registered(cqe.user_data() as u32 as RawFd, false);
            }
        }
    }

    /// Queued changes the kernel refused so far (tests only).
    #[cfg(test)]
    fn refused(&self) -> u64 {
        self.lock().refused
    }
}

impl AsRawFd for Selector {
    /// The epoll instance: what a `Poll` registered in another event loop waits on.
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector")
            .field("epoll", &self.epoll)
            .field("ring", &self.ring.as_raw_fd())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    fn engine() -> Option<Selector> {
        match Selector::new() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("io_uring unavailable here ({e}); skipped");
                None
            }
        }
    }

    fn tokens(sel: &Selector, events: &mut Events) -> Vec<usize> {
        sel.select(events, Some(Duration::ZERO)).unwrap();
        (0..events.len())
            .map(|i| {
                super::epoll::event::to_event(events.get(i).unwrap())
                    .token()
                    .0
            })
            .collect()
    }

    #[test]
    fn queued_rearm_reaches_the_kernel_with_the_next_poll() {
        let Some(sel) = engine() else { return };
        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let mut events = Events::with_capacity(8);
        sel.register(fd, Token(1), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        b.write_all(b"x").unwrap();
        assert_eq!(tokens(&sel, &mut events), [1]);
        // Fired: nothing until re-armed.
        assert!(tokens(&sel, &mut events).is_empty());
        sel.reregister_open(fd, Token(2), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        assert!(sel.queued.load(Ordering::SeqCst));
        assert_eq!(tokens(&sel, &mut events), [2]);
        assert!(!sel.queued.load(Ordering::SeqCst));
        assert_eq!(sel.refused(), 0);
    }

    #[test]
    fn a_burst_larger_than_the_ring_loses_no_change() {
        let Some(sel) = engine() else { return };
        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let mut events = Events::with_capacity(8);
        sel.register(fd, Token(0), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        b.write_all(b"x").unwrap();
        // Three ring-fulls of changes; the last one wins.
        let n = 3 * SQ_ENTRIES as usize + 7;
        for i in 1..=n {
            sel.reregister_open(fd, Token(i), Ready::readable(), PollOpt::oneshot())
                .unwrap();
        }
        assert_eq!(tokens(&sel, &mut events), [n]);
        assert_eq!(sel.refused(), 0);
    }

    /// A `reregister` queued and then undone by `deregister`, or by closing
    /// the socket, never comes back: not for the old registration, nor on
    /// a new socket that gets the same descriptor number.
    #[test]
    fn a_queued_change_never_outlives_deregister_or_close() {
        let Some(sel) = engine() else { return };
        let mut events = Events::with_capacity(8);
        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        b.write_all(b"x").unwrap();
        sel.register(fd, Token(1), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        assert_eq!(tokens(&sel, &mut events), [1]);
        sel.reregister_open(fd, Token(2), Ready::readable(), PollOpt::level())
            .unwrap();
        sel.deregister(fd).unwrap();
        assert!(!sel.queued.load(Ordering::SeqCst));
        assert!(tokens(&sel, &mut events).is_empty());
        let e = sel
            .reregister_open(fd, Token(3), Ready::readable(), PollOpt::level())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        // Queued again, then the socket closed and its number reused by a
        // readable socket registered with another token.
        sel.register(fd, Token(4), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        assert_eq!(tokens(&sel, &mut events), [4]);
        sel.reregister_open(fd, Token(5), Ready::readable(), PollOpt::level())
            .unwrap();
        sel.deregister(fd).unwrap();
        drop((a, b));
        let (c, mut d) = UnixStream::pair().unwrap();
        d.write_all(b"y").unwrap();
        let reused = c.as_raw_fd() == fd;
        sel.register(c.as_raw_fd(), Token(6), Ready::readable(), PollOpt::edge())
            .unwrap();
        for _ in 0..3 {
            let got = tokens(&sel, &mut events);
            assert!(
                got.iter().all(|&t| t == 6),
                "{got:?} (number reused: {reused})"
            );
        }
        assert_eq!(sel.refused(), 0);
    }

    #[test]
    fn unregistered_and_closed_descriptors() {
        let Some(sel) = engine() else { return };
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let e = sel
            .reregister_open(fd, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        sel.register(fd, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap();
        let e = sel
            .register(fd, Token(1), Ready::readable(), PollOpt::edge())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        // Queued, then the descriptor is closed before the hand-over: the
        // kernel refuses the change and the descriptor leaves the set.
        sel.reregister_open(fd, Token(2), Ready::writable(), PollOpt::edge())
            .unwrap();
        drop(a);
        let mut events = Events::with_capacity(8);
        assert!(tokens(&sel, &mut events).is_empty());
        assert_eq!(sel.refused(), 1);
        assert!(!sel.lock().is_registered(fd));
    }
}
