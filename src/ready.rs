//! The [`Ready`] readiness set.

use std::fmt;

use crate::bits::{bit_set, fmt_names, Bits};
use crate::sys;

// The bits' layout is the one the backends' records decode into.
use crate::sys::record::{AIO, LIO};
pub(crate) use crate::sys::record::{ERROR, HUP, PRIORITY, READABLE, WRITABLE};

// The platform's value of each platform bit, from what the backend says
// it reports: 0 where the system has no such readiness, so that
// `UnixReady::aio()` and `lio()` are the empty set there (as in the
// classic API) and `all()` holds exactly what can be reported.
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) const AIO_IF_PRESENT: usize = AIO & sys::EXTRA_READINESS;
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) const LIO_IF_PRESENT: usize = LIO & sys::EXTRA_READINESS;
const PRIORITY_IF_PRESENT: usize = PRIORITY & sys::EXTRA_READINESS;

/// Every readiness bit this platform can report.
pub(crate) const ALL: usize =
    READABLE | WRITABLE | ERROR | HUP | AIO_IF_PRESENT | LIO_IF_PRESENT | PRIORITY_IF_PRESENT;

/// A set of readiness event kinds.
///
/// `Ready` is used both as the *interest* given when registering a handle
/// (which kinds of readiness the caller wants to hear about) and as the
/// readiness carried by an [`Event`](crate::event::Event).
///
/// Readable and writable are portable. Error and hang-up are reported by
/// the operating system whatever the interest; on Unix they, and the
/// platform's other kinds (priority, AIO, LIO), are best read through
/// [`unix::UnixReady`](crate::unix::UnixReady).
///
/// # Examples
///
/// ```
/// use evio::Ready;
///
/// let ready = Ready::readable() | Ready::writable();
/// assert!(ready.is_readable());
/// assert!(ready.contains(Ready::writable()));
/// assert!(!Ready::empty().is_readable());
/// assert_eq!(Ready::from_usize(ready.as_usize()), ready);
/// ```
#[derive(Copy, PartialEq, Eq, Clone, PartialOrd, Ord, Hash)]
pub struct Ready(usize);

impl Ready {
    /// The empty set.
    #[inline]
    pub const fn empty() -> Ready {
        Ready(0)
    }

    /// The empty set (old name of [`Ready::empty`]).
    #[deprecated(since = "0.1.0", note = "use Ready::empty instead")]
    #[inline]
    pub const fn none() -> Ready {
        Ready::empty()
    }

    /// Readable readiness.
    #[inline]
    pub const fn readable() -> Ready {
        Ready(READABLE)
    }

    /// Writable readiness.
    #[inline]
    pub const fn writable() -> Ready {
        Ready(WRITABLE)
    }

    /// Error readiness: the handle has a pending error (see `take_error`).
    #[inline]
    pub const fn error() -> Ready {
        Ready(ERROR)
    }

    /// Hang-up readiness: the connection is closed in both directions, or
    /// reset (a peer's half close is readable only).
    #[inline]
    pub const fn hup() -> Ready {
        Ready(HUP)
    }

    /// Every readiness kind this platform can report.
    ///
    /// ```
    /// use evio::Ready;
    /// assert!(Ready::all().contains(Ready::readable() | Ready::writable()));
    /// ```
    #[inline]
    pub const fn all() -> Ready {
        Ready(ALL)
    }

    /// Returns true if no readiness kind is set.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Returns true if no readiness kind is set (old name of [`Ready::is_empty`]).
    #[deprecated(since = "0.1.0", note = "use Ready::is_empty instead")]
    #[inline]
    pub const fn is_none(&self) -> bool {
        self.is_empty()
    }

    /// Returns true if the set holds readable readiness.
    #[inline]
    pub const fn is_readable(&self) -> bool {
        self.0 & READABLE != 0
    }

    /// Returns true if the set holds writable readiness.
    #[inline]
    pub const fn is_writable(&self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Returns true if the set holds error readiness.
    #[inline]
    pub const fn is_error(&self) -> bool {
        self.0 & ERROR != 0
    }

    /// Returns true if the set holds hang-up readiness.
    #[inline]
    pub const fn is_hup(&self) -> bool {
        self.0 & HUP != 0
    }

    /// Adds every kind in `other` to `self`.
    ///
    /// ```
    /// use evio::Ready;
    /// let mut r = Ready::empty();
    /// r.insert(Ready::readable());
    /// assert!(r.is_readable());
    /// ```
    #[inline]
    pub fn insert<T: Into<Self>>(&mut self, other: T) {
        self.0 |= other.into().0;
    }

    /// Removes every kind in `other` from `self`.
    ///
    /// ```
    /// use evio::Ready;
    /// let mut r = Ready::readable() | Ready::writable();
    /// r.remove(Ready::readable());
    /// assert_eq!(r, Ready::writable());
    /// ```
    #[inline]
    pub fn remove<T: Into<Self>>(&mut self, other: T) {
        self.0 &= !other.into().0;
    }

    /// Returns true if `self` is a superset of `other`.
    ///
    /// ```
    /// use evio::Ready;
    /// let r = Ready::readable() | Ready::writable();
    /// assert!(r.contains(Ready::readable()));
    /// assert!(!Ready::readable().contains(r));
    /// ```
    #[inline]
    pub fn contains<T: Into<Self>>(&self, other: T) -> bool {
        let other = other.into();
        (*self & other) == other
    }

    /// The raw bits of the set (same as [`Ready::as_usize`]).
    #[inline]
    pub const fn bits(&self) -> usize {
        self.0
    }

    /// Builds a set from raw bits, as returned by [`Ready::as_usize`].
    #[inline]
    pub const fn from_usize(val: usize) -> Ready {
        Ready(val)
    }

    /// The raw bits of the set.
    #[inline]
    pub const fn as_usize(&self) -> usize {
        self.0
    }
}

impl Bits for Ready {
    #[inline]
    fn to_bits(self) -> usize {
        self.0
    }
    #[inline]
    fn from_bits(bits: usize) -> Ready {
        Ready(bits)
    }
}

// The operators take anything that converts into a `Ready` (a `UnixReady`
// too); `!` is the complement within `Ready::all`.
bit_set!(Ready, into Ready, not ALL);

/// The names `Debug` writes, in order.
const NAMES: [(usize, &str); 7] = [
    (READABLE, "Readable"),
    (WRITABLE, "Writable"),
    (ERROR, "Error"),
    (HUP, "Hup"),
    (AIO, "Aio"),
    (LIO, "Lio"),
    (PRIORITY, "Priority"),
];

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_names(self.0, &NAMES, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_and_predicates() {
        let rw = Ready::readable() | Ready::writable();
        assert!(rw.is_readable() && rw.is_writable());
        assert_eq!(rw - Ready::readable(), Ready::writable());
        assert_eq!(rw & Ready::readable(), Ready::readable());
        assert_eq!(rw ^ Ready::readable(), Ready::writable());
        assert!((!Ready::readable()).is_writable());
        assert!(!(!Ready::readable()).is_readable());
        assert!(Ready::all().contains(Ready::error() | Ready::hup()));
        assert!(Ready::empty().is_empty());
        assert_eq!(format!("{:?}", rw), "Readable | Writable");
        assert_eq!(format!("{:?}", Ready::empty()), "(empty)");
        let mut r = Ready::empty();
        r |= Ready::hup();
        r -= Ready::hup();
        assert!(r.is_empty());
    }
}
