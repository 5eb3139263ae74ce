//! Every path of the classic crate that this package provides resolves, and
//! names evio's own item (not a copy), so that crates written for the
//! classic API and evio's users share one `Poll` and one `Evented` trait.

use std::io::{Read, Write};
use std::time::Duration;

use mio::event::{Event, Evented, Events, Iter};
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Poll, PollOpt, Ready, Registration, SetReadiness, Token};

/// `same::<A, B>()` compiles only when `A` and `B` are one type.
fn same<A, B>(a: A) -> B
where
    A: Into<B>,
{
    a.into()
}

#[test]
fn the_classic_paths_name_evio_items() {
    let poll: evio::Poll = Poll::new().unwrap();
    let _: &mio::Poll = &poll;
    let _: evio::Token = same::<Token, evio::Token>(Token(1));
    let _: evio::Ready = same::<Ready, evio::Ready>(Ready::readable());
    let _: evio::PollOpt = same::<PollOpt, evio::PollOpt>(PollOpt::edge());
    let _: evio::Events = same::<Events, evio::Events>(mio::Events::with_capacity(1));
    let _: evio::event::Event =
        same::<Event, evio::event::Event>(Event::new(Ready::readable(), Token(0)));
    let (r, s): (evio::Registration, evio::SetReadiness) = Registration::new2();
    let _: (Registration, SetReadiness) = (r, s);
    fn iter_type<'a>(i: Iter<'a>) -> evio::event::Iter<'a> {
        i
    }
    let events = mio::Events::with_capacity(1);
    let _ = iter_type(events.iter());
    let _: fn(&std::net::SocketAddr) -> std::io::Result<evio::net::TcpListener> = TcpListener::bind;
    let _: fn(&std::net::SocketAddr) -> std::io::Result<evio::net::TcpStream> = TcpStream::connect;
    let _: fn(&std::net::SocketAddr) -> std::io::Result<evio::net::UdpSocket> = UdpSocket::bind;
    let _: mio::Waker = evio::Waker::new(&poll, Token(9)).unwrap();
}

#[cfg(feature = "with-deprecated")]
#[test]
fn the_deprecated_paths_resolve() {
    let _: Option<mio::tcp::TcpStream> = None::<evio::net::TcpStream>;
    let _: Option<mio::tcp::TcpListener> = None::<evio::net::TcpListener>;
    let _: mio::tcp::Shutdown = std::net::Shutdown::Both;
    // The older UDP type (results in `Option`s), not `net::UdpSocket`, as in the classic crate.
    let _: Option<mio::udp::UdpSocket> = None::<evio::udp::UdpSocket>;
    let _: Option<mio::Event> = None::<evio::event::Event>;
    let _: Option<mio::EventsIter<'static>> = None::<evio::event::Iter<'static>>;
    let _: Option<&mio::IoVec> = None::<&evio::IoVec>;
    assert_eq!(mio::would_block().kind(), std::io::ErrorKind::WouldBlock);
    let (tx, rx): (mio::channel::Sender<u8>, mio::channel::Receiver<u8>) = evio::channel::channel();
    tx.send(3).unwrap();
    assert_eq!(rx.try_recv().unwrap(), 3);
    let (stx, _srx): (mio::channel::SyncSender<u8>, _) = mio::channel::sync_channel(1);
    stx.try_send(1).unwrap();
    assert!(matches!(
        stx.try_send(2),
        Err(mio::channel::TrySendError::Full(2))
    ));
}

#[cfg(unix)]
#[test]
fn the_unix_paths_resolve() {
    let _: evio::unix::UnixReady = mio::unix::UnixReady::hup();
    let fd = 0;
    let _: evio::unix::EventedFd<'_> = mio::unix::EventedFd(&fd);
}

#[cfg(windows)]
#[test]
fn the_windows_paths_resolve() {
    let _: Option<&mio::windows::Binding> = None::<&evio::windows::Binding>;
    let _: Option<&mio::windows::Overlapped> = None::<&evio::windows::Overlapped>;
}

/// A handle written against the classic trait path, the way crates of the
/// classic ecosystem write theirs: it registers with an evio `Poll`.
struct Classic {
    registration: Registration,
}

impl Evented for Classic {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> std::io::Result<()> {
        self.registration.register(poll, token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> std::io::Result<()> {
        self.registration.reregister(poll, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> std::io::Result<()> {
        Evented::deregister(&self.registration, poll)
    }
}

#[test]
fn a_classic_handle_and_evio_sockets_share_one_poll() {
    let poll = evio::Poll::new().unwrap();
    let mut events = evio::Events::with_capacity(16);

    let (registration, set_readiness) = Registration::new2();
    let classic = Classic { registration };
    poll.register(&classic, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();

    let listener = evio::net::TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut client = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    poll.register(&client, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let (mut server, _) = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("accept: {}", e),
        }
    };
    server.write_all(b"ping").unwrap();
    set_readiness.set_readiness(Ready::readable()).unwrap();

    let (mut saw_classic, mut saw_socket) = (false, false);
    for _ in 0..100 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        for event in events.iter() {
            match event.token() {
                Token(0) => saw_classic = true,
                Token(1) => saw_socket = true,
                t => panic!("unexpected {:?}", t),
            }
        }
        if saw_classic && saw_socket {
            break;
        }
    }
    assert!(
        saw_classic && saw_socket,
        "classic: {}, socket: {}",
        saw_classic,
        saw_socket
    );
    let mut buf = [0; 4];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}
