//! Socket calls for Windows, through Winsock (`windows-sys`).
//!
//! The same function set as the Unix backend's `net` module (see there for
//! the list), with `AsSocket` as the bound on the socket argument. Where
//! Windows differs:
//! - a new socket is made with `WSASocketW(.., WSA_FLAG_NO_HANDLE_INHERIT)`
//!   and then set non-blocking with `FIONBIO`: Windows has no way to do
//!   both in one call; accepted sockets inherit non-blocking mode from their
//!   listener;
//! - listeners do not set `SO_REUSEADDR`, which on Windows lets another
//!   socket take over a port in use;
//! - UDP sockets get `SIO_UDP_CONNRESET` turned off, so an ICMP
//!   port-unreachable from one peer does not fail the next `recv_from`
//!   with `WSAECONNRESET`;
//! - Windows has no `SIGPIPE`, so nothing is needed for it.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{size_of, zeroed, MaybeUninit};
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, RawSocket};
use std::ptr;
use std::sync::Once;
use std::time::Duration;

use windows_sys::Win32::Foundation::{SetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT};
use windows_sys::Win32::Networking::WinSock as ws;
use windows_sys::Win32::Networking::WinSock::{SOCKADDR, SOCKADDR_STORAGE, SOCKET, SOCKET_ERROR};

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

/// Starts Winsock once per process (std does the same before its first
/// socket call; the two starts are counted, not conflicting).
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: `data` is a live local the call fills in.
        unsafe {
            let mut data: ws::WSADATA = zeroed();
            ws::WSAStartup(0x202, &mut data);
        }
    });
}

/// A socket address in Winsock's form, and its length.
fn to_raw(addr: &SocketAddr) -> (SOCKADDR_STORAGE, i32) {
    // SAFETY: all-zero bytes are a valid SOCKADDR_STORAGE.
    let mut storage: SOCKADDR_STORAGE = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = ws::SOCKADDR_IN {
                sin_family: ws::AF_INET,
                sin_port: a.port().to_be(),
                sin_addr: ws::IN_ADDR {
                    S_un: ws::IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                },
                sin_zero: [0; 8],
            };
            // SAFETY: SOCKADDR_STORAGE is larger than and aligned for SOCKADDR_IN.
            unsafe { ptr::write(&mut storage as *mut _ as *mut ws::SOCKADDR_IN, sin) };
            size_of::<ws::SOCKADDR_IN>()
        }
        SocketAddr::V6(a) => {
            let sin6 = ws::SOCKADDR_IN6 {
                sin6_family: ws::AF_INET6,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: ws::IN6_ADDR {
                    u: ws::IN6_ADDR_0 {
                        Byte: a.ip().octets(),
                    },
                },
                Anonymous: ws::SOCKADDR_IN6_0 {
                    sin6_scope_id: a.scope_id(),
                },
            };
            // SAFETY: SOCKADDR_STORAGE is larger than and aligned for SOCKADDR_IN6.
            unsafe { ptr::write(&mut storage as *mut _ as *mut ws::SOCKADDR_IN6, sin6) };
            size_of::<ws::SOCKADDR_IN6>()
        }
    };
    (storage, len as i32)
}

/// A socket address from Winsock's form.
fn from_raw(storage: &SOCKADDR_STORAGE, len: i32) -> io::Result<SocketAddr> {
    match storage.ss_family {
        ws::AF_INET if len as usize >= size_of::<ws::SOCKADDR_IN>() => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN.
            let sin = unsafe { &*(storage as *const _ as *const ws::SOCKADDR_IN) };
            // SAFETY: every member of the union is four plain bytes.
            let ip = Ipv4Addr::from(unsafe { sin.sin_addr.S_un.S_addr }.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        ws::AF_INET6 if len as usize >= size_of::<ws::SOCKADDR_IN6>() => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN6.
            let sin6 = unsafe { &*(storage as *const _ as *const ws::SOCKADDR_IN6) };
            // SAFETY: the union members are plain bytes of the same size.
            let (ip, scope) = unsafe { (sin6.sin6_addr.u.Byte, sin6.Anonymous.sin6_scope_id) };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                scope,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the system gave an address of an unknown family",
        )),
    }
}

/// An owned raw socket, closed on drop unless handed over.
struct Guard(SOCKET);

impl Guard {
    fn into_raw(self) -> RawSocket {
        let s = self.0;
        std::mem::forget(self);
        s as RawSocket
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: the socket is open and owned by the guard.
        unsafe { ws::closesocket(self.0) };
    }
}

/// `WSASocketW(family, ty, 0, .., WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)`,
/// then `FIONBIO`.
fn new_socket(addr: &SocketAddr, ty: i32) -> io::Result<Guard> {
    init();
    let family = match addr {
        SocketAddr::V4(_) => ws::AF_INET,
        SocketAddr::V6(_) => ws::AF_INET6,
    };
    // SAFETY: plain arguments; no protocol info structure is passed.
    let s = unsafe {
        ws::WSASocketW(
            family as i32,
            ty,
            0,
            ptr::null(),
            0,
            ws::WSA_FLAG_OVERLAPPED | ws::WSA_FLAG_NO_HANDLE_INHERIT,
        )
    };
    if s == ws::INVALID_SOCKET {
        return Err(last_error());
    }
    let guard = Guard(s);
    set_nonblocking(s)?;
    Ok(guard)
}

fn set_nonblocking(s: SOCKET) -> io::Result<()> {
    let mut on: u32 = 1;
    // SAFETY: `on` is a live local of the size FIONBIO reads.
    cvt(unsafe { ws::ioctlsocket(s, ws::FIONBIO, &mut on) }).map(drop)
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

fn bind_raw(s: SOCKET, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    cvt(unsafe { ws::bind(s, &storage as *const _ as *const SOCKADDR, len) }).map(drop)
}

/// `connect` on a non-blocking socket: a connection in progress is success.
fn connect_in_progress(s: SOCKET, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    match cvt(unsafe { ws::connect(s, &storage as *const _ as *const SOCKADDR, len) }) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(ws::WSAEWOULDBLOCK) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates a listening TCP socket bound to `addr`.
pub(crate) fn tcp_bind(addr: &SocketAddr) -> io::Result<net::TcpListener> {
    let s = new_socket(addr, ws::SOCK_STREAM)?;
    bind_raw(s.0, addr)?;
    // SAFETY: plain arguments on an open socket.
    cvt(unsafe { ws::listen(s.0, LISTEN_BACKLOG) })?;
    // SAFETY: the guard hands over an open socket that nothing else owns.
    Ok(unsafe { net::TcpListener::from_raw_socket(s.into_raw()) })
}

/// Starts a TCP connection to `addr`; it completes when the socket turns writable.
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<net::TcpStream> {
    let s = new_socket(addr, ws::SOCK_STREAM)?;
    connect_in_progress(s.0, addr)?;
    // SAFETY: the guard hands over an open socket that nothing else owns.
    Ok(unsafe { net::TcpStream::from_raw_socket(s.into_raw()) })
}

/// Starts a connection on a stream socket made elsewhere (already adopted).
pub(crate) fn tcp_connect_stream(s: &net::TcpStream, addr: &SocketAddr) -> io::Result<()> {
    connect_in_progress(raw(s), addr)
}

/// `accept`; the new socket inherits non-blocking mode from the listener
/// and is made non-inheritable by child processes.
pub(crate) fn tcp_accept(l: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    // SAFETY: all-zero bytes are a valid SOCKADDR_STORAGE.
    let mut storage: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    // SAFETY: `storage` has room for `len` bytes, both live locals.
    let s = unsafe { ws::accept(raw(l), &mut storage as *mut _ as *mut SOCKADDR, &mut len) };
    if s == ws::INVALID_SOCKET {
        return Err(last_error());
    }
    let guard = Guard(s);
    // SAFETY: a socket is a kernel handle; clearing its inherit flag.
    unsafe { SetHandleInformation(s as HANDLE, HANDLE_FLAG_INHERIT, 0) };
    let addr = from_raw(&storage, len)?;
    // SAFETY: the guard hands over an open socket that nothing else owns.
    Ok((
        unsafe { net::TcpStream::from_raw_socket(guard.into_raw()) },
        addr,
    ))
}

/// Creates a UDP socket bound to `addr`.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<net::UdpSocket> {
    let s = new_socket(addr, ws::SOCK_DGRAM)?;
    no_udp_connreset(s.0)?;
    bind_raw(s.0, addr)?;
    // SAFETY: the guard hands over an open socket that nothing else owns.
    Ok(unsafe { net::UdpSocket::from_raw_socket(s.into_raw()) })
}

/// Makes a socket created elsewhere non-blocking (and, for UDP, deaf to
/// ICMP port-unreachable).
pub(crate) fn adopt<S: AsSocket>(s: &S) -> io::Result<()> {
    let s = raw(s);
    set_nonblocking(s)?;
    if getopt::<i32>(s, ws::SOL_SOCKET, ws::SO_TYPE)? == ws::SOCK_DGRAM {
        no_udp_connreset(s)?;
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
    // SAFETY: `buf` is readable for the length given.
    let r = unsafe { ws::send(raw(s), buf.as_ptr(), clamp_len(buf.len()), 0) };
    cvt(r).map(|n| n as usize)
}

/// `WSASend` over several buffers (`IoSlice` has `WSABUF`'s layout).
#[inline]
pub(crate) fn send_vectored<S: AsSocket>(s: &S, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(u32::MAX as usize) as u32;
    let mut sent = 0u32;
    // SAFETY: std guarantees `IoSlice` is ABI-compatible with WSABUF on
    // Windows; Winsock only reads the buffers; no overlapped.
    let r = unsafe {
        ws::WSASend(
            raw(s),
            bufs.as_ptr() as *const ws::WSABUF,
            count,
            &mut sent,
            0,
            ptr::null_mut(),
            None,
        )
    };
    cvt(r).map(|_| sent as usize)
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
fn iovec_count(s: SOCKET, n: usize) -> io::Result<usize> {
    if n <= MAX_IOVECS {
        Ok(n)
    } else {
        iovec_count_over(s)
    }
}

#[cold]
fn iovec_count_over(s: SOCKET) -> io::Result<usize> {
    if getopt::<i32>(s, ws::SOL_SOCKET, ws::SO_TYPE)? == ws::SOCK_DGRAM {
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
    let s = raw(s);
    let count = iovec_count(s, bufs.len())?;
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
    let s = raw(s);
    let count = iovec_count(s, bufs.len())?;
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
    // SAFETY: all-zero bytes are a valid SOCKADDR_STORAGE.
    let mut storage: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    // SAFETY: `buf` is writable for its length, `storage` for `len` bytes.
    let r = unsafe {
        ws::recvfrom(
            raw(s),
            buf.as_mut_ptr(),
            clamp_len(buf.len()),
            0,
            &mut storage as *mut _ as *mut SOCKADDR,
            &mut len,
        )
    };
    let n = recv_result(r, buf.len())?;
    Ok((n, from_raw(&storage, len)?))
}

/// `sendto(s, buf, 0, addr)`.
#[inline]
pub(crate) fn send_to<S: AsSocket>(s: &S, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `buf` is readable for its length; `storage` holds `len` bytes.
    let r = unsafe {
        ws::sendto(
            raw(s),
            buf.as_ptr(),
            clamp_len(buf.len()),
            0,
            &storage as *const _ as *const SOCKADDR,
            len,
        )
    };
    cvt(r).map(|n| n as usize)
}

/// `connect` for datagram sockets: sets the default peer.
pub(crate) fn connect<S: AsSocket>(s: &S, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    cvt(unsafe { ws::connect(raw(s), &storage as *const _ as *const SOCKADDR, len) }).map(drop)
}

/// `shutdown(s, how)`.
pub(crate) fn shutdown<S: AsSocket>(s: &S, how: net::Shutdown) -> io::Result<()> {
    let how = match how {
        net::Shutdown::Read => ws::SD_RECEIVE,
        net::Shutdown::Write => ws::SD_SEND,
        net::Shutdown::Both => ws::SD_BOTH,
    };
    // SAFETY: plain arguments.
    cvt(unsafe { ws::shutdown(raw(s), how) }).map(drop)
}

fn setopt<T: Copy>(s: SOCKET, level: i32, name: i32, val: T) -> io::Result<()> {
    // SAFETY: `val` is a live local of the size given.
    cvt(unsafe {
        ws::setsockopt(
            s,
            level,
            name,
            &val as *const T as *const u8,
            size_of::<T>() as i32,
        )
    })
    .map(drop)
}

fn getopt<T: Copy>(s: SOCKET, level: i32, name: i32) -> io::Result<T> {
    // SAFETY: only used with integer and plain C structures, for which
    // all-zero bytes are valid.
    let mut val: T = unsafe { zeroed() };
    let mut len = size_of::<T>() as i32;
    // SAFETY: `val` has room for `len` bytes.
    cvt(unsafe { ws::getsockopt(s, level, name, &mut val as *mut T as *mut u8, &mut len) })?;
    Ok(val)
}

/// `SO_ERROR`: the pending error, cleared by reading it.
pub(crate) fn take_error<S: AsSocket>(s: &S) -> io::Result<Option<io::Error>> {
    let code: i32 = getopt(raw(s), ws::SOL_SOCKET, ws::SO_ERROR)?;
    Ok((code != 0).then(|| io::Error::from_raw_os_error(code)))
}

pub(crate) fn set_ttl<S: AsSocket>(s: &S, ttl: u32) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_IP, ws::IP_TTL, ttl as i32)
}

pub(crate) fn ttl<S: AsSocket>(s: &S) -> io::Result<u32> {
    getopt::<i32>(raw(s), ws::IPPROTO_IP, ws::IP_TTL).map(|v| v as u32)
}

pub(crate) fn set_only_v6<S: AsSocket>(s: &S, only_v6: bool) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_IPV6, ws::IPV6_V6ONLY, only_v6 as i32)
}

pub(crate) fn only_v6<S: AsSocket>(s: &S) -> io::Result<bool> {
    getopt::<i32>(raw(s), ws::IPPROTO_IPV6, ws::IPV6_V6ONLY).map(|v| v != 0)
}

pub(crate) fn set_nodelay<S: AsSocket>(s: &S, nodelay: bool) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_TCP, ws::TCP_NODELAY, nodelay as i32)
}

pub(crate) fn nodelay<S: AsSocket>(s: &S) -> io::Result<bool> {
    // Some versions write one byte (a BOOLEAN), others four: the zeroed
    // four-byte buffer reads right either way.
    getopt::<i32>(raw(s), ws::IPPROTO_TCP, ws::TCP_NODELAY).map(|v| v != 0)
}

fn size_opt(size: usize) -> io::Result<i32> {
    i32::try_from(size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer size too large"))
}

pub(crate) fn set_recv_buffer_size<S: AsSocket>(s: &S, size: usize) -> io::Result<()> {
    setopt(raw(s), ws::SOL_SOCKET, ws::SO_RCVBUF, size_opt(size)?)
}

pub(crate) fn recv_buffer_size<S: AsSocket>(s: &S) -> io::Result<usize> {
    getopt::<i32>(raw(s), ws::SOL_SOCKET, ws::SO_RCVBUF).map(|v| v as usize)
}

pub(crate) fn set_send_buffer_size<S: AsSocket>(s: &S, size: usize) -> io::Result<()> {
    setopt(raw(s), ws::SOL_SOCKET, ws::SO_SNDBUF, size_opt(size)?)
}

pub(crate) fn send_buffer_size<S: AsSocket>(s: &S) -> io::Result<usize> {
    getopt::<i32>(raw(s), ws::SOL_SOCKET, ws::SO_SNDBUF).map(|v| v as usize)
}

/// `SO_KEEPALIVE`, and the idle time before the first probe
/// (`TCP_KEEPIDLE`, whole seconds, at least one).
pub(crate) fn set_keepalive<S: AsSocket>(s: &S, keepalive: Option<Duration>) -> io::Result<()> {
    let s = raw(s);
    match keepalive {
        None => setopt(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE, 0i32),
        Some(idle) => {
            // Whole seconds, rounded up.
            let secs = idle.as_secs() + u64::from(idle.subsec_nanos() > 0);
            let secs = secs.clamp(1, i32::MAX as u64) as i32;
            setopt(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE, 1i32)?;
            match setopt(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE, secs) {
                Ok(()) => Ok(()),
                // Older systems: the idle time only through SIO_KEEPALIVE_VALS.
                Err(_) => keepalive_vals(s, secs as u32),
            }
        }
    }
}

fn keepalive_vals(s: SOCKET, secs: u32) -> io::Result<()> {
    let vals = ws::tcp_keepalive {
        onoff: 1,
        keepalivetime: secs.saturating_mul(1000),
        keepaliveinterval: 1000,
    };
    let mut bytes = 0u32;
    // SAFETY: the input is a live `tcp_keepalive`; no output, no overlapped.
    cvt(unsafe {
        ws::WSAIoctl(
            s,
            ws::SIO_KEEPALIVE_VALS,
            &vals as *const _ as *const core::ffi::c_void,
            size_of::<ws::tcp_keepalive>() as u32,
            ptr::null_mut(),
            0,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    })
    .map(drop)
}

pub(crate) fn keepalive<S: AsSocket>(s: &S) -> io::Result<Option<Duration>> {
    let s = raw(s);
    if getopt::<i32>(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE)? == 0 {
        return Ok(None);
    }
    let secs = getopt::<i32>(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE)?;
    Ok(Some(Duration::from_secs(secs.max(0) as u64)))
}

pub(crate) fn set_linger<S: AsSocket>(s: &S, linger: Option<Duration>) -> io::Result<()> {
    let l = ws::LINGER {
        l_onoff: linger.is_some() as u16,
        l_linger: linger.map_or(0, |d| d.as_secs().min(u16::MAX as u64) as u16),
    };
    setopt(raw(s), ws::SOL_SOCKET, ws::SO_LINGER, l)
}

pub(crate) fn linger<S: AsSocket>(s: &S) -> io::Result<Option<Duration>> {
    let l: ws::LINGER = getopt(raw(s), ws::SOL_SOCKET, ws::SO_LINGER)?;
    Ok((l.l_onoff != 0).then(|| Duration::from_secs(u64::from(l.l_linger))))
}

pub(crate) fn set_broadcast<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    setopt(raw(s), ws::SOL_SOCKET, ws::SO_BROADCAST, on as i32)
}

pub(crate) fn broadcast<S: AsSocket>(s: &S) -> io::Result<bool> {
    getopt::<i32>(raw(s), ws::SOL_SOCKET, ws::SO_BROADCAST).map(|v| v != 0)
}

pub(crate) fn set_multicast_loop_v4<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP, on as i32)
}

pub(crate) fn multicast_loop_v4<S: AsSocket>(s: &S) -> io::Result<bool> {
    getopt::<i32>(raw(s), ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP).map(|v| v != 0)
}

pub(crate) fn set_multicast_ttl_v4<S: AsSocket>(s: &S, ttl: u32) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_IP, ws::IP_MULTICAST_TTL, ttl as i32)
}

pub(crate) fn multicast_ttl_v4<S: AsSocket>(s: &S) -> io::Result<u32> {
    getopt::<i32>(raw(s), ws::IPPROTO_IP, ws::IP_MULTICAST_TTL).map(|v| v as u32)
}

pub(crate) fn set_multicast_loop_v6<S: AsSocket>(s: &S, on: bool) -> io::Result<()> {
    setopt(raw(s), ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP, on as i32)
}

pub(crate) fn multicast_loop_v6<S: AsSocket>(s: &S) -> io::Result<bool> {
    getopt::<i32>(raw(s), ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP).map(|v| v != 0)
}

fn mreq_v4(multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> ws::IP_MREQ {
    ws::IP_MREQ {
        imr_multiaddr: ws::IN_ADDR {
            S_un: ws::IN_ADDR_0 {
                S_addr: u32::from_ne_bytes(multiaddr.octets()),
            },
        },
        imr_interface: ws::IN_ADDR {
            S_un: ws::IN_ADDR_0 {
                S_addr: u32::from_ne_bytes(interface.octets()),
            },
        },
    }
}

fn mreq_v6(multiaddr: &Ipv6Addr, interface: u32) -> ws::IPV6_MREQ {
    ws::IPV6_MREQ {
        ipv6mr_multiaddr: ws::IN6_ADDR {
            u: ws::IN6_ADDR_0 {
                Byte: multiaddr.octets(),
            },
        },
        ipv6mr_interface: interface,
    }
}

pub(crate) fn join_multicast_v4<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let m = mreq_v4(multiaddr, interface);
    setopt(raw(s), ws::IPPROTO_IP, ws::IP_ADD_MEMBERSHIP, m)
}

pub(crate) fn leave_multicast_v4<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let m = mreq_v4(multiaddr, interface);
    setopt(raw(s), ws::IPPROTO_IP, ws::IP_DROP_MEMBERSHIP, m)
}

pub(crate) fn join_multicast_v6<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let m = mreq_v6(multiaddr, interface);
    setopt(raw(s), ws::IPPROTO_IPV6, ws::IPV6_ADD_MEMBERSHIP, m)
}

pub(crate) fn leave_multicast_v6<S: AsSocket>(
    s: &S,
    multiaddr: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let m = mreq_v6(multiaddr, interface);
    setopt(raw(s), ws::IPPROTO_IPV6, ws::IPV6_DROP_MEMBERSHIP, m)
}
