use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys::uds;

/// A non-blocking Unix-domain datagram socket.
///
/// Each send is one message, delivered whole or not at all. A socket is
/// created bound ([`bind`](UnixDatagram::bind)), unbound
/// ([`unbound`](UnixDatagram::unbound)) or connected to a twin
/// ([`pair`](UnixDatagram::pair)); non-blocking and close-on-exec from
/// birth, and sending never raises `SIGPIPE`.
///
/// # Examples
///
/// ```
/// use evio::unix::UnixDatagram;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::time::Duration;
///
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("evio-doc-dgram-{}.sock", std::process::id()));
/// let server = UnixDatagram::bind(&path)?;
/// let client = UnixDatagram::unbound()?;
///
/// let poll = Poll::new()?;
/// poll.register(&server, Token(0), Ready::readable(), PollOpt::edge())?;
/// client.send_to(b"hello", &path)?;
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// let mut buf = [0; 16];
/// let (n, from) = server.recv_from(&mut buf)?;
/// assert_eq!(&buf[..n], b"hello");
/// assert!(from.is_unnamed());
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: IoSource<uds::UnixDatagram>,
}

impl UnixDatagram {
    /// Wraps the backend's socket.
    fn from_inner(socket: uds::UnixDatagram) -> UnixDatagram {
        UnixDatagram {
            inner: IoSource::new(socket),
        }
    }

    /// Creates a socket bound to a new socket file at `path`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let addr = uds::path_addr(path.as_ref())?;
        UnixDatagram::bind_to(&addr)
    }

    /// Creates a socket bound to `addr`: a path, or on Linux and Android an
    /// abstract name.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        let addr = uds::from_std(addr)?;
        UnixDatagram::bind_to(&addr)
    }

    fn bind_to(addr: &rustix::net::SocketAddrUnix) -> io::Result<UnixDatagram> {
        uds::dgram_bind(addr).map(UnixDatagram::from_inner)
    }

    /// Creates a socket bound to no address: it can send, and receive
    /// replies only from a peer it is connected to.
    pub fn unbound() -> io::Result<UnixDatagram> {
        uds::dgram_unbound().map(UnixDatagram::from_inner)
    }

    /// Creates a pair of sockets connected to each other.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = uds::dgram_pair()?;
        Ok((UnixDatagram::from_inner(a), UnixDatagram::from_inner(b)))
    }

    /// Wraps a std socket, making it non-blocking (and, on Apple's systems,
    /// setting `SO_NOSIGPIPE`).
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        uds::dgram_from_std(socket).map(UnixDatagram::from_inner)
    }

    /// Connects the socket to the one at `path`: [`send`](UnixDatagram::send)
    /// goes there, and only datagrams from there are received.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        let addr = uds::path_addr(path.as_ref())?;
        uds::dgram_connect(&self.inner, &addr)
    }

    /// Connects the socket to `addr`: a path, or on Linux and Android an
    /// abstract name.
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        let addr = uds::from_std(addr)?;
        uds::dgram_connect(&self.inner, &addr)
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address of the connected peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::send(s.as_fd(), buf))
    }

    /// Receives one datagram from the connected peer; the part that does
    /// not fit in `buf` is discarded.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::dgram_recv(s, buf))
    }

    /// Sends one datagram to the socket at `path`.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let addr = uds::path_addr(path.as_ref())?;
        self.inner.do_io(|s| uds::dgram_send_to(s, buf, &addr))
    }

    /// Sends one datagram to `addr`: a path, or on Linux and Android an
    /// abstract name.
    pub fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        let addr = uds::from_std(addr)?;
        self.inner.do_io(|s| uds::dgram_send_to(s, buf, &addr))
    }

    /// Receives one datagram and the address of its sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_io(|s| uds::dgram_recv_from(s, buf))
    }

    /// Shuts down the reading half, the writing half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

socket_traits!(UnixDatagram, uds::UnixDatagram);
