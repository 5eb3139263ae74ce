//! `--accept-spread [CONNS]`: how many threads wake per accepted connection,
//! for a server whose threads each have a `Poll` of their own, with 1, 2
//! and 4 threads and three ways to share the work:
//!
//! - `shared`: one listening socket, each thread registered on it (a
//!   handle of its own, cloned before any registration), edge-triggered;
//! - `exclusive`: the same, registered with `UnixPollOpt::exclusive()`
//!   (`EPOLLEXCLUSIVE`);
//! - `reuseport`: a listener per thread, all bound to one address with
//!   `TcpListener::bind_reuseport` (`SO_REUSEPORT`).
//!
//! Each thread polls (blocking, no timeout) and, on an event, accepts until
//! `WouldBlock`. The client connects one connection at a time, only when
//! every thread is asleep in its wait (read from
//! `/proc/self/task/TID/syscall` and `stat`) and the previous connection
//! was accepted: so each connection finds all the threads waiting, and the
//! counts do not depend on the machine's speed or load. Counted:
//!
//! - wake-ups: how many times the threads were woken, from their voluntary
//!   context switches (`/proc/self/task/TID/status`) over the run. A
//!   thread that epoll wakes for a connection another thread has accepted
//!   meanwhile finds nothing and goes back to sleep inside the kernel:
//!   `poll` never returns for it, but it was woken all the same;
//! - returns: polls that returned with the listener's event, and those of
//!   them whose accept found nothing;
//! - how the connections spread over the threads.

use std::io;
use std::net::{SocketAddr, TcpStream as StdStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use evio::net::TcpListener;
use evio::unix::UnixPollOpt;
use evio::{Events, Poll, PollOpt, Ready, Token, Waker};

/// The ways to share the accepting, in table order.
pub const MODES: [&str; 3] = ["shared", "exclusive", "reuseport"];

/// What one run counted.
pub struct Spread {
    pub mode: &'static str,
    pub threads: usize,
    pub conns: u64,
    /// Times the threads were woken (voluntary context switches).
    pub wakeups: u64,
    /// Polls that returned with the listener's event.
    pub returns: u64,
    /// Returns whose accept found nothing (another thread took it).
    pub empty_returns: u64,
    /// Connections accepted by each thread.
    pub per_thread: Vec<u64>,
}

struct Counters {
    returns: AtomicU64,
    empty: AtomicU64,
    accepted: AtomicU64,
}

/// A thread's voluntary context switches so far.
fn switches(tid: libc::pid_t) -> io::Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/status"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| io::Error::other("no voluntary_ctxt_switches"))
}

/// The system call a thread of this process is blocked in, if any.
fn blocked_in(tid: libc::pid_t) -> Option<libc::c_long> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The scheduler state of a thread of this process (`S`: asleep, `R`:
/// running or woken and not yet running).
fn state(tid: libc::pid_t) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // "TID (COMM) STATE ...": the name may hold spaces and parentheses.
    text[text.rfind(')')? + 1..]
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// Asleep in the wait of a poll: not woken yet (a woken thread is `R` at
/// once, before it leaves the system call).
fn waiting(tid: libc::pid_t) -> bool {
    let waits = [
        // AArch64 has no `epoll_wait` system call (libc's goes through
        // `epoll_pwait`).
        #[cfg(not(target_arch = "aarch64"))]
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_epoll_pwait2,
    ];
    blocked_in(tid).is_some_and(|nr| waits.contains(&nr)) && state(tid) == Some('S')
}

/// One run: `threads` threads sharing the accepting as `mode` says, `conns`
/// connections.
pub fn run(mode: &'static str, threads: usize, conns: u64) -> io::Result<Spread> {
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (listeners, addr) = match mode {
        "reuseport" => {
            let first = TcpListener::bind_reuseport(&local)?;
            let addr = first.local_addr()?;
            let mut all = vec![first];
            for _ in 1..threads {
                all.push(TcpListener::bind_reuseport(&addr)?);
            }
            (all, addr)
        }
        _ => {
            let one = TcpListener::bind(&local)?;
            let addr = one.local_addr()?;
            // A socket stays with the first Poll it is registered with:
            // clones made before any registration, one per thread.
            let all = (0..threads)
                .map(|_| one.try_clone())
                .collect::<io::Result<Vec<_>>>()?;
            (all, addr)
        }
    };
    let opts = if mode == "exclusive" {
        UnixPollOpt::exclusive() | PollOpt::edge()
    } else {
        PollOpt::edge()
    };
    let counters = Arc::new(Counters {
        returns: AtomicU64::new(0),
        empty: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let (counters, stop, tx) = (counters.clone(), stop.clone(), tx.clone());
            thread::spawn(move || -> io::Result<u64> {
                let setup = || -> io::Result<(Poll, Waker)> {
                    let poll = Poll::new()?;
                    poll.register(&listener, Token(0), Ready::readable(), opts)?;
                    let waker = Waker::new(&poll, Token(1))?;
                    Ok((poll, waker))
                };
                // One message to the client thread, whatever happens.
                let poll = match setup() {
                    Ok((poll, waker)) => {
                        // SAFETY: `gettid` has no preconditions.
                        let _ = tx.send(Ok((unsafe { libc::gettid() }, waker)));
                        poll
                    }
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                drop(tx);
                let mut events = Events::with_capacity(8);
                let mut mine = 0;
                while !stop.load(Ordering::SeqCst) {
                    poll.poll(&mut events, None)?;
                    if !events.iter().any(|e| e.token() == Token(0)) {
                        continue;
                    }
                    counters.returns.fetch_add(1, Ordering::SeqCst);
                    let mut got = 0;
                    loop {
                        match listener.accept() {
                            Ok(_) => got += 1,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                    if got == 0 {
                        counters.empty.fetch_add(1, Ordering::SeqCst);
                    }
                    mine += got;
                    counters.accepted.fetch_add(got, Ordering::SeqCst);
                }
                Ok(mine)
            })
        })
        .collect();
    drop(tx);
    let (tids, wakers): (Vec<libc::pid_t>, Vec<Waker>) = rx
        .iter()
        .collect::<io::Result<Vec<_>>>()
        .inspect_err(|_| stop.store(true, Ordering::SeqCst))?
        .into_iter()
        .unzip();
    let deadline = Instant::now() + Duration::from_secs(120);
    let all_waiting = |what: &str| -> io::Result<()> {
        while !tids.iter().all(|&t| waiting(t)) {
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{mode}, {threads} threads: {what}"),
                ));
            }
            thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    };
    let measure = || -> io::Result<u64> {
        all_waiting("never asleep")?;
        let before: u64 = tids.iter().map(|&t| switches(t)).sum::<io::Result<u64>>()?;
        for i in 0..conns {
            // Every thread asleep, and the previous connection taken.
            while counters.accepted.load(Ordering::SeqCst) < i {
                if Instant::now() > deadline {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "not accepted"));
                }
                thread::sleep(Duration::from_micros(200));
            }
            all_waiting("not asleep again")?;
            drop(StdStream::connect(addr)?);
        }
        while counters.accepted.load(Ordering::SeqCst) < conns {
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "last connection"));
            }
            thread::sleep(Duration::from_micros(200));
        }
        all_waiting("not asleep at the end")?;
        let after: u64 = tids.iter().map(|&t| switches(t)).sum::<io::Result<u64>>()?;
        Ok(after - before)
    };
    let result = measure();
    stop.store(true, Ordering::SeqCst);
    for w in &wakers {
        w.wake()?;
    }
    let mut per_thread = Vec::new();
    for w in workers {
        per_thread.push(w.join().expect("a worker panicked")?);
    }
    Ok(Spread {
        mode,
        threads,
        conns,
        wakeups: result?,
        returns: counters.returns.load(Ordering::SeqCst),
        empty_returns: counters.empty.load(Ordering::SeqCst),
        per_thread,
    })
}

/// Runs every mode with 1, 2 and 4 threads; prints the table (and writes
/// it as CSV to `csv` if given).
pub fn main(conns: u64, csv: Option<&str>) {
    use std::io::Write;
    let mut out = csv.map(|p| {
        let mut f = std::fs::File::create(p).expect("cannot create the CSV file");
        writeln!(
            f,
            "mode,threads,conns,wakeups,wakeups_per_conn,returns_per_conn,empty_returns,accepted_per_thread"
        )
        .unwrap();
        f
    });
    println!(
        "{:<10} {:>7} {:>6} {:>9} {:>9} {:>9} {:>7}  accepted per thread",
        "mode", "threads", "conns", "wake-ups", "per conn", "returns", "empty"
    );
    for threads in [1, 2, 4] {
        for mode in MODES {
            let s = run(mode, threads, conns).unwrap_or_else(|e| panic!("{e}"));
            let per = |x: u64| x as f64 / s.conns as f64;
            let spread: Vec<String> = s.per_thread.iter().map(|n| n.to_string()).collect();
            println!(
                "{:<10} {:>7} {:>6} {:>9} {:>9.2} {:>9.2} {:>7}  {}",
                s.mode,
                s.threads,
                s.conns,
                s.wakeups,
                per(s.wakeups),
                per(s.returns),
                s.empty_returns,
                spread.join(" ")
            );
            if let Some(f) = out.as_mut() {
                writeln!(
                    f,
                    "{},{},{},{},{:.3},{:.3},{},{}",
                    s.mode,
                    s.threads,
                    s.conns,
                    s.wakeups,
                    per(s.wakeups),
                    per(s.returns),
                    s.empty_returns,
                    spread.join(" ")
                )
                .unwrap();
            }
        }
    }
}
