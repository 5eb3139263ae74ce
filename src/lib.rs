//! evio: fast, low-level, non-blocking IO.
//!
//! evio is a readiness-based event queue — [`Poll`], [`Events`], [`Token`],
//! [`Ready`], [`PollOpt`] and the [`Evented`] trait — backed
//! by epoll (Linux, Android), kqueue (macOS, iOS, FreeBSD, NetBSD, OpenBSD,
//! DragonFly) and IO completion ports (Windows), with non-blocking TCP and UDP sockets,
//! user-space readiness ([`Registration`], [`SetReadiness`]), a cross-thread
//! [`Waker`], and Unix extensions ([`unix`]). It allocates nothing at run time
//! once the [`Events`] buffer exists. File operations, thread pools and
//! timers are left to higher layers.
//!
//! Using evio starts by creating a [`Poll`], which reads events from the
//! operating system and puts them into [`Events`].
//!
//! - [The guide](guide) says what an event promises and what a program
//!   must do with it: draining until `WouldBlock`, the trigger modes,
//!   spurious events, hang-up and error on each platform, dropped and
//!   cloned handles, `Registration` or `Waker`.
//! - The notes for each platform are with [`Poll::register`] and
//!   [`PollOpt`].
//! - [The migration page](migration) is for code coming from the classic
//!   implementation (mio 0.6), with the list of intentional differences.
//!
//! # Example
//!
//! ```
//! use evio::*;
//! use evio::net::{TcpListener, TcpStream};
//!
//! // Tokens tell which socket an event is for.
//! const SERVER: Token = Token(0);
//! const CLIENT: Token = Token(1);
//!
//! let addr = "127.0.0.1:0".parse().unwrap();
//!
//! // The server socket.
//! let server = TcpListener::bind(&addr).unwrap();
//! let addr = server.local_addr().unwrap();
//!
//! // The poll instance.
//! let poll = Poll::new().unwrap();
//!
//! // Listen for incoming connections.
//! poll.register(&server, SERVER, Ready::readable(), PollOpt::edge()).unwrap();
//!
//! // The client socket.
//! let sock = TcpStream::connect(&addr).unwrap();
//! poll.register(&sock, CLIENT, Ready::readable(), PollOpt::edge()).unwrap();
//!
//! // Storage for events.
//! let mut events = Events::with_capacity(1024);
//!
//! loop {
//!     poll.poll(&mut events, None).unwrap();
//!
//!     for event in events.iter() {
//!         match event.token() {
//!             SERVER => {
//!                 // Accept and drop the socket at once: this closes it
//!                 // and tells the client of the end of the stream.
//!                 let _ = server.accept();
//!             }
//!             CLIENT => {
//!                 // The server closed the socket: leave the event loop.
//!                 return;
//!             }
//!             _ => unreachable!(),
//!         }
//!     }
//! }
//! ```
//!
//! # Using evio in place of the classic API
//!
//! evio keeps the classic readiness API's names and signatures, so code
//! written for it compiles with only the crate name changed:
//!
//! ```toml
//! [dependencies]
//! mio = { package = "evio", version = "0.1" }
//! ```
//!
//! [The migration page](migration) says what else to know.

#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

pub mod channel;
pub mod event;
pub mod guide;
mod io_source;
pub mod migration;
pub mod net;
mod poll;
mod poll_opt;
mod ready;
mod registration;
mod stats;
mod sys;
mod token;
#[cfg(unix)]
pub mod unix;
mod waker;
#[cfg(windows)]
pub mod windows;

pub use crate::event::Events;
pub use crate::poll::{Engine, Poll};
pub use crate::poll_opt::PollOpt;
pub use crate::ready::Ready;
pub use crate::registration::{Registration, SetReadiness};
#[cfg(feature = "stats")]
pub use crate::stats::PollStats;
pub use crate::token::Token;
pub use crate::waker::Waker;

/// A buffer of the classic API's vectored IO (`read_bufs`, `write_bufs`,
/// `recv_bufs`, `send_bufs`): the `iovec` crate's type, re-exported, so
/// code that passes `iovec::IoVec`s to the classic API passes them here.
///
/// ```
/// use evio::IoVec;
///
/// let mut head = [0u8; 4];
/// let buf: &mut IoVec = (&mut head[..]).into();
/// assert_eq!(buf.len(), 4);
/// ```
pub use iovec::IoVec;

// Older paths of the classic API, kept so that code still using them
// compiles with only the crate name changed. Hidden from the docs: new code
// uses the paths above.
#[doc(hidden)]
pub use crate::event::{Event, Evented, Iter as EventsIter};

/// The error of an operation that would block, `WouldBlock`: the classic
/// API's helper, kept for code that still calls it.
#[doc(hidden)]
pub fn would_block() -> std::io::Error {
    std::io::ErrorKind::WouldBlock.into()
}

/// TCP types under their older path (use [`net`]).
#[doc(hidden)]
pub mod tcp {
    pub use crate::net::{TcpListener, TcpStream};
    pub use std::net::Shutdown;
}

#[doc(hidden)]
#[path = "udp_classic.rs"]
pub mod udp;

// The simulator's driver, under `--cfg evio_sim` only (see `sys/mod.rs`).
#[cfg(evio_sim)]
pub use crate::sys::sim::api as sim;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
