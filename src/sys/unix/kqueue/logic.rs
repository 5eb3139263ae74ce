//! The part of the kqueue selector that needs no kernel: which changes an
//! operation sends, what the kernel's receipts mean, and how the records a
//! poll returns become one readiness per token.
//!
//! It is plain Rust over a small [`Record`] trait, so that its unit tests run
//! on every Unix, Linux included; the selector implements `Record` for the
//! kernel's `kevent` structure.

// On Linux this module is only built for its tests.
#![cfg_attr(
    not(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "dragonfly",
        target_os = "openbsd"
    )),
    allow(dead_code)
)]

use crate::event::Event;
use crate::ready::{AIO, ERROR, HUP, LIO, READABLE, WRITABLE};
use crate::{PollOpt, Ready};

// The `EV_*` action and status bits. They have the same values on every
// kqueue system (the selector checks them against libc's at compile time);
// only the width of the field differs.
pub(crate) const EV_ADD: u32 = 0x0001;
pub(crate) const EV_DELETE: u32 = 0x0002;
pub(crate) const EV_ENABLE: u32 = 0x0004;
pub(crate) const EV_DISABLE: u32 = 0x0008;
pub(crate) const EV_ONESHOT: u32 = 0x0010;
pub(crate) const EV_CLEAR: u32 = 0x0020;
pub(crate) const EV_RECEIPT: u32 = 0x0040;
pub(crate) const EV_DISPATCH: u32 = 0x0080;
pub(crate) const EV_ERROR: u32 = 0x4000;
pub(crate) const EV_EOF: u32 = 0x8000;

/// The filters evio tells apart, whatever number the OS gives them.
// Not every system has every filter (no LIO on Apple's, no AIO on NetBSD).
#[allow(dead_code)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    Read,
    Write,
    /// Completion of an AIO request submitted with `SIGEV_KEVENT`.
    Aio,
    /// Completion of an `lio_listio` batch (FreeBSD).
    Lio,
    /// The waker's user event.
    User,
    /// Anything else: not registered by evio, ignored.
    Other,
}

/// Read access to a kernel record, and the two fields a record is rewritten
/// through once it has been read ("cooked").
pub(crate) trait Record {
    fn filter(&self) -> Filter;
    fn flags(&self) -> u32;
    fn fflags(&self) -> u32;
    fn data(&self) -> i64;
    fn udata(&self) -> usize;
    fn set_udata(&mut self, udata: usize);
    fn set_data(&mut self, data: i64);
}

const READ_CLOSED: i64 = 1 << 16;
const WRITE_CLOSED: i64 = 1 << 17;
const READY_MASK: i64 = 0xffff;

/// The readiness a record reports, packed as a cooked record's `data`:
/// the readiness bits, then the read-closed and write-closed bits.
///
/// Following kqueue(2): a filter reports its own readiness; `EV_EOF` means
/// that direction is shut down (hang-up when it is the write direction),
/// and an `EV_EOF` record whose
/// `fflags` is not 0 carries the socket's pending error there; `EV_ERROR`
/// is an error whose errno is in `data`.
pub(crate) fn readiness_of<R: Record>(r: &R) -> i64 {
    let flags = r.flags();
    let eof = flags & EV_EOF != 0;
    let failed = flags & EV_ERROR != 0 || (eof && r.fflags() != 0);
    let mut ready = 0;
    let (mut read_closed, mut write_closed) = (false, false);
    match r.filter() {
        Filter::Read => {
            ready |= READABLE;
            read_closed = eof;
        }
        Filter::Write => {
            ready |= WRITABLE;
            write_closed = eof;
        }
        Filter::Aio => ready |= AIO,
        Filter::Lio => ready |= LIO,
        Filter::User => ready |= READABLE,
        Filter::Other => return 0,
    }
    if failed {
        ready |= ERROR;
        write_closed = true;
    }
    // Hang-up only when the write direction is shut too (the peer stopped
    // reading, or the connection failed: a full close or a reset), as on
    // epoll; a half close, `EV_EOF` on the read filter alone, is readable
    // and end-of-stream only.
    if eof && write_closed {
        ready |= HUP;
    }
    pack(ready, read_closed, write_closed)
}

#[inline]
pub(crate) fn pack(ready: usize, read_closed: bool, write_closed: bool) -> i64 {
    (ready as i64 & READY_MASK)
        | if read_closed { READ_CLOSED } else { 0 }
        | if write_closed { WRITE_CLOSED } else { 0 }
}

/// The [`Event`] of a cooked record.
#[inline]
pub(crate) fn event_of<R: Record>(r: &R) -> Event {
    let data = r.data();
    Event::with_closed(
        Ready::from_usize((data & READY_MASK) as usize),
        crate::Token(r.udata()),
        data & READ_CLOSED != 0,
        data & WRITE_CLOSED != 0,
    )
}

/// Up to this many events, merging compares each with those kept so far;
/// above, it sorts by token first.
const SCAN_MAX: usize = 16;

/// Rewrites the records a poll returned in place, so that each holds its
/// token in `udata` and its readiness in `data` (see [`pack`]), with one
/// record per token: the read and write filters of one handle, reported
/// as two records, become one. Records of filters evio does not know are
/// dropped. Returns how many records are left at the front of `buf`.
///
/// Allocates nothing; quadratic only up to [`SCAN_MAX`] records.
pub(crate) fn cook<R: Record>(buf: &mut [R]) -> usize {
    let mut len = 0;
    for i in 0..buf.len() {
        let data = readiness_of(&buf[i]);
        if data == 0 {
            continue;
        }
        let token = buf[i].udata();
        buf.swap(len, i);
        buf[len].set_udata(token);
        buf[len].set_data(data);
        len += 1;
    }
    merge(&mut buf[..len])
}

/// Merges cooked records that carry the same token; returns the new length.
fn merge<R: Record>(buf: &mut [R]) -> usize {
    if buf.len() > SCAN_MAX {
        buf.sort_unstable_by_key(|r| r.udata());
        let mut len = 0;
        for i in 0..buf.len() {
            if len > 0 && buf[len - 1].udata() == buf[i].udata() {
                let data = buf[len - 1].data() | buf[i].data();
                buf[len - 1].set_data(data);
            } else {
                buf.swap(len, i);
                len += 1;
            }
        }
        return len;
    }
    let mut len = 0;
    'next: for i in 0..buf.len() {
        let token = buf[i].udata();
        for j in 0..len {
            if buf[j].udata() == token {
                let data = buf[j].data() | buf[i].data();
                buf[j].set_data(data);
                continue 'next;
            }
        }
        buf.swap(len, i);
        len += 1;
    }
    len
}

/// What a registration call asks of the kernel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Register,
    Reregister,
    Deregister,
}

/// One change for the changelist: a filter on the handle's descriptor and
/// the `EV_*` flags to apply to it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) filter: Filter,
    pub(crate) flags: u32,
}

/// The changelist of one operation: at most four changes.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Changes {
    list: [Change; 4],
    len: usize,
}

impl Changes {
    fn push(&mut self, filter: Filter, flags: u32) {
        self.list[self.len] = Change { filter, flags };
        self.len += 1;
    }

    pub(crate) fn as_slice(&self) -> &[Change] {
        &self.list[..self.len]
    }
}

/// The changelist for `op`.
///
/// Every change asks for a receipt (`EV_RECEIPT`), so the kernel reports
/// each change's own result and never mixes pending events into the reply.
///
/// Each list starts with `EV_DELETE` of the read and the write filter: their
/// receipts tell whether the descriptor was registered (0) or not
/// (`ENOENT`), which `EV_ADD` alone cannot, since it silently modifies an
/// existing registration. That is how `register` finds `AlreadyExists` and
/// `reregister` finds a handle that is not registered, in the same single
/// system call. Deleting first also lets a `reregister` change edge, level
/// and oneshot, which a kernel does not change on an existing filter.
///
/// Then `EV_ADD` of the filters in the interest: read for readable (or
/// hang-up, which the read filter reports as `EV_EOF`), write for
/// writable. An interest with neither still adds the read filter, disabled,
/// so that the kernel keeps knowing the handle is registered.
///
/// Edge is `EV_CLEAR`, level is its absence. Oneshot is `EV_DISPATCH`: the
/// filter is disabled once it has reported, and stays registered (so
/// `reregister` and `deregister` find it) until `reregister` adds it anew.
/// `EV_ONESHOT` would delete it instead.
pub(crate) fn changes(op: Op, interest: Ready, opts: PollOpt) -> Changes {
    let mut c = Changes {
        list: [Change {
            filter: Filter::Read,
            flags: 0,
        }; 4],
        len: 0,
    };
    c.push(Filter::Read, EV_DELETE | EV_RECEIPT);
    c.push(Filter::Write, EV_DELETE | EV_RECEIPT);
    if op == Op::Deregister {
        return c;
    }
    let mut mode = EV_ADD | EV_RECEIPT;
    if !opts.triggers_on_level() {
        mode |= EV_CLEAR;
    }
    if opts.is_oneshot() {
        mode |= EV_DISPATCH;
    }
    let read = interest.is_readable() || interest.is_hup();
    let write = interest.is_writable();
    if read {
        c.push(Filter::Read, mode);
    }
    if write {
        c.push(Filter::Write, mode);
    }
    if !read && !write {
        c.push(Filter::Read, mode | EV_DISABLE);
    }
    c
}

/// Why an operation failed, from its receipts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The errno to report.
    pub(crate) errno: i32,
    /// True when the filters must be deleted again: the operation must not
    /// leave a registration behind.
    pub(crate) undo: bool,
}

/// Judges an operation by its receipts: `errnos[i]` is the result of change
/// `i` of [`changes`] (0 for success). A missing receipt counts as `EIO`.
pub(crate) fn judge(op: Op, errnos: &[i32], n_changes: usize) -> Result<(), Failure> {
    let get = |i: usize| errnos.get(i).copied().unwrap_or(libc::EIO);
    let (del_read, del_write) = (get(0), get(1));
    let existed = del_read == 0 || del_write == 0;
    if op == Op::Deregister {
        if existed {
            return Ok(());
        }
        // Both ENOENT: not registered. Otherwise the first real error
        // (EBADF for a closed descriptor, for example).
        let errno = if del_read != libc::ENOENT {
            del_read
        } else {
            del_write
        };
        return Err(Failure { errno, undo: false });
    }
    if let Some(errno) = (2..n_changes).map(get).find(|&e| e != 0) {
        return Err(Failure { errno, undo: true });
    }
    match op {
        // The new registration replaced the old one: nothing to undo.
        Op::Register if existed => Err(Failure {
            errno: libc::EEXIST,
            undo: false,
        }),
        Op::Reregister if !existed => Err(Failure {
            errno: libc::ENOENT,
            undo: true,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::PRIORITY;
    use crate::Token;

    #[derive(Copy, Clone, Debug, Default)]
    struct Fake {
        filter: Option<Filter>,
        flags: u32,
        fflags: u32,
        data: i64,
        udata: usize,
    }

    impl Record for Fake {
        fn filter(&self) -> Filter {
            self.filter.unwrap_or(Filter::Other)
        }
        fn flags(&self) -> u32 {
            self.flags
        }
        fn fflags(&self) -> u32 {
            self.fflags
        }
        fn data(&self) -> i64 {
            self.data
        }
        fn udata(&self) -> usize {
            self.udata
        }
        fn set_udata(&mut self, udata: usize) {
            self.udata = udata;
        }
        fn set_data(&mut self, data: i64) {
            self.data = data;
        }
    }

    fn rec(filter: Filter, flags: u32, token: usize) -> Fake {
        Fake {
            filter: Some(filter),
            flags,
            // The kernel's `data` (bytes available) must not leak through.
            data: 0x7fff_0000,
            udata: token,
            ..Fake::default()
        }
    }

    fn events(buf: &mut [Fake]) -> Vec<Event> {
        let n = cook(buf);
        buf[..n].iter().map(event_of).collect()
    }

    #[test]
    fn read_and_write_merge_into_one_event() {
        let mut buf = [
            rec(Filter::Read, 0, 7),
            rec(Filter::Write, 0, 9),
            rec(Filter::Write, 0, 7),
        ];
        let ev = events(&mut buf);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].token(), Token(7));
        assert_eq!(ev[0].readiness(), Ready::readable() | Ready::writable());
        assert!(!ev[0].is_read_closed() && !ev[0].is_write_closed());
        assert_eq!(ev[1].token(), Token(9));
        assert_eq!(ev[1].readiness(), Ready::writable());
    }

    #[test]
    fn merging_many_records_keeps_one_per_token() {
        // Above SCAN_MAX: the sorting path. 40 tokens, each with a read and
        // a write record, spread apart; plus foreign records to drop.
        let mut buf = Vec::new();
        for t in 0..40 {
            buf.push(rec(Filter::Read, 0, t));
        }
        for t in (0..40).rev() {
            buf.push(rec(Filter::Write, if t == 5 { EV_EOF } else { 0 }, t));
            buf.push(rec(Filter::Other, 0, t));
        }
        let ev = events(&mut buf);
        assert_eq!(ev.len(), 40);
        let mut seen = [false; 40];
        for e in &ev {
            let t = e.token().0;
            assert!(!seen[t], "token {} twice", t);
            seen[t] = true;
            assert!(e.is_readable() && e.is_writable());
            assert_eq!(e.readiness().is_hup(), t == 5);
            assert_eq!(e.is_write_closed(), t == 5);
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn scan_and_sort_paths_agree() {
        for n in [1, 2, SCAN_MAX - 1, SCAN_MAX, SCAN_MAX + 1, 100] {
            let mk = || -> Vec<Fake> {
                (0..n)
                    .map(|i| {
                        let f = if i % 3 == 0 {
                            Filter::Write
                        } else {
                            Filter::Read
                        };
                        rec(f, 0, (i * 7) % 5)
                    })
                    .collect()
            };
            let mut a = mk();
            let mut got: Vec<(usize, usize)> = events(&mut a)
                .iter()
                .map(|e| (e.token().0, e.readiness().as_usize()))
                .collect();
            got.sort();
            // Expected, computed the slow way.
            let mut want: Vec<(usize, usize)> = Vec::new();
            for r in mk() {
                let bits = (readiness_of(&r) & READY_MASK) as usize;
                match want.iter_mut().find(|w| w.0 == r.udata) {
                    Some(w) => w.1 |= bits,
                    None => want.push((r.udata, bits)),
                }
            }
            want.sort();
            assert_eq!(got, want, "n = {}", n);
        }
    }

    #[test]
    fn eof_and_errors_map_to_hup_and_error() {
        // Peer shut down its writing side: readable and read closed, but no
        // hang-up (a half close is not one, as in the classic API).
        let ev = events(&mut [rec(Filter::Read, EV_EOF, 1)]);
        assert_eq!(ev[0].readiness(), Ready::readable());
        assert!(ev[0].is_read_closed() && !ev[0].is_write_closed());
        assert!(!ev[0].is_error());

        // Connection refused: the write filter's EOF with the socket error
        // in fflags.
        let mut r = rec(Filter::Write, EV_EOF, 2);
        r.fflags = libc::ECONNREFUSED as u32;
        let ev = events(&mut [r]);
        assert_eq!(
            ev[0].readiness(),
            Ready::writable() | Ready::hup() | Ready::error()
        );
        assert!(ev[0].is_write_closed() && !ev[0].is_read_closed());

        // EV_ERROR: error readiness and write closed.
        let ev = events(&mut [rec(Filter::Read, EV_ERROR, 3)]);
        assert!(ev[0].is_error() && ev[0].is_readable());
        assert!(ev[0].is_write_closed());

        // Both halves closed, from two records: hang-up.
        let ev = events(&mut [rec(Filter::Read, EV_EOF, 4), rec(Filter::Write, EV_EOF, 4)]);
        assert_eq!(ev.len(), 1);
        assert!(ev[0].is_read_closed() && ev[0].is_write_closed());
        assert!(ev[0].readiness().is_hup());

        // A reset reported on the read filter (the error in fflags): error
        // and hang-up.
        let mut r = rec(Filter::Read, EV_EOF, 5);
        r.fflags = libc::ECONNRESET as u32;
        let ev = events(&mut [r]);
        assert!(ev[0].readiness().is_hup() && ev[0].is_error());
    }

    #[test]
    fn other_filters_map_to_platform_readiness() {
        let ev = events(&mut [
            rec(Filter::Aio, 0, 1),
            rec(Filter::Lio, 0, 2),
            rec(Filter::User, EV_CLEAR, 3),
            rec(Filter::Other, 0, 4),
        ]);
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].readiness().as_usize(), AIO);
        assert_eq!(ev[1].readiness().as_usize(), LIO);
        assert_eq!(ev[2].readiness(), Ready::readable());
        assert_eq!(ev[2].token(), Token(3));
        assert_eq!(cook::<Fake>(&mut []), 0);
    }

    #[test]
    fn pack_round_trips() {
        let all = READABLE | WRITABLE | ERROR | HUP | AIO | LIO | PRIORITY;
        let mut r = Fake {
            data: pack(all, true, false),
            udata: usize::MAX - 1,
            ..Fake::default()
        };
        let e = event_of(&r);
        assert_eq!(e.readiness().as_usize(), all);
        assert_eq!(e.token(), Token(usize::MAX - 1));
        assert!(e.is_read_closed() && !e.is_write_closed());
        r.data = pack(0, false, true);
        assert!(event_of(&r).is_write_closed());
    }

    fn list(op: Op, interest: Ready, opts: PollOpt) -> Vec<(Filter, u32)> {
        changes(op, interest, opts)
            .as_slice()
            .iter()
            .map(|c| (c.filter, c.flags))
            .collect()
    }

    const PROBE: [(Filter, u32); 2] = [
        (Filter::Read, EV_DELETE | EV_RECEIPT),
        (Filter::Write, EV_DELETE | EV_RECEIPT),
    ];

    #[test]
    fn changelists() {
        use Filter::*;
        let add = EV_ADD | EV_RECEIPT;
        assert_eq!(list(Op::Deregister, Ready::all(), PollOpt::edge()), PROBE);

        let l = list(Op::Register, Ready::readable(), PollOpt::edge());
        assert_eq!(l[..2], PROBE);
        assert_eq!(l[2..], [(Read, add | EV_CLEAR)]);

        let l = list(
            Op::Reregister,
            Ready::readable() | Ready::writable(),
            PollOpt::level(),
        );
        assert_eq!(l[2..], [(Read, add), (Write, add)]);

        let l = list(
            Op::Register,
            Ready::writable(),
            PollOpt::edge() | PollOpt::oneshot(),
        );
        assert_eq!(l[2..], [(Write, add | EV_CLEAR | EV_DISPATCH)]);
        assert!(l.iter().all(|c| c.1 & EV_ONESHOT == 0));

        // Hang-up comes through the read filter.
        let l = list(Op::Register, Ready::hup(), PollOpt::level());
        assert_eq!(l[2..], [(Read, add)]);

        // Empty interest: the read filter, disabled, marks the registration.
        // (Neither edge nor level: level, so no `EV_CLEAR`.)
        let l = list(Op::Register, Ready::empty(), PollOpt::empty());
        assert_eq!(l[2..], [(Read, add | EV_DISABLE)]);
        assert!(l.iter().all(|c| c.1 & EV_ENABLE == 0));

        // Level wins over edge when both are given.
        let l = list(
            Op::Register,
            Ready::readable(),
            PollOpt::edge() | PollOpt::level(),
        );
        assert_eq!(l[2..], [(Read, add)]);
    }

    #[test]
    fn receipts_decide_the_result() {
        let (ok, no) = (0, libc::ENOENT);
        let fail = |errno, undo| Err(Failure { errno, undo });
        // register: fresh descriptor.
        assert_eq!(judge(Op::Register, &[no, no, ok], 3), Ok(()));
        // register twice: a probe found a filter.
        assert_eq!(
            judge(Op::Register, &[ok, no, ok], 3),
            fail(libc::EEXIST, false)
        );
        assert_eq!(
            judge(Op::Register, &[no, ok, ok, ok], 4),
            fail(libc::EEXIST, false)
        );
        // register a closed descriptor.
        let bad = libc::EBADF;
        assert_eq!(judge(Op::Register, &[bad, bad, bad], 3), fail(bad, true));
        // write filter refused after the read filter was added: undone.
        assert_eq!(
            judge(Op::Register, &[no, no, ok, libc::EINVAL], 4),
            fail(libc::EINVAL, true)
        );
        // reregister of a registered and of an unregistered descriptor.
        assert_eq!(judge(Op::Reregister, &[ok, no, ok, ok], 4), Ok(()));
        assert_eq!(
            judge(Op::Reregister, &[no, no, ok], 3),
            fail(libc::ENOENT, true)
        );
        // deregister.
        assert_eq!(judge(Op::Deregister, &[ok, no], 2), Ok(()));
        assert_eq!(judge(Op::Deregister, &[no, ok], 2), Ok(()));
        assert_eq!(judge(Op::Deregister, &[no, no], 2), fail(no, false));
        assert_eq!(judge(Op::Deregister, &[bad, bad], 2), fail(bad, false));
        // missing receipts never pass for success.
        assert_eq!(judge(Op::Register, &[no, no], 3), fail(libc::EIO, true));
        assert_eq!(judge(Op::Deregister, &[], 2), fail(libc::EIO, false));
    }
}
