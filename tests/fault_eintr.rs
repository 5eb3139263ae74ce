//! Signals that interrupt a blocked poll (`EINTR`): `poll` retries with the
//! time that is left, `poll_interruptible` reports `Interrupted`.
//!
//! This binary installs a process-wide `SIGUSR1` handler, so it lives in its
//! own test file. A helper thread delivers the signal to the polling thread
//! with `pthread_kill`.

#![cfg(unix)]

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use evio::{Events, Poll, PollOpt, Ready, Registration, Token, Waker};

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs the `SIGUSR1` handler once, without `SA_RESTART` (epoll waits
/// are never restarted by the kernel anyway).
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed `sigaction` is a valid empty value; the handler
        // only touches an atomic, which is async-signal-safe; the pointers
        // passed live across the calls.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            assert_eq!(
                libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()),
                0,
                "sigaction: {}",
                io::Error::last_os_error()
            );
        }
    });
}

/// Sends `SIGUSR1` to `target` every 5 ms until `stop` is set or `max`
/// signals went; returns how many were sent.
fn signaller(
    target: libc::pthread_t,
    stop: Arc<AtomicBool>,
    max: usize,
) -> thread::JoinHandle<usize> {
    // `pthread_t` is an integer on Linux and a pointer on some systems;
    // carry it across the thread boundary as a plain number (the cast is a
    // no-op where it is already one).
    #[allow(clippy::unnecessary_cast)]
    let target = target as usize;
    thread::spawn(move || {
        let mut sent = 0;
        while sent < max && !stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(5));
            // SAFETY: the target thread outlives this one: the test joins
            // the signaller before the polling thread returns.
            let rc = unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
            assert_eq!(rc, 0, "pthread_kill failed: {rc}");
            sent += 1;
        }
        sent
    })
}

fn this_thread() -> libc::pthread_t {
    // SAFETY: `pthread_self` has no preconditions.
    unsafe { libc::pthread_self() }
}

#[test]
fn poll_with_timeout_retries_and_waits_the_full_time() {
    install_handler();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let stop = Arc::new(AtomicBool::new(false));
    let before = HANDLED.load(Ordering::SeqCst);
    let helper = signaller(this_thread(), stop.clone(), 1000);

    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    let res = poll.poll(&mut events, Some(timeout));
    let elapsed = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    let sent = helper.join().unwrap();

    assert_eq!(res.unwrap(), 0, "no source is registered");
    assert!(events.is_empty());
    assert!(sent > 0);
    assert!(
        HANDLED.load(Ordering::SeqCst) > before,
        "no signal reached the handler"
    );
    // The retries resume with the time that is left: the wait is never cut
    // short (this is a lower bound the monotonic clock guarantees).
    assert!(
        elapsed >= timeout,
        "returned after {elapsed:?} of {timeout:?}"
    );
}

#[test]
fn poll_without_timeout_retries_until_an_event() {
    install_handler();
    let poll = Poll::new().unwrap();
    let waker = Arc::new(Waker::new(&poll, Token(7)).unwrap());
    let (registration, set_readiness) = Registration::new2();
    poll.register(&registration, Token(8), Ready::readable(), PollOpt::edge())
        .unwrap();
    let mut events = Events::with_capacity(8);

    let target = this_thread() as usize;
    let before = HANDLED.load(Ordering::SeqCst);
    // The helper gets its own handle: the Waker must outlive the wake-up
    // (closing its descriptor would take the pending event with it).
    let helper_waker = waker.clone();
    let helper = thread::spawn(move || {
        let waker = helper_waker;
        // Signals first, while the poll blocks, then the wake-up.
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(5));
            // SAFETY: the polling thread joins this one before returning.
            unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
        }
        waker.wake().unwrap();
        set_readiness.set_readiness(Ready::readable()).unwrap();
    });

    let mut tokens = Vec::new();
    // Bounded: the helper wakes the poll after about 100 ms; 100 rounds of
    // at most 10 s each would only be reached if wake-ups were lost.
    for _ in 0..100 {
        let n = poll
            .poll(&mut events, None)
            .expect("poll must retry on EINTR");
        assert!(n > 0, "a poll without timeout returned no event");
        tokens.extend(events.iter().map(|e| e.token()));
        if tokens.contains(&Token(7)) && tokens.contains(&Token(8)) {
            break;
        }
    }
    helper.join().unwrap();
    assert!(
        tokens.contains(&Token(7)) && tokens.contains(&Token(8)),
        "{tokens:?}"
    );
    assert!(HANDLED.load(Ordering::SeqCst) > before);
}

#[test]
fn poll_interruptible_reports_interrupted() {
    install_handler();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let stop = Arc::new(AtomicBool::new(false));
    let helper = signaller(this_thread(), stop.clone(), 2000);

    // A signal arrives within a few ms; the 10 s timeout only bounds the test.
    let res = poll.poll_interruptible(&mut events, Some(Duration::from_secs(10)));
    stop.store(true, Ordering::SeqCst);
    helper.join().unwrap();

    let err = res.expect_err("the signal must interrupt the wait");
    assert_eq!(err.kind(), io::ErrorKind::Interrupted);

    // The Poll still works afterwards.
    let (registration, set_readiness) = Registration::new2();
    poll.register(&registration, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    set_readiness.set_readiness(Ready::readable()).unwrap();
    let n = poll
        .poll_interruptible(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(events.get(0).unwrap().token(), Token(1));
}

#[test]
fn poll_interruptible_without_timeout_reports_interrupted() {
    install_handler();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let stop = Arc::new(AtomicBool::new(false));
    // If no signal ever came the poll would block; the signaller sends many,
    // and a Waker below ends the wait anyway after the last one.
    let waker = Arc::new(Waker::new(&poll, Token(3)).unwrap());
    let target = this_thread() as usize;
    let stop2 = stop.clone();
    let helper_waker = waker.clone();
    let helper = thread::spawn(move || {
        let waker = helper_waker;
        for _ in 0..2000 {
            if stop2.load(Ordering::SeqCst) {
                return;
            }
            thread::sleep(Duration::from_millis(5));
            // SAFETY: the polling thread joins this one before returning.
            unsafe { libc::pthread_kill(target as libc::pthread_t, libc::SIGUSR1) };
        }
        waker.wake().unwrap();
    });
    let res = poll.poll_interruptible(&mut events, None);
    stop.store(true, Ordering::SeqCst);
    helper.join().unwrap();
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::Interrupted);
}
