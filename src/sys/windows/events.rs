//! The `Events` buffer: the port's completion records, rewritten in place.

use std::ptr;

use windows_sys::Win32::System::IO::OVERLAPPED_ENTRY;

use crate::sys::record::{self, Decoded, RecordBuf, UserRecord, HUP};

/// Marks in a record's byte count: the read or write side is closed.
pub(super) const READ_CLOSED: u32 = 1 << 16;
pub(super) const WRITE_CLOSED: u32 = 1 << 17;

/// A record for `token` with readiness and closed marks `bits`.
#[inline]
pub(super) fn record(token: usize, bits: u32) -> OVERLAPPED_ENTRY {
    OVERLAPPED_ENTRY {
        lpCompletionKey: token,
        lpOverlapped: ptr::null_mut(),
        Internal: 0,
        dwNumberOfBytesTransferred: bits,
    }
}

/// One record of the selector's.
pub(crate) type SysEvent = OVERLAPPED_ENTRY;

/// The port's completion records, rewritten in place into evio's records:
/// the key is the token, the byte count the readiness.
pub(crate) type Events = RecordBuf<OVERLAPPED_ENTRY>;

// SAFETY: once `select` returns, the records hold plain numbers (a token and
// readiness bits); the pointer member is null and never dereferenced.
unsafe impl Send for RecordBuf<OVERLAPPED_ENTRY> {}
// SAFETY: as above; `&Events` only reads the records.
unsafe impl Sync for RecordBuf<OVERLAPPED_ENTRY> {}

impl UserRecord for OVERLAPPED_ENTRY {
    #[inline]
    fn user(token: usize, readiness: usize) -> OVERLAPPED_ENTRY {
        let mut bits = readiness as u32 & 0xffff;
        if readiness & HUP != 0 {
            bits |= READ_CLOSED | WRITE_CLOSED;
        }
        record(token, bits)
    }

    #[inline]
    fn token(&self) -> usize {
        self.lpCompletionKey
    }
}

/// What a record reports: its token, readiness and closed marks.
#[inline]
pub(crate) fn decode(e: &OVERLAPPED_ENTRY) -> Decoded {
    let bits = e.dwNumberOfBytesTransferred;
    let mut closed = 0;
    if bits & READ_CLOSED != 0 {
        closed |= record::READ_CLOSED;
    }
    if bits & WRITE_CLOSED != 0 {
        closed |= record::WRITE_CLOSED;
    }
    Decoded {
        token: e.lpCompletionKey,
        readiness: (bits & 0xffff) as usize,
        closed,
    }
}
