use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys::uds;

/// A non-blocking Unix-domain stream socket.
///
/// Created by [`UnixStream::connect`], [`UnixStream::pair`] or
/// [`UnixListener::accept`](super::UnixListener::accept); non-blocking and
/// close-on-exec from birth. Writing to a stream whose peer has gone fails
/// with `BrokenPipe` and never raises `SIGPIPE`.
///
/// Besides bytes, a stream carries file descriptors:
/// [`send_with_fds`](UnixStream::send_with_fds) and
/// [`recv_with_fds`](UnixStream::recv_with_fds).
///
/// # Examples
///
/// ```
/// use evio::unix::UnixStream;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::io::{Read, Write};
/// use std::time::Duration;
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// let poll = Poll::new()?;
/// poll.register(&b, Token(1), Ready::readable(), PollOpt::edge())?;
///
/// a.write_all(b"ping")?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(1) && e.is_readable()));
///
/// let mut buf = [0; 4];
/// assert_eq!(b.read(&mut buf)?, 4);
/// assert_eq!(&buf, b"ping");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    inner: IoSource<uds::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket named by `path`.
    ///
    /// A path as long as `sun_path` or longer is an
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) error. Where the OS
    /// finishes the connection later, the stream becomes writable then
    /// (and [`take_error`](UnixStream::take_error) tells of a failure).
    /// A listener whose backlog is full makes Linux refuse at once with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock): try again later.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = uds::path_addr(path.as_ref())?;
        UnixStream::connect_to(&addr)
    }

    /// Connects to `addr`: a path, or on Linux and Android an abstract name.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// use evio::unix::{UnixListener, UnixStream};
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    ///
    /// let name = format!("evio-doc-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::bind_addr(&addr)?;
    /// let stream = UnixStream::connect_addr(&addr)?;
    /// assert_eq!(stream.peer_addr()?.as_abstract_name(), Some(name.as_bytes()));
    /// # drop(listener);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let addr = uds::from_std(addr)?;
        UnixStream::connect_to(&addr)
    }

    fn connect_to(addr: &rustix::net::SocketAddrUnix) -> io::Result<UnixStream> {
        uds::stream_connect(addr).map(UnixStream::from_inner)
    }

    /// Creates a pair of connected streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = uds::stream_pair()?;
        Ok((UnixStream::from_inner(a), UnixStream::from_inner(b)))
    }

    /// Wraps a std stream, making it non-blocking (and, on Apple's systems,
    /// setting `SO_NOSIGPIPE`, so that it never raises `SIGPIPE` either).
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        uds::stream_from_std(stream).map(UnixStream::from_inner)
    }

    /// Wraps the backend's stream.
    pub(crate) fn from_inner(stream: uds::UnixStream) -> UnixStream {
        UnixStream {
            inner: IoSource::new(stream),
        }
    }

    /// The address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Shuts down the reading half, the writing half, or both.
    ///
    /// Shutting down the writing half tells the peer of the end of the
    /// stream: its reads return 0 once the data sent before is read, and
    /// its events report [`is_read_closed`](crate::event::Event::is_read_closed).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Sends `buf` with the descriptors `fds` attached (`SCM_RIGHTS`), and
    /// returns how many bytes of `buf` were sent.
    ///
    /// The descriptors travel with the first byte sent; the receiver gets
    /// its own copies of them, as if duplicated, and the sender's stay
    /// open. At least one byte must be sent with descriptors, and at most
    /// 253 descriptors go in one message; both are checked
    /// ([`InvalidInput`](io::ErrorKind::InvalidInput)).
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::unix::{pipe, UnixStream};
    /// use std::io::{Read, Write};
    /// use std::os::fd::{AsFd, OwnedFd};
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let (mut sender, receiver) = pipe()?;
    ///
    /// // Hand the pipe's reading end to the other side of the stream.
    /// a.send_with_fds(b"r", &[receiver.as_fd()])?;
    /// drop(receiver);
    ///
    /// let mut fds: Vec<OwnedFd> = Vec::new();
    /// let mut buf = [0; 1];
    /// assert_eq!(b.recv_with_fds(&mut buf, &mut fds)?, 1);
    /// let mut receiver = evio::unix::pipe::Receiver::from(fds.pop().unwrap());
    ///
    /// sender.write_all(b"through the passed end")?;
    /// let mut got = [0; 22];
    /// receiver.read_exact(&mut got)?;
    /// assert_eq!(&got, b"through the passed end");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_with_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        self.inner
            .do_io(|s| uds::send_with_fds(s.as_fd(), buf, fds))
    }

    /// Receives bytes into `buf`, and appends the descriptors that came
    /// with them to `fds`; returns how many bytes were read.
    ///
    /// Received descriptors are close-on-exec (from birth with
    /// `MSG_CMSG_CLOEXEC`; Apple's systems lack it, and there the flag is
    /// set as soon as they arrive). Room is made for up to 253
    /// descriptors per call; if the sender attached more, so that the OS
    /// cuts the control message short, the call fails with an error saying
    /// so, the descriptors that did arrive are closed, and `fds` is left as
    /// it was (the data bytes of that message are in `buf` all the same).
    /// A read of 0 with no descriptors is the end of the stream.
    pub fn recv_with_fds(&self, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
        self.inner
            .do_io(|s| uds::recv_with_fds(s.as_fd(), buf, fds, uds::MAX_FDS))
    }
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::stream_read(s, buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::stream_read_vectored(s, bufs))
    }
}

impl Write for UnixStream {
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

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::send(s.as_fd(), buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.do_io(|s| uds::send_vectored(s.as_fd(), bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

socket_traits!(UnixStream, uds::UnixStream);
