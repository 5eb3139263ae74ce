//! The simulation backend (`--cfg evio_sim`): a selector, sockets and a
//! network inside the process, in virtual time, deterministic by seed.
//!
//! It offers the names every backend offers (see `sys/mod.rs`), so the
//! portable layer runs on it unchanged. No system call is made for a
//! simulated object: its descriptor is a number of the simulator's own
//! table (see `world::FD_BASE`). The public driver is `api` (`evio::sim`).

pub mod api;
pub(crate) mod net;
pub(crate) mod world;

// The Unix domain sockets and pipes stay the operating system's under the
// simulator (they are not simulated yet): their system-call helpers.
#[path = "../unix/pipe.rs"]
pub(crate) mod pipe;
#[path = "../unix/uds.rs"]
pub(crate) mod uds;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use self::world::{
    current, current_if_any, ended_error, errno, flag_names, wait_turn, Fd, HostState, Kind, ObjId,
    Reg, Sel, WorldRef, ERR, ET, HUP, IN, LOCAL_MASK, ONESHOT, OUT, RDHUP,
};
use crate::ready::{ERROR, HUP as R_HUP, PRIORITY, READABLE, WRITABLE};
use crate::{PollOpt, Ready, Token};

/// The portable layer checks the capacity itself.
pub(crate) const SELECT_REJECTS_ZERO_CAPACITY: bool = false;

/// The error number of an interrupted wait (never happens here).
pub(crate) const EINTR: i32 = libc::EINTR;

/// Turns a rustix error into an `io::Error` (for the Unix domain helpers).
#[inline]
pub(crate) fn cvt<T>(res: rustix::io::Result<T>) -> io::Result<T> {
    res.map_err(io::Error::from)
}

/// What a socket needs beside its descriptor: nothing.
#[derive(Debug, Default)]
pub(crate) struct IoSourceState;

impl IoSourceState {
    #[inline]
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    #[inline]
    pub(crate) fn do_io<T, F, R>(&self, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        f(io)
    }
}

/// Nanoseconds of a timeout, rounded up to whole microseconds (so that a
/// timeout is never cut short, as on the real systems, which round up to
/// their precision).
fn timeout_ns(d: Duration) -> u64 {
    let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    ns.div_ceil(1000).saturating_mul(1000)
}

/// A simulated selector: epoll's rules, in the simulator.
pub(crate) struct Selector {
    world: WorldRef,
    obj: ObjId,
    fd: Fd,
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selector").field("fd", &self.fd).finish()
    }
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let (world, host) = current();
        let mut w = world.lock();
        let obj = w.new_obj(Kind::Selector, host);
        w.sels.insert(obj, Sel::default());
        let fd = w.new_fd(obj);
        w.trace(host, format_args!("poll new fd={}", fd & LOCAL_MASK));
        drop(w);
        Ok(Selector { world, obj, fd })
    }

    /// The simulator is one engine whatever is asked for; it follows epoll's
    /// rules, and reports itself as the platform's default engine.
    #[allow(dead_code)]
    pub(crate) fn with_engine(_engine: crate::poll::Engine) -> io::Result<Selector> {
        Selector::new()
    }

    #[allow(dead_code)]
    pub(crate) fn engine(&self) -> crate::poll::Engine {
        crate::poll::Engine::DEFAULT
    }

    #[allow(dead_code)]
    pub(crate) fn has_fast_path(&self) -> bool {
        true
    }

    #[allow(dead_code)]
    pub(crate) fn select_fast(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        self.select(events, timeout)
    }

    /// The fast path's form of `select`: the number of events, or an errno.
    pub(crate) fn select_quick(&self, events: &mut Events, ms: isize) -> Result<usize, i32> {
        let timeout = if ms < 0 { None } else { Some(Duration::ZERO) };
        match self.select(events, timeout) {
            Ok(()) => Ok(events.len()),
            Err(e) => {
                events.clear();
                Err(e.raw_os_error().unwrap_or(libc::EIO))
            }
        }
    }

    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        if events.cap == 0 {
            return Err(errno(libc::EINVAL));
        }
        let shared = &*self.world;
        let host = match current_if_any() {
            Some((w, h)) if Arc::ptr_eq(&w, &self.world) => h,
            _ => None,
        };
        let mut w = shared.lock();
        w.io_calls += 1;
        let zero = timeout == Some(Duration::ZERO);
        let deadline = timeout.map(|d| w.now.saturating_add(timeout_ns(d)));
        if w.is_run {
            let Some(h) = host else {
                return Err(io::Error::other(
                    "a simulated Poll of a run can be polled only by the run's hosts",
                ));
            };
            if let Some(why) = &w.ended {
                return Err(ended_error(why));
            }
            // Every poll is a point where another host may run.
            w.hosts[h].state = HostState::Polling {
                sel: self.obj,
                deadline,
            };
            w.schedule_next();
            shared.cv.notify_all();
            w = wait_turn(shared, w, h);
            w.hosts[h].state = HostState::Running;
            if let Some(why) = &w.ended {
                let why = why.clone();
                return Err(ended_error(&why));
            }
        } else {
            let mut waited_real = false;
            loop {
                w.deliver_due();
                if zero || w.has_events(self.obj) || deadline.is_some_and(|d| d <= w.now) {
                    break;
                }
                let target = match (w.next_packet_time(), deadline) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if w.foreign && !waited_real {
                    // Another thread acts on this world: give it the real
                    // time the wait asks for (as the system would), then
                    // let virtual time jump.
                    let real = target.map(|t| Duration::from_nanos(t - w.now));
                    w = match real {
                        Some(d) => {
                            shared
                                .cv
                                .wait_timeout(w, d)
                                .unwrap_or_else(|e| e.into_inner())
                                .0
                        }
                        None => shared.cv.wait(w).unwrap_or_else(|e| e.into_inner()),
                    };
                    waited_real = real.is_some();
                    continue;
                }
                match target {
                    Some(t) => {
                        w.now = w.now.max(t);
                        waited_real = false;
                    }
                    None => {
                        // Nothing in this world can make the poll return;
                        // only another thread could.
                        let (g, res) = shared
                            .cv
                            .wait_timeout(w, Duration::from_secs(10))
                            .unwrap_or_else(|e| e.into_inner());
                        w = g;
                        if res.timed_out()
                            && !w.foreign
                            && !w.has_events(self.obj)
                            && w.next_packet_time().is_none()
                        {
                            return Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                "simulated poll without a timeout: nothing in the simulated world can make it return",
                            ));
                        }
                    }
                }
            }
        }
        let mut out = std::mem::take(&mut events.scratch);
        w.collect(self.obj, events.cap, host, &mut out);
        w.events += out.len() as u64;
        for &(token, flags) in &out {
            events.buf.push(SysEvent {
                token,
                flags,
                user: 0,
            });
        }
        if out.is_empty() {
            w.trace(host, format_args!("poll fd={} -> 0", self.fd & LOCAL_MASK));
        } else {
            let mut line = String::new();
            for &(t, f) in &out {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&format!("{t}:{}", flag_names(f)));
            }
            w.trace(
                host,
                format_args!("poll fd={} -> {} [{line}]", self.fd & LOCAL_MASK, out.len()),
            );
        }
        events.scratch = out;
        Ok(())
    }

    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.ctl(fd, Some((token, interest, opts)), true)
    }

    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.ctl(fd, Some((token, interest, opts)), false)
    }

    /// `reregister` of a descriptor its caller holds open (evio's sockets).
    #[allow(dead_code)]
    pub(crate) fn reregister_open(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.reregister(fd, token, interest, opts)
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(fd, None, false)
    }

    fn ctl(&self, fd: RawFd, what: Option<(Token, Ready, PollOpt)>, add: bool) -> io::Result<()> {
        let host = current_if_any().and_then(|(w, h)| {
            if Arc::ptr_eq(&w, &self.world) {
                h
            } else {
                None
            }
        });
        let mut w = self.world.lock();
        w.io_calls += 1;
        let res = (|| {
            let obj = w.obj_of(fd)?;
            if matches!(w.objs.get(&obj).map(|o| &o.kind), Some(Kind::Selector)) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a simulated Poll cannot be registered in another",
                ));
            }
            let sel = w
                .sels
                .get_mut(&self.obj)
                .ok_or_else(|| errno(libc::EBADF))?;
            match what {
                Some((token, interest, opts)) => {
                    let mask = mask_of(interest, opts);
                    if add {
                        if sel.regs.contains_key(&fd) {
                            return Err(errno(libc::EEXIST));
                        }
                        sel.regs.insert(
                            fd,
                            Reg {
                                obj,
                                token: token.0 as u64,
                                mask,
                                pending: false,
                                disarmed: false,
                                split_rest: 0,
                            },
                        );
                        if let Some(o) = w.objs.get_mut(&obj) {
                            o.watchers.push((self.obj, fd));
                        }
                    } else {
                        let reg = sel.regs.get_mut(&fd).ok_or_else(|| errno(libc::ENOENT))?;
                        reg.token = token.0 as u64;
                        reg.mask = mask;
                        reg.disarmed = false;
                        reg.split_rest = 0;
                    }
                    w.check_now(self.obj, fd);
                }
                None => {
                    if sel.regs.remove(&fd).is_none() {
                        return Err(errno(libc::ENOENT));
                    }
                    sel.ready.retain(|&f| f != fd);
                    let me = self.obj;
                    if let Some(o) = w.objs.get_mut(&obj) {
                        o.watchers.retain(|&(s, f)| !(s == me && f == fd));
                    }
                }
            }
            Ok(())
        })();
        let op = match (what, add) {
            (Some(_), true) => "register",
            (Some(_), false) => "reregister",
            (None, _) => "deregister",
        };
        let tok = what.map_or(String::new(), |(t, i, o)| {
            format!(" token={} interest={i:?} opts={o:?}", t.0)
        });
        let sfd = if fd >= world::FD_BASE {
            fd & LOCAL_MASK
        } else {
            fd
        };
        match &res {
            Ok(()) => w.trace(host, format_args!("{op} fd={sfd}{tok} -> ok")),
            Err(e) => w.trace(host, format_args!("{op} fd={sfd}{tok} -> {e}")),
        }
        res
    }
}

/// The event flags of an interest and options, as epoll's.
fn mask_of(interest: Ready, opts: PollOpt) -> u32 {
    let i = interest.as_usize();
    let mut m = 0;
    if i & READABLE != 0 {
        m |= IN | RDHUP;
    }
    if i & WRITABLE != 0 {
        m |= OUT;
    }
    if !opts.triggers_on_level() {
        m |= ET;
    }
    if opts.is_oneshot() {
        m |= ONESHOT;
    }
    m
}

impl Drop for Selector {
    fn drop(&mut self) {
        let mut w = self.world.lock();
        let host = w.objs.get(&self.obj).and_then(|o| o.host);
        w.close_fd(self.fd, host);
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

/// One event record: a token and epoll's flags, or a user-space readiness.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SysEvent {
    token: u64,
    flags: u32,
    user: u32,
}

/// The records of a poll.
#[derive(Debug)]
pub(crate) struct Events {
    buf: Vec<SysEvent>,
    cap: usize,
    scratch: Vec<(u64, u32)>,
}

impl Events {
    pub(crate) fn with_capacity(cap: usize) -> Events {
        Events {
            buf: Vec::with_capacity(cap),
            cap,
            scratch: Vec::with_capacity(cap),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn get(&self, idx: usize) -> Option<&SysEvent> {
        self.buf.get(idx)
    }

    pub(crate) fn records(&self) -> &[SysEvent] {
        &self.buf
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends a user-space readiness event; false when the buffer is full.
    pub(crate) fn push_user(&mut self, token: Token, ready: Ready) -> bool {
        if self.buf.len() >= self.cap {
            return false;
        }
        self.buf.push(SysEvent {
            token: token.0 as u64,
            flags: 0,
            user: ready.as_usize() as u32,
        });
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: Token) {
        self.buf.retain(|e| e.token != token.0 as u64);
    }
}

/// Conversion of a record into an [`Event`](crate::event::Event).
pub(crate) mod event {
    use super::*;
    use crate::event::Event;

    pub(crate) fn to_event(e: &SysEvent) -> Event {
        let bits = e.flags;
        let user = e.user as usize;
        let mut kind = user;
        if bits & IN != 0 {
            kind |= READABLE;
        }
        if bits & OUT != 0 {
            kind |= WRITABLE;
        }
        if bits & ERR != 0 {
            kind |= ERROR;
        }
        if bits & HUP != 0 {
            kind |= R_HUP;
        }
        let _ = PRIORITY;
        let user_hup = user & R_HUP != 0;
        let read_closed = bits & HUP != 0 || (bits & IN != 0 && bits & RDHUP != 0) || user_hup;
        let write_closed = bits & HUP != 0 || bits & ERR != 0 || user_hup;
        Event::with_closed(
            Ready::from_usize(kind),
            Token(e.token as usize),
            read_closed,
            write_closed,
        )
    }
}

/// A cross-thread wake-up: a simulated object registered edge-triggered,
/// each wake a new edge.
pub(crate) struct Waker {
    world: WorldRef,
    obj: ObjId,
    fd: Fd,
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waker").field("fd", &self.fd).finish()
    }
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let world = selector.world.clone();
        let mut w = world.lock();
        let host = w.objs.get(&selector.obj).and_then(|o| o.host);
        let obj = w.new_obj(Kind::Waker(false), host);
        let fd = w.new_fd(obj);
        drop(w);
        let waker = Waker { world, obj, fd };
        selector.register(fd, token, Ready::readable(), PollOpt::edge())?;
        Ok(waker)
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        let mut w = self.world.lock();
        w.io_calls += 1;
        if let Some(o) = w.objs.get_mut(&self.obj) {
            o.kind = Kind::Waker(true);
        }
        w.raise(self.obj, IN);
        let host = w.objs.get(&self.obj).and_then(|o| o.host);
        w.trace(host, format_args!("wake fd={}", self.fd & LOCAL_MASK));
        drop(w);
        self.world.cv.notify_all();
        Ok(())
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        let mut w = self.world.lock();
        let host = w.objs.get(&self.obj).and_then(|o| o.host);
        w.close_fd(self.fd, host);
    }
}
