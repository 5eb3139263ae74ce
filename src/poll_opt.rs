//! [`PollOpt`]: how a registration triggers.

use std::{fmt, ops};

const EDGE: usize = 0b0001;
const LEVEL: usize = 0b0010;
const ONESHOT: usize = 0b0100;
const URGENT: usize = 0b1000;
/// What `PollOpt::all()` holds: edge, level and oneshot (as in the classic
/// API, where urgent is not part of `all`).
const ALL: usize = EDGE | LEVEL | ONESHOT;
/// Every option bit, the scope of `!`.
const KNOWN: usize = EDGE | LEVEL | ONESHOT | URGENT;
/// evio's Linux addition, `EPOLLEXCLUSIVE`, made only by
/// `unix::UnixPollOpt::exclusive` (outside `KNOWN`: `!` never sets it).
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
pub(crate) const EXCLUSIVE: usize = 0b1_0000;

/// Options supplied when registering a handle with [`Poll`](crate::Poll).
///
/// - **edge**: one event per change of readiness. After an event the handle
///   must be drained (read or written until `WouldBlock`) before another
///   event comes.
/// - **level** (also what a registration gets with neither edge nor level,
///   as in the classic API: `PollOpt::empty()`, or `oneshot()` alone): an
///   event at every call to `poll` while the handle is ready. Level wins
///   when both edge and level are given.
/// - **oneshot**: after one event the registration is disarmed and reports
///   nothing more until it is re-armed with `reregister`.
/// - **urgent**: on Linux also asks for priority (out-of-band) readiness.
///
/// [The guide](crate::guide#edge-level-and-oneshot) shows each mode at work
/// and why edge-triggered handles are drained until `WouldBlock`.
///
/// # Platform notes
///
/// - **Linux, Android (epoll)**: edge is `EPOLLET`, oneshot is
///   `EPOLLONESHOT`, level is neither; urgent adds `EPOLLPRI`. In edge mode
///   the kernel may report a socket again when new data arrives while it
///   is still readable (it is not required to: drain anyway).
/// - **macOS, iOS, the BSDs (kqueue)**: edge is `EV_CLEAR`, oneshot
///   is `EV_DISPATCH` (the filter is disabled after its event and stays
///   registered until `reregister` adds it anew), level is neither. Readable and
///   writable are separate filters, so a oneshot registration with both
///   interests arms each filter once: the two may report in different
///   polls (in one event when they report in the same poll). Urgent is
///   accepted and does nothing.
/// - **Windows (AFD)**: the kernel's poll requests are one-shot, and the
///   modes are built on them. Level: the next request goes out when the
///   next `poll` starts, so a condition that still holds is reported
///   again, and one the program cleared in between (by reading everything)
///   is not. Edge: after an event, the directions it reported are left out
///   of the socket's requests until an operation on the socket returns
///   `WouldBlock`; as with epoll, read or write until `WouldBlock` before
///   waiting again, and unlike epoll, new data arriving before that makes
///   no new event. Oneshot: nothing more until `reregister`. Urgent is
///   accepted and does nothing.
/// - **`Registration`**, on every system: the modes are kept in user space
///   (see [`SetReadiness::set_readiness`](crate::SetReadiness::set_readiness)):
///   edge reports the calls made between two polls as one event, level
///   reports the readiness at every poll while it meets the interest.
///
/// # Examples
///
/// ```
/// use evio::PollOpt;
///
/// let opts = PollOpt::edge() | PollOpt::oneshot();
/// assert!(opts.is_edge() && opts.is_oneshot());
/// assert!(!opts.is_level());
///
/// // With neither edge nor level a registration triggers on level, as in
/// // the classic API; the value itself holds only what was set.
/// assert!(!PollOpt::empty().is_level() && !PollOpt::oneshot().is_level());
/// ```
#[derive(Copy, PartialEq, Eq, Clone, PartialOrd, Ord, Hash)]
pub struct PollOpt(usize);

impl PollOpt {
    /// No option: triggers on level, as in the classic API.
    #[inline]
    pub const fn empty() -> PollOpt {
        PollOpt(0)
    }

    /// Edge-triggered notifications.
    #[inline]
    pub const fn edge() -> PollOpt {
        PollOpt(EDGE)
    }

    /// Level-triggered notifications.
    #[inline]
    pub const fn level() -> PollOpt {
        PollOpt(LEVEL)
    }

    /// One notification, then disarmed until re-registered.
    #[inline]
    pub const fn oneshot() -> PollOpt {
        PollOpt(ONESHOT)
    }

    /// Urgent (priority) data is of interest.
    #[inline]
    pub const fn urgent() -> PollOpt {
        PollOpt(URGENT)
    }

    /// Edge, level and oneshot together (not urgent).
    #[inline]
    pub const fn all() -> PollOpt {
        PollOpt(ALL)
    }

    /// Returns true if edge is set.
    #[inline]
    pub const fn is_edge(&self) -> bool {
        self.0 & EDGE != 0
    }

    /// Returns true if level is set.
    #[inline]
    pub const fn is_level(&self) -> bool {
        self.0 & LEVEL != 0
    }

    /// Returns true if oneshot is set.
    #[inline]
    pub const fn is_oneshot(&self) -> bool {
        self.0 & ONESHOT != 0
    }

    /// Returns true if urgent is set.
    #[inline]
    pub const fn is_urgent(&self) -> bool {
        self.0 & URGENT != 0
    }

    /// Whether the registration triggers on level: level set, or edge not
    /// set (as in the classic API, which asks for edge triggering only when
    /// told to, and lets level win over edge).
    #[inline]
    pub(crate) const fn triggers_on_level(&self) -> bool {
        self.is_level() || !self.is_edge()
    }

    /// The raw bits.
    #[inline]
    pub const fn bits(&self) -> usize {
        self.0
    }

    /// Returns true if `self` is a superset of `other`.
    #[inline]
    pub fn contains(&self, other: PollOpt) -> bool {
        (*self & other) == other
    }

    /// Adds the options in `other`.
    #[inline]
    pub fn insert(&mut self, other: PollOpt) {
        self.0 |= other.0;
    }

    /// Removes the options in `other`.
    #[inline]
    pub fn remove(&mut self, other: PollOpt) {
        self.0 &= !other.0;
    }

    pub(crate) const fn from_bits(bits: usize) -> PollOpt {
        PollOpt(bits & KNOWN)
    }

    /// The options with exactly these bits, evio's additions included.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    pub(crate) const fn from_raw(bits: usize) -> PollOpt {
        PollOpt(bits)
    }

    /// Whether evio's `EPOLLEXCLUSIVE` addition is set (Linux, Android).
    #[inline]
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    pub(crate) const fn is_exclusive(&self) -> bool {
        self.0 & EXCLUSIVE != 0
    }
}

// The operators take a `PollOpt`, exactly as in the classic API (only
// `Ready`'s take anything that converts into one).
macro_rules! opt_ops {
    ($($tr:ident $f:ident $atr:ident $af:ident ($a:ident, $b:ident) => $e:expr;)*) => {$(
        impl ops::$tr for PollOpt {
            type Output = PollOpt;
            #[inline]
            fn $f(self, other: PollOpt) -> PollOpt {
                let ($a, $b) = (self.0, other.0);
                PollOpt($e)
            }
        }
        impl ops::$atr for PollOpt {
            #[inline]
            fn $af(&mut self, other: PollOpt) {
                let ($a, $b) = (self.0, other.0);
                self.0 = $e;
            }
        }
    )*};
}

opt_ops! {
    BitOr bitor BitOrAssign bitor_assign (a, b) => a | b;
    BitXor bitxor BitXorAssign bitxor_assign (a, b) => a ^ b;
    BitAnd bitand BitAndAssign bitand_assign (a, b) => a & b;
    Sub sub SubAssign sub_assign (a, b) => a & !b;
}

impl ops::Not for PollOpt {
    type Output = PollOpt;
    /// The complement within the four options (edge, level, oneshot, urgent).
    #[inline]
    fn not(self) -> PollOpt {
        PollOpt(!self.0 & KNOWN)
    }
}

impl fmt::Debug for PollOpt {
    fn fmt(&self, fmt: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (EDGE, "Edge-Triggered"),
            (LEVEL, "Level-Triggered"),
            (ONESHOT, "OneShot"),
            (URGENT, "Urgent"),
            (EXCLUSIVE, "Exclusive"),
        ];
        let mut one = false;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if one {
                    write!(fmt, " | ")?;
                }
                write!(fmt, "{name}")?;
                one = true;
            }
        }
        if !one {
            fmt.write_str("(empty)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops() {
        let o = PollOpt::edge() | PollOpt::oneshot();
        assert!(o.contains(PollOpt::edge()));
        assert_eq!(o - PollOpt::edge(), PollOpt::oneshot());
        assert_eq!(!PollOpt::all(), PollOpt::urgent());
        assert_eq!(!(PollOpt::all() | PollOpt::urgent()), PollOpt::empty());
        assert!(PollOpt::empty().triggers_on_level());
        assert!(PollOpt::oneshot().triggers_on_level());
        assert!(!PollOpt::edge().triggers_on_level());
        assert!(!(PollOpt::edge() | PollOpt::oneshot()).triggers_on_level());
        assert!((PollOpt::edge() | PollOpt::level()).triggers_on_level());
        assert_eq!(format!("{:?}", o), "Edge-Triggered | OneShot");
        assert_eq!(format!("{:?}", PollOpt::level()), "Level-Triggered");
        assert_eq!(PollOpt::all().bits(), 0b0111);
    }
}
