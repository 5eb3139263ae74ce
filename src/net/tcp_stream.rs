//! [`TcpStream`]: a non-blocking TCP connection.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::time::Duration;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking TCP stream between a local and a remote socket.
///
/// Reads and writes never wait: when they cannot go on they return
/// [`WouldBlock`](io::ErrorKind::WouldBlock), and a [`Poll`](crate::Poll)
/// tells when to try again. `read` returning `Ok(0)` (for a non-empty
/// buffer) means the peer closed its side. Writing to a connection the peer
/// has closed returns an error (`BrokenPipe` or `ConnectionReset`) and never
/// raises `SIGPIPE`.
///
/// # Examples
///
/// ```
/// use evio::net::TcpStream;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::time::Duration;
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let stream = TcpStream::connect(&listener.local_addr()?)?;
///
/// let poll = Poll::new()?;
/// poll.register(&stream, Token(0), Ready::writable(), PollOpt::edge())?;
///
/// // The connection is established once the stream turns writable.
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(0) && e.readiness().is_writable()));
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    inner: IoSource<sys::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn new(stream: sys::net::TcpStream) -> TcpStream {
        TcpStream {
            inner: IoSource::new(stream),
        }
    }

    /// Starts connecting to `addr` and returns at once.
    ///
    /// The connection is established when the stream turns writable; if it
    /// failed, the event carries an error or hang-up and
    /// [`take_error`](TcpStream::take_error) gives the cause (for example
    /// `ConnectionRefused`).
    pub fn connect(addr: &SocketAddr) -> io::Result<TcpStream> {
        sys::net::tcp_connect(addr).map(TcpStream::new)
    }

    /// Starts connecting a socket made elsewhere (for example with options
    /// set before `connect`) to `addr`, making it non-blocking.
    pub fn connect_stream(stream: net::TcpStream, addr: &SocketAddr) -> io::Result<TcpStream> {
        sys::net::connect_std_stream(stream, addr).map(TcpStream::new)
    }

    /// Wraps a connected standard library stream, making it non-blocking.
    pub fn from_stream(stream: net::TcpStream) -> io::Result<TcpStream> {
        sys::net::from_std_stream(stream).map(TcpStream::new)
    }

    /// Returns the address of the remote peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Returns the local address of this socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Creates a second handle to the same connection.
    ///
    /// The new handle is not registered (a descriptor is registered on its
    /// own), but it shares the original's `Poll` binding, as in the classic
    /// API: if the original is bound to a `Poll`, the clone can be
    /// registered with that one only.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: self.inner.try_clone_with(sys::net::TcpStream::try_clone)?,
        })
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(&*self.inner, how)
    }

    /// Sets `TCP_NODELAY`: `true` sends small writes at once instead of
    /// batching them (Nagle's algorithm off).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        sys::net::set_nodelay(&*self.inner, nodelay)
    }

    /// Returns `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        sys::net::nodelay(&*self.inner)
    }

    /// Sets the size of the receive buffer (`SO_RCVBUF`). The system may
    /// round or double the value; read it back with
    /// [`recv_buffer_size`](TcpStream::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        sys::net::set_recv_buffer_size(&*self.inner, size)
    }

    /// Returns the size of the receive buffer (`SO_RCVBUF`).
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        sys::net::recv_buffer_size(&*self.inner)
    }

    /// Sets the size of the send buffer (`SO_SNDBUF`). The system may
    /// round or double the value; read it back with
    /// [`send_buffer_size`](TcpStream::send_buffer_size).
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        sys::net::set_send_buffer_size(&*self.inner, size)
    }

    /// Returns the size of the send buffer (`SO_SNDBUF`).
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        sys::net::send_buffer_size(&*self.inner)
    }

    /// Turns TCP keepalive probes on with `Some(idle)`, the time the
    /// connection stays idle before the first probe (whole seconds, rounded
    /// up), or off with `None`.
    ///
    /// On OpenBSD, whose idle time is system-wide, `Some` is an
    /// [`Unsupported`](io::ErrorKind::Unsupported) error and changes nothing.
    pub fn set_keepalive(&self, keepalive: Option<Duration>) -> io::Result<()> {
        sys::net::set_keepalive(&*self.inner, keepalive)
    }

    /// Returns the keepalive idle time, or `None` when keepalive is off.
    pub fn keepalive(&self) -> io::Result<Option<Duration>> {
        sys::net::keepalive(&*self.inner)
    }

    /// Like [`set_keepalive`](TcpStream::set_keepalive), in milliseconds.
    #[deprecated(since = "0.1.0", note = "use `set_keepalive`")]
    pub fn set_keepalive_ms(&self, keepalive: Option<u32>) -> io::Result<()> {
        self.set_keepalive(keepalive.map(|ms| Duration::from_millis(u64::from(ms))))
    }

    /// Like [`keepalive`](TcpStream::keepalive), in milliseconds.
    #[deprecated(since = "0.1.0", note = "use `keepalive`")]
    pub fn keepalive_ms(&self) -> io::Result<Option<u32>> {
        self.keepalive()
            .map(|d| d.map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX)))
    }

    /// Sets the time-to-live (`IP_TTL`) of packets sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_ttl(&*self.inner, ttl)
    }

    /// Returns the time-to-live (`IP_TTL`) of packets sent from this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::net::ttl(&*self.inner)
    }

    /// Sets `IPV6_V6ONLY` (IPv6 sockets only).
    pub fn set_only_v6(&self, only_v6: bool) -> io::Result<()> {
        sys::net::set_only_v6(&*self.inner, only_v6)
    }

    /// Returns `IPV6_V6ONLY` (IPv6 sockets only).
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::net::only_v6(&*self.inner)
    }

    /// Sets `SO_LINGER`: with `Some(d)`, closing the socket waits up to `d`
    /// (whole seconds, rounded up) for unsent data; `Some(Duration::ZERO)`
    /// makes close reset the connection at once.
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        sys::net::set_linger(&*self.inner, dur)
    }

    /// Returns `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::net::linger(&*self.inner)
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`); after a
    /// failed [`connect`](TcpStream::connect) this is the reason.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&*self.inner)
    }

    /// Reads into several buffers in one system call (`readv`), filling
    /// them in order, and returns the bytes read: the classic API's
    /// vectored read, with its [`IoVec`](crate::IoVec) buffers.
    ///
    /// At most 1024 buffers are used per call on Unix (`IOV_MAX`) and 64 on
    /// Windows; nothing is allocated. `Ok(0)` means the peer closed its side.
    ///
    /// ```
    /// use evio::net::TcpStream;
    /// use evio::IoVec;
    /// use std::io::Write;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(&listener.local_addr()?)?;
    /// let (mut peer, _) = listener.accept()?;
    /// peer.write_all(b"headbody")?;
    ///
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
    /// let mut got = 0;
    /// for _ in 0..500 {
    ///     let mut bufs: [&mut IoVec; 2] = [(&mut head[..]).into(), (&mut body[..]).into()];
    ///     match stream.read_bufs(&mut bufs) {
    ///         Ok(n) => { got = n; break; }
    ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
    ///             std::thread::sleep(std::time::Duration::from_millis(10));
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!(got, 8);
    /// assert_eq!((&head, &body[..4]), (b"head", &b"body"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_bufs(&self, bufs: &mut [&mut crate::IoVec]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::recv_iovecs(&s, bufs))
    }

    /// Writes several buffers in one system call, in order, and returns the
    /// bytes written (possibly fewer than all of them): the classic API's
    /// vectored write, with its [`IoVec`](crate::IoVec) buffers.
    ///
    /// At most 1024 buffers are used per call on Unix (`IOV_MAX`) and 64 on
    /// Windows; nothing is allocated, and a closed peer gives an error,
    /// never `SIGPIPE`.
    pub fn write_bufs(&self, bufs: &[&crate::IoVec]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::send_iovecs(&s, bufs))
    }

    /// Reads received data into `buf` without removing it from the queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::peek(&s, buf))
    }
}

impl Read for TcpStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    #[inline]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Read for &TcpStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::recv(&s, buf))
    }

    #[inline]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::recv_vectored(&s, bufs))
    }
}

impl Write for &TcpStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::send(&s, buf))
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.do_io_fd(|s| sys::net::send_vectored(&s, bufs))
    }

    /// Does nothing: evio keeps no buffer of its own.
    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

socket_common!(TcpStream, sys::net::TcpStream);
