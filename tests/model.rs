//! Model-based test: random sequences of register / reregister /
//! deregister / set_readiness / socket writes and reads / poll, checked
//! step by step against a small reference model of the documented
//! semantics (edge, level, oneshot, interest masks, tokens).
//!
//! Sources: three user-space `Registration`s and both ends of two Unix
//! socket pairs registered through `EventedFd`. A socket's raw readiness is
//! read from the kernel with `poll(2)` (zero timeout), a separate interface
//! from epoll; the model decides which events evio must, may and must not
//! report from it:
//!
//! - a handle that is not registered, or a oneshot registration that fired
//!   and was not reregistered, reports nothing;
//! - an event carries the current token and exactly the readiness that
//!   holds now within the interest (never a bit outside the interest);
//! - level: an event at every poll while ready within the interest;
//! - edge: an event after every change into readiness (and after a
//!   (re)registration while ready), and no event at a poll when nothing
//!   happened to the handle since the previous poll. The kernel may
//!   report an edge for a socket again when new data arrives while it is
//!   readable already, so the model allows (not requires) that;
//! - `Registration`: every `set_readiness` within the interest is an edge;
//! - errors: for a socket, registering twice is `AlreadyExists`,
//!   reregistering or deregistering what is not registered is `NotFound`;
//!   a `Registration`, as in the classic API, takes a register as a
//!   reregister and the reverse, and a deregister never fails; nothing
//!   panics.
//!
//! Bytes written on the sockets carry a running pattern that every read
//! checks, so data is neither lost nor reordered.
//!
//! The step count is `EVIO_MODEL_CASES` cases (default 256) of 400..600
//! steps each, at least 100,000 steps in all by default. The steps come
//! from a seeded generator: a new seed at every run, or `EVIO_MODEL_SEED`.
//! A failing case is shrunk (steps removed while it still fails) and
//! reported with its seed and the shortest failing sequence found;
//! `EVIO_MODEL_SEED=<seed> EVIO_MODEL_CASES=1` runs that case again.

#![cfg(unix)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use evio::unix::EventedFd;
use evio::{Engine, Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};

const REGS: usize = 3;
const SOCKS: usize = 4; // both ends of two pairs
const SOURCES: usize = REGS + SOCKS;
/// Length of the byte pattern: a prime, so offsets do not line up with sizes.
const PATTERN: usize = 251;

#[derive(Clone, Copy, Debug)]
enum Op {
    Register {
        src: usize,
        tok: usize,
        interest: u8,
        opts: u8,
    },
    Reregister {
        src: usize,
        tok: usize,
        interest: u8,
        opts: u8,
    },
    Deregister {
        src: usize,
    },
    Set {
        reg: usize,
        ready: u8,
    },
    Write {
        end: usize,
        len: usize,
    },
    Read {
        end: usize,
        len: usize,
    },
    Fill {
        end: usize,
    },
    Drain {
        end: usize,
    },
    Poll,
    PollSmall,
}

/// A small, seeded pseudo-random generator (SplitMix64): the same seed
/// gives the same steps on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `lo..hi` (`hi - lo` is small, so the modulo bias is
    /// negligible).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }

    fn bits(&mut self, hi: u8) -> u8 {
        self.range(0, hi as usize) as u8
    }
}

/// One random step, each kind with its weight.
fn op(rng: &mut Rng) -> Op {
    const WEIGHTS: [usize; 10] = [3, 3, 1, 5, 4, 4, 1, 1, 6, 2];
    let mut pick = rng.range(0, WEIGHTS.iter().sum());
    let mut kind = 0;
    while pick >= WEIGHTS[kind] {
        pick -= WEIGHTS[kind];
        kind += 1;
    }
    match kind {
        0 | 1 => {
            let (src, tok) = (rng.range(0, SOURCES), rng.range(0, 4));
            let (interest, opts) = (rng.bits(16), rng.bits(4));
            if kind == 0 {
                Op::Register {
                    src,
                    tok,
                    interest,
                    opts,
                }
            } else {
                Op::Reregister {
                    src,
                    tok,
                    interest,
                    opts,
                }
            }
        }
        2 => Op::Deregister {
            src: rng.range(0, SOURCES),
        },
        3 => Op::Set {
            reg: rng.range(0, REGS),
            ready: rng.bits(16),
        },
        4 => Op::Write {
            end: rng.range(0, SOCKS),
            len: rng.range(1, 6000),
        },
        5 => Op::Read {
            end: rng.range(0, SOCKS),
            len: rng.range(1, 6000),
        },
        6 => Op::Fill {
            end: rng.range(0, SOCKS),
        },
        7 => Op::Drain {
            end: rng.range(0, SOCKS),
        },
        8 => Op::Poll,
        _ => Op::PollSmall,
    }
}

/// The steps of the case of `seed`: 400..600 of them.
fn case(seed: u64) -> Vec<Op> {
    let mut rng = Rng(seed);
    let len = rng.range(400, 600);
    (0..len).map(|_| op(&mut rng)).collect()
}

/// Readiness bits 0..4: readable, writable, error, hup.
fn ready_of(bits: u8) -> Ready {
    let mut r = Ready::empty();
    if bits & 1 != 0 {
        r |= Ready::readable();
    }
    if bits & 2 != 0 {
        r |= Ready::writable();
    }
    if bits & 4 != 0 {
        r |= Ready::error();
    }
    if bits & 8 != 0 {
        r |= Ready::hup();
    }
    r
}

fn opts_of(bits: u8) -> PollOpt {
    let mut o = if bits & 1 != 0 {
        PollOpt::level()
    } else {
        PollOpt::edge()
    };
    if bits & 2 != 0 {
        o |= PollOpt::oneshot();
    }
    o
}

/// Each source draws its tokens from its own range, so an event's token
/// tells which source it is for and whether the token is stale.
fn token_of(src: usize, tok: usize) -> Token {
    Token(src * 16 + tok)
}

#[derive(Clone, Copy, Debug)]
struct Reg {
    token: Token,
    interest: Ready,
    level: bool,
    oneshot: bool,
}

#[derive(Debug)]
struct SourceModel {
    reg: Option<Reg>,
    armed: bool,
    /// An event is owed at the next poll if the handle is ready then.
    owed: bool,
    /// Something happened to the handle since the previous poll, so the
    /// kernel may report an edge (sockets only).
    touched: bool,
    /// The readiness set by hand (registrations only).
    readiness: Ready,
}

struct Harness {
    poll: Poll,
    events: Events,
    small_events: Events,
    prev_full: bool,
    regs: Vec<(Registration, SetReadiness)>,
    socks: Vec<UnixStream>,
    /// When set, the sockets are registered through these evio sockets
    /// (each a duplicate of the end it stands for, so the same socket),
    /// rather than through `EventedFd`: the path on which the io_uring
    /// engine queues a `reregister` for the next poll.
    handles: Option<Vec<evio::unix::UnixStream>>,
    /// The last poll's events, sorted by token.
    last: Vec<(Token, Ready)>,
    model: Vec<SourceModel>,
    /// Bytes written and read so far on each end, for the pattern check.
    written: [usize; SOCKS],
    read: [usize; SOCKS],
    wbuf: Vec<u8>,
    rbuf: Vec<u8>,
}

/// Why a case failed.
type Failure = String;

fn fail(msg: String) -> Failure {
    msg
}

/// The kernel's readiness of a socket end, by `poll(2)`, as evio's `Ready`.
fn oracle(sock: &UnixStream) -> Ready {
    use rustix::event::{poll, PollFd, PollFlags};
    let mut fds = [PollFd::new(sock, PollFlags::IN | PollFlags::OUT)];
    poll(
        &mut fds,
        Some(&rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }),
    )
    .expect("poll(2) on a socket");
    let rev = fds[0].revents();
    let mut r = Ready::empty();
    if rev.contains(PollFlags::IN) {
        r |= Ready::readable();
    }
    if rev.contains(PollFlags::OUT) {
        r |= Ready::writable();
    }
    assert!(
        !rev.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL),
        "unexpected socket condition {rev:?}"
    );
    r
}

impl Harness {
    fn new() -> io::Result<Harness> {
        Harness::with(Poll::new()?, false)
    }

    fn with(poll: Poll, evio_sockets: bool) -> io::Result<Harness> {
        let mut socks = Vec::new();
        for _ in 0..SOCKS / 2 {
            let (a, b) = UnixStream::pair()?;
            for s in [&a, &b] {
                s.set_nonblocking(true)?;
                // A small send buffer, so "not writable" is a few writes away.
                rustix::net::sockopt::set_socket_send_buffer_size(s.as_fd(), 4096)?;
            }
            socks.push(a);
            socks.push(b);
        }
        let wbuf: Vec<u8> = (0..PATTERN + 8192).map(|i| (i % PATTERN) as u8).collect();
        let handles = if evio_sockets {
            let mut v = Vec::new();
            for s in &socks {
                v.push(evio::unix::UnixStream::from_std(s.try_clone()?)?);
            }
            Some(v)
        } else {
            None
        };
        Ok(Harness {
            poll,
            handles,
            last: Vec::new(),
            events: Events::with_capacity(64),
            small_events: Events::with_capacity(2),
            prev_full: false,
            regs: (0..REGS).map(|_| Registration::new2()).collect(),
            socks,
            model: (0..SOURCES)
                .map(|_| SourceModel {
                    reg: None,
                    armed: false,
                    owed: false,
                    touched: false,
                    readiness: Ready::empty(),
                })
                .collect(),
            written: [0; SOCKS],
            read: [0; SOCKS],
            wbuf,
            rbuf: vec![0; 8192],
        })
    }

    fn sock_ready(&self, src: usize) -> Ready {
        oracle(&self.socks[src - REGS])
    }

    /// Readiness within the interest, now, as the model sees it.
    fn ready_now(&self, src: usize) -> Ready {
        let Some(reg) = self.model[src].reg else {
            return Ready::empty();
        };
        let raw = if src < REGS {
            self.model[src].readiness
        } else {
            self.sock_ready(src)
        };
        raw & reg.interest
    }

    fn register(
        &mut self,
        src: usize,
        rereg: bool,
        tok: usize,
        interest: u8,
        opts: u8,
    ) -> Result<(), Failure> {
        let token = token_of(src, tok);
        let mut interest = ready_of(interest);
        if src >= REGS {
            // Sockets: readable and writable interest only (the pairs stay
            // open, so error and hang-up never happen).
            interest &= Ready::readable() | Ready::writable();
        }
        let opts_v = opts_of(opts);
        let res = if src < REGS {
            let r = &self.regs[src].0;
            if rereg {
                self.poll.reregister(r, token, interest, opts_v)
            } else {
                self.poll.register(r, token, interest, opts_v)
            }
        } else if let Some(handles) = &self.handles {
            let h = &handles[src - REGS];
            if rereg {
                self.poll.reregister(h, token, interest, opts_v)
            } else {
                self.poll.register(h, token, interest, opts_v)
            }
        } else {
            let fd = self.socks[src - REGS].as_raw_fd();
            if rereg {
                self.poll
                    .reregister(&EventedFd(&fd), token, interest, opts_v)
            } else {
                self.poll.register(&EventedFd(&fd), token, interest, opts_v)
            }
        };
        let registered = self.model[src].reg.is_some();
        let user = src < REGS;
        match (rereg, registered, res) {
            (false, true, Err(e)) if !user && e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            (true, false, Err(e)) if !user && e.kind() == io::ErrorKind::NotFound => Ok(()),
            (_, _, Ok(())) if user || rereg == registered => {
                let m = &mut self.model[src];
                m.reg = Some(Reg {
                    token,
                    interest,
                    level: opts & 1 != 0,
                    oneshot: opts & 2 != 0,
                });
                m.armed = true;
                m.owed = true;
                m.touched = true;
                Ok(())
            }
            (_, _, res) => Err(fail(format!(
                "{} of source {src} (registered: {registered}) gave {res:?}",
                if rereg { "reregister" } else { "register" }
            ))),
        }
    }

    fn deregister(&mut self, src: usize) -> Result<(), Failure> {
        let res = if src < REGS {
            self.poll.deregister(&self.regs[src].0)
        } else if let Some(handles) = &self.handles {
            self.poll.deregister(&handles[src - REGS])
        } else {
            let fd = self.socks[src - REGS].as_raw_fd();
            self.poll.deregister(&EventedFd(&fd))
        };
        let m = &mut self.model[src];
        match (m.reg.is_some(), res) {
            (registered, Ok(())) if registered || src < REGS => {
                m.reg = None;
                Ok(())
            }
            (false, Err(e)) if src >= REGS && e.kind() == io::ErrorKind::NotFound => Ok(()),
            (registered, res) => Err(fail(format!(
                "deregister of source {src} (registered: {registered}) gave {res:?}"
            ))),
        }
    }

    fn set(&mut self, reg: usize, bits: u8) -> Result<(), Failure> {
        let ready = ready_of(bits);
        self.regs[reg]
            .1
            .set_readiness(ready)
            .map_err(|e| fail(format!("set_readiness: {e}")))?;
        let m = &mut self.model[reg];
        m.readiness = ready;
        if let Some(r) = m.reg {
            if m.armed && !(ready & r.interest).is_empty() {
                m.owed = true;
            }
        }
        Ok(())
    }

    /// Runs one socket operation on `end`, then updates what the model
    /// expects of both ends of its pair.
    fn sock_op(&mut self, end: usize, op: Op) -> Result<(), Failure> {
        let pair = [REGS + (end & !1), REGS + (end | 1)];
        let before = pair.map(|s| self.ready_now(s));
        match op {
            Op::Write { len, .. } => {
                self.write(end, len)?;
            }
            Op::Read { len, .. } => {
                self.read(end, len)?;
            }
            Op::Fill { .. } => {
                for _ in 0..1000 {
                    if self.write(end, 8192)? == 0 {
                        break;
                    }
                }
            }
            Op::Drain { .. } => {
                for _ in 0..1000 {
                    if self.read(end, 8192)? == 0 {
                        break;
                    }
                }
            }
            _ => unreachable!(),
        }
        for (i, &s) in pair.iter().enumerate() {
            let now = self.ready_now(s);
            let m = &mut self.model[s];
            m.touched = true;
            if before[i].is_empty() && !now.is_empty() && m.armed {
                m.owed = true;
            }
        }
        Ok(())
    }

    /// Writes up to `len` bytes of the pattern; returns how many went.
    fn write(&mut self, end: usize, len: usize) -> Result<usize, Failure> {
        let off = self.written[end] % PATTERN;
        match (&self.socks[end]).write(&self.wbuf[off..off + len.min(8192)]) {
            Ok(n) => {
                self.written[end] += n;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(fail(format!("write on end {end}: {e}"))),
        }
    }

    /// Reads up to `len` bytes and checks them against the pattern the
    /// peer wrote; returns how many came.
    fn read(&mut self, end: usize, len: usize) -> Result<usize, Failure> {
        let len = len.min(self.rbuf.len());
        match (&self.socks[end]).read(&mut self.rbuf[..len]) {
            Ok(0) => Err(fail(format!("end {end} read end of stream"))),
            Ok(n) => {
                let start = self.read[end];
                for (i, &b) in self.rbuf[..n].iter().enumerate() {
                    if b as usize != (start + i) % PATTERN {
                        return Err(fail(format!("end {end}: byte {} is corrupt", start + i)));
                    }
                }
                self.read[end] += n;
                if self.read[end] > self.written[end ^ 1] {
                    return Err(fail(format!("end {end} read more than was written")));
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if self.read[end] != self.written[end ^ 1] {
                    return Err(fail(format!(
                        "end {end} would block with {} bytes in flight",
                        self.written[end ^ 1] - self.read[end]
                    )));
                }
                Ok(0)
            }
            Err(e) => Err(fail(format!("read on end {end}: {e}"))),
        }
    }

    /// Polls into the big buffer (room for every source) or, when `small`,
    /// into a buffer of 2. A small poll may leave ready sources out; they
    /// keep what they are owed for a later poll. After a poll that filled
    /// its buffer the next one may give the whole buffer to user-space
    /// readiness first, so the sockets may wait one more poll then.
    fn poll(&mut self, small: bool) -> Result<(), Failure> {
        // What each source's readiness is now, before the poll looks.
        let ready: Vec<Ready> = (0..SOURCES).map(|s| self.ready_now(s)).collect();
        let events = if small {
            &mut self.small_events
        } else {
            &mut self.events
        };
        let n = self
            .poll
            .poll(events, Some(Duration::ZERO))
            .map_err(|e| fail(format!("poll: {e}")))?;
        if n != events.len() || n > events.capacity() {
            return Err(fail(format!(
                "poll returned {n}, events hold {} of {}",
                events.len(),
                events.capacity()
            )));
        }
        let prev_full = self.prev_full;
        self.prev_full = n == events.capacity();
        self.last = events.iter().map(|e| (e.token(), e.readiness())).collect();
        self.last.sort_by_key(|&(t, _)| t);
        let mut got: HashMap<usize, Ready> = HashMap::new();
        for ev in events.iter() {
            let src = ev.token().0 / 16;
            if src >= SOURCES || got.insert(src, ev.readiness()).is_some() {
                return Err(fail(format!("unexpected or duplicate event {ev:?}")));
            }
            let reg = self.model[src].reg;
            if reg.map(|r| r.token) != Some(ev.token()) {
                return Err(fail(format!(
                    "event {ev:?} for source {src}, whose registration is {reg:?}"
                )));
            }
        }
        for (src, m) in self.model.iter_mut().enumerate() {
            let event = got.get(&src).copied();
            let waived = small || (prev_full && src >= REGS);
            let (must, may) = match m.reg {
                None => (false, false),
                Some(_) if !m.armed || ready[src].is_empty() => (false, false),
                Some(r) if r.level => (true, true),
                Some(_) if src < REGS => (m.owed, m.owed),
                Some(_) => (m.owed, m.touched),
            };
            match event {
                Some(r) if !may => {
                    return Err(fail(format!(
                        "source {src} ({:?}, armed {}, owed {}, touched {}) reported {r:?}; \
                         ready within interest: {:?}",
                        m.reg, m.armed, m.owed, m.touched, ready[src]
                    )))
                }
                Some(r) if r != ready[src] => {
                    return Err(fail(format!(
                        "source {src} ({:?}) reported {r:?}, ready within interest is {:?}",
                        m.reg, ready[src]
                    )))
                }
                None if must && !waived => {
                    return Err(fail(format!(
                    "source {src} ({:?}, owed {}) reported nothing; ready within interest: {:?}",
                    m.reg, m.owed, ready[src]
                )))
                }
                _ => {}
            }
            if event.is_some() && m.reg.is_some_and(|r| r.oneshot) {
                m.armed = false;
            }
            if event.is_some() || !waived {
                m.owed = false;
                m.touched = false;
            }
        }
        Ok(())
    }

    fn step(&mut self, op: Op) -> Result<(), Failure> {
        match op {
            Op::Register {
                src,
                tok,
                interest,
                opts,
            } => self.register(src, false, tok, interest, opts),
            Op::Reregister {
                src,
                tok,
                interest,
                opts,
            } => self.register(src, true, tok, interest, opts),
            Op::Deregister { src } => self.deregister(src),
            Op::Set { reg, ready } => self.set(reg, ready),
            Op::Write { end, .. } | Op::Read { end, .. } | Op::Fill { end } | Op::Drain { end } => {
                self.sock_op(end, op)
            }
            Op::Poll => self.poll(false),
            Op::PollSmall => self.poll(true),
        }
    }
}

static STEPS: AtomicUsize = AtomicUsize::new(0);

/// Runs the steps on a fresh harness, then two final polls that check what
/// the last steps left pending (two, in case the last step was a small poll
/// that filled its buffer).
fn run(ops: &[Op]) -> Result<(), Failure> {
    let mut h = Harness::new().map_err(|e| fail(format!("setup: {e}")))?;
    STEPS.fetch_add(ops.len() + 1, Ordering::Relaxed);
    for (i, &op) in ops.iter().enumerate() {
        h.step(op)
            .map_err(|e| fail(format!("step {i} ({op:?}): {e}")))?;
    }
    h.poll(false)?;
    h.poll(false)
}

/// Runs the steps on the io_uring engine with evio's own sockets (whose
/// `reregister` it queues for the next poll) against the model, small polls
/// included; then on two harnesses in lockstep, the epoll engine with
/// `EventedFd` and the io_uring engine with evio's sockets, each checked
/// against the model, where every poll of one must report exactly what the
/// same poll of the other does.
///
/// In the lockstep run every poll has room for every source (a small poll
/// of the program polls into the big buffer). When more sources are ready
/// than the buffer holds, which of them come first is the order of epoll's
/// ready list, the order in which the kernel found each one ready: a
/// `reregister` made at once puts a ready source on the list then, a queued
/// one when its batch reaches the kernel at the next poll, after any source
/// that became ready meanwhile (a peer's write). So a small poll may pick
/// other sources on the two engines, and the edges left for later polls
/// differ from then on; both are within the model, which the first run
/// checks.
fn run_both(ops: &[Op]) -> Result<(), Failure> {
    let setup = |e| fail(format!("setup: {e}"));
    let uring = || Poll::with_engine(Engine::IoUring).map_err(setup);
    let mut queued = Harness::with(uring()?, true).map_err(setup)?;
    for (i, &op) in ops.iter().enumerate() {
        queued
            .step(op)
            .map_err(|e| fail(format!("step {i} ({op:?}), io_uring alone: {e}")))?;
    }
    queued.poll(false)?;
    queued.poll(false)?;
    let mut a =
        Harness::with(Poll::with_engine(Engine::Epoll).map_err(setup)?, false).map_err(setup)?;
    let mut b = Harness::with(uring()?, true).map_err(setup)?;
    STEPS.fetch_add(2 * (ops.len() + 1), Ordering::Relaxed);
    let tail = [Op::Poll, Op::Poll];
    for (i, &op) in ops.iter().chain(tail.iter()).enumerate() {
        let op = match op {
            Op::PollSmall => Op::Poll,
            op => op,
        };
        a.step(op)
            .map_err(|e| fail(format!("step {i} ({op:?}), epoll: {e}")))?;
        b.step(op)
            .map_err(|e| fail(format!("step {i} ({op:?}), io_uring: {e}")))?;
        if a.last != b.last {
            return Err(fail(format!(
                "step {i} ({op:?}): epoll reported {:?}, io_uring {:?}",
                a.last, b.last
            )));
        }
    }
    Ok(())
}

/// The shortest failing sequence found by removing steps from `ops`, which
/// failed with `why`, while it still fails: chunks of halving size, at most
/// 2,000 runs.
fn shrink(ops: Vec<Op>, why: Failure) -> (Vec<Op>, Failure) {
    shrink_with(run, ops, why)
}

fn shrink_with(
    run: fn(&[Op]) -> Result<(), Failure>,
    mut ops: Vec<Op>,
    mut why: Failure,
) -> (Vec<Op>, Failure) {
    let mut runs = 0;
    let mut chunk = ops.len().div_ceil(2);
    while chunk > 0 && runs < 2000 {
        let mut at = 0;
        while at < ops.len() && runs < 2000 {
            let mut fewer = ops.clone();
            fewer.drain(at..(at + chunk).min(ops.len()));
            runs += 1;
            match run(&fewer) {
                Err(e) => {
                    ops = fewer;
                    why = e;
                }
                Ok(()) => at += chunk,
            }
        }
        chunk /= 2;
    }
    (ops, why)
}

#[test]
fn poll_matches_the_model() {
    let cases: u32 = std::env::var("EVIO_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let first_seed = match std::env::var("EVIO_MODEL_SEED") {
        Ok(v) => v.parse().expect("EVIO_MODEL_SEED is a number (u64)"),
        Err(_) => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
        }
    };
    // Each case's seed comes from the previous one, so that any case can be
    // run again alone from its own seed.
    let mut seed = first_seed;
    for i in 0..cases {
        let ops = case(seed);
        if let Err(first) = run(&ops) {
            let len = ops.len();
            let (ops, why) = shrink(ops, first.clone());
            panic!(
                "model case {i} failed (seed {seed}, first seed {first_seed}; \
                 run it again with EVIO_MODEL_SEED={seed} EVIO_MODEL_CASES=1)\n\
                 failure: {first}\n\
                 shrunk from {len} to {} steps, which fail with: {why}\n\
                 steps: {ops:#?}",
                ops.len()
            );
        }
        seed = Rng(seed).next();
    }
    let steps = STEPS.load(Ordering::Relaxed);
    eprintln!("model: {cases} cases, {steps} steps, first seed {first_seed}");
    if cases >= 256 {
        assert!(steps >= 100_000, "only {steps} steps ran");
    }
}

/// The model's random programs, run on both engines step by step (see
/// `run_both`). `EVIO_MODEL_CASES` cases divided by 4 (64 by default), or
/// `EVIO_MODEL_SEED` as in `poll_matches_the_model`.
#[test]
fn engines_agree_step_by_step() {
    if Poll::with_engine(Engine::IoUring).unwrap().engine() != Engine::IoUring {
        eprintln!("skipped: the io_uring engine cannot run here (Poll falls back to epoll)");
        return;
    }
    let cases: u32 = std::env::var("EVIO_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(64, |n: u32| n.div_ceil(4));
    let first_seed = match std::env::var("EVIO_MODEL_SEED") {
        Ok(v) => v.parse().expect("EVIO_MODEL_SEED is a number (u64)"),
        Err(_) => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            t.as_nanos() as u64 ^ 0x5eed
        }
    };
    let mut seed = first_seed;
    for i in 0..cases {
        let ops = case(seed);
        if let Err(first) = run_both(&ops) {
            let len = ops.len();
            let (ops, why) = shrink_with(run_both, ops, first.clone());
            panic!(
                "engine comparison case {i} failed (seed {seed}; run it again with \
                 EVIO_MODEL_SEED={seed} EVIO_MODEL_CASES=1)\n\
                 failure: {first}\n\
                 shrunk from {len} to {} steps, which fail with: {why}\n\
                 steps: {ops:#?}",
                ops.len()
            );
        }
        seed = Rng(seed).next();
    }
}

/// Regression: a level-triggered `Registration` that fired sits in the
/// queue's backlog; that alone made every other poll skip the OS, so a
/// level-triggered socket that stayed ready went unreported in those polls.
#[test]
fn level_socket_reported_at_every_poll_beside_a_level_registration() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (registration, set_readiness) = Registration::new2();
    poll.register(&registration, Token(1), Ready::readable(), PollOpt::level())
        .unwrap();
    set_readiness.set_readiness(Ready::readable()).unwrap();
    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.write_all(b"ready").unwrap();
    let fd = a.as_raw_fd();
    poll.register(
        &EventedFd(&fd),
        Token(2),
        Ready::readable(),
        PollOpt::level(),
    )
    .unwrap();
    for i in 0..10 {
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        let mut tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        tokens.sort();
        assert_eq!(tokens, [Token(1), Token(2)], "poll {i}");
    }
}
