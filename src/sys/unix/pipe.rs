//! Pipes: non-blocking and close-on-exec from birth.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::OwnedFd;

use super::cvt;

/// Creates a pipe: `(read end, write end)`.
///
/// `pipe2(O_NONBLOCK | O_CLOEXEC)`, or `pipe` then the flags on Apple's systems.
pub(crate) fn new() -> io::Result<(OwnedFd, OwnedFd)> {
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
        for fd in [&r, &w] {
            cvt(rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC))?;
            cvt(rustix::io::ioctl_fionbio(fd, true))?;
        }
        Ok((r, w))
    }
}

/// One end of a pipe, as the backend holds it: the descriptor.
pub(crate) type End = OwnedFd;

#[inline]
pub(crate) fn read(fd: &End, buf: &mut [u8]) -> io::Result<usize> {
    cvt(rustix::io::read(fd, buf))
}

#[inline]
pub(crate) fn read_vectored(fd: &End, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    cvt(rustix::io::readv(fd, bufs))
}

#[inline]
pub(crate) fn write(fd: &End, buf: &[u8]) -> io::Result<usize> {
    cvt(rustix::io::write(fd, buf))
}

#[inline]
pub(crate) fn write_vectored(fd: &End, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    cvt(rustix::io::writev(fd, bufs))
}
