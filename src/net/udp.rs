//! [`UdpSocket`]: a non-blocking UDP socket.

use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking UDP socket.
///
/// Sends and receives never wait: when they cannot go on they return
/// [`WouldBlock`](io::ErrorKind::WouldBlock), and a [`Poll`](crate::Poll)
/// tells when to try again.
///
/// # Examples
///
/// ```
/// use evio::net::UdpSocket;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::time::Duration;
///
/// let any = "127.0.0.1:0".parse().unwrap();
/// let a = UdpSocket::bind(&any)?;
/// let b = UdpSocket::bind(&any)?;
///
/// let poll = Poll::new()?;
/// poll.register(&b, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// a.send_to(b"ping", &b.local_addr()?)?;
///
/// let mut events = Events::with_capacity(8);
/// let mut buf = [0; 16];
/// for _ in 0..100 {
///     match b.recv_from(&mut buf) {
///         Ok((n, from)) => {
///             assert_eq!(&buf[..n], b"ping");
///             assert_eq!(from, a.local_addr()?);
///             break;
///         }
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
///             poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///         }
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: IoSource<sys::net::UdpSocket>,
}

impl UdpSocket {
    fn new(socket: sys::net::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: IoSource::new(socket),
        }
    }

    /// Creates a UDP socket bound to `addr`.
    pub fn bind(addr: &SocketAddr) -> io::Result<UdpSocket> {
        sys::net::udp_bind(addr).map(UdpSocket::new)
    }

    /// Wraps a standard library UDP socket, making it non-blocking.
    pub fn from_socket(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        sys::net::from_std_udp(socket).map(UdpSocket::new)
    }

    /// Returns the address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Creates a second handle to the same socket.
    ///
    /// The new handle is not registered (a descriptor is registered on its
    /// own), but it shares the original's `Poll` binding, as in the classic
    /// API: if the original is bound to a `Poll`, the clone can be
    /// registered with that one only.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: self.inner.try_clone_with(sys::net::UdpSocket::try_clone)?,
        })
    }

    /// Sends `buf` as one datagram to `target`, returning the bytes sent.
    pub fn send_to(&self, buf: &[u8], target: &SocketAddr) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::send_to(&s, buf, target))
    }

    /// Receives one datagram into `buf`, returning its length and sender.
    ///
    /// A datagram longer than `buf` is cut to fit; the rest is lost.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_io_fd(|s| sys::net::recv_from(&s, buf))
    }

    /// Sends `buf` to the peer set by [`connect`](UdpSocket::connect).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::send(&s, buf))
    }

    /// Receives one datagram from the peer set by
    /// [`connect`](UdpSocket::connect).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::recv(&s, buf))
    }

    /// Receives one datagram from the peer set by
    /// [`connect`](UdpSocket::connect) into several buffers, filled in order
    /// (the classic API's vectored receive). A datagram longer than the
    /// buffers together is cut to fit.
    ///
    /// At most 1024 buffers on Unix (`IOV_MAX`) and 64 on Windows: more are
    /// an [`InvalidInput`](io::ErrorKind::InvalidInput) error, since a
    /// datagram cannot be split over calls. Nothing is allocated.
    pub fn recv_bufs(&self, bufs: &mut [&mut crate::IoVec]) -> io::Result<usize> {
        check_datagram_bufs(bufs.len())?;
        self.inner.do_io_fd(|s| sys::net::recv_iovecs(&s, bufs))
    }

    /// Sends several buffers as one datagram to the peer set by
    /// [`connect`](UdpSocket::connect) (the classic API's vectored send).
    ///
    /// At most 1024 buffers on Unix (`IOV_MAX`) and 64 on Windows: more are
    /// an [`InvalidInput`](io::ErrorKind::InvalidInput) error, since a
    /// datagram cannot be split over calls. Nothing is allocated.
    pub fn send_bufs(&self, bufs: &[&crate::IoVec]) -> io::Result<usize> {
        check_datagram_bufs(bufs.len())?;
        self.inner.do_io_fd(|s| sys::net::send_iovecs(&s, bufs))
    }

    /// Reads the next datagram into `buf` without removing it from the queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::peek(&s, buf))
    }

    /// Sets the default peer: `send` goes to it, and only its datagrams are
    /// received.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        sys::net::connect(&*self.inner, &addr)
    }

    /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast address.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        sys::net::set_broadcast(&*self.inner, on)
    }

    /// Returns `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        sys::net::broadcast(&*self.inner)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether IPv4 multicast datagrams sent from
    /// this socket come back to the local host.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        sys::net::set_multicast_loop_v4(&*self.inner, on)
    }

    /// Returns `IP_MULTICAST_LOOP`.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        sys::net::multicast_loop_v4(&*self.inner)
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops IPv4 multicast datagrams
    /// from this socket may travel.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_multicast_ttl_v4(&*self.inner, ttl)
    }

    /// Returns `IP_MULTICAST_TTL`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        sys::net::multicast_ttl_v4(&*self.inner)
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether IPv6 multicast datagrams sent
    /// from this socket come back to the local host.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        sys::net::set_multicast_loop_v6(&*self.inner, on)
    }

    /// Returns `IPV6_MULTICAST_LOOP`.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        sys::net::multicast_loop_v6(&*self.inner)
    }

    /// Sets the time-to-live (`IP_TTL`) of datagrams sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_ttl(&*self.inner, ttl)
    }

    /// Returns the time-to-live (`IP_TTL`) of datagrams sent from this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::net::ttl(&*self.inner)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`0.0.0.0` lets the system choose).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        sys::net::join_multicast_v4(&*self.inner, multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0 lets the system choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        sys::net::join_multicast_v6(&*self.inner, multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        sys::net::leave_multicast_v4(&*self.inner, multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        sys::net::leave_multicast_v6(&*self.inner, multiaddr, interface)
    }

    /// Sets `IPV6_V6ONLY` (IPv6 sockets only; before binding to take effect).
    pub fn set_only_v6(&self, only_v6: bool) -> io::Result<()> {
        sys::net::set_only_v6(&*self.inner, only_v6)
    }

    /// Returns `IPV6_V6ONLY` (IPv6 sockets only).
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::net::only_v6(&*self.inner)
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&*self.inner)
    }
}

socket_common!(UdpSocket, sys::net::UdpSocket);

/// A datagram cannot be split over calls as a stream can: more buffers than
/// one call passes are an error, not a datagram cut short.
#[inline]
fn check_datagram_bufs(n: usize) -> io::Result<()> {
    if n > sys::net::MAX_IOVECS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "more buffers than one datagram call can take",
        ));
    }
    Ok(())
}
