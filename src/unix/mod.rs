//! Unix-only extensions: [`EventedFd`] for any file descriptor,
//! [`UnixReady`] for the readiness kinds only Unix systems report,
//! `UnixPollOpt` for the registration options only Linux has
//! (`EPOLLEXCLUSIVE`; Linux and Android),
//! Unix-domain sockets ([`UnixStream`], [`UnixListener`], [`UnixDatagram`])
//! and [`pipe()`].
//!
//! Every socket and pipe here is non-blocking and close-on-exec from the
//! moment it exists, and none raises `SIGPIPE` when the peer has gone,
//! except the pipe's [`Sender`](pipe::Sender) (see [`pipe()`]).
//!
//! On Linux and Android, sockets can also live in the abstract namespace,
//! which has no file: build the address with std's
//! `SocketAddrExt::from_abstract_name` and use [`UnixListener::bind_addr`],
//! [`UnixStream::connect_addr`] or [`UnixDatagram::bind_addr`].
//!
//! # Closing conditions
//!
//! How a connection ended shows in an event through [`UnixReady`]
//! (`is_hup`, `is_error`, `is_priority`) and the
//! [`Event`](crate::event::Event) readers (`is_read_closed`,
//! `is_write_closed`, `is_error`, `is_priority`). With epoll (Linux,
//! Android), for a socket registered for reading and writing:
//!
//! | what happened | OS reports | hup | error | read closed | write closed | priority |
//! |---|---|---|---|---|---|---|
//! | the peer shut down its writing half (half close; over TCP also a peer's close, which is one FIN) | `EPOLLIN` `EPOLLRDHUP` | no | no | yes | no | no |
//! | both halves are closed (a Unix peer closed; over TCP, a FIN each way) | `EPOLLHUP` | yes | no | yes | yes | no |
//! | the connection was reset (TCP RST; a Unix peer closed with unread data) | `EPOLLERR` `EPOLLHUP` | yes | yes | yes | yes | no |
//! | out-of-band data (asked for with [`UnixReady::priority`] interest) | `EPOLLPRI` | no | no | no | no | yes |
//! | a pipe's every [`Sender`](pipe::Sender) closed, seen by the [`Receiver`](pipe::Receiver) | `EPOLLHUP` | yes | no | yes | yes | no |
//! | a pipe's every [`Receiver`](pipe::Receiver) closed, seen by the [`Sender`](pipe::Sender) | `EPOLLERR` | no | yes | no | yes | no |
//!
//! A half close is not a hang-up, as in the classic API (whose users close
//! a connection on hang-up, and must still answer a client that shut down
//! its side after sending): it is readable, reads then end with `Ok(0)`,
//! and `is_read_closed` tells it.
//!
//! After an error, `take_error` on the socket returns its cause (such as
//! `ConnectionReset`). kqueue systems report the same closings through
//! `EV_EOF` on each direction's filter (that half closed; hang-up once the
//! write direction is closed too) and its error code (error); they have no
//! out-of-band readiness, and close a Unix stream with unread data without
//! a reset.

/// Implements the descriptor, io-safety and `Evented` traits for a type
/// that is an `IoSource<$inner>` named `inner`.
macro_rules! fd_traits {
    ($ty:ty, $inner:ty) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&*self.inner)
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&*self.inner)
            }
        }

        impl std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                std::os::fd::IntoRawFd::into_raw_fd(self.inner.into_inner())
            }
        }

        /// The descriptor must be open, of the right kind, and
        /// non-blocking; the new value owns it.
        impl std::os::fd::FromRawFd for $ty {
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
                // SAFETY: the caller guarantees that `fd` is an open
                // descriptor of this kind that it hands over.
                let inner = unsafe { <$inner as std::os::fd::FromRawFd>::from_raw_fd(fd) };
                Self {
                    inner: crate::io_source::IoSource::new(inner),
                }
            }
        }

        /// The descriptor must be of the right kind and non-blocking.
        impl From<std::os::fd::OwnedFd> for $ty {
            fn from(fd: std::os::fd::OwnedFd) -> Self {
                Self {
                    inner: crate::io_source::IoSource::new(<$inner>::from(fd)),
                }
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(value: $ty) -> std::os::fd::OwnedFd {
                value.inner.into_inner().into()
            }
        }

        impl crate::event::Evented for $ty {
            fn register(
                &self,
                poll: &crate::Poll,
                token: crate::Token,
                interest: crate::Ready,
                opts: crate::PollOpt,
            ) -> std::io::Result<()> {
                self.inner.register(poll, token, interest, opts)
            }

            fn reregister(
                &self,
                poll: &crate::Poll,
                token: crate::Token,
                interest: crate::Ready,
                opts: crate::PollOpt,
            ) -> std::io::Result<()> {
                self.inner.reregister(poll, token, interest, opts)
            }

            fn deregister(&self, poll: &crate::Poll) -> std::io::Result<()> {
                self.inner.deregister(poll)
            }
        }
    };
}

/// `fd_traits!`, and `Debug` as std's socket type shows it (descriptor and
/// addresses).
macro_rules! socket_traits {
    ($ty:ty, $inner:ty) => {
        fd_traits!($ty, $inner);

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&*self.inner, f)
            }
        }
    };
}

mod datagram;
mod evented_fd;
mod listener;
pub mod pipe;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod poll_opt;
mod ready;
mod stream;

pub use self::datagram::UnixDatagram;
pub use self::evented_fd::EventedFd;
pub use self::listener::UnixListener;
pub use self::pipe::pipe;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use self::poll_opt::UnixPollOpt;
pub use self::ready::UnixReady;
pub use self::stream::UnixStream;
