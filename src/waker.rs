//! [`Waker`]: wakes a blocked `poll` from another thread.

use std::io;

use crate::{sys, Poll, Token};

/// Wakes a thread blocked in [`Poll::poll`] from any other thread.
///
/// A `Waker` is registered with a `Poll` under a token when it is created;
/// each [`wake`](Waker::wake) makes the next (or the current) poll return a
/// readable event with that token. On Linux it is one `eventfd` write, on
/// kqueue systems an `EVFILT_USER` trigger (a pipe write on NetBSD), on Windows a posted completion.
/// Several wakers may be registered with one `Poll`.
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

    /// Wakes the `Poll` this waker is registered with.
    #[inline]
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
