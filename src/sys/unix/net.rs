//! Socket system calls for the Unix family, through `rustix`.
//!
//! The portable socket types in `crate::net` keep a std socket
//! (`std::net::TcpListener`, `TcpStream` or `UdpSocket`) and call only the
//! functions below, so every backend offers this same set, with the same
//! names and signatures (`S` is any of the three std socket types; on Unix
//! the bound is `AsFd`, on Windows `AsSocket`):
//!
//! Creating sockets (non-blocking and close-on-exec from birth, never raising
//! `SIGPIPE`):
//! - `tcp_bind(addr: &SocketAddr) -> io::Result<net::TcpListener>`:
//!   `socket`, `SO_REUSEADDR` (Unix), `bind`, `listen` with [`LISTEN_BACKLOG`];
//! - `tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream>`: a
//!   connection in progress (`EINPROGRESS` is success);
//! - `tcp_connect_stream(s: &net::TcpStream, addr: &SocketAddr) -> io::Result<()>`:
//!   connects a socket made elsewhere, after [`adopt`] made it fit;
//! - `tcp_accept(l: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)>`;
//! - `udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket>`;
//! - `adopt<S>(s: &S) -> io::Result<()>`: makes a socket created elsewhere
//!   non-blocking (and, on Apple systems, free of `SIGPIPE`).
//!
//! Data (one system call each):
//! - `recv<S>(s: &S, buf: &mut [u8]) -> io::Result<usize>`,
//!   `peek<S>(s: &S, buf: &mut [u8]) -> io::Result<usize>`,
//!   `recv_vectored<S>(s: &S, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>`;
//! - `send<S>(s: &S, buf: &[u8]) -> io::Result<usize>`,
//!   `send_vectored<S>(s: &S, bufs: &[IoSlice<'_>]) -> io::Result<usize>`;
//! - `recv_iovecs<S>(s: &S, bufs: &mut [&mut IoVec]) -> io::Result<usize>`,
//!   `send_iovecs<S>(s: &S, bufs: &[&IoVec]) -> io::Result<usize>`: the
//!   classic API's buffers, in one system call and without allocating;
//! - `recv_from<S>(s: &S, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>`,
//!   `send_to<S>(s: &S, buf: &[u8], addr: &SocketAddr) -> io::Result<usize>`;
//! - `connect<S>(s: &S, addr: &SocketAddr) -> io::Result<()>` (datagram sockets);
//! - `shutdown<S>(s: &S, how: net::Shutdown) -> io::Result<()>`.
//!
//! Options (`set_x(s, value) -> io::Result<()>` and `x(s) -> io::Result<T>`):
//! - any socket: `take_error -> Option<io::Error>`, `ttl`/`set_ttl` (`u32`),
//!   `only_v6`/`set_only_v6` (`bool`);
//! - TCP streams: `nodelay` (`bool`), `recv_buffer_size`, `send_buffer_size`
//!   (`usize`), `keepalive` (`Option<Duration>`: the idle time before the
//!   first probe), `linger` (`Option<Duration>`);
//! - UDP sockets: `broadcast`, `multicast_loop_v4`, `multicast_loop_v6`
//!   (`bool`), `multicast_ttl_v4` (`u32`), and
//!   `join_multicast_v4(s, &Ipv4Addr, &Ipv4Addr)`,
//!   `leave_multicast_v4(s, &Ipv4Addr, &Ipv4Addr)`,
//!   `join_multicast_v6(s, &Ipv6Addr, u32)`,
//!   `leave_multicast_v6(s, &Ipv6Addr, u32)`.
//!
//! Where Unix systems differ: Linux, Android and the BSDs create and
//! accept sockets with `SOCK_NONBLOCK | SOCK_CLOEXEC` in the same system call
//! and send with `MSG_NOSIGNAL`; Apple's systems have neither, so a new socket
//! gets `FD_CLOEXEC`, `O_NONBLOCK` and `SO_NOSIGPIPE` right after it is made.
//! OpenBSD has no per-socket keepalive idle time: `Some` in `set_keepalive`,
//! and `keepalive` on a socket with keepalive on, are `Unsupported` there.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::net::{self as rnet, sockopt, AddressFamily, RecvFlags, SendFlags, SocketType};

use super::cvt;

/// Length of the queue of connections waiting for `accept`.
pub(crate) const LISTEN_BACKLOG: i32 = 1024;

/// Most buffers one vectored call passes (`IOV_MAX` on the supported systems).
const MAX_IOV: usize = 1024;
/// The same, under the name the portable layer reads.
pub(crate) const MAX_IOVECS: usize = MAX_IOV;

/// Flags for every send: `MSG_NOSIGNAL` where it exists.
#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;
/// Flags for every send: Apple systems use `SO_NOSIGPIPE` on the socket instead.
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: SendFlags = SendFlags::empty();

fn domain(addr: &SocketAddr) -> AddressFamily {
    match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    }
}

/// `socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)`: one system call.
#[cfg(not(target_vendor = "apple"))]
fn new_socket(addr: &SocketAddr, ty: SocketType) -> io::Result<OwnedFd> {
    let flags = rnet::SocketFlags::NONBLOCK | rnet::SocketFlags::CLOEXEC;
    cvt(rnet::socket_with(domain(addr), ty, flags, None))
}

/// `socket(domain, type, 0)`, then close-on-exec, non-blocking and no `SIGPIPE`.
#[cfg(target_vendor = "apple")]
fn new_socket(addr: &SocketAddr, ty: SocketType) -> io::Result<OwnedFd> {
    let fd = cvt(rnet::socket(domain(addr), ty, None))?;
    fit_new_fd(&fd)?;
    Ok(fd)
}

/// Apple systems: what `SOCK_CLOEXEC`, `SOCK_NONBLOCK` and `MSG_NOSIGNAL` do elsewhere.
#[cfg(target_vendor = "apple")]
fn fit_new_fd(fd: &OwnedFd) -> io::Result<()> {
    cvt(rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC))?;
    cvt(rustix::io::ioctl_fionbio(fd, true))?;
    cvt(sockopt::set_socket_nosigpipe(fd, true))
}

/// The backend's socket types: the standard library's.
pub(crate) use std::net::{TcpListener, TcpStream, UdpSocket};

/// A standard library stream, made non-blocking, as the backend's type.
#[inline]
pub(crate) fn from_std_stream(s: net::TcpStream) -> io::Result<TcpStream> {
    adopt(&s)?;
    Ok(s)
}

/// A standard library listener, made non-blocking, as the backend's type.
#[inline]
pub(crate) fn from_std_listener(l: net::TcpListener) -> io::Result<TcpListener> {
    adopt(&l)?;
    Ok(l)
}

/// A standard library UDP socket, made non-blocking, as the backend's type.
#[inline]
pub(crate) fn from_std_udp(s: net::UdpSocket) -> io::Result<UdpSocket> {
    adopt(&s)?;
    Ok(s)
}

/// Starts connecting a standard library stream to `addr`, non-blocking.
#[inline]
pub(crate) fn connect_std_stream(s: net::TcpStream, addr: &SocketAddr) -> io::Result<TcpStream> {
    adopt(&s)?;
    tcp_connect_stream(&s, addr)?;
    Ok(s)
}

/// An accepted stream as a standard library stream in blocking mode.
#[inline]
pub(crate) fn into_std_blocking(s: TcpStream) -> io::Result<net::TcpStream> {
    s.set_nonblocking(false)?;
    Ok(s)
}

/// Creates a listening TCP socket bound to `addr`.
pub(crate) fn tcp_bind(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    tcp_bind_with(addr, false)
}

/// `tcp_bind` with `SO_REUSEPORT` too, set before `bind`: several listeners
/// (each set so, by the same user) share the address, and Linux spreads
/// the incoming connections over them. Elsewhere `SO_REUSEPORT` lets
/// listeners share an address without spreading connections (the last
/// bound gets them): `Unsupported`.
pub(crate) fn tcp_bind_reuseport(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        tcp_bind_with(addr, true)
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "listeners that share connections (SO_REUSEPORT) are a Linux and Android addition",
        ))
    }
}

fn tcp_bind_with(addr: &SocketAddr, reuseport: bool) -> io::Result<net::TcpListener> {
    let fd = new_socket(addr, SocketType::STREAM)?;
    cvt(sockopt::set_socket_reuseaddr(&fd, true))?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if reuseport {
        cvt(sockopt::set_socket_reuseport(&fd, true))?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = reuseport;
    cvt(rnet::bind(&fd, addr))?;
    cvt(rnet::listen(&fd, LISTEN_BACKLOG))?;
    Ok(net::TcpListener::from(fd))
}

/// `connect` on a non-blocking socket: a connection in progress is success.
fn connect_in_progress<S: AsFd>(s: &S, addr: &SocketAddr) -> io::Result<()> {
    match rnet::connect(s, addr) {
        Ok(()) | Err(rustix::io::Errno::INPROGRESS) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Starts a TCP connection to `addr`; it completes when the socket turns writable.
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream> {
    let fd = new_socket(addr, SocketType::STREAM)?;
    connect_in_progress(&fd, addr)?;
    Ok(net::TcpStream::from(fd))
}

/// Starts a connection on a stream socket made elsewhere (already adopted).
pub(crate) fn tcp_connect_stream(s: &net::TcpStream, addr: &SocketAddr) -> io::Result<()> {
    connect_in_progress(s, addr)
}

fn to_std_addr(addr: Option<rnet::SocketAddrAny>) -> io::Result<SocketAddr> {
    match addr {
        Some(addr) => SocketAddr::try_from(addr).map_err(io::Error::from),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the system gave no peer address",
        )),
    }
}

/// `accept4(l, .., SOCK_NONBLOCK | SOCK_CLOEXEC)`: one system call.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn tcp_accept(l: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let flags = rnet::SocketFlags::NONBLOCK | rnet::SocketFlags::CLOEXEC;
    let (fd, addr) = cvt(rnet::acceptfrom_with(l, flags))?;
    Ok((net::TcpStream::from(fd), to_std_addr(addr)?))
}

/// `accept`, then close-on-exec, non-blocking and no `SIGPIPE`.
#[cfg(target_vendor = "apple")]
pub(crate) fn tcp_accept(l: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (fd, addr) = cvt(rnet::acceptfrom(l))?;
    fit_new_fd(&fd)?;
    Ok((net::TcpStream::from(fd), to_std_addr(addr)?))
}

/// Creates a UDP socket bound to `addr`.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket> {
    let fd = new_socket(addr, SocketType::DGRAM)?;
    cvt(rnet::bind(&fd, addr))?;
    Ok(net::UdpSocket::from(fd))
}

/// Makes a socket created elsewhere non-blocking (and free of `SIGPIPE` on Apple systems).
pub(crate) fn adopt<S: AsFd>(s: &S) -> io::Result<()> {
    cvt(rustix::io::ioctl_fionbio(s, true))?;
    #[cfg(target_vendor = "apple")]
    cvt(sockopt::set_socket_nosigpipe(s, true))?;
    Ok(())
}

/// Where the hot path's system calls are issued directly (see `syscall`).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod quick {
    use std::io;
    use std::os::fd::{AsFd, AsRawFd};

    use crate::sys::unix::syscall::{cvt, int, syscall3, syscall6};

    /// `read(s, buf)`: on a socket, `recv` with no flag.
    #[inline]
    pub(super) fn recv<S: AsFd>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
        let fd = s.as_fd().as_raw_fd();
        // SAFETY: read(fd, buf, len) writes at most `len` bytes to `buf`,
        // which is borrowed mutably for the call; the descriptor is open
        // (borrowed).
        cvt(unsafe {
            syscall3(
                libc::SYS_read,
                int(fd),
                buf.as_mut_ptr() as usize,
                buf.len(),
            )
        })
    }

    /// `sendto(s, buf, MSG_NOSIGNAL, NULL, 0)`.
    #[inline]
    pub(super) fn send<S: AsFd>(s: &S, buf: &[u8]) -> io::Result<usize> {
        let fd = s.as_fd().as_raw_fd();
        // SAFETY: sendto(fd, buf, len, flags, NULL, 0) reads at most `len`
        // bytes of `buf`, borrowed for the call; no address is passed; the
        // descriptor is open (borrowed).
        cvt(unsafe {
            syscall6(
                libc::SYS_sendto,
                int(fd),
                buf.as_ptr() as usize,
                buf.len(),
                int(libc::MSG_NOSIGNAL),
                0,
                0,
            )
        })
    }
}

/// `recv(s, buf, 0)`.
#[inline]
pub(crate) fn recv<S: AsFd>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        quick::recv(s, buf)
    }
    #[cfg(not(all(
        any(target_os = "linux", target_os = "android"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        cvt(rnet::recv(s, buf, RecvFlags::empty())).map(|(n, _)| n)
    }
}

/// `recv(s, buf, MSG_PEEK)`.
#[inline]
pub(crate) fn peek<S: AsFd>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    cvt(rnet::recv(s, buf, RecvFlags::PEEK)).map(|(n, _)| n)
}

/// `readv(s, bufs)`.
#[inline]
pub(crate) fn recv_vectored<S: AsFd>(s: &S, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let n = bufs.len().min(MAX_IOV);
    cvt(rustix::io::readv(s, &mut bufs[..n]))
}

/// `send(s, buf, MSG_NOSIGNAL)`.
#[inline]
pub(crate) fn send<S: AsFd>(s: &S, buf: &[u8]) -> io::Result<usize> {
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        quick::send(s, buf)
    }
    #[cfg(not(all(
        any(target_os = "linux", target_os = "android"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        cvt(rnet::send(s, buf, SEND_FLAGS))
    }
}

/// `sendmsg(s, {bufs}, MSG_NOSIGNAL)`: unlike `writev`, it takes the no-signal flag.
#[inline]
pub(crate) fn send_vectored<S: AsFd>(s: &S, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let bufs = &bufs[..bufs.len().min(MAX_IOV)];
    let mut control = rnet::SendAncillaryBuffer::default();
    cvt(rnet::sendmsg(s, bufs, &mut control, SEND_FLAGS))
}

/// `readv` into the classic API's [`IoVec`](iovec::IoVec) buffers, with no
/// copy: the `iovec` crate lays a `&IoVec` out as the system's `iovec`.
#[inline]
pub(crate) fn recv_iovecs<S: AsFd>(s: &S, bufs: &mut [&mut iovec::IoVec]) -> io::Result<usize> {
    let os = iovec::unix::as_os_slice_mut(bufs);
    let (ptr, len) = (os.as_mut_ptr(), os.len());
    // SAFETY: std guarantees that `IoSliceMut` is ABI-compatible with
    // `iovec` on Unix; the records point into the caller's buffers, which
    // stay mutably borrowed (through `bufs`) for as long as `slices` lives.
    let slices = unsafe { std::slice::from_raw_parts_mut(ptr.cast::<IoSliceMut<'_>>(), len) };
    recv_vectored(s, slices)
}

/// `sendmsg` of the classic API's [`IoVec`](iovec::IoVec) buffers, with
/// `MSG_NOSIGNAL` and no copy.
#[inline]
pub(crate) fn send_iovecs<S: AsFd>(s: &S, bufs: &[&iovec::IoVec]) -> io::Result<usize> {
    let os = iovec::unix::as_os_slice(bufs);
    // SAFETY: std guarantees that `IoSlice` is ABI-compatible with `iovec` on
    // Unix; the records point into the caller's buffers, borrowed through
    // `bufs` for as long as `slices` lives.
    let slices = unsafe { std::slice::from_raw_parts(os.as_ptr().cast::<IoSlice<'_>>(), os.len()) };
    send_vectored(s, slices)
}

/// `recvfrom(s, buf, 0, &addr)`.
#[inline]
pub(crate) fn recv_from<S: AsFd>(s: &S, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let (n, _, addr) = cvt(rnet::recvfrom(s, buf, RecvFlags::empty()))?;
    Ok((n, to_std_addr(addr)?))
}

/// `sendto(s, buf, MSG_NOSIGNAL, addr)`.
#[inline]
pub(crate) fn send_to<S: AsFd>(s: &S, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    cvt(rnet::sendto(s, buf, SEND_FLAGS, addr))
}

/// `connect(s, addr)` for a datagram socket: sets its default peer.
pub(crate) fn connect<S: AsFd>(s: &S, addr: &SocketAddr) -> io::Result<()> {
    cvt(rnet::connect(s, addr))
}

/// `shutdown(s, how)`.
pub(crate) fn shutdown<S: AsFd>(s: &S, how: net::Shutdown) -> io::Result<()> {
    let how = match how {
        net::Shutdown::Read => rnet::Shutdown::Read,
        net::Shutdown::Write => rnet::Shutdown::Write,
        net::Shutdown::Both => rnet::Shutdown::Both,
    };
    cvt(rnet::shutdown(s, how))
}

/// `getsockopt(SO_ERROR)`: the pending error, which reading clears.
pub(crate) fn take_error<S: AsFd>(s: &S) -> io::Result<Option<io::Error>> {
    Ok(cvt(sockopt::socket_error(s))?.err().map(io::Error::from))
}

/// `setsockopt(IP_TTL)`.
pub(crate) fn set_ttl<S: AsFd>(s: &S, ttl: u32) -> io::Result<()> {
    cvt(sockopt::set_ip_ttl(s, ttl))
}

/// `getsockopt(IP_TTL)`.
pub(crate) fn ttl<S: AsFd>(s: &S) -> io::Result<u32> {
    cvt(sockopt::ip_ttl(s))
}

/// `setsockopt(IPV6_V6ONLY)`.
pub(crate) fn set_only_v6<S: AsFd>(s: &S, only_v6: bool) -> io::Result<()> {
    cvt(sockopt::set_ipv6_v6only(s, only_v6))
}

/// `getsockopt(IPV6_V6ONLY)`.
pub(crate) fn only_v6<S: AsFd>(s: &S) -> io::Result<bool> {
    cvt(sockopt::ipv6_v6only(s))
}

/// `setsockopt(TCP_NODELAY)`.
pub(crate) fn set_nodelay<S: AsFd>(s: &S, nodelay: bool) -> io::Result<()> {
    cvt(sockopt::set_tcp_nodelay(s, nodelay))
}

/// `getsockopt(TCP_NODELAY)`.
pub(crate) fn nodelay<S: AsFd>(s: &S) -> io::Result<bool> {
    cvt(sockopt::tcp_nodelay(s))
}

/// `setsockopt(SO_RCVBUF)`.
pub(crate) fn set_recv_buffer_size<S: AsFd>(s: &S, size: usize) -> io::Result<()> {
    cvt(sockopt::set_socket_recv_buffer_size(s, size))
}

/// `getsockopt(SO_RCVBUF)`.
pub(crate) fn recv_buffer_size<S: AsFd>(s: &S) -> io::Result<usize> {
    cvt(sockopt::socket_recv_buffer_size(s))
}

/// `setsockopt(SO_SNDBUF)`.
pub(crate) fn set_send_buffer_size<S: AsFd>(s: &S, size: usize) -> io::Result<()> {
    cvt(sockopt::set_socket_send_buffer_size(s, size))
}

/// `getsockopt(SO_SNDBUF)`.
pub(crate) fn send_buffer_size<S: AsFd>(s: &S) -> io::Result<usize> {
    cvt(sockopt::socket_send_buffer_size(s))
}

/// `SO_KEEPALIVE`, and with `Some(idle)` the idle time before the first probe
/// (`TCP_KEEPIDLE`; `TCP_KEEPALIVE` on Apple systems), in whole seconds rounded up.
pub(crate) fn set_keepalive<S: AsFd>(s: &S, keepalive: Option<Duration>) -> io::Result<()> {
    match keepalive {
        Some(idle) => {
            set_keepidle(s, idle)?;
            cvt(sockopt::set_socket_keepalive(s, true))
        }
        None => cvt(sockopt::set_socket_keepalive(s, false)),
    }
}

#[cfg(not(target_os = "openbsd"))]
fn set_keepidle<S: AsFd>(s: &S, idle: Duration) -> io::Result<()> {
    cvt(sockopt::set_tcp_keepidle(s, idle))
}

#[cfg(not(target_os = "openbsd"))]
fn keepidle<S: AsFd>(s: &S) -> io::Result<Duration> {
    cvt(sockopt::tcp_keepidle(s))
}

// OpenBSD has no idle time per socket: one system-wide value applies to all.
#[cfg(target_os = "openbsd")]
fn set_keepidle<S: AsFd>(_: &S, _: Duration) -> io::Result<()> {
    Err(no_keepidle())
}

#[cfg(target_os = "openbsd")]
fn keepidle<S: AsFd>(_: &S) -> io::Result<Duration> {
    Err(no_keepidle())
}

#[cfg(target_os = "openbsd")]
fn no_keepidle() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "OpenBSD has no per-socket keepalive idle time (TCP_KEEPIDLE); \
         the system-wide sysctl net.inet.tcp.keepidle applies",
    )
}

/// `None` when `SO_KEEPALIVE` is off, else the idle time before the first probe.
pub(crate) fn keepalive<S: AsFd>(s: &S) -> io::Result<Option<Duration>> {
    if !cvt(sockopt::socket_keepalive(s))? {
        return Ok(None);
    }
    keepidle(s).map(Some)
}

/// `setsockopt(SO_LINGER)`, in whole seconds rounded up.
pub(crate) fn set_linger<S: AsFd>(s: &S, linger: Option<Duration>) -> io::Result<()> {
    cvt(sockopt::set_socket_linger(s, linger))
}

/// `getsockopt(SO_LINGER)`.
pub(crate) fn linger<S: AsFd>(s: &S) -> io::Result<Option<Duration>> {
    cvt(sockopt::socket_linger(s))
}

/// `setsockopt(SO_BROADCAST)`.
pub(crate) fn set_broadcast<S: AsFd>(s: &S, on: bool) -> io::Result<()> {
    cvt(sockopt::set_socket_broadcast(s, on))
}

/// `getsockopt(SO_BROADCAST)`.
pub(crate) fn broadcast<S: AsFd>(s: &S) -> io::Result<bool> {
    cvt(sockopt::socket_broadcast(s))
}

/// `setsockopt(IP_MULTICAST_LOOP)`.
pub(crate) fn set_multicast_loop_v4<S: AsFd>(s: &S, on: bool) -> io::Result<()> {
    cvt(sockopt::set_ip_multicast_loop(s, on))
}

/// `getsockopt(IP_MULTICAST_LOOP)`.
pub(crate) fn multicast_loop_v4<S: AsFd>(s: &S) -> io::Result<bool> {
    cvt(sockopt::ip_multicast_loop(s))
}

/// `setsockopt(IP_MULTICAST_TTL)`.
pub(crate) fn set_multicast_ttl_v4<S: AsFd>(s: &S, ttl: u32) -> io::Result<()> {
    cvt(sockopt::set_ip_multicast_ttl(s, ttl))
}

/// `getsockopt(IP_MULTICAST_TTL)`.
pub(crate) fn multicast_ttl_v4<S: AsFd>(s: &S) -> io::Result<u32> {
    cvt(sockopt::ip_multicast_ttl(s))
}

/// `setsockopt(IPV6_MULTICAST_LOOP)`.
pub(crate) fn set_multicast_loop_v6<S: AsFd>(s: &S, on: bool) -> io::Result<()> {
    cvt(sockopt::set_ipv6_multicast_loop(s, on))
}

/// `getsockopt(IPV6_MULTICAST_LOOP)`.
pub(crate) fn multicast_loop_v6<S: AsFd>(s: &S) -> io::Result<bool> {
    cvt(sockopt::ipv6_multicast_loop(s))
}

/// `setsockopt(IP_ADD_MEMBERSHIP)`.
pub(crate) fn join_multicast_v4<S: AsFd>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    cvt(sockopt::set_ip_add_membership(s, multiaddr, interface))
}

/// `setsockopt(IP_DROP_MEMBERSHIP)`.
pub(crate) fn leave_multicast_v4<S: AsFd>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    cvt(sockopt::set_ip_drop_membership(s, multiaddr, interface))
}

/// `setsockopt(IPV6_ADD_MEMBERSHIP)` (`IPV6_JOIN_GROUP`).
pub(crate) fn join_multicast_v6<S: AsFd>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    cvt(sockopt::set_ipv6_add_membership(s, multiaddr, interface))
}

/// `setsockopt(IPV6_DROP_MEMBERSHIP)` (`IPV6_LEAVE_GROUP`).
pub(crate) fn leave_multicast_v6<S: AsFd>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    cvt(sockopt::set_ipv6_drop_membership(s, multiaddr, interface))
}
