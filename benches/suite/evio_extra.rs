//! What evio adds to the classic API: the `Waker`.

use std::time::Duration;

use evio::{Events, Poll, Token, Waker};

use crate::harness::{measured, Body};

/// Workload 4: `Waker::wake`, then the poll that delivers its event.
pub fn wake() -> Body {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(&poll, Token(7)).unwrap();
    let mut events = Events::with_capacity(1024);
    Box::new(move |iters| {
        measured(|| {
            let mut total = 0;
            for _ in 0..iters {
                waker.wake().unwrap();
                poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
                total += events.iter().count() as u64;
            }
            total
        })
    })
}
