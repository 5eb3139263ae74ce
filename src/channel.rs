//! A thread-safe channel whose [`Receiver`] can be registered with a
//! [`Poll`]: the classic API's `channel` module.
//!
//! [`channel`] and [`sync_channel`] wrap std's `mpsc` channels. Each value
//! sent counts one pending message; the receiving end is readable while
//! messages are pending, and also once every sender is gone (so that
//! [`try_recv`](Receiver::try_recv) can report the disconnection). The
//! readiness comes from a [`Registration`] made when the receiver is
//! registered, so a channel that is never registered costs no more than
//! std's, and any trigger option works: with edge, drain the receiver until
//! [`TryRecvError::Empty`](std::sync::mpsc::TryRecvError::Empty) before
//! waiting again; with level, every poll reports a receiver that still has
//! messages.
//!
//! New code may prefer a [`Waker`](crate::Waker) next to a channel of its
//! choice; this module is here so that code written for the classic API
//! (and crates built on it) runs unchanged.
//!
//! # Example
//!
//! ```
//! use evio::{channel, Events, Poll, PollOpt, Ready, Token};
//! use std::time::Duration;
//!
//! let poll = Poll::new()?;
//! let (tx, rx) = channel::channel::<u32>();
//! poll.register(&rx, Token(0), Ready::readable(), PollOpt::edge())?;
//!
//! let sender = std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap();
//!     }
//! });
//!
//! let mut events = Events::with_capacity(8);
//! let mut got = Vec::new();
//! for _ in 0..100 {
//!     poll.poll(&mut events, Some(Duration::from_millis(100)))?;
//!     // Drain until empty (or disconnected) before waiting again.
//!     while let Ok(v) = rx.try_recv() {
//!         got.push(v);
//!     }
//!     if got.len() == 3 {
//!         break;
//!     }
//! }
//! sender.join().unwrap();
//! assert_eq!(got, [0, 1, 2]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::error::Error;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::{fmt, io};

use crate::event::Evented;
use crate::{Poll, PollOpt, Ready, Registration, SetReadiness, Token};

/// Creates an unbounded channel whose receiver is [`Evented`].
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx_ctl, rx_ctl) = ctl_pair();
    let (tx, rx) = mpsc::channel();
    (Sender { tx, ctl: tx_ctl }, Receiver { rx, ctl: rx_ctl })
}

/// Creates a channel that holds at most `bound` messages (0: each send
/// waits for its receive), whose receiver is [`Evented`].
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let (tx_ctl, rx_ctl) = ctl_pair();
    let (tx, rx) = mpsc::sync_channel(bound);
    (SyncSender { tx, ctl: tx_ctl }, Receiver { rx, ctl: rx_ctl })
}

/// Creates the readiness half of a channel on its own: a [`SenderCtl`]
/// that counts messages in with [`inc`](SenderCtl::inc) and a
/// [`ReceiverCtl`] (the [`Evented`] part) that counts them out with
/// [`dec`](ReceiverCtl::dec). For building an evented queue of one's own.
pub fn ctl_pair() -> (SenderCtl, ReceiverCtl) {
    let inner = Arc::new(Ctl {
        pending: AtomicUsize::new(0),
        senders: AtomicUsize::new(1),
        set_readiness: OnceLock::new(),
    });
    (
        SenderCtl {
            inner: inner.clone(),
        },
        ReceiverCtl {
            registration: OnceLock::new(),
            inner,
        },
    )
}

/// What the two ends of a channel share.
struct Ctl {
    /// Messages counted in and not yet counted out.
    pending: AtomicUsize,
    /// Live `SenderCtl`s.
    senders: AtomicUsize,
    /// Set once, when the receiving end is first registered.
    set_readiness: OnceLock<SetReadiness>,
}

impl Ctl {
    fn set(&self, ready: Ready) -> io::Result<()> {
        match self.set_readiness.get() {
            Some(s) => s.set_readiness(ready),
            // Not registered yet: `register` looks at `pending` itself.
            None => Ok(()),
        }
    }
}

/// The sending end's readiness control: counts messages in, and marks the
/// receiver readable when the first one is pending or the last sender goes.
pub struct SenderCtl {
    inner: Arc<Ctl>,
}

impl SenderCtl {
    /// Counts one more pending message; the receiver turns readable if it
    /// was the first.
    pub fn inc(&self) -> io::Result<()> {
        if self.inner.pending.fetch_add(1, Ordering::AcqRel) == 0 {
            // Pairs with the fence in `ReceiverCtl::register`: either this
            // sees the receiver's `SetReadiness`, or `register` sees this
            // message pending.
            fence(Ordering::SeqCst);
            self.inner.set(Ready::readable())?;
        }
        Ok(())
    }
}

impl Clone for SenderCtl {
    fn clone(&self) -> SenderCtl {
        self.inner.senders.fetch_add(1, Ordering::Relaxed);
        SenderCtl {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for SenderCtl {
    fn drop(&mut self) {
        // The last sender: one more "message" makes the receiver readable,
        // so that it finds out that the channel is disconnected.
        if self.inner.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.inc();
        }
    }
}

impl fmt::Debug for SenderCtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderCtl").finish_non_exhaustive()
    }
}

/// The receiving end's readiness control, and what registers with a
/// [`Poll`]: readable while messages are pending.
pub struct ReceiverCtl {
    registration: OnceLock<Registration>,
    inner: Arc<Ctl>,
}

impl ReceiverCtl {
    /// Counts one message out; the receiver stops being readable when none
    /// is left pending.
    pub fn dec(&self) -> io::Result<()> {
        let inner = &*self.inner;
        let prev = inner
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if prev == Ok(1) {
            inner.set(Ready::empty())?;
            // A message counted in meanwhile set readable before the line
            // above cleared it: set it again.
            if inner.pending.load(Ordering::Acquire) > 0 {
                inner.set(Ready::readable())?;
            }
        }
        Ok(())
    }
}

impl Evented for ReceiverCtl {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        if self.registration.get().is_some() {
            return Err(receiver_registered_already());
        }
        let (registration, set_readiness) = Registration::new2();
        poll.register(&registration, token, interest, opts)?;
        if self.registration.set(registration).is_err() {
            // Another thread registered it meanwhile (the receiver is
            // `Sync` through `&ReceiverCtl`): theirs stands.
            return Err(receiver_registered_already());
        }
        let _ = self.inner.set_readiness.set(set_readiness);
        // Pairs with the fence in `SenderCtl::inc`.
        fence(Ordering::SeqCst);
        if self.inner.pending.load(Ordering::Acquire) > 0 {
            self.inner.set(Ready::readable())?;
        }
        Ok(())
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        match self.registration.get() {
            Some(r) => poll.reregister(r, token, interest, opts),
            None => Err(receiver_not_registered()),
        }
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        match self.registration.get() {
            Some(r) => poll.deregister(r),
            None => Err(receiver_not_registered()),
        }
    }
}

// Both of kind `Other`, as the classic channel answers.
#[cold]
fn receiver_registered_already() -> io::Error {
    io::Error::other("the channel's receiver is registered already")
}

#[cold]
fn receiver_not_registered() -> io::Error {
    io::Error::other("the channel's receiver is not registered")
}

impl fmt::Debug for ReceiverCtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverCtl")
            .field("registered", &self.registration.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The sending end of an unbounded [`channel`]; clone it for more senders.
pub struct Sender<T> {
    tx: mpsc::Sender<T>,
    ctl: SenderCtl,
}

impl<T> Sender<T> {
    /// Sends `t` without waiting. Fails with
    /// [`Disconnected`](SendError::Disconnected), giving `t` back, when the
    /// receiver is gone.
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.tx.send(t).map_err(SendError::from)?;
        self.ctl.inc().map_err(SendError::Io)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        Sender {
            tx: self.tx.clone(),
            ctl: self.ctl.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The sending end of a bounded [`sync_channel`]; clone it for more senders.
pub struct SyncSender<T> {
    tx: mpsc::SyncSender<T>,
    ctl: SenderCtl,
}

impl<T> SyncSender<T> {
    /// Sends `t`, waiting while the channel is full. Fails with
    /// [`Disconnected`](SendError::Disconnected), giving `t` back, when the
    /// receiver is gone.
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.tx.send(t).map_err(SendError::from)?;
        self.ctl.inc().map_err(SendError::Io)
    }

    /// Sends `t` if there is room, without waiting: [`Full`](TrySendError::Full)
    /// or [`Disconnected`](TrySendError::Disconnected) give `t` back.
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.tx.try_send(t).map_err(TrySendError::from)?;
        self.ctl.inc().map_err(TrySendError::Io)
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> SyncSender<T> {
        SyncSender {
            tx: self.tx.clone(),
            ctl: self.ctl.clone(),
        }
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender").finish_non_exhaustive()
    }
}

/// The receiving end of a [`channel`] or [`sync_channel`]; register it
/// with a [`Poll`] to learn when messages are pending.
pub struct Receiver<T> {
    rx: mpsc::Receiver<T>,
    ctl: ReceiverCtl,
}

impl<T> Receiver<T> {
    /// Takes the next message, without waiting:
    /// [`Empty`](mpsc::TryRecvError::Empty) when none is pending,
    /// [`Disconnected`](mpsc::TryRecvError::Disconnected) when none is and
    /// every sender is gone.
    pub fn try_recv(&self) -> Result<T, mpsc::TryRecvError> {
        let t = self.rx.try_recv()?;
        // Only an OS failure to wake a poll could fail here; the message is
        // the caller's either way.
        let _ = self.ctl.dec();
        Ok(t)
    }
}

impl<T> Evented for Receiver<T> {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.ctl.register(poll, token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.ctl.reregister(poll, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.ctl.deregister(poll)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("ctl", &self.ctl)
            .finish_non_exhaustive()
    }
}

/// Why a [`Sender::send`] or [`SyncSender::send`] failed.
pub enum SendError<T> {
    /// Waking the receiver's `Poll` failed (the message was sent).
    Io(io::Error),
    /// The receiver is gone; the message is given back.
    Disconnected(T),
}

/// Why a [`SyncSender::try_send`] failed.
pub enum TrySendError<T> {
    /// Waking the receiver's `Poll` failed (the message was sent).
    Io(io::Error),
    /// The channel is full; the message is given back.
    Full(T),
    /// The receiver is gone; the message is given back.
    Disconnected(T),
}

impl<T> From<mpsc::SendError<T>> for SendError<T> {
    fn from(e: mpsc::SendError<T>) -> SendError<T> {
        SendError::Disconnected(e.0)
    }
}

impl<T> From<io::Error> for SendError<T> {
    fn from(e: io::Error) -> SendError<T> {
        SendError::Io(e)
    }
}

impl<T> From<mpsc::TrySendError<T>> for TrySendError<T> {
    fn from(e: mpsc::TrySendError<T>) -> TrySendError<T> {
        match e {
            mpsc::TrySendError::Full(t) => TrySendError::Full(t),
            mpsc::TrySendError::Disconnected(t) => TrySendError::Disconnected(t),
        }
    }
}

impl<T> From<mpsc::SendError<T>> for TrySendError<T> {
    fn from(e: mpsc::SendError<T>) -> TrySendError<T> {
        TrySendError::Disconnected(e.0)
    }
}

impl<T> From<io::Error> for TrySendError<T> {
    fn from(e: io::Error) -> TrySendError<T> {
        TrySendError::Io(e)
    }
}

// Debug and Display need no `T: Debug`: the message is not shown, as with
// std's channel errors.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Io(e) => write!(f, "Io({e:?})"),
            SendError::Disconnected(..) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Io(e) => write!(f, "waking the receiver failed: {e}"),
            SendError::Disconnected(..) => {
                f.write_str("sending on a channel whose receiver is gone")
            }
        }
    }
}

impl<T> Error for SendError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            SendError::Io(e) => Some(e),
            SendError::Disconnected(..) => None,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Io(e) => write!(f, "Io({e:?})"),
            TrySendError::Full(..) => f.write_str("Full(..)"),
            TrySendError::Disconnected(..) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Io(e) => write!(f, "waking the receiver failed: {e}"),
            TrySendError::Full(..) => f.write_str("sending on a full channel"),
            TrySendError::Disconnected(..) => {
                f.write_str("sending on a channel whose receiver is gone")
            }
        }
    }
}

impl<T> Error for TrySendError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TrySendError::Io(e) => Some(e),
            _ => None,
        }
    }
}
