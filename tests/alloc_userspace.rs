//! User-space readiness allocates only at `Registration::new2` (and once per
//! `Poll`, for its queue), at most once per pair (a node given back on a
//! thread is reused by its next `new2`): `set_readiness`, `poll` and
//! `Waker::wake` allocate nothing, and creating and dropping a million pairs
//! leaves no memory behind once the thread has exited.
//!
//! A counting global allocator counts, per thread, the allocations and the
//! bytes allocated minus freed by the measuring thread only, so the test
//! harness's other threads do not disturb the figures; a thread that counts
//! into the global totals is counted up to and including its exit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evio::{Events, Poll, PollOpt, Ready, Registration, Token, Waker};

struct Counting;

// Clippy reports these already-`const` initializers on targets without
// native thread-locals (windows-gnu, Android): rust-clippy issue 17566.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static ON: Cell<bool> = const { Cell::new(false) };
    #[allow(clippy::missing_const_for_thread_local)]
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    #[allow(clippy::missing_const_for_thread_local)]
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

/// Totals of the threads that set `TO_GLOBAL`, which stays set while they
/// exit (a const-initialized `Cell` has no destructor), so that what their
/// thread-locals free at exit is counted too.
static GLOBAL_ALLOCS: AtomicU64 = AtomicU64::new(0);
static GLOBAL_LIVE: AtomicI64 = AtomicI64::new(0);

thread_local! {
    // Already `const` (rust-clippy 17566, as above).
    #[allow(clippy::missing_const_for_thread_local)]
    static TO_GLOBAL: Cell<bool> = const { Cell::new(false) };
}

fn note(allocs: u64, bytes: i64) {
    // `try_with`: thread-locals may be gone while a thread exits.
    let _ = ON.try_with(|on| {
        if on.get() {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + allocs));
            let _ = LIVE.try_with(|c| c.set(c.get() + bytes));
        }
    });
    if TO_GLOBAL.try_with(|g| g.get()).unwrap_or(false) {
        GLOBAL_ALLOCS.fetch_add(allocs, Ordering::Relaxed);
        GLOBAL_LIVE.fetch_add(bytes, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to the system allocator with the same
// arguments; the counting touches only const-initialized thread-locals,
// which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as i64));
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as i64 - layout.size() as i64);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with counting on for this thread; returns (allocations, net bytes).
fn counted<R>(f: impl FnOnce() -> R) -> (R, u64, i64) {
    ALLOCS.with(|c| c.set(0));
    LIVE.with(|c| c.set(0));
    ON.with(|on| on.set(true));
    let r = f();
    ON.with(|on| on.set(false));
    (r, ALLOCS.with(|c| c.get()), LIVE.with(|c| c.get()))
}

#[test]
fn set_readiness_poll_and_wake_allocate_nothing() {
    let poll = Arc::new(Poll::new().unwrap());
    let mut events = Events::with_capacity(16);
    let waker = Arc::new(Waker::new(&poll, Token(100)).unwrap());
    let pairs: Vec<_> = [PollOpt::edge(), PollOpt::level(), PollOpt::oneshot()]
        .into_iter()
        .enumerate()
        .map(|(i, opts)| {
            let (r, s) = Registration::new2();
            poll.register(&r, Token(i), Ready::readable(), opts)
                .unwrap();
            (r, s)
        })
        .collect();

    let (seen, allocs, _) = counted(|| {
        let mut seen = 0;
        for n in 0..2_000 {
            for (_, s) in &pairs {
                s.set_readiness(Ready::readable()).unwrap();
            }
            if n % 3 == 0 {
                waker.wake().unwrap();
            }
            let timeout = match n % 3 {
                0 => Duration::ZERO,
                1 => Duration::from_millis(1),
                _ => Duration::from_micros(1500),
            };
            poll.poll(&mut events, Some(timeout)).unwrap();
            seen += events.iter().count();
            if n % 2 == 0 {
                for (_, s) in &pairs {
                    s.set_readiness(Ready::empty()).unwrap();
                }
            }
            // Re-arm the oneshot registration now and then.
            if n % 10 == 0 {
                poll.reregister(&pairs[2].0, Token(2), Ready::readable(), PollOpt::oneshot())
                    .unwrap();
            }
        }
        seen
    });
    assert!(seen > 2_000, "only {seen} events");
    assert_eq!(allocs, 0, "{allocs} allocations on the hot path");

    // From another thread too: setting and waking while this one polls.
    let setters: Vec<_> = pairs.iter().map(|(_, s)| s.clone()).collect();
    let w = waker.clone();
    let other = thread::spawn(move || {
        let ((), allocs, _) = counted(|| {
            for n in 0..2_000 {
                for s in &setters {
                    let ready = if n % 2 == 0 {
                        Ready::readable()
                    } else {
                        Ready::empty()
                    };
                    s.set_readiness(ready).unwrap();
                }
                w.wake().unwrap();
            }
        });
        allocs
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let ((), allocs, _) = counted(|| {
        for _ in 0..100_000 {
            if other.is_finished() || Instant::now() > deadline {
                break;
            }
            poll.poll(&mut events, Some(Duration::from_millis(1)))
                .unwrap();
        }
    });
    assert_eq!(allocs, 0, "{allocs} allocations while polling");
    assert_eq!(other.join().unwrap(), 0, "allocations while setting");
}

/// Creates and drops `pairs` pairs on a thread of their own, most of them
/// registered and set, some dropped while queued. Returns the peak of live
/// bytes between two polls, and the allocations and the net bytes of the
/// thread, up to and including its exit.
fn pairs_on_a_thread(poll: &Arc<Poll>, pairs: usize) -> (i64, u64, i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let poll = poll.clone();
    GLOBAL_ALLOCS.store(0, Ordering::Relaxed);
    GLOBAL_LIVE.store(0, Ordering::Relaxed);
    let peak = thread::spawn(move || {
        TO_GLOBAL.with(|g| g.set(true));
        let (peak, _, _) = counted(|| {
            let mut events = Events::with_capacity(64);
            let mut peak = 0i64;
            for n in 0..pairs {
                let (r, s) = Registration::new2();
                let opts = match n % 3 {
                    0 => PollOpt::edge(),
                    1 => PollOpt::level(),
                    _ => PollOpt::oneshot(),
                };
                if n % 5 != 0 {
                    poll.register(&r, Token(n), Ready::readable(), opts)
                        .unwrap();
                }
                if n % 7 != 0 {
                    s.set_readiness(Ready::readable()).unwrap();
                }
                // Both drop orders; some nodes are still queued when dropped.
                if n % 2 == 0 {
                    drop(r);
                    drop(s);
                } else {
                    drop(s);
                    drop(r);
                }
                if n % 1000 == 999 {
                    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                    peak = peak.max(LIVE.with(|c| c.get()));
                    assert!(Instant::now() < deadline, "too slow: {n} pairs");
                }
            }
            poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
            peak
        });
        drop(poll);
        peak
    })
    .join()
    .unwrap();
    (
        peak,
        GLOBAL_ALLOCS.load(Ordering::Relaxed),
        GLOBAL_LIVE.load(Ordering::Relaxed),
    )
}

/// A million pairs created and dropped: memory stays flat, at most one
/// allocation is made per pair, and nothing is left once their thread has
/// exited (its cache of nodes is freed then): the thread leaves exactly
/// what a thread that makes no pair leaves (what the thread machinery
/// itself allocates and frees across threads).
#[test]
fn a_million_pairs_leave_nothing_behind() {
    const PAIRS: usize = 1_000_000;
    let poll = Arc::new(Poll::new().unwrap());
    let mut events = Events::with_capacity(64);
    // The first registration creates the Poll's queue: outside the count.
    let (r, s) = Registration::new2();
    poll.register(&r, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    drop((r, s));
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();

    let (_, base_allocs, base_net) = pairs_on_a_thread(&poll, 0);
    let (peak, allocs, net) = pairs_on_a_thread(&poll, PAIRS);
    let allocs = allocs - base_allocs;
    assert!(allocs > 0, "no allocation counted");
    assert!(
        allocs <= PAIRS as u64,
        "{allocs} allocations for {PAIRS} pairs"
    );
    // Nothing left once the thread is gone.
    assert_eq!(
        net - base_net,
        0,
        "{} bytes still allocated after {PAIRS} pairs",
        net - base_net
    );
    // And at most the ~1000 pairs between two polls were ever alive at once.
    assert!(peak < 1_000 * 256, "peak of {peak} bytes");
}
