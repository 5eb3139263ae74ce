//! evio under the classic name `mio`, version 0.6.
//!
//! This package is evio itself, re-exported under the name and version
//! (`mio` 0.6.24) that a dependency tree written for the classic readiness
//! API asks for. Patching it in puts evio under every crate of the tree that
//! depends on `mio = "0.6"` (tokio 0.1, hyper 0.12, mio-extras, ...), so that
//! they all share one [`Poll`], one [`Evented`](event::Evented) trait and
//! one set of socket types, with evio's own code:
//!
//! ```toml
//! [patch.crates-io]
//! mio = { git = "https://example.invalid/evio.git" }   # the repository holding evio
//! # or, from a checkout:
//! # mio = { path = "../evio/compat/mio06" }
//! ```
//!
//! Cargo finds the package named `mio` inside the repository by itself; the
//! patch applies because 0.6.24 satisfies every `0.6.N` requirement.
//!
//! Every item is evio's: `mio::Poll` *is* `evio::Poll`, so a crate that
//! depends on evio directly and a crate written for the classic API can
//! register their handles on the same `Poll`:
//!
//! ```
//! use std::time::Duration;
//!
//! // A Poll made through the classic name is an evio Poll.
//! let poll: evio::Poll = mio::Poll::new()?;
//! let mut events = mio::Events::with_capacity(16);
//!
//! // A user-space readiness source made with evio, registered through the
//! // classic trait path.
//! let (registration, set_readiness) = evio::Registration::new2();
//! mio::event::Evented::register(
//!     &registration,
//!     &poll,
//!     mio::Token(7),
//!     mio::Ready::readable(),
//!     mio::PollOpt::edge(),
//! )?;
//! set_readiness.set_readiness(evio::Ready::readable())?;
//!
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let event = events.iter().next().expect("an event");
//! assert_eq!(event.token(), mio::Token(7));
//! assert!(event.readiness().is_readable());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Features
//!
//! - `with-deprecated` (on by default, as in the classic crate): the
//!   [`channel`] module, [`IoVec`], [`would_block`], and the older paths
//!   `tcp`, `udp` and the root `Event`, `Evented` and `EventsIter`, all
//!   evio's.
//!
//! The classic crate's deprecated `timer` module and its `EventLoop`
//! (`deprecated` module) are not provided: a timer that is registered on a
//! `Poll` comes from mio-extras (`mio_extras::timer`), which runs on evio
//! once the tree is patched.

#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

pub use evio::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};

pub use evio::event;
pub use evio::net;

/// Unix extensions: [`EventedFd`](unix::EventedFd) and
/// [`UnixReady`](unix::UnixReady) as in the classic API, and evio's Unix
/// domain sockets and pipes.
#[cfg(unix)]
pub use evio::unix;

/// Windows extensions: [`Binding`](windows::Binding) and
/// [`Overlapped`](windows::Overlapped) as in the classic API, for IO types
/// that drive their own handles through the `Poll`'s completion port
/// (mio-named-pipes is one).
#[cfg(windows)]
pub use evio::windows;

/// A cross-thread wake-up of a `Poll` (an evio addition to the classic API).
pub use evio::Waker;

// The older paths, under the feature that carries them in the classic crate.
// Hidden from the docs, as there.
#[cfg(feature = "with-deprecated")]
#[doc(hidden)]
pub use evio::{tcp, udp, Event, Evented, EventsIter};

/// The classic `mio::channel` module: an mpsc channel whose `Receiver` is
/// `Evented` (evio's [`evio::channel`]).
#[cfg(feature = "with-deprecated")]
pub use evio::channel;

/// The buffer type of vectored IO (`read_bufs`, `write_bufs`, `recv_bufs`,
/// `send_bufs`): the `iovec` crate's `IoVec`, as in the classic crate.
#[cfg(feature = "with-deprecated")]
pub use evio::IoVec;

/// A `WouldBlock` error, the classic crate's helper.
#[cfg(feature = "with-deprecated")]
pub use evio::would_block;
