//! Pipes: non-blocking and close-on-exec from birth.

use std::io;
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
