//! Unix pipes: a one-way channel of bytes, [`Sender`] to [`Receiver`].
//!
//! Create one with [`pipe()`]. Both ends are non-blocking, close-on-exec,
//! and [`Evented`](crate::event::Evented).
//!
//! Closing conditions: when every [`Sender`] is closed, the [`Receiver`]
//! reports a hang-up ([`is_read_closed`](crate::event::Event::is_read_closed))
//! and reads return 0 once the buffered bytes are read. When every
//! [`Receiver`] is closed, the [`Sender`] reports an error and a closed
//! write half, and writes fail with `BrokenPipe`.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::AsRawFd;

use crate::io_source::IoSource;
use crate::sys;

/// Creates a pipe: the sending end and the receiving end.
///
/// Both are non-blocking and close-on-exec from birth (`pipe2` with
/// `O_NONBLOCK | O_CLOEXEC`; on Apple's systems, which lack `pipe2`, the
/// flags are set right after).
///
/// Unlike a socket, a pipe cannot be told not to raise `SIGPIPE`: writing
/// to a pipe whose receiving end is closed raises it, and only then fails
/// with `BrokenPipe`. Rust programs ignore `SIGPIPE` by default; a program
/// that does not should ignore it before writing to pipes.
///
/// # Examples
///
/// ```
/// use evio::unix::pipe;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::io::{Read, Write};
/// use std::time::Duration;
///
/// let (mut sender, mut receiver) = pipe()?;
/// let poll = Poll::new()?;
/// poll.register(&receiver, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// sender.write_all(b"hello")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(0) && e.is_readable()));
///
/// let mut buf = [0; 5];
/// receiver.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hello");
///
/// // Nothing more to read yet: the pipe does not block.
/// let err = receiver.read(&mut buf).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (r, w) = sys::pipe::new()?;
    Ok((
        Sender {
            inner: IoSource::new(w),
        },
        Receiver {
            inner: IoSource::new(r),
        },
    ))
}

/// The sending (writing) end of a pipe.
pub struct Sender {
    inner: IoSource<sys::pipe::End>,
}

/// The receiving (reading) end of a pipe.
pub struct Receiver {
    inner: IoSource<sys::pipe::End>,
}

impl Read for Receiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Read for &Receiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|fd| sys::pipe::read(fd, buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.do_io(|fd| sys::pipe::read_vectored(fd, bufs))
    }
}

impl Write for Sender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &Sender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(|fd| sys::pipe::write(fd, buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.do_io(|fd| sys::pipe::write_vectored(fd, bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fd_traits!(Sender, sys::pipe::End);
fd_traits!(Receiver, sys::pipe::End);

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("fd", &self.inner.as_raw_fd())
            .finish()
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("fd", &self.inner.as_raw_fd())
            .finish()
    }
}
