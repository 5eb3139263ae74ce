//! The epoll selector (Linux, Android).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::{epoll, eventfd, EventfdFlags, Timespec};

use super::cvt;
use crate::ready::{ERROR, HUP, PRIORITY, READABLE, WRITABLE};
use crate::{PollOpt, Ready, Token};

/// Marks a record that evio wrote itself (user-space readiness): the kernel
/// never reports `EPOLLET` in an event, so the bit is free in returned records.
const USER: u32 = epoll::EventFlags::ET.bits();

/// Whole seconds that fit, as milliseconds, in `epoll_wait`'s C int.
const MAX_SECS: u64 = 2_000_000;

/// Set once the kernel has answered `ENOSYS` to `epoll_pwait2`.
static NO_PWAIT2: AtomicBool = AtomicBool::new(false);

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Selector {
    ep: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let ep = cvt(epoll::create(epoll::CreateFlags::CLOEXEC))?;
        Ok(Selector { ep })
    }

    /// Waits for events, at most `timeout` (rounded up, never down).
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.buf.clear();
        let ts = match timeout {
            None => None,
            Some(to) => {
                // `epoll_wait` counts whole milliseconds (rustix rounds up).
                // A timeout with a finer part, or too long for a C int of
                // milliseconds, goes to `epoll_pwait2`, which takes a
                // timespec, where the kernel has it.
                let whole_ms = to.subsec_nanos() % 1_000_000 == 0 && to.as_secs() < MAX_SECS;
                if !whole_ms && !NO_PWAIT2.load(Ordering::Relaxed) {
                    match self.pwait2(events, to) {
                        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                            NO_PWAIT2.store(true, Ordering::Relaxed)
                        }
                        res => return res,
                    }
                }
                Some(if to.as_secs() < MAX_SECS {
                    Timespec {
                        tv_sec: to.as_secs() as i64,
                        tv_nsec: to.subsec_nanos().into(),
                    }
                } else {
                    // An old kernel and a wait of weeks: as long as one call can.
                    Timespec {
                        tv_sec: MAX_SECS as i64,
                        tv_nsec: 0,
                    }
                })
            }
        };
        cvt(epoll::wait(
            &self.ep,
            spare_capacity(&mut events.buf),
            ts.as_ref(),
        ))?;
        Ok(())
    }

    #[cold]
    fn pwait2(&self, events: &mut Events, to: Duration) -> io::Result<()> {
        let spare = events.buf.spare_capacity_mut();
        let (ptr, len) = (spare.as_mut_ptr(), spare.len());
        let ts = libc::timespec {
            tv_sec: libc::time_t::try_from(to.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: to.subsec_nanos() as _,
        };
        // SAFETY: `ptr` points to `len` writable, properly aligned
        // `epoll_event` records (rustix's `Event` has the kernel's layout);
        // `ts` lives across the call; a null sigmask leaves it unchanged.
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.ep.as_raw_fd(),
                ptr,
                len as libc::c_int,
                &ts as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel initialized the first `n` (<= len) records.
        unsafe { events.buf.set_len(n as usize) };
        Ok(())
    }

    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let data = epoll::EventData::new_u64(token.0 as u64);
        cvt(epoll::add(
            &self.ep,
            borrow(fd),
            data,
            flags(interest, opts),
        ))
    }

    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let data = epoll::EventData::new_u64(token.0 as u64);
        cvt(epoll::modify(
            &self.ep,
            borrow(fd),
            data,
            flags(interest, opts),
        ))
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        cvt(epoll::delete(&self.ep, borrow(fd)))
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }
}

/// Borrows a raw descriptor for the length of one system call.
#[inline]
fn borrow<'a>(fd: RawFd) -> BorrowedFd<'a> {
    // SAFETY: the descriptor is only used for the `epoll_ctl` call that
    // follows, while the caller holds the handle it came from. A descriptor
    // that is closed or invalid makes the kernel answer `EBADF`, which is
    // returned as an error; `-1` is rejected before it gets here.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

fn flags(interest: Ready, opts: PollOpt) -> epoll::EventFlags {
    use epoll::EventFlags as F;
    let mut f = F::empty();
    if interest.is_readable() {
        f |= F::IN | F::RDHUP;
    }
    if interest.is_writable() {
        f |= F::OUT;
    }
    if interest.as_usize() & PRIORITY != 0 || opts.is_urgent() {
        f |= F::PRI;
    }
    if interest.is_hup() {
        f |= F::RDHUP;
    }
    if !opts.triggers_on_level() {
        f |= F::ET;
    }
    if opts.is_oneshot() {
        f |= F::ONESHOT;
    }
    f
}

/// The kernel's event records, filled in place by `epoll_wait`.
pub(crate) struct Events {
    buf: Vec<epoll::Event>,
    cap: usize,
}

// SAFETY: the records hold plain integers (evio only ever stores tokens in
// `data`, never pointers), so moving or sharing them across threads is sound;
// rustix's record type is `!Send` only because its union can hold a pointer.
unsafe impl Send for Events {}
// SAFETY: as above; `&Events` only reads those integers.
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
    pub(crate) fn get(&self, idx: usize) -> Option<&epoll::Event> {
        self.buf.get(idx)
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
        // Never reallocates: len < cap <= the capacity allocated at creation.
        self.buf.push(epoll::Event {
            flags: epoll::EventFlags::from_bits_retain(USER | ready.as_usize() as u32),
            data: epoll::EventData::new_u64(token.0 as u64),
        });
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: Token) {
        self.buf.retain(|e| {
            let data = e.data;
            data.u64() != token.0 as u64
        });
    }
}

/// Conversion of a record into an [`Event`](crate::event::Event).
pub(crate) mod event {
    use super::*;
    use crate::event::Event;

    #[inline]
    pub(crate) fn to_event(e: &epoll::Event) -> Event {
        // Copies out of the (packed) record.
        let (flags, data) = (e.flags, e.data);
        let bits = flags.bits();
        let token = Token(data.u64() as usize);
        if bits & USER != 0 {
            return Event::new(Ready::from_usize((bits & !USER) as usize), token);
        }
        const IN: u32 = epoll::EventFlags::IN.bits();
        const OUT: u32 = epoll::EventFlags::OUT.bits();
        const PRI: u32 = epoll::EventFlags::PRI.bits();
        const ERR: u32 = epoll::EventFlags::ERR.bits();
        const HUP_: u32 = epoll::EventFlags::HUP.bits();
        const RDHUP: u32 = epoll::EventFlags::RDHUP.bits();
        let mut kind = 0;
        if bits & (IN | PRI) != 0 {
            kind |= READABLE;
        }
        if bits & OUT != 0 {
            kind |= WRITABLE;
        }
        if bits & PRI != 0 {
            kind |= PRIORITY;
        }
        if bits & ERR != 0 {
            kind |= ERROR;
        }
        if bits & (HUP_ | RDHUP) != 0 {
            kind |= HUP;
        }
        let read_closed = bits & HUP_ != 0 || (bits & IN != 0 && bits & RDHUP != 0);
        let write_closed = bits & HUP_ != 0 || bits & ERR != 0;
        Event::with_closed(Ready::from_usize(kind), token, read_closed, write_closed)
    }
}

/// A cross-thread wake-up: an eventfd registered edge-triggered.
#[derive(Debug)]
pub(crate) struct Waker {
    fd: OwnedFd,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let fd = cvt(eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK))?;
        selector.register(fd.as_raw_fd(), token, Ready::readable(), PollOpt::edge())?;
        Ok(Waker { fd })
    }

    /// Each write is a new edge, so every wake produces an event.
    pub(crate) fn wake(&self) -> io::Result<()> {
        let buf = 1u64.to_ne_bytes();
        match rustix::io::write(&self.fd, &buf) {
            Ok(_) => Ok(()),
            Err(rustix::io::Errno::AGAIN) => {
                // The counter is about to overflow: reset it and wake again.
                let mut drain = [0u8; 8];
                let _ = rustix::io::read(&self.fd, &mut drain);
                cvt(rustix::io::write(&self.fd, &buf)).map(|_| ())
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl AsFd for Waker {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_mapping() {
        use epoll::EventFlags as F;
        let f = flags(Ready::readable(), PollOpt::edge());
        assert!(f.contains(F::IN | F::RDHUP | F::ET));
        assert!(!f.contains(F::OUT));
        let f = flags(Ready::writable(), PollOpt::level() | PollOpt::oneshot());
        assert!(f.contains(F::OUT | F::ONESHOT));
        assert!(!f.contains(F::ET));
        let f = flags(Ready::empty(), PollOpt::empty());
        assert_eq!(f, F::ET);
    }

    #[test]
    fn user_records_round_trip() {
        let mut ev = Events::with_capacity(2);
        let r = Ready::readable() | Ready::from_usize(PRIORITY);
        assert!(ev.push_user(Token(3), r));
        assert!(ev.push_user(Token(4), Ready::writable()));
        assert!(!ev.push_user(Token(5), Ready::writable()));
        let e = event::to_event(ev.get(0).unwrap());
        assert_eq!((e.readiness(), e.token()), (r, Token(3)));
        ev.remove_token(Token(3));
        assert_eq!(ev.len(), 1);
    }
}
