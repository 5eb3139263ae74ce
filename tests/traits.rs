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

#[test]
fn older_classic_paths_still_resolve() {
    // Code written for the classic API sometimes uses these older paths.
    #[allow(unused_imports)]
    use evio::tcp::{Shutdown, TcpListener, TcpStream};
    use evio::udp::UdpSocket;
    use evio::{Event, EventsIter};
    let _: Option<EventsIter<'_>> = None;
    let e = Event::new(Ready::readable(), Token(3));
    assert_eq!(e.token(), Token(3));
    let sock = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let boxed: Box<dyn evio::Evented> = Box::new(sock);
    let poll = Poll::new().unwrap();
    poll.register(&boxed, Token(0), Ready::writable(), PollOpt::edge())
        .unwrap();
    let _ = Shutdown::Both;
    // The classic helper for a `WouldBlock` error.
    assert_eq!(evio::would_block().kind(), std::io::ErrorKind::WouldBlock);
}
