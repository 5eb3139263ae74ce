//! Pipes: non-blocking and close-on-exec from birth.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::OwnedFd;

use super::cvt;

/// Creates a pipe: `(read end, write end)`, non-blocking and close-on-exec
/// (see `fd::pipe`, which knows how on each Unix).
#[inline]
pub(crate) fn new() -> io::Result<(OwnedFd, OwnedFd)> {
    super::fd::pipe()
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
