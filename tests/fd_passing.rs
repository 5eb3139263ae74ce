//! Passing file descriptors over a `UnixStream` (`SCM_RIGHTS`).
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use evio::unix::pipe::{self, Receiver, Sender};
use evio::unix::UnixStream;
use evio::{Poll, PollOpt, Ready, Token};

mod common;
use common::wait_readable;

fn is_cloexec(fd: impl AsFd) -> bool {
    rustix::io::fcntl_getfd(&fd)
        .unwrap()
        .contains(rustix::io::FdFlags::CLOEXEC)
}

/// Sends a pipe's reading end across, closes the local copy, then writes
/// into the pipe and reads through the passed end.
#[test]
fn pass_a_pipe_end_and_read_through_it() {
    let (a, b) = UnixStream::pair().unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&b, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let (mut sender, receiver) = pipe::pipe().unwrap();

    assert_eq!(a.send_with_fds(b"pipe", &[receiver.as_fd()]).unwrap(), 4);
    drop(receiver);

    wait_readable(&poll, Token(0));
    let mut fds: Vec<OwnedFd> = Vec::new();
    let mut buf = [0u8; 16];
    let n = b.recv_with_fds(&mut buf, &mut fds).unwrap();
    assert_eq!(&buf[..n], b"pipe");
    assert_eq!(fds.len(), 1);
    assert!(is_cloexec(&fds[0]));

    let mut passed = Receiver::from(fds.pop().unwrap());
    poll.register(&passed, Token(1), Ready::readable(), PollOpt::edge())
        .unwrap();
    sender.write_all(b"through the passed end").unwrap();
    wait_readable(&poll, Token(1));
    let mut got = [0u8; 22];
    passed.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"through the passed end");

    // The passed end is the only reader: closing it breaks the pipe.
    drop(passed);
    assert_eq!(
        sender.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

/// Several descriptors in one message, in order, appended after what
/// the vector already held; and the sending end of a pipe works as well.
#[test]
fn several_descriptors_in_order() {
    let (a, b) = UnixStream::pair().unwrap();
    let pipes: Vec<(Sender, Receiver)> = (0..3).map(|_| pipe::pipe().unwrap()).collect();
    let senders: Vec<_> = pipes.iter().map(|(s, _)| s.as_fd()).collect();
    a.send_with_fds(b"s", &senders).unwrap();

    let (_keep_s, keep_r) = pipe::pipe().unwrap();
    let mut fds: Vec<OwnedFd> = vec![OwnedFd::from(keep_r)];
    let mut buf = [0u8; 1];
    assert_eq!(b.recv_with_fds(&mut buf, &mut fds).unwrap(), 1);
    assert_eq!(fds.len(), 4);
    let passed: Vec<Sender> = fds.drain(1..).map(Sender::from).collect();
    for (i, (s, (_, r))) in passed.iter().zip(pipes.iter()).enumerate() {
        assert!(is_cloexec(s));
        (&*s).write_all(&[i as u8]).unwrap();
        let mut one = [0u8; 1];
        (&*r).read_exact(&mut one).unwrap();
        assert_eq!(one[0], i as u8);
    }
}

/// Bytes without descriptors come through `recv_with_fds` too; the
/// descriptors arrive with the read that takes the byte they were sent
/// with, and a read does not run on past that byte.
#[test]
fn plain_bytes_and_boundaries() {
    let (a, b) = UnixStream::pair().unwrap();
    (&a).write_all(b"plain").unwrap();
    let (_s, r) = pipe::pipe().unwrap();
    a.send_with_fds(b"F", &[r.as_fd()]).unwrap();
    (&a).write_all(b"tail").unwrap();

    let mut fds = Vec::new();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let mut fds_at = None;
    for _ in 0..10 {
        match b.recv_with_fds(&mut buf, &mut fds) {
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if !fds.is_empty() && fds_at.is_none() {
                    fds_at = Some(got.len());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, b"plainFtail");
    assert_eq!(fds.len(), 1);
    // The descriptor came with the read that ended at its byte.
    assert_eq!(fds_at, Some(6));
    drop(a);
    assert_eq!(b.recv_with_fds(&mut buf, &mut fds).unwrap(), 0);
}

#[test]
fn bad_arguments_are_invalid_input() {
    let (a, _b) = UnixStream::pair().unwrap();
    let (_s, r) = pipe::pipe().unwrap();
    let err = a.send_with_fds(b"", &[r.as_fd()]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let many = vec![r.as_fd(); 254];
    let err = a.send_with_fds(b"x", &many).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    // No descriptors at all is a plain send.
    assert_eq!(a.send_with_fds(b"x", &[]).unwrap(), 1);
}
