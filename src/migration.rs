//! Coming from the classic implementation (mio 0.6): how to switch, what
//! stays the same, and every intentional difference.
//!
//! This page has no items of its own; every example on it runs as a test.
//!
//! # Switching
//!
//! evio keeps the names, paths and signatures of mio 0.6.23, so a program
//! written for it builds with its `mio::` paths unchanged once the
//! dependency names evio:
//!
//! ```toml
//! [dependencies]
//! mio = { package = "evio", version = "0.1" }
//! ```
//!
//! evio has no cargo features: drop a `features = ["with-deprecated"]` or
//! `default-features = false` from that line (what mio 0.6 kept behind
//! `with-deprecated` is here, most of it hidden from the docs as it was
//! there, or listed [below](#what-evio-does-not-have)).
//!
//! When the crates a program depends on use mio 0.6 themselves (tokio 0.1,
//! hyper 0.12, mio-extras, mio-uds), the repository's `compat/mio06`
//! package, evio under the name `mio` and the version 0.6.24, puts evio
//! under all of them with one entry in the root `Cargo.toml` of the
//! program:
//!
//! ```toml
//! [patch.crates-io]
//! mio = { path = "../evio/compat/mio06" }   # or the repository's git address
//! ```
//!
//! Its items are evio's own, so handles of those crates and evio's sockets
//! share one `Poll`, and it keeps the classic `with-deprecated` feature
//! (`compat/mio06/README.md` says more).
//!
//! ```
//! // Code written for mio 0.6, unchanged but for this line.
//! use evio as mio;
//!
//! use mio::net::{TcpListener, TcpStream};
//! use mio::{Events, Poll, PollOpt, Ready, Token};
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
//! poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
//! let _client = TcpStream::connect(&listener.local_addr()?)?;
//!
//! let mut events = Events::with_capacity(16);
//! let mut accepted = false;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     for event in events.iter() {
//!         // (On Unix, `mio::unix::UnixReady::from(event.readiness())`
//!         // reads error and hang-up too.)
//!         let ready = event.readiness();
//!         assert!(!ready.is_error() && !ready.is_hup());
//!         if event.token() == Token(0) && listener.accept().is_ok() {
//!             accepted = true;
//!         }
//!     }
//!     if accepted {
//!         break;
//!     }
//! }
//! assert!(accepted);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What stays the same
//!
//! The contract is mio 0.6.23's behaviour on each platform. Two tests of
//! the repository hold evio to it: `compat/tests/compat_api.rs` compiles
//! every classic signature against evio and against mio 0.6.23 itself, and
//! `compat/tests/compat_diff.rs` runs the same scenarios against both on
//! Linux and compares what each one observably does (the events of every
//! poll, return values, error kinds). Among what they compare:
//!
//! - the trigger modes: edge, level, oneshot, and level when a
//!   registration names neither edge nor level ([`PollOpt::empty`], or
//!   [`PollOpt::oneshot`] alone); level wins over edge;
//! - hang-up is the connection closed both ways or reset, and a peer's half
//!   close is readable only (see [the guide](crate::guide#hang-up-and-error));
//! - error kinds: `AlreadyExists` for a socket registered twice,
//!   `NotFound` for one that is not registered; and for a
//!   [`Registration`](crate::Registration), none: a register of one
//!   registered already is a reregister, a reregister of one not
//!   registered registers it, and a deregister never fails (only another
//!   `Poll` is refused);
//! - a [`try_clone`](crate::net::TcpStream::try_clone) shares its
//!   original's `Poll` binding;
//! - a `poll` woken by a `set_readiness` whose `Registration` was dropped
//!   meanwhile returns with no event;
//! - TCP connect, refusal, reset, options, and UDP, including datagrams
//!   larger than the buffer;
//! - [`channel`](crate::channel), [`IoVec`](crate::IoVec) with
//!   `read_bufs`/`write_bufs`/`recv_bufs`/`send_bufs`, `would_block()`, and
//!   the older paths (`tcp`, `udp`, the root `Event`, `Evented`,
//!   `EventsIter`) with their deprecated calls.
//!
//! On Windows, `windows::{Binding, Overlapped}` are there too, as in the
//! classic API: through them, IO types of other crates (named pipes, say)
//! run their own overlapped operations on a `Poll`'s completion port.
//!
//! # Intentional differences
//!
//! Where evio differs from mio 0.6.23 on purpose,
//! `compat/tests/compat_diff.rs` lists the difference and checks that it
//! still holds; this is that list, with what mio 0.6 does instead.
//!
//! 1. **The reserved token.** Registering or reregistering with
//!    `Token(usize::MAX)` (which the `Poll` keeps for itself) is an
//!    [`InvalidInput`](std::io::ErrorKind::InvalidInput) error; mio 0.6
//!    gives `Other` ("invalid token").
//! 2. **A `Registration` reports all the readiness it is given** within
//!    its interest: error, hang-up and priority set with `set_readiness`
//!    reach the events. mio 0.6 drops them: priority does not fit in the
//!    four bits of readiness it keeps, and its conversion of a user-space
//!    event into an event record has no error or hang-up.
//! 3. **Vectored IO through std's traits is real.** `TcpStream`'s
//!    `read_vectored` and `write_vectored` (`std::io::Read`/`Write`) fill
//!    and send every buffer in one call; mio 0.6 has no implementation of
//!    its own there, so std's default uses the first buffer only.
//! 4. **`!` on a `Ready` is the complement within [`Ready::all`]**, so
//!    `(!Ready::readable()).as_usize()` has no bits beyond the kinds the
//!    platform has; mio 0.6 flips every bit of the word. What it says of
//!    each kind is the same.
//! 5. **`Debug` names what is set.** `Ready` and `UnixReady` name every
//!    kind they hold (priority included), and nothing else: mio 0.6 prints
//!    priority as `(empty)`, and on Linux its `UnixReady` prints `Aio` for
//!    any value. [`PollOpt::urgent`] is honoured (on Linux it asks for
//!    priority readiness, `EPOLLPRI`) and printed as `Urgent`; mio 0.6
//!    ignores it.
//!
//! ```
//! use evio::{Events, Poll, PollOpt, Ready, Registration, Token};
//! use std::io::ErrorKind;
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let (registration, set_readiness) = Registration::new2();
//!
//! // 1. The reserved token.
//! let err = poll.register(&registration, Token(usize::MAX), Ready::readable(), PollOpt::edge());
//! assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
//!
//! // 2. Hang-up set by hand reaches the event.
//! poll.register(&registration, Token(0), Ready::readable() | Ready::hup(), PollOpt::edge())?;
//! set_readiness.set_readiness(Ready::readable() | Ready::hup())?;
//! let mut events = Events::with_capacity(8);
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let event = events.iter().next().expect("an event");
//! assert_eq!(event.readiness(), Ready::readable() | Ready::hup());
//!
//! // 4. The complement stays within the platform's kinds.
//! assert_eq!(!Ready::readable() & !Ready::all(), Ready::empty());
//! assert_eq!((!Ready::readable()).as_usize() & !Ready::all().as_usize(), 0);
//!
//! // 5. Debug names what is set.
//! assert_eq!(format!("{:?}", PollOpt::urgent()), "Urgent");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Differences the differential test cannot see
//!
//! `compat/tests/compat_diff.rs` runs on Linux. Elsewhere, and where one
//! run of a scenario cannot show it, evio also differs in these ways:
//!
//! - **Several threads may poll at once.** mio 0.6 lets one thread at a
//!   time into [`Poll::poll`]; the others wait for it. evio lets every
//!   thread wait in the kernel together, each on its own `Events`, so with
//!   several pollers an edge-triggered event is returned to one of them
//!   (add oneshot to keep a handle with that thread until it reregisters
//!   it).
//! - **kqueue reports hang-up.** mio 0.6.23 never reports it there (it
//!   reads no `EV_EOF`); evio reports hang-up when the write direction is
//!   closed too, or the connection failed, as epoll's `EPOLLHUP` does on
//!   Linux. A half close is readable only in both.
//! - **Windows has no intermediate buffers.** mio 0.6 runs overlapped IO
//!   in the background and copies reads and writes through buffers of its
//!   own; evio asks the AFD driver for readiness and reads and writes the
//!   socket directly, so the readiness model is the same as on Unix. See
//!   [`PollOpt`] for how the trigger modes are built there, and
//!   [`Poll::register`] for the rest. A reset or failed connection reports
//!   hang-up; mio 0.6 on Windows reports no hang-up.
//!
//! # What evio adds
//!
//! [`Waker`](crate::Waker); the [`Event`](crate::event::Event) readers
//! `is_readable`, `is_writable`, `is_error`, `is_read_closed`,
//! `is_write_closed` and `is_priority`; Unix domain sockets and pipes
//! (`unix::{UnixStream, UnixListener, UnixDatagram, pipe}`), which mio 0.6
//! left to the `mio-uds` crate; and sub-millisecond timeouts on Linux
//! kernels with `epoll_pwait2`.
//!
//! # What evio does not have
//!
//! - `mio::timer` and `mio::deprecated` (`EventLoop`, `Handler` and their
//!   helpers), deprecated since mio 0.6.5: timers and event loops belong to
//!   the layers built on top (mio-extras' `timer::Timer` runs on evio
//!   through `compat/mio06`);
//! - the `fuchsia` module: Fuchsia is not a supported system.
//!
//! [`Poll::poll`]: crate::Poll::poll
//! [`Poll::register`]: crate::Poll::register
//! [`PollOpt`]: crate::PollOpt
//! [`PollOpt::empty`]: crate::PollOpt::empty
//! [`PollOpt::oneshot`]: crate::PollOpt::oneshot
//! [`PollOpt::urgent`]: crate::PollOpt::urgent
//! [`Ready::all`]: crate::Ready::all
