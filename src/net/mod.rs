//! Networking primitives: non-blocking TCP and UDP sockets.
//!
//! [`TcpListener`], [`TcpStream`] and [`UdpSocket`] mirror the std types of
//! the same names, but every socket is non-blocking: an operation that would
//! wait returns [`io::ErrorKind::WouldBlock`](std::io::ErrorKind::WouldBlock)
//! instead, and the program learns when to try again by registering the
//! socket with a [`Poll`](crate::Poll) (they all implement
//! [`Evented`](crate::event::Evented)).
//!
//! Sockets made by evio are non-blocking and close-on-exec from birth (in the
//! same system call where the platform allows it), and writing to a peer that
//! has gone never raises `SIGPIPE`: the write returns an error instead.
//!
//! A socket stays bound to the first `Poll` it is registered with; registering
//! it with another `Poll` is an error, even after `deregister`.
//!
//! # Example
//!
//! ```
//! use evio::net::{TcpListener, TcpStream};
//! use evio::{Events, Poll, PollOpt, Ready, Token};
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
//! let mut client = TcpStream::connect(&listener.local_addr()?)?;
//!
//! let poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
//! poll.register(&client, Token(1), Ready::writable(), PollOpt::edge())?;
//!
//! // Wait until the connection is accepted and the client may write.
//! let mut server = None;
//! let mut writable = false;
//! for _ in 0..100 {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     for event in &events {
//!         match event.token() {
//!             Token(0) => server = Some(listener.accept()?.0),
//!             Token(1) => writable = true,
//!             _ => unreachable!(),
//!         }
//!     }
//!     if server.is_some() && writable {
//!         break;
//!     }
//! }
//! let mut server = server.expect("no connection");
//! client.write_all(b"hello")?;
//!
//! // Wait for the bytes to arrive, then read them.
//! poll.register(&server, Token(2), Ready::readable(), PollOpt::edge())?;
//! let mut buf = [0; 16];
//! let mut got = 0;
//! for _ in 0..100 {
//!     match server.read(&mut buf[got..]) {
//!         Ok(n) => got += n,
//!         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
//!             poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!         }
//!         Err(e) => return Err(e),
//!     }
//!     if got == 5 {
//!         break;
//!     }
//! }
//! assert_eq!(&buf[..got], b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```

/// Implements `Evented` by forwarding to the `IoSource` in field `inner`,
/// and the Unix descriptor or Windows socket traits by forwarding to the std socket.
macro_rules! socket_common {
    ($ty:ident, $std:ty) => {
        impl $crate::event::Evented for $ty {
            #[inline]
            fn register(
                &self,
                poll: &$crate::Poll,
                token: $crate::Token,
                interest: $crate::Ready,
                opts: $crate::PollOpt,
            ) -> ::std::io::Result<()> {
                self.inner.register(poll, token, interest, opts)
            }

            #[inline]
            fn reregister(
                &self,
                poll: &$crate::Poll,
                token: $crate::Token,
                interest: $crate::Ready,
                opts: $crate::PollOpt,
            ) -> ::std::io::Result<()> {
                self.inner.reregister(poll, token, interest, opts)
            }

            #[inline]
            fn deregister(&self, poll: &$crate::Poll) -> ::std::io::Result<()> {
                self.inner.deregister(poll)
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&*self.inner, f)
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                self.inner.as_raw_fd()
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::FromRawFd for $ty {
            /// Takes ownership of `fd`, which should be a non-blocking socket
            /// of the right kind.
            ///
            /// # Safety
            ///
            /// `fd` must be an open socket that nothing else owns or closes.
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> $ty {
                // SAFETY: the caller promises `fd` is an open socket that it
                // hands over to us.
                $ty::new(unsafe { <$std as ::std::os::fd::FromRawFd>::from_raw_fd(fd) })
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        #[cfg(unix)]
        impl From<::std::os::fd::OwnedFd> for $ty {
            /// Takes ownership of the socket `fd`, which should be non-blocking.
            fn from(fd: ::std::os::fd::OwnedFd) -> $ty {
                $ty::new(<$std>::from(fd))
            }
        }

        #[cfg(unix)]
        impl From<$ty> for ::std::os::fd::OwnedFd {
            fn from(socket: $ty) -> ::std::os::fd::OwnedFd {
                socket.inner.into_inner().into()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> ::std::os::windows::io::RawSocket {
                self.inner.as_raw_socket()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::FromRawSocket for $ty {
            /// Takes ownership of `socket`, which should be a non-blocking
            /// socket of the right kind.
            ///
            /// # Safety
            ///
            /// `socket` must be an open socket that nothing else owns or closes.
            unsafe fn from_raw_socket(socket: ::std::os::windows::io::RawSocket) -> $ty {
                // SAFETY: the caller promises `socket` is an open socket that
                // it hands over to us.
                $ty::new(unsafe {
                    <$std as ::std::os::windows::io::FromRawSocket>::from_raw_socket(socket)
                })
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::IntoRawSocket for $ty {
            /// Gives up the socket; a registration it had ends here.
            fn into_raw_socket(self) -> ::std::os::windows::io::RawSocket {
                ::std::os::windows::io::IntoRawSocket::into_raw_socket(self.inner.into_inner())
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> ::std::os::windows::io::BorrowedSocket<'_> {
                self.inner.as_socket()
            }
        }

        #[cfg(windows)]
        impl From<::std::os::windows::io::OwnedSocket> for $ty {
            /// Takes ownership of `socket`, which should be non-blocking.
            fn from(socket: ::std::os::windows::io::OwnedSocket) -> $ty {
                $ty::new(<$std>::from(socket))
            }
        }

        #[cfg(windows)]
        impl From<$ty> for ::std::os::windows::io::OwnedSocket {
            fn from(socket: $ty) -> ::std::os::windows::io::OwnedSocket {
                socket.inner.into_inner().into()
            }
        }
    };
}

mod tcp_listener;
mod tcp_stream;
mod udp;

pub use self::tcp_listener::TcpListener;
pub use self::tcp_stream::TcpStream;
pub use self::udp::UdpSocket;
