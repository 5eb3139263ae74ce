//! The epoll selector (Linux, Android).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::event::{epoll, eventfd, EventfdFlags, Timespec};

use super::cvt;
use crate::ready::{ERROR, HUP, PRIORITY, READABLE, WRITABLE};
use crate::{PollOpt, Ready, Token};

/// Where a record that evio writes itself (user-space readiness) keeps its
/// readiness: shifted into bits 5 to 12 of the flags word. In a returned
/// record the kernel sets only what evio asks for (`EPOLLIN`, `EPOLLPRI`,
/// `EPOLLOUT`, `EPOLLRDHUP`) and `EPOLLERR`/`EPOLLHUP`: never `EPOLLNVAL`,
/// `EPOLLRDNORM`, `EPOLLRDBAND`, `EPOLLWRNORM`, `EPOLLWRBAND`, `EPOLLMSG` or
/// bits 11 and 12; and a user-space record sets none of the kernel's bits.
/// So one conversion, with no branch, serves both kinds of record, and
/// "readable" stays a test of the low byte (`EPOLLIN | EPOLLPRI | 1 << 5`).
const USER_SHIFT: u32 = 5;
/// The readiness bits a user-space record carries: every named one.
const USER_BITS: usize = 0xff;

/// epoll answers `EINVAL` to an event list of length 0, so `Poll::poll`
/// need not check the capacity first: its general path gives the
/// documented error after the failed wait.
pub(crate) const SELECT_REJECTS_ZERO_CAPACITY: bool = true;

/// Whole seconds that fit, as milliseconds, in `epoll_wait`'s C int.
const MAX_SECS: u64 = 2_000_000;

/// Set once the kernel has answered `ENOSYS` to `epoll_pwait2`.
static NO_PWAIT2: AtomicBool = AtomicBool::new(false);

/// The timeout `epoll_pwait2` reads: the kernel's `struct
/// __kernel_timespec`, two 64-bit fields on every architecture. It is not
/// the C library's `timespec`, whose fields are 32 bits on 32-bit targets
/// (i686, arm) unless the program is built with 64-bit `time_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

const _: () = assert!(std::mem::size_of::<KernelTimespec>() == 16);

impl From<Duration> for KernelTimespec {
    /// Seconds beyond `i64::MAX` (some 292 billion years) are cut to it.
    fn from(to: Duration) -> KernelTimespec {
        KernelTimespec {
            tv_sec: i64::try_from(to.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: to.subsec_nanos().into(),
        }
    }
}

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
    ///
    /// Inlined into `Poll::poll`: with no timeout, a zero one or whole
    /// milliseconds (what an event loop passes nearly always, often as a
    /// constant) it is one `epoll_pwait` and little else.
    #[inline]
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let ts;
        let ts = match timeout {
            None => None,
            // `epoll_wait` counts whole milliseconds (rustix rounds up).
            Some(to) if to.subsec_nanos() % 1_000_000 == 0 && to.as_secs() < MAX_SECS => {
                ts = Timespec {
                    tv_sec: to.as_secs() as i64,
                    tv_nsec: to.subsec_nanos().into(),
                };
                Some(&ts)
            }
            Some(to) => return self.select_precise(events, to),
        };
        match epoll::wait(&self.ep, &mut events.buf[..], ts) {
            Ok(n) => {
                events.len = n;
                Ok(())
            }
            Err(e) => {
                events.len = 0;
                Err(e.into())
            }
        }
    }

    /// The fast path of `Poll::poll`: one `epoll_wait` with a timeout of
    /// `-1` (none) or `0` milliseconds, and nothing else. The error number
    /// on any error (and no events), which the caller's general path
    /// repeats and reports.
    ///
    /// The descriptor, the buffer, its length and the timeout go straight
    /// into the argument registers; the kernel leaves every register but
    /// the return value and two scratch ones as they were, so the caller
    /// keeps its own values in registers across the call.
    #[inline]
    pub(crate) fn select_quick(
        &self,
        events: &mut Events,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        // A buffer longer than a C int would be cut to a count it holds
        // (or to a negative one, which the kernel refuses): the kernel never
        // writes past it.
        let max = events.buf.len() as libc::c_int;
        // SAFETY: the buffer has room for `max` records (at most its length),
        // properly aligned, and any bytes are a valid record; the
        // descriptor is the selector's own, open while `self` lives.
        let n = unsafe {
            quick::epoll_wait(
                self.ep.as_raw_fd(),
                events.buf.as_mut_ptr(),
                max,
                timeout_ms,
            )
        };
        match n {
            Ok(k) => {
                events.len = k;
                Ok(k)
            }
            Err(errno) => {
                // No events after an error: the caller tells the two cases
                // apart so.
                events.len = 0;
                Err(errno)
            }
        }
    }

    /// A timeout with a finer part than milliseconds, or too long for a C
    /// int of milliseconds, goes to `epoll_pwait2`, which takes a timespec,
    /// where the kernel has it.
    #[cold]
    #[inline(never)]
    fn select_precise(&self, events: &mut Events, to: Duration) -> io::Result<()> {
        if !NO_PWAIT2.load(Ordering::Relaxed) {
            match self.pwait2(events, to) {
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                    NO_PWAIT2.store(true, Ordering::Relaxed)
                }
                res => return res,
            }
        }
        let ts = if to.as_secs() < MAX_SECS {
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
        };
        events.len = 0;
        events.len = cvt(epoll::wait(&self.ep, &mut events.buf[..], Some(&ts)))?;
        Ok(())
    }

    fn pwait2(&self, events: &mut Events, to: Duration) -> io::Result<()> {
        events.len = 0;
        // The kernel refuses more than `EP_MAX_EVENTS` records (`INT_MAX`
        // bytes of them); it never fills more than asked, so a larger buffer
        // is offered in part.
        let max = i32::MAX as usize / std::mem::size_of::<epoll::Event>();
        let (ptr, len) = (events.buf.as_mut_ptr(), events.buf.len().min(max));
        let ts = KernelTimespec::from(to);
        // SAFETY: `ptr` points to at least `len` writable, properly aligned
        // `epoll_event` records (rustix's `Event` has the kernel's layout,
        // and any bytes are a valid `Event`: two integers);
        // `ts` has the layout the kernel reads and lives across the call;
        // a null sigmask leaves the mask unchanged (its size is then unread).
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.ep.as_raw_fd(),
                ptr,
                len as libc::c_int,
                &ts as *const KernelTimespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        events.len = n as usize;
        Ok(())
    }

    #[inline]
    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if opts.is_exclusive() {
            return self.register_exclusive(fd, token, interest, opts);
        }
        self.ctl(quick::CTL_ADD, fd, token, flags(interest, opts))
    }

    /// `EPOLLEXCLUSIVE`, with what epoll allows beside it only: no
    /// oneshot, no priority, no `EPOLLRDHUP` (see `unix::UnixPollOpt`).
    #[cold]
    #[inline(never)]
    fn register_exclusive(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        use epoll::EventFlags as F;
        if opts.is_oneshot() || opts.is_urgent() || interest.as_usize() & PRIORITY != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an exclusive registration cannot be oneshot nor ask for priority",
            ));
        }
        let f = (flags(interest, opts) - F::RDHUP) | F::EXCLUSIVE;
        self.ctl(quick::CTL_ADD, fd, token, f)
    }

    #[inline]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if opts.is_exclusive() {
            return Err(exclusive_is_for_register());
        }
        self.ctl(quick::CTL_MOD, fd, token, flags(interest, opts))
    }

    #[inline]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(quick::CTL_DEL, fd, Token(0), epoll::EventFlags::empty())
    }

    /// One `epoll_ctl`. A descriptor that is not open (`-1` included) makes
    /// the kernel answer `EBADF`, returned as the error.
    #[inline]
    fn ctl(&self, op: i32, fd: RawFd, token: Token, flags: epoll::EventFlags) -> io::Result<()> {
        match self.ctl_errno(op, fd, token, flags) {
            0 => Ok(()),
            errno => Err(ctl_error(errno)),
        }
    }

    /// The `epoll_ctl` of `ctl`: 0, or the error number (for the Linux
    /// engine enum, which joins it with the io_uring engine's outcome).
    #[inline]
    pub(crate) fn ctl_errno(
        &self,
        op: i32,
        fd: RawFd,
        token: Token,
        flags: epoll::EventFlags,
    ) -> i32 {
        let mut ev = epoll::Event {
            flags,
            data: epoll::EventData::new_u64(token.0 as u64),
        };
        // SAFETY: `ev` is a valid record that lives across the call; the
        // kernel only reads it (and ignores it for `EPOLL_CTL_DEL`).
        unsafe { quick::epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut ev) }
    }
}

/// `epoll_ctl`'s operations, for `Selector::ctl_errno`.
#[cfg(target_os = "linux")]
pub(crate) const CTL_ADD: i32 = quick::CTL_ADD;
#[cfg(target_os = "linux")]
pub(crate) const CTL_MOD: i32 = quick::CTL_MOD;
#[cfg(target_os = "linux")]
pub(crate) const CTL_DEL: i32 = quick::CTL_DEL;

#[cold]
fn exclusive_is_for_register() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "epoll cannot change an exclusive registration: deregister it and register it again",
    )
}

#[cold]
#[inline(never)]
pub(crate) fn ctl_error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// The epoll system calls of the hot path, issued directly where evio
/// writes the system call convention (`super::syscall`: x86-64 and AArch64
/// Linux and Android), so that each is the call and its error test and
/// nothing else; through rustix elsewhere.
///
/// The wait is `epoll_wait` on x86-64 Linux (four arguments, all in
/// registers the kernel leaves alone, which leaves two free for the
/// caller's own values), and `epoll_pwait` with a null signal mask on
/// AArch64 (which has no `epoll_wait`) and on Android (whose system-call
/// filter admits only that one).
mod quick {
    use rustix::event::epoll;
    use std::os::fd::RawFd;

    #[cfg(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        not(all(target_arch = "x86_64", target_os = "linux"))
    ))]
    use crate::sys::unix::syscall::syscall6;
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    use crate::sys::unix::syscall::{int, result, syscall4};

    pub(super) const CTL_ADD: i32 = libc::EPOLL_CTL_ADD;
    pub(super) const CTL_MOD: i32 = libc::EPOLL_CTL_MOD;
    pub(super) const CTL_DEL: i32 = libc::EPOLL_CTL_DEL;

    /// Waits with a timeout of `-1` (none) or `0` ms: the number of records
    /// written, or the error number.
    ///
    /// # Safety
    ///
    /// `buf` must have room for `max` records (when `max` is positive) and
    /// stay valid for the call.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[inline]
    pub(super) unsafe fn epoll_wait(
        epfd: RawFd,
        buf: *mut epoll::Event,
        max: libc::c_int,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        let (a0, a1, a2, a3) = (int(epfd), buf as usize, int(max), timeout_ms as usize);
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        // SAFETY: epoll_wait(epfd, buf, max, timeout): the caller vouches
        // for the buffer.
        let ret = unsafe { syscall4(libc::SYS_epoll_wait, a0, a1, a2, a3) };
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        // SAFETY: epoll_pwait(epfd, buf, max, timeout, NULL, 8): a null
        // signal mask leaves the mask alone.
        let ret = unsafe { syscall6(libc::SYS_epoll_pwait, a0, a1, a2, a3, 0, 8) };
        result(ret)
    }

    /// `epoll_ctl`: 0, or the error number.
    ///
    /// # Safety
    ///
    /// `ev` must point to a valid record for the call.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[inline]
    pub(super) unsafe fn epoll_ctl(epfd: RawFd, op: i32, fd: RawFd, ev: *mut epoll::Event) -> i32 {
        // SAFETY: epoll_ctl(epfd, op, fd, ev): the caller vouches for `ev`;
        // any descriptor number is safe to pass (the kernel answers EBADF
        // for one that is not open).
        let ret = unsafe {
            syscall4(
                libc::SYS_epoll_ctl,
                int(epfd),
                int(op),
                int(fd),
                ev as usize,
            )
        };
        match result(ret) {
            Ok(_) => 0,
            Err(errno) => errno,
        }
    }

    /// Elsewhere: rustix, with the timeout as a timespec.
    ///
    /// # Safety
    ///
    /// As above.
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    #[inline]
    pub(super) unsafe fn epoll_wait(
        epfd: RawFd,
        buf: *mut epoll::Event,
        max: libc::c_int,
        timeout_ms: isize,
    ) -> Result<usize, i32> {
        use rustix::event::Timespec;
        use std::os::fd::BorrowedFd;
        const ZERO: Timespec = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let len = usize::try_from(max).map_err(|_| libc::EINVAL)?;
        // SAFETY: the caller vouches for `len` records at `buf`, any bytes
        // of which are a valid record (two integers).
        let slice = unsafe { std::slice::from_raw_parts_mut(buf, len) };
        // SAFETY: the descriptor is open for the call (the caller's selector).
        let ep = unsafe { BorrowedFd::borrow_raw(epfd) };
        let ts = if timeout_ms == 0 { Some(&ZERO) } else { None };
        epoll::wait(ep, slice, ts).map_err(|e| e.raw_os_error())
    }

    /// Elsewhere: rustix.
    ///
    /// # Safety
    ///
    /// As above.
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    #[inline]
    pub(super) unsafe fn epoll_ctl(epfd: RawFd, op: i32, fd: RawFd, ev: *mut epoll::Event) -> i32 {
        use std::os::fd::BorrowedFd;
        if fd < 0 {
            // What the kernel answers; a negative descriptor cannot be
            // borrowed.
            return libc::EBADF;
        }
        // SAFETY: both descriptors are only used for this call, while the
        // caller holds what they came from; `fd` is not negative. A closed
        // one makes the kernel answer EBADF.
        let (ep, fd) = unsafe { (BorrowedFd::borrow_raw(epfd), BorrowedFd::borrow_raw(fd)) };
        // SAFETY: the caller vouches for `ev`.
        let ev = unsafe { *ev };
        let res = match op {
            CTL_ADD => epoll::add(ep, fd, ev.data, ev.flags),
            CTL_MOD => epoll::modify(ep, fd, ev.data, ev.flags),
            _ => epoll::delete(ep, fd),
        };
        match res {
            Ok(()) => 0,
            Err(e) => e.raw_os_error(),
        }
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }
}

#[inline]
pub(crate) fn flags(interest: Ready, opts: PollOpt) -> epoll::EventFlags {
    // Two table look-ups, so that a registration whose interest and options
    // are not constants costs a few instructions, not a branch per bit.
    let i = interest.as_usize();
    let by_interest = INTEREST_FLAGS[(i & (READABLE | WRITABLE)) | ((i & PRIORITY) >> 4)];
    let by_opts = OPTS_FLAGS[opts.bits() & 0xf];
    epoll::EventFlags::from_bits_retain(by_interest | by_opts)
}

/// The kernel's flags for an interest and options; the tables above are
/// made of it. Interest and options contribute independently, so the flags
/// of both are the union of the flags of each.
const fn flags_of(interest: usize, opts: PollOpt) -> u32 {
    use epoll::EventFlags as F;
    let mut f = 0;
    if interest & READABLE != 0 {
        f |= F::IN.bits() | F::RDHUP.bits();
    }
    if interest & WRITABLE != 0 {
        f |= F::OUT.bits();
    }
    if interest & PRIORITY != 0 || opts.is_urgent() {
        f |= F::PRI.bits();
    }
    if !opts.triggers_on_level() {
        f |= F::ET.bits();
    }
    if opts.is_oneshot() {
        f |= F::ONESHOT.bits();
    }
    f
}

/// `flags_of` for every combination of readable (bit 0), writable (bit 1)
/// and priority (bit 2) interest, with the one option that adds no flag
/// (level).
const INTEREST_FLAGS: [u32; 8] = {
    let mut t = [0; 8];
    let mut k = 0;
    while k < 8 {
        let interest = (k & (READABLE | WRITABLE)) | if k & 4 != 0 { PRIORITY } else { 0 };
        t[k] = flags_of(interest, PollOpt::level());
        k += 1;
    }
    t
};

/// `flags_of` for every combination of the four option bits, with no interest.
const OPTS_FLAGS: [u32; 16] = {
    let mut t = [0; 16];
    let mut k = 0;
    while k < 16 {
        t[k] = flags_of(0, PollOpt::from_bits(k));
        k += 1;
    }
    t
};

/// One record of the kernel's.
pub(crate) type SysEvent = epoll::Event;

/// The kernel's event records, filled in place by `epoll_wait`.
pub(crate) struct Events {
    // Allocated once, at its full size; the first `len` records are the
    // last poll's.
    buf: Box<[epoll::Event]>,
    len: usize,
}

// SAFETY: the records hold plain integers (evio only ever stores tokens in
// `data`, never pointers), so moving or sharing them across threads is sound;
// rustix's record type is `!Send` only because its union can hold a pointer.
unsafe impl Send for Events {}
// SAFETY: as above; `&Events` only reads those integers.
unsafe impl Sync for Events {}

impl Events {
    pub(crate) fn with_capacity(cap: usize) -> Events {
        let empty = epoll::Event {
            flags: epoll::EventFlags::empty(),
            data: epoll::EventData::new_u64(0),
        };
        Events {
            buf: vec![empty; cap].into_boxed_slice(),
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, idx: usize) -> Option<&epoll::Event> {
        if idx < self.len {
            // SAFETY: `len` never exceeds the buffer's length: the kernel
            // reports at most that many records, and `push_user` stops there.
            Some(unsafe { self.buf.get_unchecked(idx) })
        } else {
            None
        }
    }

    /// The last poll's records.
    #[inline]
    pub(crate) fn records(&self) -> &[SysEvent] {
        // SAFETY: as in `get`: `len` never exceeds the buffer's length.
        unsafe { self.buf.get_unchecked(..self.len) }
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends a user-space readiness event; false when the buffer is full.
    #[inline]
    pub(crate) fn push_user(&mut self, token: Token, ready: Ready) -> bool {
        let Some(slot) = self.buf.get_mut(self.len) else {
            return false;
        };
        *slot = epoll::Event {
            flags: epoll::EventFlags::from_bits_retain(
                ((ready.as_usize() & USER_BITS) as u32) << USER_SHIFT,
            ),
            data: epoll::EventData::new_u64(token.0 as u64),
        };
        self.len += 1;
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: Token) {
        let mut kept = 0;
        for i in 0..self.len {
            let data = self.buf[i].data;
            if data.u64() != token.0 as u64 {
                self.buf[kept] = self.buf[i];
                kept += 1;
            }
        }
        self.len = kept;
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
        const IN: u32 = epoll::EventFlags::IN.bits();
        const OUT: u32 = epoll::EventFlags::OUT.bits();
        const PRI: u32 = epoll::EventFlags::PRI.bits();
        const ERR: u32 = epoll::EventFlags::ERR.bits();
        const HUP_: u32 = epoll::EventFlags::HUP.bits();
        const RDHUP: u32 = epoll::EventFlags::RDHUP.bits();
        // A user-space record's readiness (0 for the kernel's records).
        let user = (bits >> USER_SHIFT) as usize & USER_BITS;
        let mut kind = user;
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
        // Hang-up is the kernel's `EPOLLHUP` (both directions shut, or a
        // reset), as the classic API reports it; a peer's half close
        // (`EPOLLRDHUP`) is readable and end-of-stream only.
        if bits & HUP_ != 0 {
            kind |= HUP;
        }
        // A user-space hang-up closes both halves, as `Event::new` says.
        let user_hup = user & HUP != 0;
        let read_closed = bits & HUP_ != 0 || (bits & IN != 0 && bits & RDHUP != 0) || user_hup;
        let write_closed = bits & HUP_ != 0 || bits & ERR != 0 || user_hup;
        Event::with_closed(Ready::from_usize(kind), token, read_closed, write_closed)
    }
}

/// What a `Waker` registers its eventfd with: an epoll selector, or (on
/// Linux) the engine enum whichever engine it runs.
pub(crate) trait RegisterFd {
    fn register_fd(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()>;
}

impl RegisterFd for Selector {
    fn register_fd(
        &self,
        fd: RawFd,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.register(fd, token, interest, opts)
    }
}

/// A cross-thread wake-up: an eventfd registered edge-triggered.
#[derive(Debug)]
pub(crate) struct Waker {
    fd: OwnedFd,
}

impl Waker {
    /// Registers through `selector`: this engine's, or the engine enum's.
    pub(crate) fn new<S: RegisterFd>(selector: &S, token: Token) -> io::Result<Waker> {
        let fd = cvt(eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK))?;
        selector.register_fd(fd.as_raw_fd(), token, Ready::readable(), PollOpt::edge())?;
        Ok(Waker { fd })
    }

    /// Each write is a new edge, so every wake produces an event.
    #[inline]
    pub(crate) fn wake(&self) -> io::Result<()> {
        match rustix::io::write(&self.fd, &1u64.to_ne_bytes()) {
            Ok(_) => Ok(()),
            Err(e) => self.wake_slow(e),
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_slow(&self, e: rustix::io::Errno) -> io::Result<()> {
        if e != rustix::io::Errno::AGAIN {
            return Err(e.into());
        }
        // The counter is about to overflow: reset it and wake again.
        let mut drain = [0u8; 8];
        let _ = rustix::io::read(&self.fd, &mut drain);
        cvt(rustix::io::write(&self.fd, &1u64.to_ne_bytes())).map(|_| ())
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
    use crate::event::Event;

    #[test]
    fn flag_mapping() {
        use epoll::EventFlags as F;
        let f = flags(Ready::readable(), PollOpt::edge());
        assert!(f.contains(F::IN | F::RDHUP | F::ET));
        assert!(!f.contains(F::OUT));
        let f = flags(Ready::writable(), PollOpt::level() | PollOpt::oneshot());
        assert!(f.contains(F::OUT | F::ONESHOT));
        assert!(!f.contains(F::ET));
        // Neither edge nor level: level, as in the classic API.
        let f = flags(Ready::empty(), PollOpt::empty());
        assert_eq!(f, F::empty());
        let f = flags(Ready::readable(), PollOpt::oneshot());
        assert_eq!(f, F::IN | F::RDHUP | F::ONESHOT);
        // Level wins over edge.
        let f = flags(Ready::readable(), PollOpt::edge() | PollOpt::level());
        assert!(!f.contains(F::ET));
        // Hang-up interest asks for nothing the kernel does not always
        // report (`EPOLLHUP`, `EPOLLERR`): a half close is no hang-up.
        let f = flags(Ready::hup(), PollOpt::edge());
        assert_eq!(f, F::ET);
    }

    #[test]
    fn flag_tables_agree_with_the_mapping() {
        for interest in 0..=0xffusize {
            for opts in 0..16 {
                let o = PollOpt::from_bits(opts);
                assert_eq!(
                    flags(Ready::from_usize(interest), o).bits(),
                    flags_of(interest, o),
                    "interest {interest:#x}, options {opts:#x}"
                );
            }
        }
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
        assert_eq!(event::to_event(ev.get(0).unwrap()).token(), Token(4));
        assert!(ev.get(1).is_none());
    }

    #[test]
    fn user_records_keep_every_named_bit() {
        for bits in 1..=USER_BITS {
            let mut ev = Events::with_capacity(1);
            let r = Ready::from_usize(bits);
            assert!(ev.push_user(Token(bits), r));
            let e = event::to_event(ev.get(0).unwrap());
            assert_eq!(e.readiness(), r, "bits {bits:#x}");
            assert_eq!(e, Event::new(r, Token(bits)));
            // A user-space hang-up closes both halves, as `Event::new` says.
            let hup = r.is_hup();
            assert_eq!((e.is_read_closed(), e.is_write_closed()), (hup, hup));
        }
    }

    #[test]
    fn pwait2_timeout_has_the_kernels_layout() {
        use std::mem::offset_of;
        assert_eq!(offset_of!(KernelTimespec, tv_sec), 0);
        assert_eq!(offset_of!(KernelTimespec, tv_nsec), 8);
        let ts = KernelTimespec::from(Duration::new(5_000_000_000, 999_999_999));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (5_000_000_000, 999_999_999));
        let ts = KernelTimespec::from(Duration::MAX);
        assert_eq!(ts.tv_sec, i64::MAX);
    }

    /// `epoll_pwait2` itself, not the millisecond fallback: `EINVAL` here
    /// is a timeout the kernel cannot read (as with a 32-bit `timespec`).
    #[test]
    fn pwait2_waits_a_sub_millisecond_timeout() {
        let sel = Selector::new().unwrap();
        let mut events = Events::with_capacity(4);
        for micros in [1u64, 250, 1_500] {
            let to = Duration::from_micros(micros);
            let start = std::time::Instant::now();
            match sel.pwait2(&mut events, to) {
                Ok(()) => {}
                // A kernel older than 5.11.
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => return,
                Err(e) => panic!("epoll_pwait2 with {to:?}: {e}"),
            }
            let took = start.elapsed();
            assert_eq!(events.len(), 0);
            assert!(took >= to, "asked {to:?}, returned after {took:?}");
        }
    }

    /// Seconds that need more than 32 bits reach the kernel whole: with an
    /// event pending, the call returns it (a garbled timeout is `EINVAL`).
    #[test]
    fn pwait2_takes_seconds_beyond_32_bits() {
        let sel = Selector::new().unwrap();
        let waker = Waker::new(&sel, Token(7)).unwrap();
        waker.wake().unwrap();
        let mut events = Events::with_capacity(4);
        match sel.pwait2(&mut events, Duration::new((1 << 33) + 1, 1)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => return,
            Err(e) => panic!("epoll_pwait2: {e}"),
        }
        assert_eq!(events.len(), 1);
        assert_eq!(event::to_event(events.get(0).unwrap()).token(), Token(7));
    }

    #[test]
    fn kernel_records_never_look_like_user_ones() {
        use epoll::EventFlags as F;
        // Every flag the kernel can report for what evio asks.
        let kernel = F::IN | F::OUT | F::PRI | F::RDHUP | F::ERR | F::HUP;
        assert_eq!(kernel.bits() & ((USER_BITS as u32) << USER_SHIFT), 0);
        let rec = epoll::Event {
            flags: F::OUT,
            data: epoll::EventData::new_u64(9),
        };
        let e = event::to_event(&rec);
        assert_eq!((e.readiness(), e.token()), (Ready::writable(), Token(9)));
    }
}
