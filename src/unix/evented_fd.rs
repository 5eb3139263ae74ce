use std::io;
use std::os::fd::RawFd;

use crate::event::Evented;
use crate::{Poll, PollOpt, Ready, Token};

/// Registers any file descriptor with a [`Poll`].
///
/// `EventedFd` borrows the descriptor: it neither owns nor closes it, and
/// unlike evio's sockets it is not bound to one `Poll`. The descriptor must
/// stay open while it is registered, and should be non-blocking.
///
/// # Examples
///
/// ```
/// use evio::unix::EventedFd;
/// use evio::{Events, Poll, PollOpt, Ready, Token};
/// use std::net::{TcpListener, TcpStream};
/// use std::os::fd::AsRawFd;
/// use std::time::Duration;
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// listener.set_nonblocking(true)?;
/// let poll = Poll::new()?;
/// poll.register(&EventedFd(&listener.as_raw_fd()), Token(0), Ready::readable(), PollOpt::level())?;
///
/// let _client = TcpStream::connect(listener.local_addr()?)?;
/// let mut events = Events::with_capacity(4);
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(0)));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EventedFd<'a>(pub &'a RawFd);

impl EventedFd<'_> {
    #[inline]
    fn fd(&self) -> io::Result<RawFd> {
        if *self.0 < 0 {
            // What the kernel answers for any descriptor that is not open
            // (checked here: a negative one cannot be borrowed).
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::BADF.raw_os_error(),
            ));
        }
        Ok(*self.0)
    }
}

impl Evented for EventedFd<'_> {
    #[inline]
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        poll.selector().register(self.fd()?, token, interest, opts)
    }

    #[inline]
    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        poll.selector()
            .reregister(self.fd()?, token, interest, opts)
            .map_err(crate::io_source::not_registered)
    }

    #[inline]
    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        poll.selector()
            .deregister(self.fd()?)
            .map_err(crate::io_source::not_registered)
    }
}
