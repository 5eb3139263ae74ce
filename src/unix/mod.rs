//! Unix-only extensions: [`EventedFd`] for any file descriptor, and
//! [`UnixReady`] for the readiness kinds only Unix systems report.

mod evented_fd;
mod ready;

pub use self::evented_fd::EventedFd;
pub use self::ready::UnixReady;
