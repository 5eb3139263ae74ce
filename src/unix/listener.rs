use std::io;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use super::UnixStream;
use crate::io_source::IoSource;
use crate::sys::uds;

/// A non-blocking Unix-domain socket listening for connections.
///
/// Binding creates the socket file; dropping the listener does not remove
/// it (remove it with `std::fs::remove_file`). Binding a path that exists
/// is an [`AddrInUse`](io::ErrorKind::AddrInUse) error, and a path as long
/// as `sun_path` or longer an [`InvalidInput`](io::ErrorKind::InvalidInput)
/// error.
///
/// # Examples
///
/// ```
/// use evio::unix::{UnixListener, UnixStream};
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::time::Duration;
///
/// let path = std::env::temp_dir().join(format!("evio-doc-listener-{}.sock", std::process::id()));
/// let listener = UnixListener::bind(&path)?;
/// let poll = Poll::new()?;
/// poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
///
/// let _client = UnixStream::connect(&path)?;
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert!(events.iter().any(|e| e.token() == Token(0)));
///
/// let (_stream, peer) = listener.accept()?;
/// assert!(peer.is_unnamed());
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    inner: IoSource<uds::UnixListener>,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let addr = uds::path_addr(path.as_ref())?;
        UnixListener::bind_to(&addr)
    }

    /// Listens on `addr`: a path, or on Linux and Android an abstract name.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        let addr = uds::from_std(addr)?;
        UnixListener::bind_to(&addr)
    }

    fn bind_to(addr: &rustix::net::SocketAddrUnix) -> io::Result<UnixListener> {
        let inner = uds::listener_bind(addr)?;
        Ok(UnixListener {
            inner: IoSource::new(inner),
        })
    }

    /// Wraps a std listener, making it non-blocking.
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        let inner = uds::listener_from_std(listener)?;
        Ok(UnixListener {
            inner: IoSource::new(inner),
        })
    }

    /// Accepts a connection: the new stream (non-blocking, close-on-exec)
    /// and the peer's address, which is unnamed unless the peer bound its
    /// socket. [`WouldBlock`](io::ErrorKind::WouldBlock) when none waits.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.inner.do_io(|l| {
            let (s, addr) = uds::listener_accept(l)?;
            Ok((UnixStream::from_inner(s), addr))
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

socket_traits!(UnixListener, uds::UnixListener);
