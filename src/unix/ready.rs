use std::{fmt, ops};

use crate::bits::{bit_set, Bits};
use crate::ready::{AIO_IF_PRESENT, ALL, ERROR, HUP, LIO_IF_PRESENT, PRIORITY};
use crate::Ready;

/// Unix-specific readiness: error, hang-up, priority, and the AIO and LIO
/// kinds of the kqueue systems that have them.
///
/// `UnixReady` wraps a [`Ready`] and converts to and from it freely, so the
/// readiness of an event can be inspected for conditions that only Unix
/// systems report.
///
/// - **hup**: both directions of the connection are closed, or it was
///   reset (epoll's `EPOLLHUP`; kqueue's `EV_EOF` on the write filter, or
///   with an error). A peer's half close (`shutdown(Write)`) is no
///   hang-up: it is readable, and [`Event::is_read_closed`] tells it.
///
/// [`Event::is_read_closed`]: crate::event::Event::is_read_closed
/// - **error**: the socket has a pending error (`EPOLLERR`, `EV_ERROR`, or
///   `EV_EOF` with an error code); `take_error` returns it.
/// - **priority**: out-of-band data is available (`EPOLLPRI`; Linux and
///   Android only). Asking for it as interest registers for `EPOLLPRI`.
/// - **aio**, **lio**: kqueue's AIO and LIO filters (macOS, iOS, FreeBSD;
///   LIO on FreeBSD only).
///
/// # Examples
///
/// ```
/// use evio::unix::UnixReady;
/// use evio::Ready;
///
/// let ready: Ready = Ready::readable() | UnixReady::hup();
/// let unix = UnixReady::from(ready);
/// assert!(unix.is_hup() && unix.is_readable() && !unix.is_error());
/// ```
#[derive(Copy, PartialEq, Eq, Clone, PartialOrd, Ord, Hash)]
pub struct UnixReady(Ready);

impl UnixReady {
    /// AIO completion readiness (kqueue `EVFILT_AIO`: macOS, iOS, FreeBSD).
    ///
    /// Elsewhere no AIO readiness exists, and this is the empty set (as in
    /// the classic API), so [`is_aio`](UnixReady::is_aio) is always false.
    #[inline]
    pub const fn aio() -> UnixReady {
        UnixReady(Ready::from_usize(AIO_IF_PRESENT))
    }

    /// Error readiness.
    #[inline]
    pub const fn error() -> UnixReady {
        UnixReady(Ready::from_usize(ERROR))
    }

    /// Hang-up readiness.
    #[inline]
    pub const fn hup() -> UnixReady {
        UnixReady(Ready::from_usize(HUP))
    }

    /// LIO completion readiness (FreeBSD's `EVFILT_LIO`).
    ///
    /// Elsewhere no LIO readiness exists, and this is the empty set, so
    /// [`is_lio`](UnixReady::is_lio) is always false.
    #[inline]
    pub const fn lio() -> UnixReady {
        UnixReady(Ready::from_usize(LIO_IF_PRESENT))
    }

    /// Priority (out-of-band) readiness.
    #[inline]
    pub const fn priority() -> UnixReady {
        UnixReady(Ready::from_usize(PRIORITY))
    }

    /// Returns true if AIO readiness is set.
    #[inline]
    pub const fn is_aio(&self) -> bool {
        has(self.0.as_usize(), AIO_IF_PRESENT)
    }

    /// Returns true if error readiness is set.
    #[inline]
    pub const fn is_error(&self) -> bool {
        self.0.as_usize() & ERROR != 0
    }

    /// Returns true if hang-up readiness is set.
    #[inline]
    pub const fn is_hup(&self) -> bool {
        self.0.as_usize() & HUP != 0
    }

    /// Returns true if LIO readiness is set.
    #[inline]
    pub const fn is_lio(&self) -> bool {
        has(self.0.as_usize(), LIO_IF_PRESENT)
    }

    /// Returns true if priority readiness is set.
    #[inline]
    pub const fn is_priority(&self) -> bool {
        self.0.as_usize() & PRIORITY != 0
    }
}

/// Whether `bits` holds `bit` (false for a bit this platform lacks, 0).
#[inline]
const fn has(bits: usize, bit: usize) -> bool {
    bits & bit != 0
}

impl From<Ready> for UnixReady {
    #[inline]
    fn from(ready: Ready) -> UnixReady {
        UnixReady(ready)
    }
}

impl From<UnixReady> for Ready {
    #[inline]
    fn from(unix: UnixReady) -> Ready {
        unix.0
    }
}

impl ops::Deref for UnixReady {
    type Target = Ready;
    #[inline]
    fn deref(&self) -> &Ready {
        &self.0
    }
}

impl ops::DerefMut for UnixReady {
    #[inline]
    fn deref_mut(&mut self) -> &mut Ready {
        &mut self.0
    }
}

impl Bits for UnixReady {
    #[inline]
    fn to_bits(self) -> usize {
        self.0.as_usize()
    }
    #[inline]
    fn from_bits(bits: usize) -> UnixReady {
        UnixReady(Ready::from_usize(bits))
    }
}

// As `Ready`'s: the operators take anything that converts into a `Ready`,
// and `!` is the complement within `Ready::all`.
bit_set!(UnixReady, into Ready, not ALL);

impl fmt::Debug for UnixReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
