//! Socket calls for Windows: creation and options through `socket2`,
//! the data path through Winsock (`windows-sys`).
//!
//! The same function set as the Unix backend's `net` module (see there for
//! the list), with `AsSocket` as the bound on the socket argument. What is
//! written out in Winsock here is what neither std nor `socket2` offers:
//! - the receives: a datagram cut to the buffer's size counts as filling
//!   it, as on Unix (socket2 reports `WSAEMSGSIZE` as an error, or as a
//!   flag), and a shut-down socket reads as the end of the stream;
//! - `WSARecv`/`WSASend` over the classic API's `IoVec` buffers;
//! - `SIO_UDP_CONNRESET`, and the keep-alive idle time (`TCP_KEEPIDLE`,
//!   which socket2 neither sets nor reads on Windows).
//!
//! Where Windows differs:
//! - a new socket is made non-inheritable (`WSA_FLAG_NO_HANDLE_INHERIT`,
//!   socket2's default) and then set non-blocking with `FIONBIO`: Windows
//!   has no way to do both in one call; accepted sockets inherit
//!   non-blocking mode from their listener;
//! - listeners do not set `SO_REUSEADDR`, which on Windows lets another
//!   socket take over a port in use;
//! - UDP sockets get `SIO_UDP_CONNRESET` turned off, so an ICMP
//!   port-unreachable from one peer does not fail the next `recv_from`
//!   with `WSAECONNRESET`;
//! - Windows has no `SIGPIPE`, so nothing is needed for it.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{size_of, MaybeUninit};
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::windows::io::{AsRawSocket, AsSocket};
use std::ptr;
use std::time::Duration;

use socket2::{Domain, SockAddr, SockRef, Socket, TcpKeepalive, Type};
use windows_sys::Win32::Networking::WinSock as ws;
use windows_sys::Win32::Networking::WinSock::{SOCKADDR, SOCKET, SOCKET_ERROR};

/// Length of the queue of connections waiting for `accept`.
pub(crate) const LISTEN_BACKLOG: i32 = 1024;

/// The last Winsock error of this thread.
fn last_error() -> io::Error {
    // SAFETY: reads a thread-local value.
    io::Error::from_raw_os_error(unsafe { ws::WSAGetLastError() })
}

/// Turns a Winsock return value into a result.
#[inline]
fn cvt(r: i32) -> io::Result<i32> {
    if r == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(r)
    }
}

#[inline]
fn raw<S: AsSocket>(s: &S) -> SOCKET {
    s.as_socket().as_raw_socket() as SOCKET
}

/// A std socket address from socket2's, which the system filled in.
fn std_addr(addr: &SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the system gave an address of an unknown family",
        )
    })
}

/// A new non-blocking, non-inheritable socket for `addr`'s family.
fn new_socket(addr: &SocketAddr, ty: Type) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(*addr), ty, None)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

/// Turns off the reporting of ICMP port-unreachable as `WSAECONNRESET`
/// on a UDP socket.
fn no_udp_connreset(s: SOCKET) -> io::Result<()> {
    let off: i32 = 0; // FALSE
    let mut bytes = 0u32;
    // SAFETY: the input is a live four-byte BOOL; no output, no overlapped.
    cvt(unsafe {
        ws::WSAIoctl(
            s,
            ws::SIO_UDP_CONNRESET,
            &off as *const i32 as *const core::ffi::c_void,
            size_of::<i32>() as u32,
            ptr::null_mut(),
            0,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    })
    .map(drop)
}

/// `connect` on a non-blocking socket: a connection in progress is success.
fn connect_in_progress(s: SockRef<'_>, addr: &SocketAddr) -> io::Result<()> {
    match s.connect(&SockAddr::from(*addr)) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(ws::WSAEWOULDBLOCK) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `s` is a datagram socket.
fn is_datagram(s: SockRef<'_>) -> io::Result<bool> {
    Ok(s.r#type()? == Type::DGRAM)
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
    let s = new_socket(addr, Type::STREAM)?;
    s.bind(&SockAddr::from(*addr))?;
    s.listen(LISTEN_BACKLOG)?;
    Ok(s.into())
}

/// Listeners that share an address and its connections (`SO_REUSEPORT` on
/// Linux) have no Windows counterpart.
pub(crate) fn tcp_bind_reuseport(_addr: &SocketAddr) -> io::Result<net::TcpListener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "listeners that share connections (SO_REUSEPORT) are a Linux and Android addition",
    ))
}

/// Starts a TCP connection to `addr`; it completes when the socket turns writable.
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream> {
    let s = new_socket(addr, Type::STREAM)?;
    connect_in_progress(SockRef::from(&s), addr)?;
    Ok(s.into())
}

/// Starts a connection on a stream socket made elsewhere (already adopted).
pub(crate) fn tcp_connect_stream(s: &net::TcpStream, addr: &SocketAddr) -> io::Result<()> {
    connect_in_progress(SockRef::from(s), addr)
}

/// `accept`; the new socket inherits non-blocking mode from the listener
/// and is made non-inheritable by child processes.
pub(crate) fn tcp_accept(l: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (s, addr) = SockRef::from(l).accept()?;
    let addr = std_addr(&addr)?;
    Ok((s.into(), addr))
}

/// Creates a UDP socket bound to `addr`.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket> {
    let s = new_socket(addr, Type::DGRAM)?;
    no_udp_connreset(raw(&s))?;
    s.bind(&SockAddr::from(*addr))?;
    Ok(s.into())
}

/// Makes a socket created elsewhere non-blocking (and, for UDP, deaf to
/// ICMP port-unreachable).
pub(crate) fn adopt<S: AsSocket>(s: &S) -> io::Result<()> {
    let sock = SockRef::from(s);
    sock.set_nonblocking(true)?;
    if is_datagram(sock)? {
        no_udp_connreset(raw(s))?;
    }
    Ok(())
}

#[inline]
fn clamp_len(len: usize) -> i32 {
    len.min(i32::MAX as usize) as i32
}

/// A receive's result: a shut-down socket reads as the end of the stream,
/// and a datagram cut to the buffer's size counts as filling it, as on Unix.
#[inline]
fn recv_result(r: i32, len: usize) -> io::Result<usize> {
    if r != SOCKET_ERROR {
        return Ok(r as usize);
    }
    let e = last_error();
    match e.raw_os_error() {
        Some(ws::WSAESHUTDOWN) => Ok(0),
        Some(ws::WSAEMSGSIZE) => Ok(len),
        _ => Err(e),
    }
}

/// `recv(s, buf, 0)`.
#[inline]
pub(crate) fn recv<S: AsSocket>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for the length given.
    let r = unsafe { ws::recv(raw(s), buf.as_mut_ptr(), clamp_len(buf.len()), 0) };
    recv_result(r, buf.len())
}

/// `recv(s, buf, MSG_PEEK)`.
#[inline]
pub(crate) fn peek<S: AsSocket>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for the length given.
    let r = unsafe { ws::recv(raw(s), buf.as_mut_ptr(), clamp_len(buf.len()), ws::MSG_PEEK) };
    recv_result(r, buf.len())
}

/// `WSARecv` over several buffers (`IoSliceMut` has `WSABUF`'s layout).
#[inline]
pub(crate) fn recv_vectored<S: AsSocket>(s: &S, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(u32::MAX as usize) as u32;
    let mut got = 0u32;
    let mut flags = 0u32;
    // SAFETY: std guarantees `IoSliceMut` is ABI-compatible with WSABUF on
    // Windows; the buffers are writable; no overlapped, so the call is
    // synchronous (non-blocking).
    let r = unsafe {
        ws::WSARecv(
            raw(s),
            bufs.as_mut_ptr() as *const ws::WSABUF,
            count,
            &mut got,
            &mut flags,
            ptr::null_mut(),
            None,
        )
    };
    if r == SOCKET_ERROR {
        let e = last_error();
        return match e.raw_os_error() {
            Some(ws::WSAESHUTDOWN) => Ok(0),
            Some(ws::WSAEMSGSIZE) => Ok(bufs.iter().map(|b| b.len()).sum()),
            _ => Err(e),
        };
    }
    Ok(got as usize)
}

/// `send(s, buf, 0)`.
#[inline]
pub(crate) fn send<S: AsSocket>(s: &S, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(s).send(buf)
}

/// `WSASend` over several buffers.
#[inline]
pub(crate) fn send_vectored<S: AsSocket>(s: &S, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    SockRef::from(s).send_vectored(bufs)
}

/// Most buffers one call of [`recv_iovecs`] or [`send_iovecs`] passes.
///
/// Windows has no `IOV_MAX`: the `WSABUF` records are built in an array of
/// this size on the stack (1 KiB, left uninitialized beyond the records
/// used). On a stream socket the buffers past it wait for the next call, as
/// the short count says; a datagram cannot be split that way, so more
/// buffers than this on a datagram socket are an `InvalidInput` error.
pub(crate) const MAX_IOVECS: usize = 64;

/// How many of `n` buffers one vectored call on `s` passes (see
/// [`MAX_IOVECS`]).
#[inline]
fn iovec_count<S: AsSocket>(s: &S, n: usize) -> io::Result<usize> {
    if n <= MAX_IOVECS {
        Ok(n)
    } else {
        iovec_count_over(s)
    }
}

#[cold]
fn iovec_count_over<S: AsSocket>(s: &S) -> io::Result<usize> {
    if is_datagram(SockRef::from(s))? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a datagram takes at most 64 buffers on Windows",
        ));
    }
    Ok(MAX_IOVECS)
}

/// One `WSARecv` into the classic API's [`IoVec`](iovec::IoVec) buffers,
/// filled in order, through an array of `WSABUF`s on the stack (at most
/// [`MAX_IOVECS`]); nothing is allocated.
#[inline]
pub(crate) fn recv_iovecs<S: AsSocket>(s: &S, bufs: &mut [&mut iovec::IoVec]) -> io::Result<usize> {
    let count = iovec_count(s, bufs.len())?;
    let s = raw(s);
    let mut records = [MaybeUninit::<ws::WSABUF>::uninit(); MAX_IOVECS];
    for (record, buf) in records.iter_mut().zip(bufs.iter_mut()) {
        let bytes: &mut [u8] = buf;
        // An `IoVec` is at most `u32::MAX` bytes long on Windows.
        record.write(ws::WSABUF {
            len: bytes.len() as u32,
            buf: bytes.as_mut_ptr(),
        });
    }
    let mut got = 0u32;
    let mut flags = 0u32;
    // SAFETY: the first `count` records are initialized and point into the
    // caller's buffers, writable and mutably borrowed for the call; no
    // overlapped, so the call completes (or would block) before it returns.
    let r = unsafe {
        ws::WSARecv(
            s,
            records.as_ptr().cast::<ws::WSABUF>(),
            count as u32,
            &mut got,
            &mut flags,
            ptr::null_mut(),
            None,
        )
    };
    if r == SOCKET_ERROR {
        let e = last_error();
        return match e.raw_os_error() {
            Some(ws::WSAESHUTDOWN) => Ok(0),
            // A datagram cut to fit: it filled every buffer passed.
            Some(ws::WSAEMSGSIZE) => Ok(bufs[..count].iter().map(|b| b.len()).sum()),
            _ => Err(e),
        };
    }
    Ok(got as usize)
}

/// One `WSASend` of the classic API's [`IoVec`](iovec::IoVec) buffers, in
/// order, through an array of `WSABUF`s on the stack (at most
/// [`MAX_IOVECS`]); nothing is allocated.
#[inline]
pub(crate) fn send_iovecs<S: AsSocket>(s: &S, bufs: &[&iovec::IoVec]) -> io::Result<usize> {
    let count = iovec_count(s, bufs.len())?;
    let s = raw(s);
    let mut records = [MaybeUninit::<ws::WSABUF>::uninit(); MAX_IOVECS];
    for (record, buf) in records.iter_mut().zip(bufs.iter()) {
        let bytes: &[u8] = buf;
        // As above; Winsock only reads through the pointer.
        record.write(ws::WSABUF {
            len: bytes.len() as u32,
            buf: bytes.as_ptr() as *mut u8,
        });
    }
    let mut sent = 0u32;
    // SAFETY: the first `count` records are initialized and point into the
    // caller's buffers, borrowed for the call, which only reads them; no
    // overlapped, so the call completes (or would block) before it returns.
    let r = unsafe {
        ws::WSASend(
            s,
            records.as_ptr().cast::<ws::WSABUF>(),
            count as u32,
            &mut sent,
            0,
            ptr::null_mut(),
            None,
        )
    };
    cvt(r).map(|_| sent as usize)
}

/// `recvfrom(s, buf, 0)`.
#[inline]
pub(crate) fn recv_from<S: AsSocket>(s: &S, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let s = raw(s);
    // SAFETY: `recvfrom` fills in at most `len` bytes of the storage and
    // says how many in `len`, which is all `try_init` asks; `buf` is
    // writable for its length.
    let (n, addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let r = ws::recvfrom(
                s,
                buf.as_mut_ptr(),
                clamp_len(buf.len()),
                0,
                storage.cast::<SOCKADDR>(),
                len,
            );
            recv_result(r, buf.len())
        })
    }?;
    Ok((n, std_addr(&addr)?))
}

/// `sendto(s, buf, 0, addr)`.
#[inline]
pub(crate) fn send_to<S: AsSocket>(s: &S, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    SockRef::from(s).send_to(buf, &SockAddr::from(*addr))
}

/// `connect` for datagram sockets: sets the default peer.
pub(crate) fn connect<S: AsSocket>(s: &S, addr: &SocketAddr) -> io::Result<()> {
    SockRef::from(s).connect(&SockAddr::from(*addr))
}

/// `shutdown(s, how)`.
pub(crate) fn shutdown<S: AsSocket>(s: &S, how: net::Shutdown) -> io::Result<()> {
    SockRef::from(s).shutdown(how)
}

/// `SO_ERROR`: the pending error, cleared by reading it.
pub(crate) fn take_error<S: AsSocket>(s: &S) -> io::Result<Option<io::Error>> {
    SockRef::from(s).take_error()
}

pub(crate) fn set_ttl<S: AsSocket>(s: &S, ttl: u32) -> io::Result<()> {
    SockRef::from(s).set_ttl_v4(ttl)
}

pub(crate) fn ttl<S: AsSocket>(s: &S) -> io::Result<u32> {
    SockRef::from(s).ttl_v4()
}

pub(crate) fn set_only_v6<S: AsSocket>(s: &S, only_v6: bool) -> io::Result<()> {
    SockRef::from(s).set_only_v6(only_v6)
}

pub(crate) fn only_v6<S: AsSocket>(s: &S) -> io::Result<bool> {
    SockRef::from(s).only_v6()
}

pub(crate) fn set_nodelay<S: AsSocket>(s: &S, nodelay: bool) -> io::Result<()> {
    SockRef::from(s).set_tcp_nodelay(nodelay)
}

pub(crate) fn nodelay<S: AsSocket>(s: &S) -> io::Result<bool> {
    SockRef::from(s).tcp_nodelay()
}

/// A buffer size the system takes (an `int`), or `InvalidInput`.
fn size_opt(size: usize) -> io::Result<usize> {
    i32::try_from(size)
        .map(|_| size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer size too large"))
}

pub(crate) fn set_recv_buffer_size<S: AsSocket>(s: &S, size: usize) -> io::Result<()> {
    SockRef::from(s).set_recv_buffer_size(size_opt(size)?)
}

pub(crate) fn recv_buffer_size<S: AsSocket>(s: &S) -> io::Result<usize> {
    SockRef::from(s).recv_buffer_size()
}

pub(crate) fn set_send_buffer_size<S: AsSocket>(s: &S, size: usize) -> io::Result<()> {
    SockRef::from(s).set_send_buffer_size(size_opt(size)?)
}

pub(crate) fn send_buffer_size<S: AsSocket>(s: &S) -> io::Result<usize> {
    SockRef::from(s).send_buffer_size()
}

/// `TCP_KEEPIDLE`, which socket2 does not offer on Windows.
fn setopt_keepidle(s: SOCKET, secs: i32) -> io::Result<()> {
    // SAFETY: `secs` is a live local of the size given.
    cvt(unsafe {
        ws::setsockopt(
            s,
            ws::IPPROTO_TCP,
            ws::TCP_KEEPIDLE,
            &secs as *const i32 as *const u8,
            size_of::<i32>() as i32,
        )
    })
    .map(drop)
}

fn getopt_keepidle(s: SOCKET) -> io::Result<i32> {
    let mut secs: i32 = 0;
    let mut len = size_of::<i32>() as i32;
    // SAFETY: `secs` has room for `len` bytes, both live locals.
    cvt(unsafe {
        ws::getsockopt(
            s,
            ws::IPPROTO_TCP,
            ws::TCP_KEEPIDLE,
            &mut secs as *mut i32 as *mut u8,
            &mut len,
        )
    })?;
    Ok(secs)
}

/// `SO_KEEPALIVE`, and the idle time before the first probe
/// (`TCP_KEEPIDLE`, whole seconds, at least one).
pub(crate) fn set_keepalive<S: AsSocket>(s: &S, keepalive: Option<Duration>) -> io::Result<()> {
    let sock = SockRef::from(s);
    match keepalive {
        None => sock.set_keepalive(false),
        Some(idle) => {
            // Whole seconds, rounded up.
            let secs = idle.as_secs() + u64::from(idle.subsec_nanos() > 0);
            let secs = secs.clamp(1, i32::MAX as u64);
            sock.set_keepalive(true)?;
            match setopt_keepidle(raw(s), secs as i32) {
                Ok(()) => Ok(()),
                // Older systems: the idle time only through
                // SIO_KEEPALIVE_VALS (probes a second apart).
                Err(_) => sock.set_tcp_keepalive(
                    &TcpKeepalive::new()
                        .with_time(Duration::from_secs(secs))
                        .with_interval(Duration::from_secs(1)),
                ),
            }
        }
    }
}

pub(crate) fn keepalive<S: AsSocket>(s: &S) -> io::Result<Option<Duration>> {
    if !SockRef::from(s).keepalive()? {
        return Ok(None);
    }
    let secs = getopt_keepidle(raw(s))?;
    Ok(Some(Duration::from_secs(secs.max(0) as u64)))
}

/// `SO_LINGER`, in whole seconds (at most `u16::MAX`, Winsock's limit).
pub(crate) fn set_linger<S: AsSocket>(s: &S, linger: Option<Duration>) -> io::Result<()> {
    let linger = linger.map(|d| d.min(Duration::from_secs(u64::from(u16::MAX))));
    SockRef::from(s).set_linger(linger)
}

pub(crate) fn linger<S: AsSocket>(s: &S) -> io::Result<Option<Duration>> {
    SockRef::from(s).linger()
}

pub(crate) fn set_broadcast<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    SockRef::from(s).set_broadcast(on)
}

pub(crate) fn broadcast<S: AsSocket>(s: &S) -> io::Result<bool> {
    SockRef::from(s).broadcast()
}

pub(crate) fn set_multicast_loop_v4<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    SockRef::from(s).set_multicast_loop_v4(on)
}

pub(crate) fn multicast_loop_v4<S: AsSocket>(s: &S) -> io::Result<bool> {
    SockRef::from(s).multicast_loop_v4()
}

pub(crate) fn set_multicast_ttl_v4<S: AsSocket>(s: &S, ttl: u32) -> io::Result<()> {
    SockRef::from(s).set_multicast_ttl_v4(ttl)
}

pub(crate) fn multicast_ttl_v4<S: AsSocket>(s: &S) -> io::Result<u32> {
    SockRef::from(s).multicast_ttl_v4()
}

pub(crate) fn set_multicast_loop_v6<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    SockRef::from(s).set_multicast_loop_v6(on)
}

pub(crate) fn multicast_loop_v6<S: AsSocket>(s: &S) -> io::Result<bool> {
    SockRef::from(s).multicast_loop_v6()
}

pub(crate) fn join_multicast_v4<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    SockRef::from(s).join_multicast_v4(multiaddr, interface)
}

pub(crate) fn leave_multicast_v4<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    SockRef::from(s).leave_multicast_v4(multiaddr, interface)
}

pub(crate) fn join_multicast_v6<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    SockRef::from(s).join_multicast_v6(multiaddr, interface)
}

pub(crate) fn leave_multicast_v6<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    SockRef::from(s).leave_multicast_v6(multiaddr, interface)
}
