//! `UnixListener`: binding, socket files, address errors, accepting many.
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evio::unix::{UnixListener, UnixStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

/// A unique socket path under the temp dir, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "evio-listener-{tag}-{}-{n}.sock",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&p);
        TempPath(p)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn bind_creates_a_socket_file_that_can_be_removed() {
    let path = TempPath::new("file");
    let listener = UnixListener::bind(&path.0).unwrap();
    let meta = std::fs::symlink_metadata(&path.0).unwrap();
    assert!(meta.file_type().is_socket());
    drop(listener);
    // Dropping the listener leaves the file; removing it is the owner's job.
    assert!(path.0.exists());
    std::fs::remove_file(&path.0).unwrap();
    assert!(!path.0.exists());
    // The path is free again.
    let _again = UnixListener::bind(&path.0).unwrap();
}

#[test]
fn binding_an_existing_path_is_addr_in_use() {
    let path = TempPath::new("inuse");
    let _first = UnixListener::bind(&path.0).unwrap();
    let err = UnixListener::bind(&path.0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    // A regular file in the way is the same.
    let file = TempPath::new("regular");
    std::fs::write(&file.0, b"not a socket").unwrap();
    let err = UnixListener::bind(&file.0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
}

#[test]
fn path_longer_than_sun_path_is_invalid_input() {
    let long = std::env::temp_dir().join("x".repeat(300));
    let err = UnixListener::bind(&long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("sun_path"), "{err}");
    let err = UnixStream::connect(&long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = UnixListener::bind("").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = UnixListener::bind("a\0b").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

/// The longest path that fits (one byte short of `sun_path`, for the
/// NUL) binds, and one byte more does not.
#[test]
fn longest_path_that_fits() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const SUN_PATH: usize = 108;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const SUN_PATH: usize = 104;
    let dir = std::env::temp_dir();
    let prefix = format!("{}/evio-{}-", dir.display(), std::process::id());
    if prefix.len() + 8 > SUN_PATH {
        eprintln!("temp dir path too long for this test; skipped");
        return;
    }
    let fits = format!("{prefix}{}", "f".repeat(SUN_PATH - 1 - prefix.len()));
    let path = TempPath(PathBuf::from(&fits));
    let _ = std::fs::remove_file(&path.0);
    let listener = UnixListener::bind(&path.0).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    let _client = UnixStream::connect(&path.0).unwrap();
    let too_long = format!("{fits}g");
    let err = UnixListener::bind(&too_long).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

#[test]
fn accept_without_a_client_would_block() {
    let path = TempPath::new("wouldblock");
    let listener = UnixListener::bind(&path.0).unwrap();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(listener.take_error().unwrap().is_none());
}

#[test]
fn connect_to_nothing_fails() {
    let path = TempPath::new("nothing");
    let err = UnixStream::connect(&path.0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
}

/// Several clients connect at once; an edge-triggered listener drains
/// them all, and each accepted stream talks to its own client.
#[test]
fn accepts_many_through_poll() {
    const CLIENTS: usize = 20;
    let path = TempPath::new("many");
    let listener = UnixListener::bind(&path.0).unwrap();
    let poll = Poll::new().unwrap();
    poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())
        .unwrap();
    let clients: Vec<UnixStream> = (0..CLIENTS)
        .map(|_| UnixStream::connect(&path.0).unwrap())
        .collect();

    let mut accepted = Vec::new();
    let mut events = Events::with_capacity(8);
    let deadline = Instant::now() + Duration::from_secs(10);
    while accepted.len() < CLIENTS {
        assert!(Instant::now() < deadline, "accepted {}", accepted.len());
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        loop {
            match listener.accept() {
                Ok((s, _)) => accepted.push(s),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
    // Pair them up by a byte each client sends.
    for (i, c) in clients.iter().enumerate() {
        (&*c).write_all(&[i as u8]).unwrap();
    }
    let mut seen = [false; CLIENTS];
    for mut s in accepted {
        let mut b = [0u8; 1];
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match s.read(&mut b) {
                Ok(1) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                other => panic!("read: {other:?}"),
            }
        }
        assert!(!seen[b[0] as usize]);
        seen[b[0] as usize] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn from_std_listener() {
    let path = TempPath::new("fromstd");
    let std_listener = std::os::unix::net::UnixListener::bind(&path.0).unwrap();
    let listener = UnixListener::from_std(std_listener).unwrap();
    // Non-blocking now.
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    let _c = UnixStream::connect(&path.0).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while listener.accept().is_err() {
        assert!(Instant::now() < deadline);
    }
}
