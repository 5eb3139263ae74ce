//! Compile-time checks of the auto traits the API promises.

use evio::event::{Event, Evented};
use evio::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token, Waker};

fn send_sync<T: Send + Sync>() {}

#[test]
fn auto_traits() {
    send_sync::<Poll>();
    send_sync::<Events>();
    send_sync::<Event>();
    send_sync::<Registration>();
    send_sync::<SetReadiness>();
    send_sync::<Waker>();
    send_sync::<Token>();
    send_sync::<Ready>();
    send_sync::<PollOpt>();
}

#[test]
fn evented_is_object_safe() {
    let (registration, _set) = Registration::new2();
    let boxed: Box<dyn Evented> = Box::new(registration);
    let poll = Poll::new().unwrap();
    poll.register(&boxed, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.deregister(&boxed).unwrap();
}
