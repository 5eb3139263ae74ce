//! Handles that code outside evio drives through a `Poll`'s completion
//! port: [`Binding`] associates them with the port, and [`Overlapped`] is
//! the `OVERLAPPED` of their operations, with the function the `Poll` calls
//! when one completes.
//!
//! The port tells these completions from evio's own by their completion
//! key: evio's AFD handles and wake-ups use
//! [`INTERNAL_KEY`](super::port::INTERNAL_KEY)
//! (`usize::MAX`, the reserved token), and a handle associated through a
//! `Binding` gets its token as key, which is never the reserved one. So a
//! completion with any other key carries, as its `lpOverlapped`, the
//! address of an [`Overlapped`], whose callback [`dispatch`] runs.
//!
//! The public documentation of both types is that of [`crate::windows`].

use std::cell::UnsafeCell;
use std::fmt;
use std::io;
use std::os::windows::io::{AsRawHandle, AsRawSocket};
use std::ptr;
use std::sync::{Arc, OnceLock};

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};

use super::shared::Shared;
use crate::{Poll, Token};

/// An `OVERLAPPED` for an operation on a handle associated with a
/// [`Poll`] through a [`Binding`], and the function the `Poll` calls when
/// the operation completes.
///
/// Every overlapped operation on such a handle must be started with the
/// pointer given by [`as_mut_ptr`](Overlapped::as_mut_ptr) of an
/// `Overlapped` that stays where it is, untouched, until the `Poll` has
/// called its callback for that operation: the `Poll` takes the
/// `lpOverlapped` of each completion for the address of an `Overlapped`
/// and calls the function stored in it.
///
/// The callback is given the completion's record as the port returned it:
/// `lpOverlapped` is this value's [`as_mut_ptr`](Overlapped::as_mut_ptr)
/// (the `OVERLAPPED` is the first field, so it is also the address of the
/// `Overlapped` itself), `lpCompletionKey` the token the handle was
/// registered with, and `dwNumberOfBytesTransferred` what the operation
/// moved. It runs inside [`Poll::poll`], on the thread that dequeued the
/// completion (any thread polling the `Poll`), and typically updates a
/// [`SetReadiness`](crate::SetReadiness); the events that causes are
/// reported by the same `poll` call. The callback may free the memory
/// holding the `Overlapped`: the `Poll` does not touch it again.
///
/// # The record type
///
/// The classic API names the record type of the `winapi` 0.2 crate. evio
/// names the one of the `windows-sys` crate it is built on,
/// re-exported as [`crate::windows::OVERLAPPED_ENTRY`], which has the very
/// same layout (`#[repr(C)]`: completion key, `OVERLAPPED` pointer,
/// internal status, byte count). Crates built on `winapi` 0.3, such as
/// mio-named-pipes, already convert their callbacks with
/// `mem::transmute(callback as fn(_))` to whatever this function takes,
/// because the classic API's `winapi` was never theirs; that compiles for
/// any plain one-argument function pointer, and it is sound here because
/// the layouts agree. Naming `winapi` 0.2's type itself would bring that
/// crate back into every dependency tree evio is put under.
#[repr(C)]
pub struct Overlapped {
    // First, so that the address of the `OVERLAPPED` the system reports is
    // the address of this value.
    inner: UnsafeCell<OVERLAPPED>,
    callback: fn(&OVERLAPPED_ENTRY),
}

impl Overlapped {
    /// Creates an `Overlapped`, its `OVERLAPPED` zeroed, whose completions
    /// are handed to `cb` by the `Poll`.
    pub fn new(cb: fn(&OVERLAPPED_ENTRY)) -> Overlapped {
        Overlapped {
            inner: UnsafeCell::new(OVERLAPPED::default()),
            callback: cb,
        }
    }

    /// The `OVERLAPPED` to pass to the system call that starts an
    /// operation (`ReadFile`, `WriteFile`, `ConnectNamedPipe`, `WSARecv`,
    /// ...).
    ///
    /// Only a shared borrow is needed: the system writes through this
    /// pointer while the operation runs.
    pub fn as_mut_ptr(&self) -> *mut OVERLAPPED {
        self.inner.get()
    }
}

impl fmt::Debug for Overlapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overlapped").finish_non_exhaustive()
    }
}

// SAFETY: an `Overlapped` is plain data (integers, an event handle and a
// function pointer). Its `OVERLAPPED` is written only by the system during
// an operation, or by code holding the raw pointer, which the unsafe
// functions starting operations make responsible for it.
unsafe impl Send for Overlapped {}
// SAFETY: as above; a shared borrow gives no access to the `OVERLAPPED`
// other than through the raw pointer.
unsafe impl Sync for Overlapped {}

/// Runs the callback of a completion queued for a handle associated
/// through a [`Binding`].
///
/// # Safety
///
/// `entry.lpOverlapped` must be null or the address of a live
/// [`Overlapped`] whose operation this completion ends (the contract of
/// [`Binding::register_handle`]).
pub(super) unsafe fn dispatch(entry: &OVERLAPPED_ENTRY) {
    let ptr = entry.lpOverlapped as *const Overlapped;
    if ptr.is_null() {
        // Nothing to call back (a completion without an operation).
        return;
    }
    // SAFETY: per the contract, `ptr` is the address of a live
    // `Overlapped`; the function pointer is read before the call, which may
    // free that memory, and never after.
    let callback = unsafe { ptr::addr_of!((*ptr).callback).read() };
    callback(entry);
}

/// Associates a handle (or socket) with the completion port of one
/// [`Poll`], so that its overlapped operations complete there.
///
/// An IO type of its own that drives a handle through a `Poll` holds a
/// `Binding` and calls it from its [`Evented`](crate::event::Evented)
/// methods: [`register_handle`](Binding::register_handle) from `register`,
/// [`reregister_handle`](Binding::reregister_handle) and
/// [`deregister_handle`](Binding::deregister_handle) from the other two
/// (they check that the `Poll` is the one the handle is associated with).
/// The binding does not track readiness: the type does that itself,
/// usually with a [`Registration`](crate::Registration) registered with
/// the same `Poll`, whose [`SetReadiness`](crate::SetReadiness) the
/// [`Overlapped`] callbacks update.
///
/// A handle stays associated with its port until it is closed (Windows
/// offers no way back), so a `Binding` stays bound to the first `Poll`; it
/// keeps that `Poll`'s port open while it lives, so that completions still
/// arriving after the `Poll` is dropped have somewhere to go.
pub struct Binding {
    selector: OnceLock<Arc<Shared>>,
}

impl Binding {
    /// Creates a binding that is not associated with any `Poll` yet.
    pub fn new() -> Binding {
        Binding {
            selector: OnceLock::new(),
        }
    }

    /// Associates `handle` with the completion port of `poll`, with
    /// `token` as its completion key: every completion of its overlapped
    /// operations is then dequeued by `poll`, which calls the callback of
    /// the operation's [`Overlapped`].
    ///
    /// # Errors
    ///
    /// - [`InvalidInput`](io::ErrorKind::InvalidInput) for
    ///   `Token(usize::MAX)`, which evio keeps for its own completions;
    /// - [`Other`](io::ErrorKind::Other) if this binding is bound to another
    ///   `Poll`;
    /// - the system's error if the handle cannot be associated (it is
    ///   invalid, not opened for overlapped IO, or associated with a port
    ///   already).
    ///
    /// # Safety
    ///
    /// The `Poll` takes the `lpOverlapped` of every completion of this
    /// handle for the address of an [`Overlapped`] and calls the function
    /// stored there: every overlapped operation on the handle must be
    /// started with [`Overlapped::as_mut_ptr`] of an `Overlapped` that stays
    /// valid and in place until its callback has been called, and none with
    /// any other `OVERLAPPED`.
    pub unsafe fn register_handle(
        &self,
        handle: &dyn AsRawHandle,
        token: Token,
        poll: &Poll,
    ) -> io::Result<()> {
        let inner = self.bind(token, poll)?;
        inner
            .port()
            .associate(handle.as_raw_handle() as HANDLE, token.0)
    }

    /// Same as [`register_handle`](Binding::register_handle), for a socket.
    ///
    /// # Errors
    ///
    /// As for [`register_handle`](Binding::register_handle).
    ///
    /// # Safety
    ///
    /// As for [`register_handle`](Binding::register_handle).
    pub unsafe fn register_socket(
        &self,
        socket: &dyn AsRawSocket,
        token: Token,
        poll: &Poll,
    ) -> io::Result<()> {
        let inner = self.bind(token, poll)?;
        inner
            .port()
            .associate(socket.as_raw_socket() as HANDLE, token.0)
    }

    /// Checks that `poll` is the `Poll` the handle was registered with.
    ///
    /// The handle keeps the completion key it was registered with: the
    /// system cannot change it, and the key only tells its completions
    /// from evio's own, so `token` is not used.
    ///
    /// # Errors
    ///
    /// [`Other`](io::ErrorKind::Other) if this binding is not bound to
    /// `poll` (bound to another one, or to none), as in the classic API.
    ///
    /// # Safety
    ///
    /// Kept `unsafe`, as in the classic API, for its place beside
    /// [`register_handle`](Binding::register_handle).
    pub unsafe fn reregister_handle(
        &self,
        _handle: &dyn AsRawHandle,
        _token: Token,
        poll: &Poll,
    ) -> io::Result<()> {
        self.check(poll)
    }

    /// Same as [`reregister_handle`](Binding::reregister_handle), for a
    /// socket.
    ///
    /// # Errors
    ///
    /// As for [`reregister_handle`](Binding::reregister_handle).
    ///
    /// # Safety
    ///
    /// As for [`reregister_handle`](Binding::reregister_handle).
    pub unsafe fn reregister_socket(
        &self,
        _socket: &dyn AsRawSocket,
        _token: Token,
        poll: &Poll,
    ) -> io::Result<()> {
        self.check(poll)
    }

    /// Checks that `poll` is the `Poll` the handle was registered with.
    ///
    /// The handle stays associated with the port (the system offers no way
    /// back); the completions of operations still running are dequeued and
    /// their callbacks called as before. The caller stops readiness
    /// reports itself (typically by deregistering its `Registration`).
    ///
    /// # Errors
    ///
    /// [`Other`](io::ErrorKind::Other) if this binding is not bound to
    /// `poll`, as in the classic API.
    ///
    /// # Safety
    ///
    /// Kept `unsafe`, as in the classic API, for its place beside
    /// [`register_handle`](Binding::register_handle).
    pub unsafe fn deregister_handle(
        &self,
        _handle: &dyn AsRawHandle,
        poll: &Poll,
    ) -> io::Result<()> {
        self.check(poll)
    }

    /// Same as [`deregister_handle`](Binding::deregister_handle), for a
    /// socket.
    ///
    /// # Errors
    ///
    /// As for [`deregister_handle`](Binding::deregister_handle).
    ///
    /// # Safety
    ///
    /// As for [`deregister_handle`](Binding::deregister_handle).
    pub unsafe fn deregister_socket(
        &self,
        _socket: &dyn AsRawSocket,
        poll: &Poll,
    ) -> io::Result<()> {
        self.check(poll)
    }

    /// Binds to `poll`'s port (the first time), or checks that it is the
    /// port bound already.
    fn bind(&self, token: Token, poll: &Poll) -> io::Result<&Arc<Shared>> {
        if token == Token::RESERVED {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Token(usize::MAX) is reserved and cannot be registered",
            ));
        }
        let theirs: &Arc<Shared> = poll.selector().as_ref();
        let inner = self.selector.get_or_init(|| theirs.clone());
        if Arc::ptr_eq(inner, theirs) {
            Ok(inner)
        } else {
            Err(crate::poll::other_poll())
        }
    }

    fn check(&self, poll: &Poll) -> io::Result<()> {
        match self.selector.get() {
            Some(inner) if Arc::ptr_eq(inner, poll.selector().as_ref()) => Ok(()),
            Some(_) => Err(crate::poll::other_poll()),
            None => Err(io::Error::other("the handle is not registered with a Poll")),
        }
    }
}

impl Default for Binding {
    fn default() -> Binding {
        Binding::new()
    }
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("bound", &self.selector.get().is_some())
            .finish()
    }
}
