//! Windows extensions: handles of other IO types driven through a
//! [`Poll`](crate::Poll)'s completion port.
//!
//! On Windows a `Poll` is an IO completion port. evio's own sockets are
//! watched through it with readiness polls; this module lets an IO type
//! of another crate (named pipes are the usual case) run its own
//! overlapped operations on the same port, and turn their completions into
//! readiness itself:
//!
//! - [`Binding`] associates the type's handle with the port of the `Poll`
//!   it is registered with, and checks on `reregister` and `deregister`
//!   that the `Poll` is the same. It does not track readiness: the type
//!   registers a [`Registration`](crate::Registration) with the same
//!   `Poll` for that.
//! - [`Overlapped`] is the `OVERLAPPED` every operation on such a handle
//!   is started with, together with a function pointer. When the
//!   operation completes, the `Poll` dequeues the completion during
//!   [`poll`](crate::Poll::poll) and calls that function with the
//!   completion's record; the function typically stores the result and
//!   updates the [`SetReadiness`](crate::SetReadiness) of the type's
//!   `Registration`, and the events this causes are reported by the same
//!   `poll`.
//!
//! The function pointer has no environment: it finds its data from the
//! record's `lpOverlapped`, which is the address of the `Overlapped`
//! (its first field is the `OVERLAPPED`), and so of the structure that
//! holds it at a known offset.
//!
//! Driving the completion port this way does not allocate: dequeuing a
//! completion and calling its function costs what the function itself does.
//!
//! # The record type
//!
//! The callback's argument is [`OVERLAPPED_ENTRY`], the record of the
//! `windows-sys` crate evio is built on, re-exported here with
//! [`OVERLAPPED`]. The classic API named the same records of `winapi` 0.2;
//! the layouts are identical (see [`Overlapped`] for what that means for
//! crates written for it).
//!
//! # Example
//!
//! A socket read with an overlapped `WSARecv` whose completion marks a
//! [`Registration`](crate::Registration) readable:
//!
//! ```
//! use std::cell::UnsafeCell;
//! use std::io::Write;
//! use std::net::{TcpListener, TcpStream};
//! use std::os::windows::io::AsRawSocket;
//! use std::ptr;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//!
//! use evio::windows::{Binding, Overlapped, OVERLAPPED_ENTRY};
//! use evio::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};
//! use windows_sys::Win32::Networking::WinSock::{WSAGetLastError, WSARecv, WSABUF, WSA_IO_PENDING};
//!
//! // What one read needs, kept in place until it completes: the
//! // `Overlapped` first, so that its address is the whole structure's.
//! #[repr(C)]
//! struct Read {
//!     overlapped: Overlapped,
//!     set: SetReadiness,
//!     got: AtomicU32,
//!     buf: UnsafeCell<[u8; 64]>,
//! }
//!
//! fn read_done(entry: &OVERLAPPED_ENTRY) {
//!     // SAFETY: `lpOverlapped` is the `Overlapped` at the start of a
//!     // `Read` that outlives the operation.
//!     let read = unsafe { &*(entry.lpOverlapped as *const Read) };
//!     read.got.store(entry.dwNumberOfBytesTransferred, Ordering::Release);
//!     read.set.set_readiness(Ready::readable()).unwrap();
//! }
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! let (server, _) = listener.accept()?;
//!
//! let poll = Poll::new()?;
//! let (registration, set) = Registration::new2();
//! poll.register(&registration, Token(1), Ready::readable(), PollOpt::edge())?;
//! let binding = Binding::new();
//! // SAFETY: every operation on `server` is started with an `Overlapped`.
//! unsafe { binding.register_socket(&server, Token(1), &poll)? };
//!
//! let read = Box::new(Read {
//!     overlapped: Overlapped::new(read_done),
//!     set,
//!     got: AtomicU32::new(0),
//!     buf: UnsafeCell::new([0; 64]),
//! });
//! let wsabuf = WSABUF { len: 64, buf: read.buf.get() as *mut u8 };
//! let mut flags = 0;
//! // SAFETY: the buffer and the `Overlapped` stay in place (boxed, and
//! // kept until the completion has been seen).
//! let r = unsafe {
//!     WSARecv(
//!         server.as_raw_socket() as _,
//!         &wsabuf,
//!         1,
//!         ptr::null_mut(),
//!         &mut flags,
//!         read.overlapped.as_mut_ptr(),
//!         None,
//!     )
//! };
//! // SAFETY: reads this thread's last socket error.
//! assert!(r == 0 || unsafe { WSAGetLastError() } == WSA_IO_PENDING);
//!
//! client.write_all(b"hello")?;
//! let mut events = Events::with_capacity(8);
//! let mut seen = false;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     if events.iter().any(|e| e.token() == Token(1) && e.readiness().is_readable()) {
//!         seen = true;
//!         break;
//!     }
//! }
//! assert!(seen);
//! let n = read.got.load(Ordering::Acquire) as usize;
//! // SAFETY: the read has completed: nothing writes the buffer any more.
//! let buf: &[u8; 64] = unsafe { &*read.buf.get() };
//! assert_eq!(&buf[..n], b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```

pub use crate::sys::overlapped::{Binding, Overlapped};
pub use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};
