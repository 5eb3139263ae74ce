//! [`TcpListener`]: a non-blocking TCP socket that accepts connections.

use std::io;
use std::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::net::TcpStream;
use crate::sys;

/// A TCP socket server, listening for connections.
///
/// Register it with [`Ready::readable()`](crate::Ready::readable) interest
/// and call [`accept`](TcpListener::accept) when it is ready, until `accept`
/// returns [`WouldBlock`](io::ErrorKind::WouldBlock).
///
/// # Examples
///
/// ```
/// use evio::net::{TcpListener, TcpStream};
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::time::Duration;
///
/// let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
/// let poll = Poll::new()?;
/// poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// let _client = TcpStream::connect(&listener.local_addr()?)?;
///
/// let mut events = Events::with_capacity(8);
/// let mut accepted = None;
/// for _ in 0..100 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     if let Ok((stream, peer)) = listener.accept() {
///         accepted = Some((stream, peer));
///         break;
///     }
/// }
/// let (_stream, peer) = accepted.expect("no connection accepted");
/// assert!(peer.ip().is_loopback());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    inner: IoSource<sys::net::TcpListener>,
}

impl TcpListener {
    fn new(listener: sys::net::TcpListener) -> TcpListener {
        TcpListener {
            inner: IoSource::new(listener),
        }
    }

    /// Creates a socket bound to `addr` and listening for connections.
    ///
    /// On Unix the socket has `SO_REUSEADDR` set, so a server can restart
    /// at once on the same address; the queue of pending connections holds
    /// up to 1024.
    pub fn bind(addr: &SocketAddr) -> io::Result<TcpListener> {
        sys::net::tcp_bind(addr).map(TcpListener::new)
    }

    /// Like [`bind`](TcpListener::bind), with `SO_REUSEPORT` set as well
    /// (an evio addition for Linux and Android; elsewhere an
    /// [`Unsupported`](io::ErrorKind::Unsupported) error): several listeners made so
    /// bind the same address, and the kernel spreads the incoming
    /// connections over them, by a hash of each connection's addresses
    /// and ports. A server gives each of its threads a listener of its
    /// own and a `Poll` of its own: a connection then wakes only the
    /// thread whose listener it went to (see BENCHMARKS.md for the count
    /// of wake-ups, and `examples/reuseport_echo.rs`).
    ///
    /// Every listener of the address must be made so, by the same user;
    /// binding an address that a listener without `SO_REUSEPORT` holds is
    /// an `AddrInUse` error. Connections waiting in the queue of a listener
    /// that is closed are reset, not moved to another one. Port 0 gives
    /// each listener a port of its own: bind the first, then the others to
    /// its address.
    ///
    /// # Examples
    ///
    /// ```
    /// use evio::net::TcpListener;
    ///
    /// match TcpListener::bind_reuseport(&"127.0.0.1:0".parse().unwrap()) {
    ///     Ok(first) => {
    ///         let addr = first.local_addr()?;
    ///         let second = TcpListener::bind_reuseport(&addr)?;
    ///         assert_eq!(second.local_addr()?, addr);
    ///     }
    ///     // Not Linux nor Android.
    ///     Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_reuseport(addr: &SocketAddr) -> io::Result<TcpListener> {
        sys::net::tcp_bind_reuseport(addr).map(TcpListener::new)
    }

    /// Wraps a listening socket made with the standard library (or any
    /// other way), making it non-blocking.
    #[deprecated(since = "0.1.0", note = "use `TcpListener::from_std`")]
    pub fn from_listener(
        listener: net::TcpListener,
        _addr: &SocketAddr,
    ) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }

    /// Wraps a listening socket made with the standard library (or any
    /// other way), making it non-blocking.
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        sys::net::from_std_listener(listener).map(TcpListener::new)
    }

    /// Accepts one pending connection, returning the new stream and the
    /// peer's address.
    ///
    /// The stream is non-blocking and close-on-exec. When no connection is
    /// waiting this returns [`WouldBlock`](io::ErrorKind::WouldBlock).
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.inner.do_io(sys::net::tcp_accept)?;
        Ok((TcpStream::new(stream), addr))
    }

    /// Like [`accept`](TcpListener::accept), but returns the stream as a
    /// standard library type **in blocking mode**, not bound to evio (as
    /// the classic API documents it). [`TcpStream::from_stream`] makes it
    /// an evio stream again, non-blocking.
    pub fn accept_std(&self) -> io::Result<(net::TcpStream, SocketAddr)> {
        let (stream, addr) = self.inner.do_io(sys::net::tcp_accept)?;
        Ok((sys::net::into_std_blocking(stream)?, addr))
    }

    /// Returns the address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Creates a second handle to the same socket.
    ///
    /// The new handle is not registered (a descriptor is registered on its
    /// own), but it shares the original's `Poll` binding, as in the classic
    /// API: if the original is bound to a `Poll`, the clone can be
    /// registered with that one only.
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener {
            inner: self
                .inner
                .try_clone_with(sys::net::TcpListener::try_clone)?,
        })
    }

    /// Sets the time-to-live (`IP_TTL`) of packets sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_ttl(&*self.inner, ttl)
    }

    /// Returns the time-to-live (`IP_TTL`) of packets sent from this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::net::ttl(&*self.inner)
    }

    /// Sets `IPV6_V6ONLY`: whether an IPv6 socket accepts only IPv6
    /// connections. Must be set before the socket is bound to take effect.
    pub fn set_only_v6(&self, only_v6: bool) -> io::Result<()> {
        sys::net::set_only_v6(&*self.inner, only_v6)
    }

    /// Returns `IPV6_V6ONLY`.
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::net::only_v6(&*self.inner)
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&*self.inner)
    }
}

socket_common!(TcpListener, sys::net::TcpListener);
