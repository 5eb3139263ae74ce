use std::io;
use std::os::fd::RawFd;

use crate::event::Evented;
use crate::stats::Kind;
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

impl Evented for EventedFd<'_> {
    #[inline]
    fn register(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        // A descriptor that is not open (a negative one included) makes the
        // selector answer `EBADF`, as the kernel does.
        let res = poll.selector().register(*self.0, token, interest, opts);
        poll.counters().registered(Kind::Fd, &res);
        res
    }

    #[inline]
    fn reregister(
        &self,
        poll: &Poll,
        token: Token,
        interest: Ready,
        opts: PollOpt,
    ) -> io::Result<()> {
        let res = poll
            .selector()
            .reregister(*self.0, token, interest, opts)
            .map_err(crate::io_source::not_registered);
        poll.counters().reregistered(Kind::Fd, &res);
        res
    }

    #[inline]
    fn deregister(&self, poll: &Poll) -> io::Result<()> {
        let res = poll
            .selector()
            .deregister(*self.0)
            .map_err(crate::io_source::not_registered);
        poll.counters().deregistered(Kind::Fd, &res);
        res
    }
}
