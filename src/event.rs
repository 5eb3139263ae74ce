//! Readiness events: [`Event`], the [`Events`] buffer, and the [`Evented`] trait.

use std::{fmt, io, sync::Arc};

use crate::{sys, Poll, PollOpt, Ready, Token};

const READ_CLOSED: u8 = 0b01;
const WRITE_CLOSED: u8 = 0b10;

/// One readiness event: which handle (its [`Token`]) became ready, and how.
///
/// Events are produced by [`Poll::poll`] into [`Events`]; they can also be
/// built by hand with [`Event::new`], for tests and for user-space readiness.
///
/// Two events are equal when their readiness and token are equal.
///
/// # Examples
///
/// ```
/// use evio::{event::Event, Ready, Token};
///
/// let event = Event::new(Ready::readable(), Token(0));
/// assert_eq!(event.readiness(), Ready::readable());
/// assert_eq!(event.token(), Token(0));
/// assert!(event.is_readable() && !event.is_writable());
/// ```
#[derive(Copy, Clone)]
pub struct Event {
    kind: Ready,
    token: Token,
    // Closing conditions that the OS reports more precisely than `hup`.
    closed: u8,
}

impl Event {
    /// Builds an event from its readiness and token.
    #[inline]
    pub fn new(readiness: Ready, token: Token) -> Event {
        let closed = if readiness.is_hup() {
            READ_CLOSED | WRITE_CLOSED
        } else {
            0
        };
        Event {
            kind: readiness,
            token,
            closed,
        }
    }

    /// Builds an event whose read and write closing conditions are known apart.
    #[inline]
    pub(crate) fn with_closed(
        readiness: Ready,
        token: Token,
        read_closed: bool,
        write_closed: bool,
    ) -> Event {
        Event {
            kind: readiness,
            token,
            closed: (read_closed as u8) | ((write_closed as u8) << 1),
        }
    }

    /// The readiness of the handle.
    #[inline]
    pub fn readiness(&self) -> Ready {
        self.kind
    }

    /// The readiness of the handle (old name of [`Event::readiness`]).
    #[deprecated(since = "0.1.0", note = "use Event::readiness instead")]
    #[inline]
    pub fn kind(&self) -> Ready {
        self.kind
    }

    /// The token the handle was registered with.
    #[inline]
    pub fn token(&self) -> Token {
        self.token
    }

    /// Returns true if the event holds readable readiness.
    #[inline]
    pub fn is_readable(&self) -> bool {
        self.kind.is_readable()
    }

    /// Returns true if the event holds writable readiness.
    #[inline]
    pub fn is_writable(&self) -> bool {
        self.kind.is_writable()
    }

    /// Returns true if the handle reported an error condition; `take_error`
    /// on the socket returns it.
    #[inline]
    pub fn is_error(&self) -> bool {
        self.kind.is_error()
    }

    /// Returns true if the read half is closed: the peer shut down its
    /// writing side or closed the connection. Reads return what is still
    /// buffered, then 0.
    #[inline]
    pub fn is_read_closed(&self) -> bool {
        self.closed & READ_CLOSED != 0
    }

    /// Returns true if the write half is closed: writing would fail, because
    /// the connection was shut down for writing, reset, or failed.
    #[inline]
    pub fn is_write_closed(&self) -> bool {
        self.closed & WRITE_CLOSED != 0
    }

    /// Returns true if priority (out-of-band) data is available. Only Linux
    /// and Android report it.
    #[inline]
    pub fn is_priority(&self) -> bool {
        self.kind.as_usize() & crate::ready::PRIORITY != 0
    }
}

impl PartialEq for Event {
    #[inline]
    fn eq(&self, other: &Event) -> bool {
        self.kind == other.kind && self.token == other.token
    }
}

impl Eq for Event {}

/// `Event { kind: Readable, token: Token(0) }`, as in the classic API.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("kind", &self.kind)
            .field("token", &self.token)
            .finish()
    }
}

/// A buffer of readiness events, filled by [`Poll::poll`].
///
/// `Events` holds the operating system's own event records and turns each
/// into an [`Event`] only when it is read, so a poll costs no copy pass.
/// Its capacity is fixed at creation: when more handles are ready than it
/// holds, the rest are delivered by later polls, and none is lost.
///
/// # Examples
///
/// ```
/// use evio::{Events, Poll};
/// use std::time::Duration;
///
/// let poll = Poll::new()?;
/// let mut events = Events::with_capacity(1024);
/// assert_eq!(events.capacity(), 1024);
///
/// poll.poll(&mut events, Some(Duration::from_millis(1)))?;
/// for event in &events {
///     println!("{:?}", event);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Events {
    pub(crate) inner: sys::Events,
}

impl Events {
    /// Creates a buffer that holds up to `capacity` events per poll.
    ///
    /// This is the only allocation `Events` makes. A capacity of 0 is
    /// allowed here, but polling into such a buffer is an
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) error.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: sys::Events::with_capacity(capacity),
        }
    }

    /// The number of events the buffer holds at most.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// The number of events from the last poll.
    #[inline]
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Returns true if the last poll returned no event.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }

    /// The event at index `idx`, if there is one.
    #[inline]
    pub fn get(&self, idx: usize) -> Option<Event> {
        self.inner.get(idx).map(sys::event::to_event)
    }

    /// An iterator over the events of the last poll.
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        let records = self.inner.records();
        Iter {
            next: records.as_ptr(),
            left: records.len(),
            _records: std::marker::PhantomData,
        }
    }

    /// Removes every event.
    #[inline]
    pub fn clear(&mut self) {
        self.inner.clear();
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over the events in an [`Events`] buffer.
#[derive(Clone)]
pub struct Iter<'a> {
    next: *const sys::SysEvent,
    left: usize,
    _records: std::marker::PhantomData<&'a [sys::SysEvent]>,
}

// SAFETY: an `Iter` only reads the records it borrows, like `&[Record]`.
unsafe impl Send for Iter<'_> {}
// SAFETY: as above.
unsafe impl Sync for Iter<'_> {}

impl Iterator for Iter<'_> {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        if self.left == 0 {
            return None;
        }
        // SAFETY: `next` points to `left` (> 0) records of the borrowed slice.
        let rec = unsafe { &*self.next };
        // SAFETY: at most one past the end of the slice.
        self.next = unsafe { self.next.add(1) };
        self.left -= 1;
        Some(sys::event::to_event(rec))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Events {
    type Item = Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Owning iterator over the events in an [`Events`] buffer.
#[derive(Debug)]
pub struct IntoIter {
    inner: Events,
    pos: usize,
}

impl Iterator for IntoIter {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        let ret = self.inner.get(self.pos);
        self.pos += 1;
        ret
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.inner.len().saturating_sub(self.pos);
        (n, Some(n))
    }
}

impl ExactSizeIterator for IntoIter {}

impl IntoIterator for Events {
    type Item = Event;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter {
            inner: self,
            pos: 0,
        }
    }
}

/// A value that can be registered with [`Poll`] to be monitored for readiness.
///
/// evio's sockets, [`Registration`](crate::Registration) and, on Unix,
/// [`EventedFd`](crate::unix::EventedFd) implement it. A type that wraps one
/// of them implements it by forwarding to the inner value.
///
/// The methods are called by [`Poll::register`], [`Poll::reregister`] and
/// [`Poll::deregister`], which check their arguments first; call those
/// rather than these.
///
/// # Examples
///
/// ```
/// use evio::{event::Evented, Poll, PollOpt, Ready, Token};
/// use evio::net::TcpListener;
/// use std::io;
///
/// struct MyListener {
///     socket: TcpListener,
/// }
///
/// impl Evented for MyListener {
///     fn register(&self, poll: &Poll, token: Token, interest: Ready, opts: PollOpt) -> io::Result<()> {
///         self.socket.register(poll, token, interest, opts)
///     }
///     fn reregister(&self, poll: &Poll, token: Token, interest: Ready, opts: PollOpt) -> io::Result<()> {
///         self.socket.reregister(poll, token, interest, opts)
///     }
///     fn deregister(&self, poll: &Poll) -> io::Result<()> {
///         self.socket.deregister(poll)
///     }
/// }
///
/// let poll = Poll::new()?;
/// let listener = MyListener { socket: TcpListener::bind(&"127.0.0.1:0".parse().unwrap())? };
/// poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
/// # Ok::<(), io::Error>(())
/// ```
pub trait Evented {
    /// Registers `self` with `poll`.
    fn register(&self, poll: &Poll, token: Token, interest: Ready, opts: PollOpt)
        -> io::Result<()>;

    /// Changes the token, interest or options of an existing registration.
    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()>;

    /// Removes `self` from `poll`.
    fn deregister(&self, poll: &Poll) -> io::Result<()>;
}

impl<E: Evented + ?Sized> Evented for Box<E> {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.as_ref().register(poll, token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.as_ref().reregister(poll, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.as_ref().deregister(poll)
    }
}

impl<E: Evented + ?Sized> Evented for Arc<E> {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.as_ref().register(poll, token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.as_ref().reregister(poll, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.as_ref().deregister(poll)
    }
}
