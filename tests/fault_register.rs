//! Bad registrations: invalid or closed descriptors, double registration,
//! reregister and deregister after close, the reserved token. Each gives a
//! clear error and no panic, and the `Poll` keeps working afterwards.

#![cfg(unix)]

use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use evio::net::{TcpListener, TcpStream, UdpSocket};
use evio::unix::EventedFd;
use evio::{Events, Poll, PollOpt, Ready, Registration, Token};

/// Tests here close descriptors and then use their numbers on purpose;
/// one at a time, so no other test of this binary reuses such a number.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn os_error(res: io::Result<()>, what: &str) -> i32 {
    let err = res.expect_err(what);
    err.raw_os_error()
        .unwrap_or_else(|| panic!("{what}: not an OS error: {err:?}"))
}

/// Checks the `Poll` still delivers events after the errors.
fn still_works(poll: &Poll) {
    let (mut a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let fd = b.as_raw_fd();
    poll.register(
        &EventedFd(&fd),
        Token(99),
        Ready::readable(),
        PollOpt::edge(),
    )
    .unwrap();
    a.write_all(b"ok").unwrap();
    let mut events = Events::with_capacity(8);
    let mut seen = false;
    for _ in 0..50 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        if events
            .iter()
            .any(|e| e.token() == Token(99) && e.is_readable())
        {
            seen = true;
            break;
        }
    }
    assert!(seen);
    poll.deregister(&EventedFd(&fd)).unwrap();
}

#[test]
fn invalid_descriptors() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let r = Ready::readable();

    // Negative: EBADF, the kernel's answer for a bad descriptor.
    for fd in [-1, -2, RawFd::MIN] {
        let e = os_error(
            poll.register(&EventedFd(&fd), Token(0), r, PollOpt::edge()),
            "register of a negative descriptor",
        );
        assert_eq!(e, libc::EBADF, "{fd}");
        let e = os_error(
            poll.reregister(&EventedFd(&fd), Token(0), r, PollOpt::edge()),
            "reregister of a negative descriptor",
        );
        assert_eq!(e, libc::EBADF, "{fd}");
        let e = os_error(
            poll.deregister(&EventedFd(&fd)),
            "deregister of a negative descriptor",
        );
        assert_eq!(e, libc::EBADF, "{fd}");
    }

    // A number that is not open: EBADF.
    let closed = {
        let (a, _b) = UnixStream::pair().unwrap();
        a.as_raw_fd()
    };
    let e = os_error(
        poll.register(&EventedFd(&closed), Token(0), r, PollOpt::edge()),
        "register of a closed descriptor",
    );
    assert_eq!(e, libc::EBADF);
    let huge: RawFd = 1 << 30;
    let e = os_error(
        poll.register(&EventedFd(&huge), Token(0), r, PollOpt::level()),
        "register of a descriptor far past the table",
    );
    assert_eq!(e, libc::EBADF);

    // A regular file cannot be polled: EPERM from epoll (kqueue accepts
    // files, so this part is epoll's).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    epoll_refusals(&poll, r);

    still_works(&poll);
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn epoll_refusals(poll: &Poll, r: Ready) {
    use std::fs::File;

    let file = File::open("Cargo.toml").unwrap();
    let e = os_error(
        poll.register(&EventedFd(&file.as_raw_fd()), Token(0), r, PollOpt::edge()),
        "register of a regular file",
    );
    assert_eq!(e, libc::EPERM);

    // The Poll's own descriptor: EINVAL.
    let own = poll.as_raw_fd();
    let e = os_error(
        poll.register(&EventedFd(&own), Token(0), r, PollOpt::edge()),
        "register of the Poll itself",
    );
    assert_eq!(e, libc::EINVAL);
}

#[test]
fn double_registration_and_unregistered_handles() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let h = EventedFd(&fd);

    let e = poll
        .reregister(&h, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert_eq!(
        poll.deregister(&h).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );

    poll.register(&h, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    let e = poll
        .register(&h, Token(2), Ready::writable(), PollOpt::level())
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    poll.reregister(&h, Token(3), Ready::writable(), PollOpt::level())
        .unwrap();
    poll.deregister(&h).unwrap();
    assert_eq!(
        poll.deregister(&h).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );

    // The reserved token, on every kind of handle.
    let e = poll
        .register(&h, Token(usize::MAX), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    let (reg, _set) = Registration::new2();
    let e = poll
        .register(&reg, Token(usize::MAX), Ready::readable(), PollOpt::edge())
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);

    // Registration, as in the classic API: unregistered and twice are no
    // error; another Poll is.
    poll.reregister(&reg, Token(4), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.deregister(&reg).unwrap();
    poll.deregister(&reg).unwrap();
    poll.register(&reg, Token(4), Ready::readable(), PollOpt::edge())
        .unwrap();
    poll.register(&reg, Token(4), Ready::readable(), PollOpt::edge())
        .unwrap();
    let other = Poll::new().unwrap();
    assert!(other
        .register(&reg, Token(5), Ready::readable(), PollOpt::edge())
        .is_err());
    assert!(other.deregister(&reg).is_err());
    poll.deregister(&reg).unwrap();

    still_works(&poll);
}

#[test]
fn reregister_and_deregister_after_close() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let fd = {
        let (a, _b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        poll.register(
            &EventedFd(&fd),
            Token(1),
            Ready::readable(),
            PollOpt::edge(),
        )
        .unwrap();
        fd
        // Both ends close here, without a deregister.
    };
    let e = os_error(
        poll.reregister(
            &EventedFd(&fd),
            Token(1),
            Ready::readable(),
            PollOpt::edge(),
        ),
        "reregister after close",
    );
    assert_eq!(e, libc::EBADF);
    let e = os_error(poll.deregister(&EventedFd(&fd)), "deregister after close");
    assert_eq!(e, libc::EBADF);
    still_works(&poll);
}

#[test]
fn evio_sockets_double_registration_and_other_poll() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let listener = TcpListener::bind(&any).unwrap();
    let stream = TcpStream::connect(&listener.local_addr().unwrap()).unwrap();
    let udp = UdpSocket::bind(&any).unwrap();

    macro_rules! check {
        ($h:expr) => {{
            let h = $h;
            assert!(poll
                .reregister(h, Token(1), Ready::readable(), PollOpt::edge())
                .is_err());
            assert!(poll.deregister(h).is_err());
            poll.register(h, Token(1), Ready::readable(), PollOpt::edge())
                .unwrap();
            assert_eq!(
                poll.register(h, Token(1), Ready::readable(), PollOpt::edge())
                    .unwrap_err()
                    .kind(),
                io::ErrorKind::AlreadyExists
            );
            assert!(other
                .register(h, Token(2), Ready::readable(), PollOpt::edge())
                .is_err());
            assert!(other
                .reregister(h, Token(2), Ready::readable(), PollOpt::edge())
                .is_err());
            assert!(other.deregister(h).is_err());
            poll.reregister(h, Token(3), Ready::writable(), PollOpt::level())
                .unwrap();
            poll.deregister(h).unwrap();
            assert!(poll.deregister(h).is_err());
            // Bound to `poll` for good: registering again there works.
            poll.register(h, Token(4), Ready::readable(), PollOpt::edge())
                .unwrap();
            poll.deregister(h).unwrap();
        }};
    }
    check!(&listener);
    check!(&stream);
    check!(&udp);
    still_works(&poll);
}

#[test]
fn zero_capacity_events() {
    let _serial = serial();
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(0);
    let e = poll
        .poll(&mut events, Some(Duration::from_millis(1)))
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    let e = poll.poll_interruptible(&mut events, None).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}
