//! Timeouts on every platform: a wait with a part finer than a millisecond
//! is valid and never shorter than asked.

use std::time::{Duration, Instant};

use evio::{Events, Poll};

#[test]
fn sub_millisecond_timeouts_are_valid_and_never_cut_short() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    for to in [
        Duration::from_nanos(1),
        Duration::from_micros(250),
        Duration::from_micros(999),
        Duration::new(0, 1_000_001),
        Duration::from_micros(2_500),
    ] {
        let start = Instant::now();
        let n = poll
            .poll(&mut events, Some(to))
            .unwrap_or_else(|e| panic!("poll with a timeout of {to:?}: {e}"));
        let took = start.elapsed();
        assert_eq!(n, 0, "nothing is registered");
        assert!(took >= to, "asked {to:?}, returned after {took:?}");
    }
}
