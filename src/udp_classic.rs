//! The classic API's older UDP socket, under its older path `evio::udp`
//! (new code uses [`net::UdpSocket`](crate::net::UdpSocket)).
//!
//! Its data calls answer `Ok(None)` where the newer socket answers a
//! `WouldBlock` error, as the classic type did; everything else is the
//! newer socket's.

use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::event::Evented;
use crate::{Poll, PollOpt, Ready, Token};

/// A non-blocking UDP socket whose data calls give `Ok(None)` when they
/// would block (the classic API's older `udp::UdpSocket`).
///
/// ```
/// use evio::udp::UdpSocket;
///
/// let a = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap())?;
/// let mut buf = [0u8; 16];
/// // Nothing has arrived: `None`, not an error.
/// assert!(a.recv_from(&mut buf)?.is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    inner: crate::net::UdpSocket,
}

/// `WouldBlock` as `Ok(None)`.
fn non_block<T>(res: io::Result<T>) -> io::Result<Option<T>> {
    match res {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

impl UdpSocket {
    /// Creates a socket bound to `addr`.
    pub fn bind(addr: &SocketAddr) -> io::Result<UdpSocket> {
        crate::net::UdpSocket::bind(addr).map(|inner| UdpSocket { inner })
    }

    /// Wraps a std socket, making it non-blocking.
    pub fn from_socket(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        crate::net::UdpSocket::from_socket(socket).map(|inner| UdpSocket { inner })
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// A second handle to the same socket, sharing its `Poll` binding.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        self.inner.try_clone().map(|inner| UdpSocket { inner })
    }

    /// Sends `buf` to `target`: `Ok(None)` when it would block.
    pub fn send_to(&self, buf: &[u8], target: &SocketAddr) -> io::Result<Option<usize>> {
        non_block(self.inner.send_to(buf, target))
    }

    /// Receives one datagram: `Ok(None)` when none is waiting.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        non_block(self.inner.recv_from(buf))
    }

    /// Sends `buf` to the connected peer: `Ok(None)` when it would block.
    pub fn send(&self, buf: &[u8]) -> io::Result<Option<usize>> {
        non_block(self.inner.send(buf))
    }

    /// Receives one datagram from the connected peer: `Ok(None)` when none
    /// is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        non_block(self.inner.recv(buf))
    }

    /// Sets the default peer.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// Reads `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Reads `IP_MULTICAST_LOOP`.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Reads `IP_MULTICAST_TTL`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_multicast_ttl_v4(ttl)
    }

    /// Reads `IPV6_MULTICAST_LOOP`.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v6(on)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Joins an IPv4 multicast group on `interface`.
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.join_multicast_v4(multiaddr, interface)
    }

    /// Joins an IPv6 multicast group on interface number `interface`.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.leave_multicast_v6(multiaddr, interface)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl Evented for UdpSocket {
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.inner.register(poll, token, interest, opts)
    }

    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        self.inner.reregister(poll, token, interest, opts)
    }

    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        self.inner.deregister(poll)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::IntoRawFd for UdpSocket {
    fn into_raw_fd(self) -> std::os::fd::RawFd {
        self.inner.into_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::FromRawFd for UdpSocket {
    /// # Safety
    ///
    /// `fd` must be an open UDP socket that the caller owns and passes on.
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> UdpSocket {
        UdpSocket {
            // SAFETY: the caller's contract is passed on unchanged.
            inner: unsafe { crate::net::UdpSocket::from_raw_fd(fd) },
        }
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for UdpSocket {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.inner.as_raw_socket()
    }
}
