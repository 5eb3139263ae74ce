//! The timeout of one `poll` call and what is left of it, shared by
//! `Poll`'s wait on the system alone and the user-space merge
//! (`registration::UserSpace`), which both wait again after a signal or a
//! wake-up that had nothing to report.

use std::time::{Duration, Instant};

/// A poll's timeout, and when it started if that is needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    timeout: Option<Duration>,
    // Read only when a wait could be cut short and resumed, to keep the
    // clock out of the common path.
    start: Option<Instant>,
}

impl Deadline {
    /// A poll of `timeout`; `clock` says whether a wait of it may be
    /// resumed (and the clock must then be read now).
    #[inline]
    pub(crate) fn new(timeout: Option<Duration>, clock: bool) -> Deadline {
        let start = match timeout {
            Some(to) if clock && !to.is_zero() => Some(Instant::now()),
            _ => None,
        };
        Deadline { timeout, start }
    }

    /// What is left of the timeout (`None` when it cannot be told).
    #[inline]
    fn left(&self) -> Option<Duration> {
        match (self.timeout, self.start) {
            (Some(to), Some(start)) => Some(to.saturating_sub(start.elapsed())),
            _ => None,
        }
    }

    /// A signal cut a wait short: how long the next one lasts (what is
    /// left, or `wait_for` again when that cannot be told).
    #[inline]
    pub(crate) fn after_signal(&self, wait_for: Option<Duration>) -> Option<Duration> {
        self.left().or(wait_for)
    }

    /// A wake-up had nothing to report: how long to wait again (`Some`,
    /// with no timeout or the time left of one), or `None` to return with
    /// no event.
    #[inline]
    pub(crate) fn wait_on(&self) -> Option<Option<Duration>> {
        match self.timeout {
            None => Some(None),
            Some(to) if !to.is_zero() => self.left().filter(|rest| !rest.is_zero()).map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_on_only_for_the_time_left() {
        assert_eq!(Deadline::new(None, true).wait_on(), Some(None));
        assert_eq!(Deadline::new(Some(Duration::ZERO), true).wait_on(), None);
        // No clock: the time left cannot be told, so no second wait, and
        // a signal leaves the wait as it was.
        let blind = Deadline::new(Some(Duration::from_secs(5)), false);
        let d = Some(Duration::from_secs(5));
        assert_eq!(blind.after_signal(d), d);
        assert_eq!(blind.wait_on(), None);
        let timed = Deadline::new(Some(Duration::from_secs(60)), true);
        let next = timed.wait_on().unwrap().unwrap();
        assert!(next <= Duration::from_secs(60) && !next.is_zero());
    }
}
