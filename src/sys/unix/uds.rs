//! Unix-domain socket system calls: creation (non-blocking and close-on-exec
//! from birth), addresses, sending without `SIGPIPE`, and `SCM_RIGHTS`.

use std::ffi::OsStr;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrAny, SocketAddrUnix,
    SocketType,
};

use super::cvt;

/// The most descriptors one message carries (Linux's `SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

/// Flags for every send: never raise `SIGPIPE` (Apple's systems lack
/// `MSG_NOSIGNAL` and get `SO_NOSIGPIPE` on the socket instead).
#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: SendFlags = SendFlags::empty();

/// Received descriptors are close-on-exec from birth where the OS can do it.
#[cfg(not(target_vendor = "apple"))]
const RECV_FLAGS: RecvFlags = RecvFlags::CMSG_CLOEXEC;
#[cfg(target_vendor = "apple")]
const RECV_FLAGS: RecvFlags = RecvFlags::empty();

pub(crate) use super::fd::adopt;
use super::fd::{finish_socket as finish, NEW_SOCKET_FLAGS as NEW_FLAGS};

/// The backend's Unix stream types: the standard library's.
pub(crate) use std::os::unix::net::{UnixListener, UnixStream};

/// A stream connected to `addr`.
pub(crate) fn stream_connect(addr: &SocketAddrUnix) -> io::Result<UnixStream> {
    let fd = socket(SocketType::STREAM)?;
    connect(fd.as_fd(), addr)?;
    Ok(UnixStream::from(fd))
}

/// A connected pair of streams.
pub(crate) fn stream_pair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = pair(SocketType::STREAM)?;
    Ok((UnixStream::from(a), UnixStream::from(b)))
}

/// A std stream made non-blocking, as the backend's type.
pub(crate) fn stream_from_std(s: UnixStream) -> io::Result<UnixStream> {
    adopt(s.as_fd())?;
    Ok(s)
}

/// Reads from a stream.
#[inline]
pub(crate) fn stream_read(s: &UnixStream, buf: &mut [u8]) -> io::Result<usize> {
    std::io::Read::read(&mut &*s, buf)
}

/// Reads from a stream into several buffers.
#[inline]
pub(crate) fn stream_read_vectored(
    s: &UnixStream,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<usize> {
    std::io::Read::read_vectored(&mut &*s, bufs)
}

/// A listener bound to `addr`.
pub(crate) fn listener_bind(addr: &SocketAddrUnix) -> io::Result<UnixListener> {
    let fd = socket(SocketType::STREAM)?;
    bind_listen(fd.as_fd(), addr)?;
    Ok(UnixListener::from(fd))
}

/// A std listener made non-blocking, as the backend's type.
pub(crate) fn listener_from_std(l: UnixListener) -> io::Result<UnixListener> {
    adopt(l.as_fd())?;
    Ok(l)
}

/// Accepts a connection: the stream and the peer's address.
pub(crate) fn listener_accept(l: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
    let (fd, addr) = accept(l.as_fd())?;
    Ok((UnixStream::from(fd), addr))
}

/// The backend's Unix datagram type: the standard library's.
pub(crate) use std::os::unix::net::UnixDatagram;

/// A datagram socket bound to `addr`.
pub(crate) fn dgram_bind(addr: &SocketAddrUnix) -> io::Result<UnixDatagram> {
    let fd = socket(SocketType::DGRAM)?;
    bind(fd.as_fd(), addr)?;
    Ok(UnixDatagram::from(fd))
}

/// A datagram socket bound to no name.
pub(crate) fn dgram_unbound() -> io::Result<UnixDatagram> {
    Ok(UnixDatagram::from(socket(SocketType::DGRAM)?))
}

/// A connected pair of datagram sockets.
pub(crate) fn dgram_pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
    let (a, b) = pair(SocketType::DGRAM)?;
    Ok((UnixDatagram::from(a), UnixDatagram::from(b)))
}

/// A std datagram socket made non-blocking, as the backend's type.
pub(crate) fn dgram_from_std(s: UnixDatagram) -> io::Result<UnixDatagram> {
    adopt(s.as_fd())?;
    Ok(s)
}

/// Connects a datagram socket to `addr`.
pub(crate) fn dgram_connect(s: &UnixDatagram, addr: &SocketAddrUnix) -> io::Result<()> {
    connect(s.as_fd(), addr)
}

/// Receives a datagram.
#[inline]
pub(crate) fn dgram_recv(s: &UnixDatagram, buf: &mut [u8]) -> io::Result<usize> {
    s.recv(buf)
}

/// Receives a datagram and its sender's address.
#[inline]
pub(crate) fn dgram_recv_from(s: &UnixDatagram, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    s.recv_from(buf)
}

/// Sends a datagram to `addr`.
#[inline]
pub(crate) fn dgram_send_to(
    s: &UnixDatagram,
    buf: &[u8],
    addr: &SocketAddrUnix,
) -> io::Result<usize> {
    send_to(s.as_fd(), buf, addr)
}

/// A new Unix-domain socket.
pub(crate) fn socket(ty: SocketType) -> io::Result<OwnedFd> {
    finish(cvt(rustix::net::socket_with(
        AddressFamily::UNIX,
        ty,
        NEW_FLAGS,
        None,
    ))?)
}

/// A connected pair of Unix-domain sockets.
pub(crate) fn pair(ty: SocketType) -> io::Result<(OwnedFd, OwnedFd)> {
    let (a, b) = cvt(rustix::net::socketpair(
        AddressFamily::UNIX,
        ty,
        NEW_FLAGS,
        None,
    ))?;
    Ok((finish(a)?, finish(b)?))
}

/// Accepts a connection and returns the peer's address.
pub(crate) fn accept(listener: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    let (fd, addr) = cvt(rustix::net::acceptfrom_with(listener, NEW_FLAGS))?;
    let fd = finish(fd)?;
    let addr = match addr.as_ref().map(any_to_std) {
        None => unnamed(),
        Some(Some(addr)) => addr,
        // An address std cannot build from its parts (a path that fills
        // `sun_path` with no room for a NUL): ask the OS again, through std.
        Some(None) => {
            let stream = std::os::unix::net::UnixStream::from(fd);
            let addr = stream.peer_addr()?;
            return Ok((stream.into(), addr));
        }
    };
    Ok((fd, addr))
}

/// Converts an address the OS returned into std's: unnamed, a path, or on
/// Linux and Android an abstract name.
fn any_to_std(any: &SocketAddrAny) -> Option<SocketAddr> {
    if any.address_family() != AddressFamily::UNIX {
        return None;
    }
    let offset = sun_path_offset();
    let len = any.addr_len() as usize;
    if len <= offset {
        return Some(unnamed());
    }
    // SAFETY: `SocketAddrAny` holds a `sockaddr_storage`, which is larger
    // than and at least as aligned as `sockaddr_un`, and whose family is
    // `AF_UNIX`, so it holds a `sockaddr_un`.
    let sun = unsafe { &*any.as_ptr().cast::<libc::sockaddr_un>() };
    let n = (len - offset).min(sun.sun_path.len());
    // SAFETY: `c_char` and `u8` have the same size and alignment; the
    // slice lies within `sun_path`.
    let bytes = unsafe { std::slice::from_raw_parts(sun.sun_path.as_ptr().cast::<u8>(), n) };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if bytes[0] == 0 {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        return SocketAddr::from_abstract_name(&bytes[1..]).ok();
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    if end == 0 {
        return Some(unnamed());
    }
    SocketAddr::from_pathname(Path::new(OsStr::from_bytes(&bytes[..end]))).ok()
}

/// Binds `fd` to `addr`, then listens on it.
pub(crate) fn bind_listen(fd: BorrowedFd<'_>, addr: &SocketAddrUnix) -> io::Result<()> {
    cvt(rustix::net::bind(fd, addr))?;
    // The kernel caps the backlog at its own maximum (`somaxconn`).
    cvt(rustix::net::listen(fd, 1024))
}

/// Binds `fd` to `addr`.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &SocketAddrUnix) -> io::Result<()> {
    cvt(rustix::net::bind(fd, addr))
}

/// Starts connecting `fd` to `addr`; a connection still in progress is
/// not an error (a writable event tells when it is done).
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &SocketAddrUnix) -> io::Result<()> {
    match rustix::net::connect(fd, addr) {
        Ok(()) | Err(rustix::io::Errno::INPROGRESS) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The length of `sun_path` on this OS.
fn sun_path_len() -> usize {
    empty_sockaddr_un().sun_path.len()
}

/// Where `sun_path` starts in `sockaddr_un` on this OS.
fn sun_path_offset() -> usize {
    let addr = empty_sockaddr_un();
    addr.sun_path.as_ptr() as usize - std::ptr::addr_of!(addr) as usize
}

fn empty_sockaddr_un() -> libc::sockaddr_un {
    // SAFETY: `sockaddr_un` is a plain C structure of integers and bytes,
    // for which all zeroes is a valid value.
    unsafe { std::mem::zeroed() }
}

/// The address of a socket file, checked like the OS would, but with
/// errors that say what is wrong.
pub(crate) fn path_addr(path: &Path) -> io::Result<SocketAddrUnix> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err(crate::error::invalid_input("empty path for a Unix socket"));
    }
    if bytes.contains(&0) {
        return Err(crate::error::invalid_input(
            "Unix socket path contains a NUL byte",
        ));
    }
    // One byte stays free for the terminating NUL.
    if bytes.len() >= sun_path_len() {
        return Err(crate::error::invalid_input_string(format!(
            "Unix socket path is {} bytes long; it must be shorter than sun_path ({} bytes)",
            bytes.len(),
            sun_path_len()
        )));
    }
    cvt(SocketAddrUnix::new(path))
}

/// Converts std's address to the OS's: a path, or on Linux and Android an
/// abstract name; an unnamed address cannot be bound or connected to.
pub(crate) fn from_std(addr: &SocketAddr) -> io::Result<SocketAddrUnix> {
    if let Some(path) = addr.as_pathname() {
        return path_addr(path);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        if let Some(name) = addr.as_abstract_name() {
            return abstract_addr(name);
        }
    }
    Err(crate::error::invalid_input(
        "an unnamed Unix socket address cannot be bound or connected to",
    ))
}

/// An address in the abstract namespace (Linux and Android).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn abstract_addr(name: &[u8]) -> io::Result<SocketAddrUnix> {
    // The name follows a leading NUL byte in `sun_path`.
    if name.len() >= sun_path_len() {
        return Err(crate::error::invalid_input_string(format!(
            "abstract Unix socket name is {} bytes long; at most {} fit",
            name.len(),
            sun_path_len() - 1
        )));
    }
    cvt(SocketAddrUnix::new_abstract_name(name))
}

/// An unnamed address (std offers no direct constructor: an empty path
/// gives an address of the bare family's length, which is unnamed).
fn unnamed() -> SocketAddr {
    SocketAddr::from_pathname("").expect("an empty path always fits sun_path")
}

/// `send` that never raises `SIGPIPE`.
#[inline]
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    cvt(rustix::net::send(fd, buf, SEND_FLAGS))
}

/// Vectored `sendmsg` that never raises `SIGPIPE`.
#[inline]
pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    cvt(rustix::net::sendmsg(
        fd,
        bufs,
        &mut SendAncillaryBuffer::default(),
        SEND_FLAGS,
    ))
}

/// `sendto` that never raises `SIGPIPE`.
#[inline]
pub(crate) fn send_to(fd: BorrowedFd<'_>, buf: &[u8], addr: &SocketAddrUnix) -> io::Result<usize> {
    cvt(rustix::net::sendto(fd, buf, SEND_FLAGS, addr))
}

/// Room for the largest `SCM_RIGHTS` message, aligned for `cmsghdr`.
#[repr(C, align(16))]
struct ControlSpace([MaybeUninit<u8>; rustix::cmsg_space!(ScmRights(MAX_FDS))]);

impl ControlSpace {
    fn new() -> ControlSpace {
        ControlSpace([MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))])
    }
}

/// Sends `buf` with the descriptors `fds` attached.
pub(crate) fn send_with_fds(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    fds: &[BorrowedFd<'_>],
) -> io::Result<usize> {
    if fds.len() > MAX_FDS {
        return Err(crate::error::invalid_input_string(format!(
            "{} file descriptors in one message; at most {MAX_FDS} fit",
            fds.len()
        )));
    }
    if buf.is_empty() && !fds.is_empty() {
        return Err(crate::error::invalid_input(
            "file descriptors must travel with at least one byte of data",
        ));
    }
    let mut space = ControlSpace::new();
    let mut control = SendAncillaryBuffer::new(&mut space.0);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(crate::error::invalid_input(
            "file descriptors do not fit in the control message",
        ));
    }
    cvt(rustix::net::sendmsg(
        fd,
        &[IoSlice::new(buf)],
        &mut control,
        SEND_FLAGS,
    ))
}

/// Receives into `buf`, appending the descriptors that came with the data
/// to `fds` (close-on-exec); room for at most `max` descriptors.
///
/// A control message cut short for lack of room is an error, and the
/// descriptors that did arrive are closed.
pub(crate) fn recv_with_fds(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    max: usize,
) -> io::Result<usize> {
    let mut space = ControlSpace::new();
    let len = rustix::cmsg_space!(ScmRights(max.min(MAX_FDS)));
    let mut control = RecvAncillaryBuffer::new(&mut space.0[..len]);
    let msg = cvt(rustix::net::recvmsg(
        fd,
        &mut [IoSliceMut::new(buf)],
        &mut control,
        RECV_FLAGS,
    ))?;
    let start = fds.len();
    #[cfg(target_vendor = "apple")]
    let mut failed: Option<io::Error> = None;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = m {
            for f in received {
                #[cfg(target_vendor = "apple")]
                if let Err(e) = rustix::io::fcntl_setfd(&f, rustix::io::FdFlags::CLOEXEC) {
                    failed.get_or_insert(io::Error::from(e));
                }
                fds.push(f);
            }
        }
    }
    if msg.flags.contains(ReturnFlags::CTRUNC) {
        let got = fds.len() - start;
        // Dropping the received descriptors closes them.
        fds.truncate(start);
        return Err(crate::error::other_string(format!(
            "control message truncated: more file descriptors were sent than the {} \
                 that fit; the {got} received were closed ({} data bytes were read)",
            max.min(MAX_FDS),
            msg.bytes
        )));
    }
    #[cfg(target_vendor = "apple")]
    if let Some(e) = failed {
        fds.truncate(start);
        return Err(e);
    }
    Ok(msg.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn empty_path_is_unnamed() {
        assert!(unnamed().is_unnamed());
    }

    #[test]
    fn path_checks() {
        let long = "x".repeat(sun_path_len());
        let e = path_addr(Path::new(&long)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e = path_addr(Path::new("")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e = path_addr(Path::new("a\0b")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let ok = "y".repeat(sun_path_len() - 1);
        assert!(path_addr(Path::new(&ok)).is_ok());
    }

    #[test]
    fn addresses_from_the_os() {
        let path = SocketAddrUnix::new("/tmp/evio-some.sock").unwrap();
        let std = any_to_std(&SocketAddrAny::from(path)).unwrap();
        assert_eq!(std.as_pathname(), Some(Path::new("/tmp/evio-some.sock")));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            #[cfg(target_os = "android")]
            use std::os::android::net::SocketAddrExt;
            #[cfg(target_os = "linux")]
            use std::os::linux::net::SocketAddrExt;
            let name = abstract_addr(b"evio-name").unwrap();
            let std = any_to_std(&SocketAddrAny::from(name)).unwrap();
            assert_eq!(std.as_abstract_name(), Some(&b"evio-name"[..]));
        }
        assert_eq!(sun_path_offset(), 2);
    }

    // Under qemu-user the copies this test expects closed stay open, and not
    // through evio: qemu hands the host kernel a control buffer twice the
    // size of the program's, so the kernel installs more descriptors than
    // the program has room for (12 instead of 4 here, as strace shows), and
    // qemu copies back only the 4 that fit, with `MSG_CTRUNC`. evio closes
    // those 4; nothing ever closes the other 8, which keep the pipe open.
    // On a kernel of its own (x86_64, i686) the test passes. The CI's qemu
    // run sets `--cfg evio_qemu_user`.
    #[test]
    #[cfg_attr(
        evio_qemu_user,
        ignore = "qemu-user leaks the descriptors it receives beyond the program's control buffer"
    )]
    fn truncated_fds_are_an_error_and_closed() {
        let (a, b) = pair(SocketType::STREAM).unwrap();
        let (r, w) = crate::sys::fd::pipe().unwrap();
        // Room for one descriptor is, after alignment, room for a few; 16
        // are sure not to fit. All are copies of the pipe's write end.
        let sent = [w.as_fd(); 16];
        assert_eq!(send_with_fds(a.as_fd(), b"x", &sent).unwrap(), 1);
        drop(w);
        let mut fds = Vec::new();
        let mut buf = [0u8; 4];
        let e = recv_with_fds(b.as_fd(), &mut buf, &mut fds, 1).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        assert!(fds.is_empty());
        assert_eq!(buf[0], b'x');
        // Every copy of the write end that arrived was closed: the pipe's
        // reader sees the end of the stream (a leaked copy would keep it
        // open, and the read would block instead).
        let mut one = [0u8; 1];
        assert_eq!(rustix::io::read(&r, &mut one), Ok(0));
    }
}
