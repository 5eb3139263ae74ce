//! The `Events` buffer: the port's completion records, rewritten in place.

use std::ptr;

use windows_sys::Win32::System::IO::OVERLAPPED_ENTRY;

use crate::{Ready, Token};

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
pub(crate) struct Events {
    pub(super) buf: Vec<OVERLAPPED_ENTRY>,
    pub(super) cap: usize,
}

// SAFETY: once `select` returns, the records hold plain numbers (a token and
// readiness bits); the pointer member is null and never dereferenced.
unsafe impl Send for Events {}
// SAFETY: as above; `&Events` only reads the records.
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
    pub(crate) fn get(&self, idx: usize) -> Option<&OVERLAPPED_ENTRY> {
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
        let mut bits = ready.as_usize() as u32 & 0xffff;
        if ready.is_hup() {
            bits |= READ_CLOSED | WRITE_CLOSED;
        }
        // Never reallocates: len < cap <= the capacity allocated at creation.
        self.buf.push(record(token.0, bits));
        true
    }

    /// Removes the records carrying `token` (evio's internal wake-ups).
    pub(crate) fn remove_token(&mut self, token: Token) {
        self.buf.retain(|e| e.lpCompletionKey != token.0);
    }
}

/// Conversion of a record into an [`Event`](crate::event::Event).
pub(crate) mod event {
    use super::*;
    use crate::event::Event;

    #[inline]
    pub(crate) fn to_event(e: &OVERLAPPED_ENTRY) -> Event {
        let bits = e.dwNumberOfBytesTransferred;
        Event::with_closed(
            Ready::from_usize((bits & 0xffff) as usize),
            Token(e.lpCompletionKey),
            bits & READ_CLOSED != 0,
            bits & WRITE_CLOSED != 0,
        )
    }
}
