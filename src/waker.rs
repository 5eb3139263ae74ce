//! [`Waker`]: wakes a blocked `poll` from another thread.

use std::io;

use crate::{sys, Poll, Token};

/// Wakes a thread blocked in [`Poll::poll`] from any other thread.
///
/// A `Waker` is registered with a `Poll` under a token when it is created;
/// a [`wake`](Waker::wake) makes the current poll, or the next one if none
/// is waiting, return a readable event with that token. On Linux it is one
/// `eventfd` write, on kqueue systems an `EVFILT_USER` trigger (a pipe write
/// on NetBSD and OpenBSD), on Windows a posted completion. Several wakers
/// may be registered with one `Poll`.
///
/// Wakes coalesce: any number of `wake` calls before a poll reports the
/// waker make one event, and a wake after that poll makes a new one. A wake
/// is never lost, but a count of wakes cannot be read from the events: keep
/// what the other thread has to say in a queue or a channel, and drain it
/// whenever the waker's event comes. See
/// [the guide](crate::guide#choosing-between-registration-and-waker).
///
/// # Examples
///
/// ```
/// use evio::{Events, Poll, Token, Waker};
/// use std::sync::Arc;
/// use std::thread;
///
/// const WAKE: Token = Token(10);
/// let poll = Poll::new()?;
/// let waker = Arc::new(Waker::new(&poll, WAKE)?);
///
/// let w = waker.clone();
/// let t = thread::spawn(move || w.wake().unwrap());
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, None)?;
/// assert!(events.iter().any(|e| e.token() == WAKE));
/// t.join().unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
}

impl Waker {
    /// Creates a waker registered with `poll` under `token`.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for `Token(usize::MAX)`;
    /// the operating system's error if the wake-up source cannot be created.
    pub fn new(poll: &Poll, token: Token) -> io::Result<Waker> {
        if token == Token::RESERVED {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Token(usize::MAX) is reserved and cannot be used by a Waker",
            ));
        }
        Ok(Waker {
            inner: sys::Waker::new(poll.selector(), token)?,
        })
    }

    /// Wakes the `Poll` this waker is registered with: the waker's event
    /// comes with the current poll, or the next one. Wakes made before that
    /// poll coalesce into one event.
    ///
    /// # Errors
    ///
    /// The operating system's error if the wake-up cannot be sent, which it
    /// does not do in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::{Events, Poll, Token, Waker};
    /// use std::time::Duration;
    ///
    /// let poll = Poll::new()?;
    /// let waker = Waker::new(&poll, Token(7))?;
    /// let mut events = Events::with_capacity(8);
    ///
    /// // Two wakes before a poll: one event.
    /// waker.wake()?;
    /// waker.wake()?;
    /// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    /// assert_eq!(events.iter().filter(|e| e.token() == Token(7)).count(), 1);
    /// poll.poll(&mut events, Some(Duration::ZERO))?;
    /// assert!(events.is_empty());
    ///
    /// // A wake after the poll: a new event.
    /// waker.wake()?;
    /// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    /// assert_eq!(events.iter().filter(|e| e.token() == Token(7)).count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
