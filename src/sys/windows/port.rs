//! The IO completion port: an owned handle and the four calls made on it
//! (create, associate, post, dequeue).
//!
//! Completions evio queues itself carry [`INTERNAL_KEY`] as their key; what
//! their `lpOverlapped` points to is encoded and decoded in one place,
//! [`super::shared`].

use std::io;
use std::mem::MaybeUninit;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;

use windows_sys::Win32::Foundation::{GetLastError, HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT};
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus,
    OVERLAPPED_ENTRY,
};

use crate::Token;

/// The completion key of every completion evio itself queues on the port:
/// the reserved token, which no `Binding` is given.
pub(super) const INTERNAL_KEY: usize = Token::RESERVED.0;

/// `GetQueuedCompletionStatusEx`'s "no time-out".
pub(super) const INFINITE: u32 = u32::MAX;

/// An IO completion port, closed when dropped.
#[derive(Debug)]
pub(super) struct Port {
    handle: OwnedHandle,
}

impl Port {
    /// Creates a new port.
    pub(super) fn new() -> io::Result<Port> {
        // SAFETY: creating a new port: no handle is passed in.
        let raw = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new, open handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
        Ok(Port { handle })
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }

    /// Associates `handle` with the port, its completions keyed by `key`.
    pub(super) fn associate(&self, handle: HANDLE, key: usize) -> io::Result<()> {
        // SAFETY: the port is open while `self` lives; an invalid `handle`
        // makes the call fail, nothing more.
        let r = unsafe { CreateIoCompletionPort(handle, self.raw(), key, 0) };
        if r.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Queues a completion with evio's key and `context` as `lpOverlapped`.
    pub(super) fn post(&self, context: *const ()) -> io::Result<()> {
        // SAFETY: the port is open; the system only stores the pointer and
        // hands it back to whoever dequeues the completion.
        let ok = unsafe { PostQueuedCompletionStatus(self.raw(), 0, INTERNAL_KEY, context.cast()) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Dequeues up to `buf.len()` completions, waiting at most `ms`
    /// milliseconds ([`INFINITE`]: no limit) for the first; returns how
    /// many records were written at the start of `buf` (0 on time-out).
    pub(super) fn dequeue(
        &self,
        buf: &mut [MaybeUninit<OVERLAPPED_ENTRY>],
        ms: u32,
    ) -> io::Result<usize> {
        let cap = buf.len().min(u32::MAX as usize) as u32;
        let mut n = 0u32;
        // SAFETY: `buf` has room for `cap` records, which the call only
        // writes; the port is open.
        let ok = unsafe {
            GetQueuedCompletionStatusEx(self.raw(), buf.as_mut_ptr().cast(), cap, &mut n, ms, 0)
        };
        if ok == 0 {
            // SAFETY: reads this thread's last error.
            let err = unsafe { GetLastError() };
            if err == WAIT_TIMEOUT {
                return Ok(0);
            }
            return Err(io::Error::from_raw_os_error(err as i32));
        }
        Ok(n as usize)
    }
}
