//! New descriptors are non-blocking and close-on-exec from birth, and a
//! socket never raises `SIGPIPE`: the one place that knows how on each Unix.
//!
//! Linux, Android and the BSDs ask for it in the call that makes the
//! descriptor (`SOCK_NONBLOCK | SOCK_CLOEXEC` for `socket`, `socketpair`
//! and `accept4`, `O_NONBLOCK | O_CLOEXEC` for `pipe2`) and send with
//! `MSG_NOSIGNAL`. Apple's systems have none of these: there the
//! descriptor gets `FD_CLOEXEC`, `O_NONBLOCK` and (a socket)
//! `SO_NOSIGPIPE` right after it is made, in [`finish_socket`] and
//! [`pipe`].

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::net::SocketFlags;

use super::cvt;

/// The flags of every call that makes a socket: non-blocking and
/// close-on-exec where the system has them (empty on Apple's systems,
/// which [`finish_socket`] makes up for).
#[cfg(not(target_vendor = "apple"))]
pub(crate) const NEW_SOCKET_FLAGS: SocketFlags = SocketFlags::NONBLOCK.union(SocketFlags::CLOEXEC);
#[cfg(target_vendor = "apple")]
pub(crate) const NEW_SOCKET_FLAGS: SocketFlags = SocketFlags::empty();

/// Sets on a socket just made with [`NEW_SOCKET_FLAGS`] what that call could
/// not: nothing where the flags exist.
#[cfg(not(target_vendor = "apple"))]
#[inline]
pub(crate) fn finish_socket(fd: OwnedFd) -> io::Result<OwnedFd> {
    Ok(fd)
}

/// Sets on a socket just made close-on-exec, non-blocking and
/// `SO_NOSIGPIPE` (Apple's systems).
#[cfg(target_vendor = "apple")]
pub(crate) fn finish_socket(fd: OwnedFd) -> io::Result<OwnedFd> {
    cloexec_nonblock(&fd)?;
    cvt(rustix::net::sockopt::set_socket_nosigpipe(&fd, true))?;
    Ok(fd)
}

/// Close-on-exec and non-blocking, after the call that made `fd`.
#[cfg(target_vendor = "apple")]
fn cloexec_nonblock(fd: &OwnedFd) -> io::Result<()> {
    cvt(rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC))?;
    cvt(rustix::io::ioctl_fionbio(fd, true))
}

/// Makes a socket that was created elsewhere (a std socket) behave like
/// evio's own: non-blocking, and never raising `SIGPIPE` (a socket option
/// on Apple's systems, where sends cannot ask for it). Close-on-exec is
/// left as its creator chose.
pub(crate) fn adopt<S: AsFd>(s: S) -> io::Result<()> {
    cvt(rustix::io::ioctl_fionbio(&s, true))?;
    #[cfg(target_vendor = "apple")]
    cvt(rustix::net::sockopt::set_socket_nosigpipe(&s, true))?;
    Ok(())
}

/// A pipe: `(read end, write end)`, both non-blocking and close-on-exec.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    #[cfg(not(target_vendor = "apple"))]
    {
        use rustix::pipe::PipeFlags;
        cvt(rustix::pipe::pipe_with(
            PipeFlags::NONBLOCK | PipeFlags::CLOEXEC,
        ))
    }
    #[cfg(target_vendor = "apple")]
    {
        let (r, w) = cvt(rustix::pipe::pipe())?;
        cloexec_nonblock(&r)?;
        cloexec_nonblock(&w)?;
        Ok((r, w))
    }
}
