//! Deterministic simulation: evio's event loop on a virtual network, in
//! virtual time, with faults, replayable by seed.
//!
//! This module exists only in a build with `--cfg evio_sim`:
//!
//! ```sh
//! RUSTFLAGS="--cfg evio_sim" cargo test --target-dir target/sim --test sim
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --example sim_echo -- --seed 7
//! ```
//!
//! (its own target directory, so that the normal build is not rebuilt
//! each time). Under it, [`Poll`](crate::Poll), [`Events`](crate::Events),
//! [`Registration`](crate::Registration)/[`SetReadiness`](crate::SetReadiness),
//! [`Waker`](crate::Waker), [`net`](crate::net)'s TCP and UDP sockets and
//! [`EventedFd`](crate::unix::EventedFd) keep their API and run inside the
//! process: no system call is made for a simulated socket, and no
//! simulated address reaches the operating system. The examples in this
//! module's documentation run only in such a build (the normal build has
//! no `evio::sim`).
//!
//! # Why a `cfg` and not a cargo feature
//!
//! Cargo unifies features across a dependency graph: any dependency that
//! asked for a `sim` feature would switch every other crate's evio, in a
//! normal build too, onto the simulated network. A `cfg` is set only by
//! whoever runs the build (`RUSTFLAGS`), so a normal build never gets it
//! by accident. With the switch off, none of this is compiled: no code, no
//! branch, no dependency.
//!
//! # A run
//!
//! A [`Sim`] has a seed, hosts (closures, each with an address in
//! 127.0.0.0/8), links between them with a latency and a bandwidth, and a
//! [`FaultPlan`]. [`Sim::run`] runs the hosts as threads that hold a
//! baton: exactly one runs at a time; it runs until it blocks in
//! [`Poll::poll`](crate::Poll::poll) (the only blocking call) or returns,
//! and the simulator then picks the next host that can go on, by the seed.
//! When every host waits, virtual time jumps to the next delivery or
//! timeout, so a test of a minute of timeouts runs in milliseconds. The
//! run ends when every host has returned, or when none can ever go on
//! again (every host waits with nothing in flight: the polls of the hosts
//! left then fail, so that they return), or at the time limit.
//!
//! ```
//! use evio::net::{TcpListener, TcpStream};
//! use evio::sim::{FaultPlan, Sim};
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::io::{Read, Write};
//!
//! let mut sim = Sim::new(42);
//! sim.faults(FaultPlan::chaos());
//! sim.host("server", "127.0.0.1", || {
//!     let listener = TcpListener::bind(&"127.0.0.1:7000".parse().unwrap())?;
//!     let poll = Poll::new()?;
//!     poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
//!     let mut events = Events::with_capacity(8);
//!     loop {
//!         poll.poll(&mut events, None)?;
//!         if let Ok((mut s, _)) = listener.accept() {
//!             // Only a sketch: a real server keeps reading until WouldBlock.
//!             let _ = s.write(b"hi");
//!             return Ok(());
//!         }
//!     }
//! });
//! sim.host("client", "127.0.0.2", || {
//!     let s = TcpStream::connect(&"127.0.0.1:7000".parse().unwrap())?;
//!     let _ = s;
//!     Ok(())
//! });
//! let report = sim.run();
//! println!("trace: {:016x}", report.trace_hash);
//! ```
//!
//! # Outside a run
//!
//! Code that is not in a host (a plain `#[test]` that makes a `Poll` and
//! both ends of a connection in one thread) runs as the implicit host of a
//! world of its own thread, at 127.0.0.1 (any 127.0.0.0/8 address and ::1
//! can be bound there), with the seed of `EVIO_SIM_SEED` (0 if unset) and
//! no faults. Virtual time advances in the same way. A handle moved to
//! another thread still acts on the world it was made in; sockets made by
//! another thread are in that thread's world.
//!
//! # What breaks determinism
//!
//! - Other threads: a host that spawns threads which use evio, or a test
//!   thread that wakes a `Waker` or sets a `SetReadiness` of a world from
//!   outside, acts at a moment of real time, not of the simulation. (It
//!   works: a poll waits for it in real time then. But the run is no
//!   longer the same run for the same seed.)
//! - The wall clock read directly (`Instant::now`, `SystemTime::now`): use
//!   [`now`], the virtual time, to measure and schedule.
//! - Anything else outside: files, the environment, randomness not drawn
//!   from the seed, iteration over a `HashMap` with a random hasher.
//!
//! # A failing seed is a bug report
//!
//! Every run prints or returns the hash of its trace. To look into a
//! failure, run the same seed again with the trace written to a file:
//!
//! ```sh
//! EVIO_SIM_TRACE=/tmp/run.trace RUSTFLAGS="--cfg evio_sim" \
//!     cargo run --target-dir target/sim --example sim_echo -- --seed 1234
//! ```
//!
//! (or [`Sim::trace_file`]). The same seed gives the same trace, byte for
//! byte, with the same hash. Each line is one thing that happened, in
//! order: the virtual time (seconds.microseconds), the host, then what it
//! was: `connect`, `listen`, `accept`, `read`, `write`, `close`, a
//! `register`, a `poll` with the events it returned (`token:FLAGS`, with
//! epoll's names), a packet's arrival (`tcp ... receives N`, `fin`,
//! `reset`), or a fault the plan injected (`fault short write 3 of 10`,
//! `fault spurious`, `fault split`, ...). Descriptors are numbered within
//! the run.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use super::world::{self, Config, Faults, Host, HostState, LinkSpec, Shared};

/// The virtual time of the current thread's world: from 0 at its start,
/// advanced by the simulator only (never by the wall clock).
pub fn now() -> Duration {
    let (w, _) = world::current();
    let w = w.lock();
    Duration::from_nanos(w.now)
}

/// The seed of the current thread's world.
pub fn seed() -> u64 {
    let (w, _) = world::current();
    let w = w.lock();
    w.cfg.seed
}

/// The hash of the current thread's world's trace so far (FNV-1a, 64
/// bits, of its text).
pub fn trace_hash() -> u64 {
    let (w, _) = world::current();
    let w = w.lock();
    w.hash.0
}

/// Writes the current thread's world's trace so far to `path`. The trace
/// is kept only when asked for: by `EVIO_SIM_TRACE` (set when the world
/// was made) or [`Sim::keep_trace`]; otherwise this is an error.
pub fn write_trace(path: impl Into<PathBuf>) -> io::Result<()> {
    let (w, _) = world::current();
    let w = w.lock();
    match &w.trace_text {
        Some(t) => std::fs::write(path.into(), t),
        None => Err(io::Error::other(
            "the trace is not kept: set EVIO_SIM_TRACE or call Sim::keep_trace",
        )),
    }
}

/// The faults a run injects: each is a probability (0 to 1) per
/// opportunity, drawn from the run's seed; plus partitions, which are a
/// schedule.
///
/// Every fault keeps a correct program able to finish: after an injected
/// `WouldBlock`, short count or spurious event the socket gets a new edge,
/// so edge-triggered code that reads and writes until `WouldBlock` goes
/// on; a refused `accept` (`EMFILE`, `ENFILE`) leaves the connection
/// queued and a new edge comes a millisecond later.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    /// A read returns fewer bytes than are there (at least 1).
    pub short_read: f64,
    /// A write takes fewer bytes than it could (at least 1).
    pub short_write: f64,
    /// A read or write that could go on returns `WouldBlock`.
    pub would_block: f64,
    /// A poll reports an event with nothing ready behind it.
    pub spurious: f64,
    /// A socket readable and writable at once is reported in two events,
    /// over two polls (as kqueue and Windows can deliver it).
    pub split: f64,
    /// A read or write resets the connection (`ConnectionReset`; the peer
    /// is reset too).
    pub reset: f64,
    /// A connection is refused although something listens.
    pub refuse: f64,
    /// An `accept` fails with `EMFILE`.
    pub accept_emfile: f64,
    /// An `accept` fails with `ENFILE`.
    pub accept_enfile: f64,
    /// A `connect` fails at once with `EMFILE`.
    pub connect_emfile: f64,
    /// A datagram is lost.
    pub udp_loss: f64,
    /// A datagram arrives twice.
    pub udp_dup: f64,
    /// A datagram is delayed by up to `jitter` (at least a millisecond),
    /// so that later ones overtake it.
    pub udp_reorder: f64,
    /// Extra delay, at most, added to each TCP segment (bytes stay in
    /// order) and to reordered datagrams.
    pub jitter: Duration,
    /// `(a, b, from, until)`: the hosts of addresses `a` and `b` are cut
    /// off from each other from virtual time `from` to `until` (see
    /// [`partition`](FaultPlan::partition)).
    pub partitions: Vec<(IpAddr, IpAddr, Duration, Duration)>,
}

impl FaultPlan {
    /// No fault at all (the default).
    pub fn none() -> FaultPlan {
        FaultPlan::default()
    }

    /// Every kind of fault that keeps a connection's bytes intact, at
    /// rates that hit every connection many times: short reads and writes,
    /// `WouldBlock` before data, spurious and split events, `EMFILE` and
    /// `ENFILE` on accept, jitter. No resets, refusals or datagram faults
    /// (they change what a correct program can promise; add them).
    pub fn chaos() -> FaultPlan {
        FaultPlan {
            short_read: 0.2,
            short_write: 0.2,
            would_block: 0.1,
            spurious: 0.05,
            split: 0.2,
            accept_emfile: 0.05,
            accept_enfile: 0.02,
            jitter: Duration::from_micros(200),
            ..FaultPlan::default()
        }
    }

    /// Cuts the hosts of addresses `a` and `b` off from each other from
    /// virtual time `from` to `until`: TCP segments sent meanwhile arrive
    /// after it heals, datagrams are lost.
    pub fn partition(
        &mut self,
        a: &str,
        b: &str,
        from: Duration,
        until: Duration,
    ) -> &mut FaultPlan {
        if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
            self.partitions.push((a, b, from, until));
        }
        self
    }

    fn to_faults(&self) -> Faults {
        Faults {
            short_read: self.short_read,
            short_write: self.short_write,
            would_block: self.would_block,
            spurious: self.spurious,
            split: self.split,
            reset: self.reset,
            refuse: self.refuse,
            accept_emfile: self.accept_emfile,
            accept_enfile: self.accept_enfile,
            connect_emfile: self.connect_emfile,
            udp_loss: self.udp_loss,
            udp_dup: self.udp_dup,
            udp_reorder: self.udp_reorder,
            jitter: ns(self.jitter),
            partitions: self
                .partitions
                .iter()
                .map(|&(a, b, f, u)| (a, b, ns(f), ns(u)))
                .collect(),
        }
    }
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

type HostFn = Box<dyn FnOnce() -> io::Result<()> + Send + 'static>;

/// A simulation to run: a seed, hosts, links and faults.
pub struct Sim {
    cfg: Config,
    hosts: Vec<(String, IpAddr, HostFn)>,
    trace_path: Option<PathBuf>,
    bad: Option<String>,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.cfg.seed)
            .field(
                "hosts",
                &self.hosts.iter().map(|h| (&h.0, h.1)).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Sim {
    /// A simulation with this seed, no host yet, links of 50 µs and no
    /// bandwidth limit, no faults. `EVIO_SIM_TRACE=path` in the
    /// environment writes the trace there at the end of the run.
    pub fn new(seed: u64) -> Sim {
        let mut cfg = Config::new(seed);
        let trace_path = std::env::var_os("EVIO_SIM_TRACE").map(PathBuf::from);
        cfg.keep_trace = trace_path.is_some();
        Sim {
            cfg,
            hosts: Vec::new(),
            trace_path,
            bad: None,
        }
    }

    /// Adds a host at `addr` (in 127.0.0.0/8) that runs `f`. Its sockets
    /// bind to `addr` (or the unspecified address); its connections come
    /// from `addr`. A bad or repeated address makes [`run`](Sim::run) fail.
    pub fn host<F>(&mut self, name: &str, addr: &str, f: F) -> &mut Sim
    where
        F: FnOnce() -> io::Result<()> + Send + 'static,
    {
        match addr.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() && !self.hosts.iter().any(|h| h.1 == IpAddr::V4(ip)) => {
                self.hosts
                    .push((name.to_string(), IpAddr::V4(ip), Box::new(f)));
            }
            _ => {
                self.bad = Some(format!(
                    "host {name}: {addr} is not a free address in 127.0.0.0/8"
                ));
            }
        }
        self
    }

    /// Sets the link between the hosts of addresses `a` and `b` (both
    /// ways): its one-way latency, and its bandwidth in bytes per second
    /// (`None`: no limit).
    pub fn link(
        &mut self,
        a: &str,
        b: &str,
        latency: Duration,
        bandwidth: Option<u64>,
    ) -> &mut Sim {
        match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => self.cfg.links.push((
                a,
                b,
                LinkSpec {
                    latency: ns(latency),
                    bandwidth: bandwidth.unwrap_or(0),
                },
            )),
            _ => self.bad = Some(format!("link {a} - {b}: not two addresses")),
        }
        self
    }

    /// Sets the link of every pair of hosts without one of its own.
    pub fn default_link(&mut self, latency: Duration, bandwidth: Option<u64>) -> &mut Sim {
        self.cfg.default_link = LinkSpec {
            latency: ns(latency),
            bandwidth: bandwidth.unwrap_or(0),
        };
        self
    }

    /// Sets the fault plan.
    pub fn faults(&mut self, plan: FaultPlan) -> &mut Sim {
        self.cfg.faults = plan.to_faults();
        self
    }

    /// Sets how much one direction of a connection holds, written and not
    /// yet read, before writes would block (256 KiB unless set).
    pub fn window(&mut self, bytes: usize) -> &mut Sim {
        self.cfg.window = bytes.max(1);
        self
    }

    /// Stops the run at this virtual time (an hour unless set).
    pub fn time_limit(&mut self, limit: Duration) -> &mut Sim {
        self.cfg.time_limit = ns(limit);
        self
    }

    /// Keeps the trace's text, for [`Report::trace`].
    pub fn keep_trace(&mut self) -> &mut Sim {
        self.cfg.keep_trace = true;
        self
    }

    /// Writes the trace to `path` at the end of the run.
    pub fn trace_file(&mut self, path: impl Into<PathBuf>) -> &mut Sim {
        self.trace_path = Some(path.into());
        self.cfg.keep_trace = true;
        self
    }

    /// Runs the hosts to the end and reports what happened.
    pub fn run(self) -> Report {
        let seed = self.cfg.seed;
        let fail = |why: String| Report {
            seed,
            trace_hash: 0,
            events: 0,
            io_calls: 0,
            trace_lines: 0,
            virtual_time: Duration::ZERO,
            hosts: Vec::new(),
            ended: Some(why),
            trace: None,
        };
        if let Some(bad) = self.bad {
            return fail(bad);
        }
        let shared = match Shared::new(self.cfg, true) {
            Ok(s) => s,
            Err(e) => return fail(e.to_string()),
        };
        {
            let mut w = shared.lock();
            for (name, ip, _) in &self.hosts {
                w.hosts.push(Host {
                    name: name.clone(),
                    ip: *ip,
                    state: HostState::NotStarted,
                });
            }
            w.trace(
                None,
                format_args!("run seed={seed} hosts={}", self.hosts.len()),
            );
        }
        let mut threads = Vec::new();
        let mut results: Vec<Option<Result<(), String>>> = Vec::new();
        let (tx, rx) = std::sync::mpsc::channel();
        for (i, (name, _, f)) in self.hosts.into_iter().enumerate() {
            results.push(None);
            let shared_t = shared.clone();
            let tx = tx.clone();
            let t = std::thread::Builder::new()
                .name(format!("sim-{name}"))
                .spawn(move || {
                    let shared = shared_t;
                    let w = shared.lock();
                    let mut w = world::wait_turn(&shared, w, i);
                    let skipped = w.hosts[i].state == HostState::Done;
                    if !skipped {
                        w.hosts[i].state = HostState::Running;
                        w.trace(Some(i), format_args!("start"));
                    }
                    drop(w);
                    let res = if skipped {
                        Err("not started: the run had ended".to_string())
                    } else {
                        world::set_current(shared.clone(), Some(i));
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
                        match r {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(e)) => Err(e.to_string()),
                            Err(p) => Err(format!("panicked: {}", panic_text(&p))),
                        }
                    };
                    let mut w = shared.lock();
                    let line = match &res {
                        Ok(()) => "ok".to_string(),
                        Err(e) => e.clone(),
                    };
                    w.trace(Some(i), format_args!("end: {line}"));
                    w.hosts[i].state = HostState::Done;
                    w.schedule_next();
                    drop(w);
                    shared.cv.notify_all();
                    drop(shared);
                    let _ = tx.send((i, res));
                    // Leaves the world: the host's thread-local reference goes.
                    world::clear_current();
                });
            match t {
                Ok(t) => threads.push(t),
                Err(e) => {
                    let mut w = shared.lock();
                    w.ended = Some(format!("cannot start a host's thread: {e}"));
                    w.hosts[i].state = HostState::Done;
                    results[i] = Some(Err(e.to_string()));
                }
            }
        }
        drop(tx);
        {
            let mut w = shared.lock();
            w.schedule_next();
        }
        shared.cv.notify_all();
        for (i, res) in rx {
            results[i] = Some(res);
        }
        for t in threads {
            let _ = t.join();
        }
        let w = shared.lock();
        let names: Vec<String> = w.hosts.iter().map(|h| h.name.clone()).collect();
        let report = Report {
            seed,
            trace_hash: w.hash.0,
            events: w.events,
            io_calls: w.io_calls,
            trace_lines: w.trace_lines,
            virtual_time: Duration::from_nanos(w.now),
            hosts: names
                .into_iter()
                .zip(results)
                .map(|(name, r)| HostOutcome {
                    name,
                    result: r.unwrap_or_else(|| Err("no result".into())),
                })
                .collect(),
            ended: w.ended.clone(),
            trace: w.trace_text.clone(),
        };
        drop(w);
        if let (Some(path), Some(text)) = (&self.trace_path, &report.trace) {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("cannot write the trace to {}: {e}", path.display());
            }
        }
        report
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// How one host ended.
#[derive(Debug, Clone)]
pub struct HostOutcome {
    /// The host's name.
    pub name: String,
    /// What its closure returned (an error or a panic in words), or why it
    /// was stopped.
    pub result: Result<(), String>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's seed.
    pub seed: u64,
    /// The hash of the whole trace (FNV-1a, 64 bits): the same for the
    /// same seed and program.
    pub trace_hash: u64,
    /// Events delivered by polls.
    pub events: u64,
    /// IO calls made (socket operations, registrations, polls).
    pub io_calls: u64,
    /// Lines in the trace.
    pub trace_lines: u64,
    /// The virtual time at the end.
    pub virtual_time: Duration,
    /// Each host's outcome, in the order they were added.
    pub hosts: Vec<HostOutcome>,
    /// Why the run ended before every host returned, if it did: every
    /// host left waiting for something that could not come, or the time
    /// limit.
    pub ended: Option<String>,
    /// The trace's text, when it was kept.
    pub trace: Option<String>,
}

impl Report {
    /// The outcome of the host called `name`.
    pub fn host(&self, name: &str) -> Option<&Result<(), String>> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.result)
    }

    /// True when every host returned `Ok`.
    pub fn all_ok(&self) -> bool {
        !self.hosts.is_empty() && self.hosts.iter().all(|h| h.result.is_ok())
    }
}

/// The seed of `--seed N` among the program's arguments, for examples and
/// tests run under the simulator; `default` without one.
///
/// # Errors
///
/// `InvalidInput` if `--seed` is not followed by a number.
pub fn seed_from_args(default: u64) -> io::Result<u64> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            return args.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "--seed takes a number")
            });
        }
    }
    Ok(default)
}
