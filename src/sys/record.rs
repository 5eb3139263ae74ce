//! What every backend's event records decode into, shared by the backends
//! and the portable layer (which depends on it, never the reverse):
//!
//! - the readiness bits, in the layout of [`Ready`](crate::Ready): a
//!   backend writes them, `Ready` reads them;
//! - [`Decoded`]: one record's token, readiness bits and closed marks, as
//!   a backend's `decode` gives them; `event.rs` turns it into an `Event`;
//! - [`RecordBuf`]: the record buffer of a backend whose `select` rewrites
//!   the system's records in place into a shorter list (kqueue, Windows).
//!
//! Nothing here names a system.

pub(crate) const READABLE: usize = 0b0000_0001;
pub(crate) const WRITABLE: usize = 0b0000_0010;
pub(crate) const ERROR: usize = 0b0000_0100;
pub(crate) const HUP: usize = 0b0000_1000;
/// kqueue's AIO filter (where the system has it).
pub(crate) const AIO: usize = 0b0001_0000;
/// kqueue's LIO filter (where the system has it).
pub(crate) const LIO: usize = 0b0010_0000;
/// Priority (out-of-band) data (epoll's `EPOLLPRI`).
pub(crate) const PRIORITY: usize = 0b0100_0000;

/// Closed marks of a [`Decoded`] record: the read side is closed.
pub(crate) const READ_CLOSED: u8 = 0b01;
/// Closed marks of a [`Decoded`] record: the write side is closed.
pub(crate) const WRITE_CLOSED: u8 = 0b10;

/// One record, decoded by its backend.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The token the handle was registered with.
    pub(crate) token: usize,
    /// Readiness bits (above).
    pub(crate) readiness: usize,
    /// [`READ_CLOSED`] and [`WRITE_CLOSED`].
    pub(crate) closed: u8,
}

impl Decoded {
    /// The closed marks of a user-space record: both sides on hang-up
    /// (as `Event::new` says), none otherwise.
    #[inline]
    pub(crate) const fn user_closed(readiness: usize) -> u8 {
        if readiness & HUP != 0 {
            READ_CLOSED | WRITE_CLOSED
        } else {
            0
        }
    }
}

/// A record that evio can write itself (user-space readiness) and whose
/// token it can read back.
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
pub(crate) trait UserRecord: Copy {
    /// The record of a user-space event.
    fn user(token: usize, readiness: usize) -> Self;
    /// The token the record carries.
    fn token(&self) -> usize;
}

/// A buffer of at most `capacity` records, allocated once: the backend's
/// `select` refills it in place ([`RecordBuf::refill`]), user-space
/// readiness is appended to it, and the portable layer reads it.
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
pub(crate) struct RecordBuf<R> {
    // Allocated with room for `cap` records and never grown: every push
    // stops at `cap`.
    buf: Vec<R>,
    cap: usize,
}

#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
impl<R: UserRecord> RecordBuf<R> {
    pub(crate) fn with_capacity(cap: usize) -> RecordBuf<R> {
        RecordBuf {
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
    pub(crate) fn get(&self, idx: usize) -> Option<&R> {
        self.buf.get(idx)
    }

    /// The last poll's records.
    #[inline]
    pub(crate) fn records(&self) -> &[R] {
        &self.buf
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }

    /// The records, emptied, for the backend's `select` to fill: the
    /// vector has room for [`capacity`](RecordBuf::capacity) records, and
    /// the backend must not push more (it would allocate).
    #[inline]
    pub(crate) fn refill(&mut self) -> &mut Vec<R> {
        self.buf.clear();
        &mut self.buf
    }

    /// Appends a user-space readiness event; false when the buffer is full.
    #[inline]
    pub(crate) fn push_user(&mut self, token: usize, readiness: usize) -> bool {
        if self.buf.len() >= self.cap {
            return false;
        }
        // Never reallocates: len < cap <= the capacity allocated at creation.
        self.buf.push(R::user(token, readiness));
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: usize) {
        self.buf.retain(|r| r.token() != token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Copy, Clone, Debug, PartialEq)]
    struct Rec(usize, usize);

    impl UserRecord for Rec {
        fn user(token: usize, readiness: usize) -> Rec {
            Rec(token, readiness)
        }
        fn token(&self) -> usize {
            self.0
        }
    }

    #[test]
    fn record_buf_stops_at_its_capacity_and_removes_by_token() {
        let mut b = RecordBuf::<Rec>::with_capacity(3);
        let room = b.refill().capacity();
        assert!(b.push_user(1, READABLE));
        assert!(b.push_user(2, WRITABLE));
        assert!(b.push_user(1, HUP));
        assert!(!b.push_user(4, READABLE));
        assert_eq!(b.len(), 3);
        b.remove_token(1);
        assert_eq!(b.records(), &[Rec(2, WRITABLE)]);
        assert_eq!(b.get(0), Some(&Rec(2, WRITABLE)));
        assert_eq!(b.get(1), None);
        assert_eq!(b.refill().capacity(), room);
        assert_eq!(b.len(), 0);
        assert_eq!(b.capacity(), 3);
    }

    #[test]
    fn a_user_hang_up_closes_both_sides() {
        assert_eq!(
            Decoded::user_closed(HUP | READABLE),
            READ_CLOSED | WRITE_CLOSED
        );
        assert_eq!(Decoded::user_closed(READABLE | ERROR), 0);
    }
}
