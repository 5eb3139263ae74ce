//! The timeout of one `poll` call and what is left of it, shared by
//! `Poll`'s wait on the system alone and the user-space merge
//! (`registration::UserSpace`), which both wait again after a signal or a
//! wake-up that had nothing to report.

use std::time::{Duration, Instant};

/// A poll's timeout, when it started (if that is needed), and how long its
/// next wait lasts.
#[derive(Debug)]
pub(crate) struct Wait {
    timeout: Option<Duration>,
    // Read only when a wait could be cut short and resumed, to keep the
    // clock out of the common path.
    start: Option<Instant>,
    next: Option<Duration>,
}

impl Wait {
    /// A poll of `timeout`; `clock` says whether a wait of it may be
    /// resumed (and the clock must then be read now).
    #[inline]
    pub(crate) fn new(timeout: Option<Duration>, clock: bool) -> Wait {
        let start = match timeout {
            Some(to) if clock && !to.is_zero() => Some(Instant::now()),
            _ => None,
        };
        Wait {
            timeout,
            start,
            next: timeout,
        }
    }

    /// How long the next wait lasts.
    #[inline]
    pub(crate) fn next(&self) -> Option<Duration> {
        self.next
    }

    /// What is left of the timeout (`None` when it cannot be told).
    #[inline]
    fn left(&self) -> Option<Duration> {
        match (self.timeout, self.start) {
            (Some(to), Some(start)) => Some(to.saturating_sub(start.elapsed())),
            _ => None,
        }
    }

    /// A signal cut the wait short: the next one lasts what is left (all of
    /// the timeout when that cannot be told).
    #[inline]
    pub(crate) fn after_signal(&mut self) {
        if let Some(rest) = self.left() {
            self.next = Some(rest);
        }
    }

    /// A wake-up had nothing to report: whether to wait again (with no
    /// timeout, or for the time left of one), rather than return with no
    /// event.
    #[inline]
    pub(crate) fn wait_on(&mut self) -> bool {
        match self.timeout {
            None => true,
            Some(to) if !to.is_zero() => match self.left().filter(|rest| !rest.is_zero()) {
                Some(rest) => {
                    self.next = Some(rest);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_on_only_for_the_time_left() {
        let mut forever = Wait::new(None, true);
        assert!(forever.wait_on());
        assert_eq!(forever.next(), None);
        let mut look = Wait::new(Some(Duration::ZERO), true);
        assert!(!look.wait_on());
        // No clock: the time left cannot be told, so no second wait, and
        // a signal leaves the whole timeout.
        let mut blind = Wait::new(Some(Duration::from_secs(5)), false);
        blind.after_signal();
        assert_eq!(blind.next(), Some(Duration::from_secs(5)));
        assert!(!blind.wait_on());
        let mut timed = Wait::new(Some(Duration::from_secs(60)), true);
        assert!(timed.wait_on());
        let next = timed.next().unwrap();
        assert!(next <= Duration::from_secs(60) && !next.is_zero());
    }
}
