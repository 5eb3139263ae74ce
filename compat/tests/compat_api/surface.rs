// The API surface shared by evio and the classic API (mio 0.6.23), included
// by tests/compat_api.rs once with `use evio as m;` and, on Linux, once with
// `use mio06 as m;`: each check below holds for both crates, so the
// signatures it pins are the classic ones.

use std::fmt::Debug;
use std::io::{self, Read, Write};
use std::net::{self, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use m::event::{Event, Evented, Iter};
use m::net::{TcpListener, TcpStream, UdpSocket};
use m::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};

fn value_traits<T: Copy + Clone + Eq + PartialEq + Ord + PartialOrd + Debug>() {}
fn send_sync<T: Send + Sync>() {}
fn evented<T: Evented + ?Sized>() {}
fn debug<T: Debug + ?Sized>() {}

#[test]
fn token() {
    value_traits::<Token>();
    let t = Token(3);
    let Token(inner): Token = t;
    assert_eq!(inner, 3);
    let _: fn(usize) -> Token = Token::from;
    let _: fn(Token) -> usize = usize::from;
    const SERVER: Token = Token(0);
    // Tokens work as constant patterns.
    match Token(0) {
        SERVER => {}
        _ => unreachable!(),
    }
}

#[test]
fn ready() {
    value_traits::<Ready>();
    let _: fn() -> Ready = Ready::empty;
    let _: fn() -> Ready = Ready::none;
    let _: fn() -> Ready = Ready::readable;
    let _: fn() -> Ready = Ready::writable;
    let _: fn() -> Ready = Ready::error;
    let _: fn() -> Ready = Ready::hup;
    let _: fn() -> Ready = Ready::all;
    let _: fn(&Ready) -> bool = Ready::is_empty;
    let _: fn(&Ready) -> bool = Ready::is_none;
    let _: fn(&Ready) -> bool = Ready::is_readable;
    let _: fn(&Ready) -> bool = Ready::is_writable;
    let _: fn(&Ready) -> bool = Ready::is_error;
    let _: fn(&Ready) -> bool = Ready::is_hup;
    let _: fn(&mut Ready, Ready) = Ready::insert;
    let _: fn(&mut Ready, Ready) = Ready::remove;
    let _: fn(&Ready, Ready) -> bool = Ready::contains;
    let _: fn(&Ready) -> usize = Ready::bits;
    let _: fn(usize) -> Ready = Ready::from_usize;
    let _: fn(&Ready) -> usize = Ready::as_usize;

    // Operators take anything that converts into `Ready`.
    let mut r: Ready = Ready::readable() | Ready::writable();
    r = r & Ready::readable();
    r = r ^ Ready::writable();
    r = r - Ready::writable();
    r |= Ready::hup();
    r &= Ready::readable() | Ready::hup();
    r ^= Ready::hup();
    r -= Ready::error();
    let n: Ready = !r;
    assert!(!n.is_readable());
    #[cfg(unix)]
    {
        use m::unix::UnixReady;
        let u: Ready = Ready::readable() | UnixReady::hup();
        let u: Ready = u & UnixReady::hup();
        let u: Ready = u - UnixReady::error();
        let mut u: Ready = u ^ UnixReady::priority();
        u.insert(UnixReady::error());
        u.remove(UnixReady::error());
        u |= UnixReady::hup();
        assert!(u.contains(UnixReady::hup()));
    }
    assert_eq!(r, Ready::readable());
}

#[test]
fn poll_opt() {
    value_traits::<PollOpt>();
    let _: fn() -> PollOpt = PollOpt::empty;
    let _: fn() -> PollOpt = PollOpt::edge;
    let _: fn() -> PollOpt = PollOpt::level;
    let _: fn() -> PollOpt = PollOpt::oneshot;
    let _: fn() -> PollOpt = PollOpt::urgent;
    let _: fn() -> PollOpt = PollOpt::all;
    let _: fn(&PollOpt) -> bool = PollOpt::is_edge;
    let _: fn(&PollOpt) -> bool = PollOpt::is_level;
    let _: fn(&PollOpt) -> bool = PollOpt::is_oneshot;
    let _: fn(&PollOpt) -> bool = PollOpt::is_urgent;
    let _: fn(&PollOpt) -> usize = PollOpt::bits;
    let _: fn(&PollOpt, PollOpt) -> bool = PollOpt::contains;
    let _: fn(&mut PollOpt, PollOpt) = PollOpt::insert;
    let _: fn(&mut PollOpt, PollOpt) = PollOpt::remove;
    let o: PollOpt = PollOpt::edge() | PollOpt::oneshot();
    let o: PollOpt = (o & PollOpt::edge()) ^ PollOpt::level();
    let o: PollOpt = o - PollOpt::level();
    let o: PollOpt = !(!o);
    assert_eq!(o, PollOpt::edge());
}

#[test]
fn event_and_events() {
    fn event_traits<T: Copy + Clone + Eq + PartialEq + Debug + Send + Sync>() {}
    event_traits::<Event>();
    let _: fn(Ready, Token) -> Event = Event::new;
    let _: fn(&Event) -> Ready = Event::readiness;
    let _: fn(&Event) -> Ready = Event::kind;
    let _: fn(&Event) -> Token = Event::token;

    debug::<Events>();
    send_sync::<Events>();
    let _: fn(usize) -> Events = Events::with_capacity;
    let _: fn(&Events) -> usize = Events::capacity;
    let _: fn(&Events) -> usize = Events::len;
    let _: fn(&Events) -> bool = Events::is_empty;
    let _: fn(&Events, usize) -> Option<Event> = Events::get;
    let _: for<'a> fn(&'a Events) -> Iter<'a> = Events::iter;
    let _: fn(&mut Events) = Events::clear;

    fn iter_traits<'a, I: Iterator<Item = Event> + Debug + Clone + 'a>(_: &I) {}
    let events = Events::with_capacity(4);
    iter_traits(&events.iter());
    fn by_ref<'a, T: IntoIterator<Item = Event, IntoIter = Iter<'a>>>(_: T) {}
    by_ref(&events);
    fn by_value<T: IntoIterator<Item = Event>>(t: T) -> usize {
        t.into_iter().count()
    }
    for event in &events {
        let _: Event = event;
    }
    assert_eq!(by_value(events), 0);
}

#[test]
fn evented_trait() {
    // The trait's methods, with their exact signatures.
    let _: fn(&TcpStream, &Poll, Token, Ready, PollOpt) -> io::Result<()> =
        <TcpStream as Evented>::register;
    let _: fn(&TcpStream, &Poll, Token, Ready, PollOpt) -> io::Result<()> =
        <TcpStream as Evented>::reregister;
    let _: fn(&TcpStream, &Poll) -> io::Result<()> = <TcpStream as Evented>::deregister;
    evented::<dyn Evented>();
    evented::<Box<dyn Evented>>();
    evented::<Box<TcpStream>>();
    evented::<Arc<TcpStream>>();
    evented::<Arc<Registration>>();
    evented::<Registration>();
    evented::<TcpStream>();
    evented::<TcpListener>();
    evented::<UdpSocket>();

    // A type of the user's own that wraps one.
    struct Wrapper(UdpSocket);
    impl Evented for Wrapper {
        fn register(
            &self,
            poll: &Poll,
            token: Token,
            interest: Ready,
            opts: PollOpt,
        ) -> io::Result<()> {
            self.0.register(poll, token, interest, opts)
        }
        fn reregister(
            &self,
            poll: &Poll,
            token: Token,
            interest: Ready,
            opts: PollOpt,
        ) -> io::Result<()> {
            self.0.reregister(poll, token, interest, opts)
        }
        fn deregister(&self, poll: &Poll) -> io::Result<()> {
            self.0.deregister(poll)
        }
    }
    let poll = Poll::new().unwrap();
    let w: Box<dyn Evented> = Box::new(Wrapper(
        UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap(),
    ));
    poll.register(&w, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&*w, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    poll.deregister(&w).unwrap();
}

#[test]
fn poll() {
    send_sync::<Poll>();
    debug::<Poll>();
    let _: fn() -> io::Result<Poll> = Poll::new;
    let _: fn(&Poll, &TcpStream, Token, Ready, PollOpt) -> io::Result<()> = Poll::register;
    let _: fn(&Poll, &(dyn Evented + 'static), Token, Ready, PollOpt) -> io::Result<()> =
        Poll::register::<dyn Evented>;
    let _: fn(&Poll, &UdpSocket, Token, Ready, PollOpt) -> io::Result<()> = Poll::reregister;
    let _: fn(&Poll, &(dyn Evented + 'static), Token, Ready, PollOpt) -> io::Result<()> =
        Poll::reregister::<dyn Evented>;
    let _: fn(&Poll, &TcpListener) -> io::Result<()> = Poll::deregister;
    let _: fn(&Poll, &(dyn Evented + 'static)) -> io::Result<()> = Poll::deregister::<dyn Evented>;
    let _: fn(&Poll, &mut Events, Option<Duration>) -> io::Result<usize> = Poll::poll;
    let _: fn(&Poll, &mut Events, Option<Duration>) -> io::Result<usize> =
        Poll::poll_interruptible;
    #[cfg(unix)]
    {
        fn raw<T: std::os::unix::io::AsRawFd>() {}
        raw::<Poll>();
    }
}

#[test]
fn registration() {
    send_sync::<Registration>();
    send_sync::<SetReadiness>();
    debug::<Registration>();
    debug::<SetReadiness>();
    fn clone<T: Clone>() {}
    clone::<SetReadiness>();
    let _: fn() -> (Registration, SetReadiness) = Registration::new2;
    let _: fn(&Poll, Token, Ready, PollOpt) -> (Registration, SetReadiness) = Registration::new;
    let _: fn(&Registration, &Poll, Token, Ready, PollOpt) -> io::Result<()> =
        Registration::update;
    let _: fn(&Registration, &Poll) -> io::Result<()> = Registration::deregister;
    let _: fn(&SetReadiness) -> Ready = SetReadiness::readiness;
    let _: fn(&SetReadiness, Ready) -> io::Result<()> = SetReadiness::set_readiness;
}

#[test]
fn tcp_stream() {
    send_sync::<TcpStream>();
    debug::<TcpStream>();
    fn rw<T: Read + Write>() {}
    rw::<TcpStream>();
    fn rw_ref<T>()
    where
        for<'a> &'a T: Read + Write,
    {
    }
    rw_ref::<TcpStream>();
    let _: fn(&SocketAddr) -> io::Result<TcpStream> = TcpStream::connect;
    let _: fn(net::TcpStream, &SocketAddr) -> io::Result<TcpStream> = TcpStream::connect_stream;
    let _: fn(net::TcpStream) -> io::Result<TcpStream> = TcpStream::from_stream;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::peer_addr;
    let _: fn(&TcpStream) -> io::Result<SocketAddr> = TcpStream::local_addr;
    let _: fn(&TcpStream) -> io::Result<TcpStream> = TcpStream::try_clone;
    let _: fn(&TcpStream, Shutdown) -> io::Result<()> = TcpStream::shutdown;
    let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_nodelay;
    let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::nodelay;
    let _: fn(&TcpStream, usize) -> io::Result<()> = TcpStream::set_recv_buffer_size;
    let _: fn(&TcpStream) -> io::Result<usize> = TcpStream::recv_buffer_size;
    let _: fn(&TcpStream, usize) -> io::Result<()> = TcpStream::set_send_buffer_size;
    let _: fn(&TcpStream) -> io::Result<usize> = TcpStream::send_buffer_size;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_keepalive;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::keepalive;
    let _: fn(&TcpStream, Option<u32>) -> io::Result<()> = TcpStream::set_keepalive_ms;
    let _: fn(&TcpStream) -> io::Result<Option<u32>> = TcpStream::keepalive_ms;
    let _: fn(&TcpStream, u32) -> io::Result<()> = TcpStream::set_ttl;
    let _: fn(&TcpStream) -> io::Result<u32> = TcpStream::ttl;
    let _: fn(&TcpStream, bool) -> io::Result<()> = TcpStream::set_only_v6;
    let _: fn(&TcpStream) -> io::Result<bool> = TcpStream::only_v6;
    let _: fn(&TcpStream, Option<Duration>) -> io::Result<()> = TcpStream::set_linger;
    let _: fn(&TcpStream) -> io::Result<Option<Duration>> = TcpStream::linger;
    let _: fn(&TcpStream) -> io::Result<Option<io::Error>> = TcpStream::take_error;
    let _: fn(&TcpStream, &mut [u8]) -> io::Result<usize> = TcpStream::peek;
    #[cfg(unix)]
    fd_traits::<TcpStream>();
}

#[test]
fn tcp_listener() {
    send_sync::<TcpListener>();
    debug::<TcpListener>();
    let _: fn(&SocketAddr) -> io::Result<TcpListener> = TcpListener::bind;
    let _: fn(net::TcpListener) -> io::Result<TcpListener> = TcpListener::from_std;
    let _: fn(net::TcpListener, &SocketAddr) -> io::Result<TcpListener> =
        TcpListener::from_listener;
    let _: fn(&TcpListener) -> io::Result<(TcpStream, SocketAddr)> = TcpListener::accept;
    let _: fn(&TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> = TcpListener::accept_std;
    let _: fn(&TcpListener) -> io::Result<SocketAddr> = TcpListener::local_addr;
    let _: fn(&TcpListener) -> io::Result<TcpListener> = TcpListener::try_clone;
    let _: fn(&TcpListener, u32) -> io::Result<()> = TcpListener::set_ttl;
    let _: fn(&TcpListener) -> io::Result<u32> = TcpListener::ttl;
    let _: fn(&TcpListener, bool) -> io::Result<()> = TcpListener::set_only_v6;
    let _: fn(&TcpListener) -> io::Result<bool> = TcpListener::only_v6;
    let _: fn(&TcpListener) -> io::Result<Option<io::Error>> = TcpListener::take_error;
    #[cfg(unix)]
    fd_traits::<TcpListener>();
}

#[test]
fn udp_socket() {
    send_sync::<UdpSocket>();
    debug::<UdpSocket>();
    let _: fn(&SocketAddr) -> io::Result<UdpSocket> = UdpSocket::bind;
    let _: fn(net::UdpSocket) -> io::Result<UdpSocket> = UdpSocket::from_socket;
    let _: fn(&UdpSocket) -> io::Result<SocketAddr> = UdpSocket::local_addr;
    let _: fn(&UdpSocket) -> io::Result<UdpSocket> = UdpSocket::try_clone;
    let _: fn(&UdpSocket, &[u8], &SocketAddr) -> io::Result<usize> = UdpSocket::send_to;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<(usize, SocketAddr)> = UdpSocket::recv_from;
    let _: fn(&UdpSocket, &[u8]) -> io::Result<usize> = UdpSocket::send;
    let _: fn(&UdpSocket, &mut [u8]) -> io::Result<usize> = UdpSocket::recv;
    let _: fn(&UdpSocket, SocketAddr) -> io::Result<()> = UdpSocket::connect;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_broadcast;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::broadcast;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_multicast_loop_v4;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::multicast_loop_v4;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_multicast_ttl_v4;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::multicast_ttl_v4;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_multicast_loop_v6;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::multicast_loop_v6;
    let _: fn(&UdpSocket, u32) -> io::Result<()> = UdpSocket::set_ttl;
    let _: fn(&UdpSocket) -> io::Result<u32> = UdpSocket::ttl;
    let _: fn(&UdpSocket, &Ipv4Addr, &Ipv4Addr) -> io::Result<()> = UdpSocket::join_multicast_v4;
    let _: fn(&UdpSocket, &Ipv6Addr, u32) -> io::Result<()> = UdpSocket::join_multicast_v6;
    let _: fn(&UdpSocket, &Ipv4Addr, &Ipv4Addr) -> io::Result<()> = UdpSocket::leave_multicast_v4;
    let _: fn(&UdpSocket, &Ipv6Addr, u32) -> io::Result<()> = UdpSocket::leave_multicast_v6;
    let _: fn(&UdpSocket, bool) -> io::Result<()> = UdpSocket::set_only_v6;
    let _: fn(&UdpSocket) -> io::Result<bool> = UdpSocket::only_v6;
    let _: fn(&UdpSocket) -> io::Result<Option<io::Error>> = UdpSocket::take_error;
    #[cfg(unix)]
    fd_traits::<UdpSocket>();
}

#[cfg(unix)]
fn fd_traits<T>()
where
    T: std::os::unix::io::AsRawFd + std::os::unix::io::FromRawFd + std::os::unix::io::IntoRawFd,
{
}

#[cfg(unix)]
#[test]
fn unix() {
    use m::unix::{EventedFd, UnixReady};
    use std::os::unix::io::RawFd;

    let fd: RawFd = 0;
    let e: EventedFd<'_> = EventedFd(&fd);
    let EventedFd(inner): EventedFd<'_> = e;
    assert_eq!(*inner, 0);
    evented::<EventedFd<'static>>();

    value_traits::<UnixReady>();
    let _: fn() -> UnixReady = UnixReady::aio;
    let _: fn() -> UnixReady = UnixReady::error;
    let _: fn() -> UnixReady = UnixReady::hup;
    let _: fn() -> UnixReady = UnixReady::priority;
    let _: fn(&UnixReady) -> bool = UnixReady::is_aio;
    let _: fn(&UnixReady) -> bool = UnixReady::is_error;
    let _: fn(&UnixReady) -> bool = UnixReady::is_hup;
    let _: fn(&UnixReady) -> bool = UnixReady::is_priority;
    let _: fn(Ready) -> UnixReady = UnixReady::from;
    let _: fn(UnixReady) -> Ready = Ready::from;
    fn deref<T: std::ops::DerefMut<Target = Ready>>() {}
    deref::<UnixReady>();
    let u: UnixReady = UnixReady::hup() | UnixReady::error();
    let u: UnixReady = (u & UnixReady::hup()) ^ UnixReady::error();
    let u: UnixReady = u - UnixReady::error();
    let mut u: UnixReady = !(!u);
    // `Ready`'s methods through `Deref`/`DerefMut`.
    u.insert(Ready::readable());
    assert!(u.is_readable() && u.is_hup());
}

/// Code as written for the classic API, with only the crate name changed.
mod classic {
    use super::m as mio;

    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Poll, PollOpt, Ready, Token};
    use std::io::{Read, Write};
    use std::time::Duration;

    const SERVER: Token = Token(0);
    const CLIENT: Token = Token(1);
    const CONN: Token = Token(2);

    #[test]
    fn echo_loop() {
        let addr = "127.0.0.1:0".parse().unwrap();
        let server = TcpListener::bind(&addr).unwrap();
        let addr = server.local_addr().unwrap();
        let poll = Poll::new().unwrap();
        poll.register(&server, SERVER, Ready::readable(), PollOpt::edge())
            .unwrap();
        let mut client = TcpStream::connect(&addr).unwrap();
        poll.register(
            &client,
            CLIENT,
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        )
        .unwrap();
        let mut events = Events::with_capacity(1024);
        let mut conn: Option<TcpStream> = None;
        let mut sent = false;
        let mut echoed = Vec::new();
        for _ in 0..200 {
            poll.poll(&mut events, Some(Duration::from_millis(50)))
                .unwrap();
            for event in events.iter() {
                match event.token() {
                    SERVER => {
                        let (s, _) = server.accept().unwrap();
                        poll.register(&s, CONN, Ready::readable(), PollOpt::level())
                            .unwrap();
                        conn = Some(s);
                    }
                    CLIENT => {
                        if event.readiness().is_writable() && !sent {
                            client.write_all(b"ping").unwrap();
                            sent = true;
                        }
                        if event.readiness().is_readable() {
                            let mut buf = [0u8; 16];
                            if let Ok(n) = client.read(&mut buf) {
                                echoed.extend_from_slice(&buf[..n]);
                            }
                        }
                    }
                    CONN => {
                        let s = conn.as_mut().unwrap();
                        let mut buf = [0u8; 16];
                        if let Ok(n) = s.read(&mut buf) {
                            s.write_all(&buf[..n]).unwrap();
                        }
                    }
                    _ => unreachable!(),
                }
            }
            if echoed == b"ping" {
                return;
            }
        }
        panic!("no echo: got {echoed:?}");
    }
}

#[test]
fn vectored_io_with_iovec() {
    use m::IoVec;
    let _: fn(&TcpStream, &mut [&mut IoVec]) -> io::Result<usize> = TcpStream::read_bufs;
    let _: fn(&TcpStream, &[&IoVec]) -> io::Result<usize> = TcpStream::write_bufs;
    #[cfg(unix)]
    {
        let _: fn(&UdpSocket, &mut [&mut IoVec]) -> io::Result<usize> = UdpSocket::recv_bufs;
        let _: fn(&UdpSocket, &[&IoVec]) -> io::Result<usize> = UdpSocket::send_bufs;
    }
    // The very type of the `iovec` crate, as the classic API re-exports it.
    let mut b = [0u8; 4];
    let v: &mut iovec::IoVec = (&mut b[..]).into();
    let _: &mut IoVec = v;
}

#[test]
fn classic_channel() {
    use m::channel::{self, Receiver, SendError, Sender, SyncSender, TrySendError};
    let _: fn() -> (Sender<u8>, Receiver<u8>) = channel::channel::<u8>;
    let _: fn(usize) -> (SyncSender<u8>, Receiver<u8>) = channel::sync_channel::<u8>;
    let _: fn(&Sender<u8>, u8) -> Result<(), SendError<u8>> = Sender::send;
    let _: fn(&SyncSender<u8>, u8) -> Result<(), SendError<u8>> = SyncSender::send;
    let _: fn(&SyncSender<u8>, u8) -> Result<(), TrySendError<u8>> = SyncSender::try_send;
    let _: fn(&Receiver<u8>) -> Result<u8, std::sync::mpsc::TryRecvError> = Receiver::try_recv;
    let _: fn() -> (channel::SenderCtl, channel::ReceiverCtl) = channel::ctl_pair;
    let _: fn(&channel::SenderCtl) -> io::Result<()> = channel::SenderCtl::inc;
    let _: fn(&channel::ReceiverCtl) -> io::Result<()> = channel::ReceiverCtl::dec;
    evented::<Receiver<u8>>();
    evented::<channel::ReceiverCtl>();
    fn clone<T: Clone>() {}
    clone::<Sender<u8>>();
    clone::<SyncSender<u8>>();
    fn from<A, B: From<A>>() {}
    from::<std::sync::mpsc::SendError<u8>, SendError<u8>>();
    from::<io::Error, SendError<u8>>();
    from::<std::sync::mpsc::TrySendError<u8>, TrySendError<u8>>();
    from::<io::Error, TrySendError<u8>>();
    // The variants, by name.
    let (tx, rx) = channel::sync_channel::<u8>(0);
    drop(rx);
    match tx.try_send(1) {
        Err(TrySendError::Disconnected(1)) => {}
        Err(TrySendError::Full(_)) | Err(TrySendError::Io(_)) | Ok(()) => panic!("not disconnected"),
        Err(TrySendError::Disconnected(_)) => panic!("wrong value"),
    }
    match tx.send(2) {
        Err(SendError::Disconnected(2)) => {}
        Err(SendError::Io(_)) | Ok(()) | Err(SendError::Disconnected(_)) => panic!("not disconnected"),
    }
}

#[test]
fn classic_helpers_and_older_udp() {
    let _: fn() -> io::Error = m::would_block;
    use m::udp::UdpSocket as OldUdp;
    let _: fn(&SocketAddr) -> io::Result<OldUdp> = OldUdp::bind;
    let _: fn(net::UdpSocket) -> io::Result<OldUdp> = OldUdp::from_socket;
    let _: fn(&OldUdp, &[u8], &SocketAddr) -> io::Result<Option<usize>> = OldUdp::send_to;
    let _: fn(&OldUdp, &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> = OldUdp::recv_from;
    let _: fn(&OldUdp, &[u8]) -> io::Result<Option<usize>> = OldUdp::send;
    let _: fn(&OldUdp, &mut [u8]) -> io::Result<Option<usize>> = OldUdp::recv;
    let _: fn(&OldUdp, SocketAddr) -> io::Result<()> = OldUdp::connect;
    let _: fn(&OldUdp) -> io::Result<OldUdp> = OldUdp::try_clone;
    let _: fn(&OldUdp) -> io::Result<Option<io::Error>> = OldUdp::take_error;
    evented::<OldUdp>();
    #[cfg(unix)]
    fd_traits::<OldUdp>();
}
