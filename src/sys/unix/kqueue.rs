//! The kqueue selector (macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly).
//!
//! The logic that needs no kernel (changelists, receipts, turning records
//! into readiness) is in [`logic`], tested on every Unix. This file holds
//! the system calls: `kevent` through libc, because rustix's kqueue event
//! type hides the record's filter number and `fflags` and cannot express
//! the AIO and LIO filters.
//!
//! - One kqueue per `Poll`; a handle's readable and writable interests are
//!   its descriptor's read and write filters, both carrying its token as
//!   `udata`. A poll merges them back into one event per token.
//! - Every change asks for a receipt (`EV_RECEIPT`), so each change's own
//!   error is reported.
//! - Edge is `EV_CLEAR`, level is its absence, oneshot is `EV_DISPATCH`.
//! - The waker is an `EVFILT_USER` event with `EV_CLEAR`, or on NetBSD and
//!   OpenBSD (which gained `EVFILT_USER` only in 2025) a non-blocking pipe
//!   registered edge-triggered.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::Duration;

use self::logic::{Filter, Op, Record};
use super::cvt;
use crate::{PollOpt, Ready, Token};

pub(crate) mod logic;

/// kqueue accepts an event list of length 0 (it only applies changes), so
/// `Poll::poll` checks the capacity itself.
pub(crate) const SELECT_REJECTS_ZERO_CAPACITY: bool = false;

// The `EV_*` values `logic` uses are the system's. (The casts are needed
// where the constants are `u16`, and no-ops on NetBSD.)
#[allow(clippy::unnecessary_cast)]
const _: () = assert!(
    libc::EV_ADD as u32 == logic::EV_ADD
        && libc::EV_DELETE as u32 == logic::EV_DELETE
        && libc::EV_ENABLE as u32 == logic::EV_ENABLE
        && libc::EV_DISABLE as u32 == logic::EV_DISABLE
        && libc::EV_ONESHOT as u32 == logic::EV_ONESHOT
        && libc::EV_CLEAR as u32 == logic::EV_CLEAR
        && libc::EV_RECEIPT as u32 == logic::EV_RECEIPT
        && libc::EV_DISPATCH as u32 == logic::EV_DISPATCH
        && libc::EV_ERROR as u32 == logic::EV_ERROR
        && libc::EV_EOF as u32 == logic::EV_EOF
);

/// Longest single wait, in seconds (68 years): FreeBSD takes longer ones
/// as "forever" and other kernels may overflow computing a deadline.
const MAX_SECS: u64 = i32::MAX as u64;

const NO_WAIT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

impl Record for libc::kevent {
    #[inline]
    fn filter(&self) -> Filter {
        match self.filter {
            libc::EVFILT_READ => Filter::Read,
            libc::EVFILT_WRITE => Filter::Write,
            #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
            libc::EVFILT_AIO => Filter::Aio,
            #[cfg(target_os = "freebsd")]
            libc::EVFILT_LIO => Filter::Lio,
            #[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
            libc::EVFILT_USER => Filter::User,
            _ => Filter::Other,
        }
    }

    // `flags` is a `u16`, or a `u32` on NetBSD.
    #[allow(clippy::unnecessary_cast)]
    #[inline]
    fn flags(&self) -> u32 {
        self.flags as u32
    }

    #[inline]
    fn fflags(&self) -> u32 {
        self.fflags
    }

    // `data` is an `isize` on some systems, an `i64` on others.
    #[allow(clippy::unnecessary_cast)]
    #[inline]
    fn data(&self) -> i64 {
        self.data as i64
    }

    #[inline]
    fn udata(&self) -> usize {
        self.udata as usize
    }

    #[inline]
    fn set_udata(&mut self, udata: usize) {
        // A pointer on most systems, an integer on NetBSD: a plain number
        // for evio either way, never dereferenced.
        self.udata = udata as _;
    }

    #[inline]
    fn set_data(&mut self, data: i64) {
        self.data = data as _;
    }
}

/// A zeroed record (every field is an integer or a pointer: all-zero is a
/// valid value).
#[inline]
fn zeroed() -> libc::kevent {
    // SAFETY: `kevent` is a plain C structure of integers and a pointer,
    // for which all-zero bits are a valid value.
    unsafe { std::mem::zeroed() }
}

/// A change record for `ident`.
#[inline]
fn change(ident: usize, filter: Filter, flags: u32, fflags: u32, token: Token) -> libc::kevent {
    let mut k = zeroed();
    k.ident = ident as _;
    k.filter = match filter {
        Filter::Write => libc::EVFILT_WRITE,
        #[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
        Filter::User => libc::EVFILT_USER,
        _ => libc::EVFILT_READ,
    };
    k.flags = flags as _;
    k.fflags = fflags;
    k.set_udata(token.0);
    k
}

/// A kqueue instance.
#[derive(Debug)]
pub(crate) struct Selector {
    kq: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let kq = cvt(rustix::event::kqueue::kqueue())?;
        cvt(rustix::io::fcntl_setfd(&kq, rustix::io::FdFlags::CLOEXEC))?;
        Ok(Selector { kq })
    }

    /// One wait with a timeout of `-1` (none) or `0` ms, the fast path of
    /// `Poll::poll`: the number of events, or the error number (and no
    /// events), which the caller's general path repeats and reports.
    #[inline]
    pub(crate) fn select_quick(
        &self,
        events: &mut Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        match self.select(events, crate::poll::quick_timeout(timeout_ms)) {
            Ok(()) => Ok(events.len()),
            Err(e) => {
                events.clear();
                Err(e.raw_os_error().unwrap_or(0))
            }
        }
    }

    /// Waits for events, at most `timeout` (to the nanosecond), then turns
    /// the records into one readiness per token, in place.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.buf.clear();
        let ts = timeout.map(|to| libc::timespec {
            tv_sec: to.as_secs().min(MAX_SECS) as libc::time_t,
            tv_nsec: to.subsec_nanos() as _,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(ptr::null(), |t| t as *const libc::timespec);
        let cap = events.cap.min(libc::c_int::MAX as usize);
        // SAFETY: the buffer has room for `cap` records (its capacity is at
        // least `events.cap`); no change is passed; `ts` lives across the
        // call.
        let n = unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                ptr::null(),
                0,
                events.buf.as_mut_ptr(),
                cap as _,
                ts_ptr,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel initialized the first `n` (<= cap) records.
        unsafe { events.buf.set_len(n as usize) };
        let len = logic::cook(&mut events.buf);
        events.buf.truncate(len);
        Ok(())
    }

    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.apply(fd, Op::Register, token, interest, opts)
    }

    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.apply(fd, Op::Reregister, token, interest, opts)
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.apply(
            fd,
            Op::Deregister,
            Token(0),
            Ready::empty(),
            PollOpt::empty(),
        )
    }

    /// Sends the changelist of `op` in one call and judges its receipts.
    fn apply(
        &self,
        fd: RawFd,
        op: Op,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if fd < 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        let list = logic::changes(op, interest, opts);
        let mut errnos = [0; 4];
        let got = self.submit(fd, list.as_slice(), token, &mut errnos)?;
        match logic::judge(op, &errnos[..got], list.as_slice().len()) {
            Ok(()) => Ok(()),
            Err(failure) => {
                if failure.undo {
                    let del = logic::changes(Op::Deregister, interest, opts);
                    let _ = self.submit(fd, del.as_slice(), token, &mut [0; 4]);
                }
                Err(io::Error::from_raw_os_error(failure.errno))
            }
        }
    }

    /// Applies `changes` to `fd` in one `kevent` call and writes each one's
    /// result (0 or an errno) into `errnos`, in order; returns how many
    /// receipts came back.
    fn submit(
        &self,
        fd: RawFd,
        changes: &[logic::Change],
        token: Token,
        errnos: &mut [i32; 4],
    ) -> io::Result<usize> {
        let mut list = [zeroed(); 4];
        for (k, c) in list.iter_mut().zip(changes) {
            *k = change(fd as usize, c.filter, c.flags, 0, token);
        }
        receipts(&self.kq, &list[..changes.len()], errnos)
    }
}

/// Applies `changes`, each with `EV_RECEIPT`, and writes their results
/// into `errnos` in order. With receipts the kernel returns them, and no
/// pending event, without waiting.
fn receipts(kq: &OwnedFd, changes: &[libc::kevent], errnos: &mut [i32; 4]) -> io::Result<usize> {
    let mut out = [zeroed(); 4];
    let n = changes.len().min(out.len());
    // SAFETY: `changes` holds `n` initialized records and `out` has room
    // for `n`; the zero timeout lives across the call.
    let got = unsafe {
        libc::kevent(
            kq.as_raw_fd(),
            changes.as_ptr(),
            n as _,
            out.as_mut_ptr(),
            n as _,
            &NO_WAIT,
        )
    };
    if got < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = got as usize;
    for (e, r) in errnos.iter_mut().zip(&out[..got]) {
        // Receipts carry EV_ERROR, with 0 or the errno in `data`.
        *e = if r.flags() & logic::EV_ERROR != 0 {
            r.data() as i32
        } else {
            libc::EIO
        };
    }
    Ok(got)
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

/// One record of the selector's.
pub(crate) type SysEvent = libc::kevent;

/// The kernel's event records. After a poll each holds its token in
/// `udata` and its readiness in `data` (see [`logic::cook`]).
pub(crate) struct Events {
    buf: Vec<libc::kevent>,
    cap: usize,
}

// SAFETY: `udata` is a raw pointer on some systems, but evio stores a token
// there and never dereferences it: the records are plain data.
unsafe impl Send for Events {}
// SAFETY: as above; shared access only reads plain data.
unsafe impl Sync for Events {}

impl Events {
    pub(crate) fn with_capacity(cap: usize) -> Events {
        Events {
            buf: Vec::with_capacity(cap),
            cap,
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(crate) fn get(&self, idx: usize) -> Option<&libc::kevent> {
        self.buf.get(idx)
    }

    /// The last poll's records.
    #[inline]
    pub(crate) fn records(&self) -> &[SysEvent] {
        &self.buf
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends a user-space readiness event; false when the buffer is full.
    #[inline]
    pub(crate) fn push_user(&mut self, token: Token, ready: Ready) -> bool {
        if self.buf.len() >= self.cap {
            return false;
        }
        let mut k = zeroed();
        k.set_udata(token.0);
        k.set_data(logic::pack(
            ready.as_usize(),
            ready.is_hup(),
            ready.is_hup(),
        ));
        // Never reallocates: len < cap <= the capacity allocated at creation.
        self.buf.push(k);
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: Token) {
        self.buf.retain(|e| e.udata() != token.0);
    }
}

/// Conversion of a record into an [`Event`](crate::event::Event).
pub(crate) mod event {
    use crate::event::Event;

    #[inline]
    pub(crate) fn to_event(e: &libc::kevent) -> Event {
        super::logic::event_of(e)
    }
}

#[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
pub(crate) use self::user_waker::Waker;

#[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
mod user_waker {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Identifiers of user events; any unused number will do, one per waker.
    static NEXT_IDENT: AtomicUsize = AtomicUsize::new(0);

    /// A cross-thread wake-up: an `EVFILT_USER` event. `EV_CLEAR` resets it
    /// once reported, so one wake gives one event and never a busy loop.
    #[derive(Debug)]
    pub(crate) struct Waker {
        /// A duplicate of the selector's descriptor: the same kqueue.
        kq: OwnedFd,
        ident: usize,
        token: Token,
    }

    impl Waker {
        pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
            let kq = cvt(rustix::io::fcntl_dupfd_cloexec(&selector.kq, 0))?;
            let ident = NEXT_IDENT.fetch_add(1, Ordering::Relaxed);
            let add = change(
                ident,
                Filter::User,
                logic::EV_ADD | logic::EV_CLEAR | logic::EV_RECEIPT,
                0,
                token,
            );
            let mut errnos = [0; 4];
            match receipts(&kq, &[add], &mut errnos)? {
                1 if errnos[0] == 0 => Ok(Waker { kq, ident, token }),
                1 => Err(io::Error::from_raw_os_error(errnos[0])),
                _ => Err(io::Error::from_raw_os_error(libc::EIO)),
            }
        }

        /// Triggers the user event: the next (or current) poll reports it.
        pub(crate) fn wake(&self) -> io::Result<()> {
            // The token goes along: a change also sets the event's `udata`.
            let trigger = change(self.ident, Filter::User, 0, libc::NOTE_TRIGGER, self.token);
            // SAFETY: one initialized change, no event list (so errors come
            // back as -1 and errno), the zero timeout lives across the call.
            let n = unsafe {
                libc::kevent(
                    self.kq.as_raw_fd(),
                    &trigger,
                    1,
                    ptr::null_mut(),
                    0,
                    &NO_WAIT,
                )
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
    }

    impl Drop for Waker {
        fn drop(&mut self) {
            let del = change(self.ident, Filter::User, logic::EV_DELETE, 0, self.token);
            // SAFETY: as in `wake`. A failure leaves an inert event behind.
            let _ =
                unsafe { libc::kevent(self.kq.as_raw_fd(), &del, 1, ptr::null_mut(), 0, &NO_WAIT) };
        }
    }
}

#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
pub(crate) use self::pipe_waker::Waker;

#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
mod pipe_waker {
    use rustix::io::Errno;
    use rustix::pipe::{pipe_with, PipeFlags};

    use super::*;

    /// A cross-thread wake-up where `EVFILT_USER` is missing: a
    /// non-blocking pipe whose read end is registered edge-triggered
    /// (`EV_CLEAR`), so each write is a new event.
    #[derive(Debug)]
    pub(crate) struct Waker {
        rx: OwnedFd,
        tx: OwnedFd,
    }

    impl Waker {
        pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
            let (rx, tx) = cvt(pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK))?;
            selector.register(rx.as_raw_fd(), token, Ready::readable(), PollOpt::edge())?;
            Ok(Waker { rx, tx })
        }

        pub(crate) fn wake(&self) -> io::Result<()> {
            match rustix::io::write(&self.tx, &[1]) {
                Ok(_) => Ok(()),
                Err(Errno::AGAIN) => {
                    // The pipe is full of earlier wakes: empty it (a bounded
                    // number of reads) and wake again.
                    let mut buf = [0u8; 4096];
                    for _ in 0..1024 {
                        match rustix::io::read(&self.rx, &mut buf) {
                            Ok(n) if n > 0 => continue,
                            _ => break,
                        }
                    }
                    cvt(rustix::io::write(&self.tx, &[1])).map(|_| ())
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Tests against the kernel: they build wherever the selector does (the
/// cross-check step compiles them) and run on a kqueue system.
#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::event::Event;

    const SHORT: Option<Duration> = Some(Duration::from_millis(500));

    fn poll(sel: &Selector, events: &mut Events, timeout: Option<Duration>) -> Vec<Event> {
        sel.select(events, timeout).unwrap();
        (0..events.len())
            .map(|i| event::to_event(events.get(i).unwrap()))
            .collect()
    }

    #[test]
    fn read_and_write_filters_give_one_event() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"x").unwrap();
        let both = Ready::readable() | Ready::writable();
        sel.register(a.as_raw_fd(), Token(1), both, PollOpt::level())
            .unwrap();
        let ev = poll(&sel, &mut events, SHORT);
        assert_eq!(ev.len(), 1, "{:?}", ev);
        assert_eq!(ev[0].token(), Token(1));
        assert_eq!(ev[0].readiness(), both);
    }

    #[test]
    fn registration_errors() {
        let sel = Selector::new().unwrap();
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let err = sel.deregister(fd).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = sel
            .reregister(fd, Token(0), Ready::readable(), PollOpt::edge())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        // The failed reregister left nothing behind.
        assert_eq!(
            sel.deregister(fd).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );

        sel.register(fd, Token(0), Ready::empty(), PollOpt::edge())
            .unwrap();
        let err = sel
            .register(fd, Token(0), Ready::writable(), PollOpt::edge())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        sel.reregister(fd, Token(0), Ready::readable(), PollOpt::level())
            .unwrap();
        sel.deregister(fd).unwrap();
    }

    #[test]
    fn oneshot_is_silent_until_reregistered() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (a, mut b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        let opts = PollOpt::level() | PollOpt::oneshot();
        sel.register(fd, Token(2), Ready::readable(), opts).unwrap();
        b.write_all(b"x").unwrap();
        assert_eq!(poll(&sel, &mut events, SHORT).len(), 1);
        b.write_all(b"y").unwrap();
        assert!(poll(&sel, &mut events, Some(Duration::ZERO)).is_empty());
        sel.reregister(fd, Token(3), Ready::readable(), opts)
            .unwrap();
        let ev = poll(&sel, &mut events, SHORT);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].token(), Token(3));
        sel.deregister(fd).unwrap();
    }

    #[test]
    fn peer_close_is_readable_and_hup() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (a, b) = UnixStream::pair().unwrap();
        sel.register(a.as_raw_fd(), Token(4), Ready::readable(), PollOpt::edge())
            .unwrap();
        drop(b);
        let ev = poll(&sel, &mut events, SHORT);
        assert_eq!(ev.len(), 1);
        assert!(ev[0].is_readable() && ev[0].readiness().is_hup());
        assert!(ev[0].is_read_closed());
    }

    #[test]
    fn waker_gives_one_event_per_wake_round() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(8);
        let waker = Waker::new(&sel, Token(9)).unwrap();
        waker.wake().unwrap();
        waker.wake().unwrap();
        let ev = poll(&sel, &mut events, SHORT);
        assert_eq!(ev.len(), 1);
        assert_eq!(
            (ev[0].token(), ev[0].readiness()),
            (Token(9), Ready::readable())
        );
        // Reported once: the next poll does not see it again.
        assert!(poll(&sel, &mut events, Some(Duration::ZERO)).is_empty());
        waker.wake().unwrap();
        assert_eq!(poll(&sel, &mut events, SHORT).len(), 1);
    }

    #[test]
    fn user_events_and_token_removal() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(2);
        let waker = Waker::new(&sel, Token::RESERVED).unwrap();
        waker.wake().unwrap();
        sel.select(&mut events, SHORT).unwrap();
        assert_eq!(events.len(), 1);
        events.remove_token(Token::RESERVED);
        assert_eq!(events.len(), 0);
        assert!(events.push_user(Token(1), Ready::hup()));
        assert!(events.push_user(Token(2), Ready::writable()));
        assert!(!events.push_user(Token(3), Ready::writable()));
        let e = event::to_event(events.get(0).unwrap());
        assert_eq!((e.token(), e.readiness()), (Token(1), Ready::hup()));
        assert!(e.is_read_closed() && e.is_write_closed());
    }
}
