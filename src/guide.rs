//! A guide to evio's semantics: what an event promises, what a program must
//! do with it, and where the platforms differ.
//!
//! This page has no items of its own; every example on it runs as a test.
//! The notes for each platform are with [`Poll::register`] (how the
//! operating system backs a registration) and [`PollOpt`] (how each
//! trigger mode is built); code coming from the classic implementation
//! (mio 0.6) should also read the [migration page](crate::migration).
//!
//! - [Draining until `WouldBlock`](#draining-until-wouldblock)
//! - [Edge, level and oneshot](#edge-level-and-oneshot)
//! - [Spurious events](#spurious-events)
//! - [Hang-up and error](#hang-up-and-error)
//! - [Dropping a handle, and `try_clone`](#dropping-a-handle-and-try_clone)
//! - [`set_readiness` and `wake` coalesce](#set_readiness-and-wake-coalesce)
//! - [Choosing between `Registration` and `Waker`](#choosing-between-registration-and-waker)
//!
//! # Draining until `WouldBlock`
//!
//! An event says that a handle *became* ready; it does not say how much it
//! can do. With an edge-triggered registration ([`PollOpt::edge`]) the next
//! event for the same readiness comes only after the readiness went away
//! and came back, and the only way to make it go away is to use it up:
//! read until a read returns [`WouldBlock`](std::io::ErrorKind::WouldBlock)
//! (or accept until `accept` does, write until `write` does). A handler
//! that reads once and goes back to `poll` may wait forever for data that
//! is already there.
//!
//! ```
//! use evio::net::{TcpListener, TcpStream};
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::io::{self, Read, Write};
//! use std::time::Duration;
//!
//! let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
//! let mut client = TcpStream::connect(&listener.local_addr()?)?;
//! let poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//!
//! // Accept the connection (the listener is drained the same way).
//! poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
//! let mut accepted = None;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     match listener.accept() {
//!         Ok((stream, _)) => {
//!             accepted = Some(stream);
//!             break;
//!         }
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
//!         Err(e) => return Err(e),
//!     }
//! }
//! let mut server = accepted.expect("a connection within 5 s");
//! poll.register(&server, Token(1), Ready::readable(), PollOpt::edge())?;
//!
//! client.write_all(&[7; 1000])?;
//! let mut event_seen = false;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     if events.iter().any(|e| e.token() == Token(1)) {
//!         event_seen = true;
//!         break;
//!     }
//! }
//! assert!(event_seen);
//!
//! // Reading only part of it leaves the socket readable, but edge-triggered
//! // registrations report changes, not states: no new event.
//! let mut buf = [0; 100];
//! server.read_exact(&mut buf)?;
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.iter().all(|e| e.token() != Token(1)));
//!
//! // So a handler drains: it reads until the socket would block.
//! let mut total = 100;
//! loop {
//!     match server.read(&mut buf) {
//!         Ok(0) => break, // the peer closed: end of stream
//!         Ok(n) => total += n,
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!         Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
//!         Err(e) => return Err(e),
//!     }
//! }
//! assert_eq!(total, 1000);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The same holds for writes: after a `write` returned `WouldBlock`, the
//! next writable event says there is room again. A program that stops
//! before `WouldBlock` for its own reasons (fairness between connections,
//! say) must remember to come back to that handle itself, without waiting
//! for an event. With a level-triggered registration, stopping early is
//! harmless: the next poll reports the handle again.
//!
//! # Edge, level and oneshot
//!
//! The [`PollOpt`] given to `register` or `reregister` chooses how often a
//! ready handle is reported:
//!
//! - **level** ([`PollOpt::level`]), also what a registration gets when it
//!   names neither edge nor level ([`PollOpt::empty`], or
//!   [`PollOpt::oneshot`] alone), as in the classic API: an event at every
//!   poll while the handle is ready within the interest. Level wins when
//!   both are given;
//! - **edge** ([`PollOpt::edge`]): an event when the handle becomes ready,
//!   then none until it has been drained (see above);
//! - **oneshot** ([`PollOpt::oneshot`]), with either: one event, then the
//!   registration reports nothing until [`Poll::reregister`] arms it again.
//!   The registration stays in place meanwhile, so re-arming is cheap.
//!
//! ```
//! use evio::net::UdpSocket;
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let socket = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap())?;
//!
//! // A UDP socket is writable at once, and stays so. No option: level, an
//! // event at every poll.
//! poll.register(&socket, Token(0), Ready::writable(), PollOpt::empty())?;
//! for _ in 0..3 {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(0)));
//! }
//!
//! // Edge: one event, then none while nothing changes.
//! poll.reregister(&socket, Token(1), Ready::writable(), PollOpt::edge())?;
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(1)));
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.is_empty());
//!
//! // Oneshot: one event, then nothing until reregister.
//! poll.reregister(&socket, Token(2), Ready::writable(), PollOpt::level() | PollOpt::oneshot())?;
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(2)));
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.is_empty());
//! poll.reregister(&socket, Token(3), Ready::writable(), PollOpt::level() | PollOpt::oneshot())?;
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(3)));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Edge with oneshot is the usual choice when several threads poll one
//! [`Poll`]: each event goes to one thread, and the handle is quiet until
//! that thread reregisters it.
//!
//! # Spurious events
//!
//! An event is a hint, not a promise: the operation it points to may still
//! return `WouldBlock`. Another thread may have read the data first, a
//! datagram may have been dropped for a bad checksum after it was
//! announced, a connection may have been reset between the event and the
//! `accept`, and a `poll` may return with no event at all before its
//! timeout (see [`Poll::poll`]). Programs treat `WouldBlock` after an event
//! as "nothing to do now", never as an error, and never assume that an
//! event means an operation will succeed.
//!
//! ```
//! use evio::net::TcpListener;
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::io;
//!
//! /// Accepts what is there; a readable event with nothing to accept is
//! /// not an error.
//! fn accept_all(listener: &TcpListener) -> io::Result<usize> {
//!     let mut accepted = 0;
//!     loop {
//!         match listener.accept() {
//!             Ok((_stream, _peer)) => accepted += 1,
//!             Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(accepted),
//!             // Gone before it was taken: go on with the others.
//!             Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//!
//! let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
//! // As if an event had come: nothing is waiting, and that is fine.
//! assert_eq!(accept_all(&listener)?, 0);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The readiness kinds are hints in the same way. Readable and writable
//! are reported on every platform; error and hang-up (next section) are
//! reported where the system tells them, so a program that looks at them
//! does so to act sooner, and still handles an error or the end of the
//! stream when it reads or writes.
//!
//! # Hang-up and error
//!
//! How a connection ends shows in the readiness of its events. The
//! portable signs are those of the operations: a read that returns 0 is the
//! end of the stream, a read or write that fails tells why. On top of
//! them:
//!
//! - [`Ready::error`] (on Unix also [`UnixReady::error`]) says that the
//!   socket has a pending error: a refused connect, a reset connection.
//!   [`take_error`](crate::net::TcpStream::take_error), or the next read or
//!   write, returns it;
//! - [`Ready::hup`] ([`UnixReady::hup`]) says that the connection is closed
//!   in both directions or was reset: nothing more will come and nothing
//!   more can go;
//! - [`Event::is_read_closed`] says that the peer will send nothing more
//!   (it closed or half closed the connection with `shutdown(Write)`):
//!   reads return what is buffered, then 0. [`Event::is_write_closed`]
//!   says that writing would fail.
//!
//! A peer's half close is *not* a hang-up: the stream becomes readable (and
//! its read end closed), and the connection can still carry data the other
//! way. This is the classic API's meaning, on which programs written for
//! it close a connection at hang-up.
//!
//! | | Linux, Android (epoll) | macOS, iOS, the BSDs (kqueue) | Windows (AFD) |
//! |---|---|---|---|
//! | peer's half close or close | readable, read closed | readable, read closed | readable, read closed |
//! | hang-up | `EPOLLHUP`: both directions shut, or reset | `EV_EOF` on the write filter, or `EV_EOF` with an error | reset (`AFD_POLL_ABORT`) or failed connect |
//! | error | `EPOLLERR` | `EV_ERROR`, or `EV_EOF` with an error | failed connect (`AFD_POLL_CONNECT_FAIL`) |
//! | error and hang-up reported | whatever the interest, even empty | with readable, writable or hang-up interest | with readable, writable or hang-up interest |
//!
//! On epoll, error and hang-up are reported even for an empty interest; on
//! kqueue they come with a filter, so a registration with neither readable
//! nor writable interest reports nothing, and a hang-up-only interest uses
//! the read filter (its events are readable too); on Windows an empty
//! interest sends no poll request at all. `UnixReady` is the
//! classic way to read the Unix kinds; [`Event`]'s readers are the same on
//! every platform.
//!
//! ```
//! use evio::net::{TcpListener, TcpStream};
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::io::{self, Read, Write};
//! use std::net::Shutdown;
//! use std::time::Duration;
//!
//! let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
//! let client = TcpStream::connect(&listener.local_addr()?)?;
//! let poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
//! let mut accepted = None;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     if let Ok((stream, _)) = listener.accept() {
//!         accepted = Some(stream);
//!         break;
//!     }
//! }
//! let mut server = accepted.expect("a connection within 5 s");
//! poll.register(&server, Token(1), Ready::readable(), PollOpt::level())?;
//!
//! // The client sends a last line and half closes.
//! (&client).write_all(b"bye\n")?;
//! client.shutdown(Shutdown::Write)?;
//!
//! // The server reads up to the end of the stream. Every event says
//! // readable, none hang-up: the server may still answer. (Some systems
//! // flag the read end closed in the same event as the last data, others
//! // only once it is read: the read returning 0 is what counts.)
//! let mut text = Vec::new();
//! let mut ended = false;
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     for event in events.iter().filter(|e| e.token() == Token(1)) {
//!         assert!(event.is_readable());
//!         assert!(!event.readiness().is_hup());
//!     }
//!     let mut buf = [0; 64];
//!     match server.read(&mut buf) {
//!         Ok(0) => ended = true,
//!         Ok(n) => text.extend_from_slice(&buf[..n]),
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
//!         Err(e) => return Err(e),
//!     }
//!     if ended {
//!         break;
//!     }
//! }
//! assert!(ended, "the end of the stream within 5 s");
//! assert_eq!(text, b"bye\n");
//! server.write_all(b"goodbye\n")?;
//!
//! // The client reads the answer on its open half.
//! poll.register(&client, Token(2), Ready::readable(), PollOpt::level())?;
//! let mut answer = Vec::new();
//! for _ in 0..1000 {
//!     if answer.ends_with(b"\n") {
//!         break;
//!     }
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     let mut buf = [0; 64];
//!     match (&client).read(&mut buf) {
//!         Ok(n) => answer.extend_from_slice(&buf[..n]),
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
//!         Err(e) => return Err(e),
//!     }
//! }
//! assert_eq!(answer, b"goodbye\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Dropping a handle, and `try_clone`
//!
//! A registration lives as long as its handle, with one exception on Linux.
//!
//! - Dropping a [`Registration`] deregisters it: no event comes for it
//!   afterwards, and its [`SetReadiness`] handles do nothing. A readiness
//!   set just before the drop may still wake a blocked `poll`, which then
//!   returns with no event for it.
//! - Dropping a socket closes it, which removes it from the `Poll` on
//!   every platform as long as no other descriptor of the same socket is
//!   open. A poll that starts after the drop reports nothing for it.
//! - [`try_clone`](crate::net::TcpStream::try_clone) makes a second handle
//!   (a second descriptor) to the same socket. It is not registered, and it
//!   shares its original's `Poll` binding: if the original is bound to a
//!   `Poll`, the clone can be registered with that one only, under a token
//!   of its own.
//! - On Linux, epoll registers the socket rather than the descriptor: while
//!   a clone (or any duplicate of the descriptor, or a child process that
//!   inherited it) is open, dropping the registered original does *not*
//!   remove the registration, and events keep coming under the original's
//!   token, with no handle left to deregister it. Deregister before
//!   dropping a registered handle whose socket lives on. kqueue removes a
//!   descriptor's registrations when that descriptor is closed, and on
//!   Windows dropping a registered socket cancels its registration.
//!
//! ```
//! use evio::net::UdpSocket;
//! use evio::{Events, Poll, PollOpt, Ready, Registration, Token};
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let other = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//!
//! // A dropped Registration reports nothing.
//! let (registration, set_readiness) = Registration::new2();
//! poll.register(&registration, Token(0), Ready::readable(), PollOpt::edge())?;
//! drop(registration);
//! set_readiness.set_readiness(Ready::readable())?; // Ok, and does nothing
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.is_empty());
//!
//! // A clone shares the original's binding.
//! let socket = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap())?;
//! poll.register(&socket, Token(1), Ready::writable(), PollOpt::edge())?;
//! let clone = socket.try_clone()?;
//! assert!(other.register(&clone, Token(2), Ready::writable(), PollOpt::edge()).is_err());
//! poll.register(&clone, Token(2), Ready::writable(), PollOpt::edge())?;
//!
//! // Deregistered before it is dropped, the original reports nothing more,
//! // on every platform; the clone goes on.
//! poll.deregister(&socket)?;
//! drop(socket);
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
//! assert_eq!(tokens, [Token(2)]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # `set_readiness` and `wake` coalesce
//!
//! Both user-space sources report a state, not a count. Any number of
//! [`SetReadiness::set_readiness`] calls between two polls make at most one
//! event for an edge-triggered registration, with the readiness that holds
//! when the poll looks; any number of [`Waker::wake`] calls before a poll
//! make one event. A call after a poll has reported the source makes a new
//! event. Nothing is lost, but nothing can be counted: what the other
//! thread has to say belongs in a queue or a channel, which the handler
//! drains at every event.
//!
//! ```
//! use evio::{Events, Poll, PollOpt, Ready, Registration, Token, Waker};
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let waker = Waker::new(&poll, Token(0))?;
//! let (registration, set_readiness) = Registration::new2();
//! poll.register(&registration, Token(1), Ready::readable(), PollOpt::edge())?;
//! let mut events = Events::with_capacity(8);
//!
//! for _ in 0..10 {
//!     waker.wake()?;
//!     set_readiness.set_readiness(Ready::readable())?;
//! }
//! let mut tokens = Vec::new();
//! for _ in 0..50 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     tokens.extend(events.iter().map(|e| e.token()));
//!     if tokens.len() >= 2 {
//!         break;
//!     }
//! }
//! tokens.sort();
//! assert_eq!(tokens, [Token(0), Token(1)]); // one event each
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Choosing between `Registration` and `Waker`
//!
//! Both let another thread make a `poll` return. Choose by what the event
//! has to carry:
//!
//! - a [`Waker`] only wakes: its events are readable, with its token, and
//!   it has no interest, options or deregistration (drop it). It is the
//!   cheapest way to say "look at your queue" to an event loop: one system
//!   call per wake on Linux (an `eventfd` write), and nothing on the poll's
//!   side beyond one more event. Use it next to a channel of your choice;
//! - a [`Registration`] is a handle like a socket, whose readiness the
//!   program sets: readable, writable, error, hang-up, any mix, honouring
//!   the interest and the edge, level or oneshot option it is registered
//!   with, and it can be reregistered and deregistered. It suits a source
//!   of events that the rest of the program treats as a socket (the
//!   [`channel`](crate::channel) module's receiver is one, for code written
//!   for the classic API). The first `Registration` registered with a
//!   `Poll` sets up its user-space queue (one more descriptor); a
//!   `set_readiness` takes no lock and allocates nothing, and makes a
//!   system call only when the poll may be blocked and nothing is queued.
//!
//! ```
//! use evio::{Events, Poll, Token, Waker};
//! use std::sync::{mpsc, Arc};
//! use std::thread;
//! use std::time::Duration;
//!
//! const WAKE: Token = Token(0);
//! let poll = Poll::new()?;
//! let waker = Arc::new(Waker::new(&poll, WAKE)?);
//! let (tx, rx) = mpsc::channel();
//!
//! let worker = {
//!     let waker = waker.clone();
//!     thread::spawn(move || {
//!         for job in 0..5 {
//!             tx.send(job).unwrap();
//!             waker.wake().unwrap(); // wakes coalesce: the channel counts
//!         }
//!     })
//! };
//!
//! let mut events = Events::with_capacity(8);
//! let mut done = Vec::new();
//! for _ in 0..100 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     if events.iter().any(|e| e.token() == WAKE) {
//!         done.extend(rx.try_iter()); // drain at every wake-up
//!     }
//!     if done.len() == 5 {
//!         break;
//!     }
//! }
//! worker.join().unwrap();
//! assert_eq!(done, [0, 1, 2, 3, 4]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`Poll`]: crate::Poll
//! [`Poll::register`]: crate::Poll::register
//! [`Poll::reregister`]: crate::Poll::reregister
//! [`Poll::poll`]: crate::Poll::poll
//! [`PollOpt`]: crate::PollOpt
//! [`PollOpt::edge`]: crate::PollOpt::edge
//! [`PollOpt::level`]: crate::PollOpt::level
//! [`PollOpt::oneshot`]: crate::PollOpt::oneshot
//! [`PollOpt::empty`]: crate::PollOpt::empty
//! [`Ready::error`]: crate::Ready::error
//! [`Ready::hup`]: crate::Ready::hup
//! [`Event`]: crate::event::Event
//! [`Event::is_read_closed`]: crate::event::Event::is_read_closed
//! [`Event::is_write_closed`]: crate::event::Event::is_write_closed
//! [`Registration`]: crate::Registration
//! [`SetReadiness`]: crate::SetReadiness
//! [`SetReadiness::set_readiness`]: crate::SetReadiness::set_readiness
//! [`Waker`]: crate::Waker
//! [`Waker::wake`]: crate::Waker::wake
//! [`UnixReady::error`]: crate::unix::UnixReady::error
//! [`UnixReady::hup`]: crate::unix::UnixReady::hup
