#![cfg(unix)]

//! Choosing the engine of a `Poll`: `Poll::with_engine`, `EVIO_ENGINE`,
//! `Poll::engine`, the fallback to epoll where io_uring cannot run, and the
//! io_uring engine's queued `reregister` seen by a poll blocked in another
//! thread. (The whole suite runs on each engine; `tests/model.rs` compares
//! the two step by step.)

use std::io::Write;
use std::time::Duration;

use evio::{Engine, Events, Poll, PollOpt, Ready, Token};

/// Whether this process may run the io_uring engine, asked of the kernel
/// itself rather than of evio: `Ok` where `io_uring_setup` succeeds on a
/// kernel of 5.6 or later (the engine's `IORING_OP_EPOLL_CTL`), on an
/// architecture evio has the ring for, or why not.
#[cfg(target_os = "linux")]
fn io_uring_allowed() -> Result<(), String> {
    if !cfg!(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64",
        target_arch = "powerpc64"
    )) {
        return Err("evio has no io_uring binding for this architecture".into());
    }
    // `struct io_uring_params`: 120 bytes, all zero (no flags).
    let mut params = [0u32; 30];
    // SAFETY: io_uring_setup(entries, params): `params` is writable, of the
    // kernel's size, and lives across the call.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
    if fd < 0 {
        return Err(format!(
            "io_uring_setup refused: {}",
            std::io::Error::last_os_error()
        ));
    }
    // A `c_long`, which is a `c_int` on 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let fd = fd as libc::c_int;
    // SAFETY: `fd` is the ring just created, owned here and closed once.
    unsafe { libc::close(fd) };
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| format!("cannot read the kernel's release: {e}"))?;
    let release = release.trim();
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
    if (major, minor) < (5, 6) {
        return Err(format!("kernel {release} lacks IORING_OP_EPOLL_CTL (5.6)"));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn io_uring_allowed() -> Result<(), String> {
    Err("io_uring is Linux's".into())
}

#[test]
fn the_engine_asked_for_is_the_one_in_force() {
    let poll = Poll::new().unwrap();
    let engine = poll.engine();
    match std::env::var("EVIO_ENGINE").as_deref() {
        // The second suite run of CI: where the kernel allows the ring,
        // every Poll of the process must really run on it.
        Ok("io_uring") => match io_uring_allowed() {
            Ok(()) => assert_eq!(engine, Engine::IoUring),
            Err(why) => {
                eprintln!("EVIO_ENGINE=io_uring, but {why}: the engine in force is {engine:?}");
                assert_eq!(engine, Engine::DEFAULT);
            }
        },
        _ => assert_eq!(engine, Engine::DEFAULT),
    }
    assert_eq!(
        Poll::with_engine(Engine::Epoll).unwrap().engine(),
        Engine::DEFAULT
    );
    let dbg = format!("{poll:?}");
    assert!(dbg.contains(&format!("{engine:?}")), "{dbg}");
}

/// Prints the engine `Poll::new()` runs in this process, and why when it
/// is not the one `EVIO_ENGINE` asks for: CI's io_uring step reads it.
#[test]
fn engine_in_force() {
    let engine = Poll::new().unwrap().engine();
    let why = match io_uring_allowed() {
        Ok(()) => "io_uring allowed here".to_string(),
        Err(why) => why,
    };
    println!("engine in force: {engine:?} ({why})");
}

#[test]
fn io_uring_runs_where_the_kernel_allows_it() {
    let engine = Poll::with_engine(Engine::IoUring).unwrap().engine();
    match io_uring_allowed() {
        Ok(()) => assert_eq!(engine, Engine::IoUring),
        Err(why) => {
            eprintln!("skipped: {why}; Poll::with_engine(IoUring) runs {engine:?}");
            assert_eq!(engine, Engine::DEFAULT);
        }
    }
}

/// Each engine, with a readable socket: a oneshot registration fires once,
/// and a `reregister` re-arms it.
#[test]
fn both_engines_rearm_a_oneshot_socket() {
    for engine in [Engine::Epoll, Engine::IoUring] {
        let poll = Poll::with_engine(engine).unwrap();
        let (a, mut b) = evio::unix::UnixStream::pair().unwrap();
        poll.register(&a, Token(1), Ready::readable(), PollOpt::oneshot())
            .unwrap();
        b.write_all(b"x").unwrap();
        let mut events = Events::with_capacity(4);
        for round in 0..20 {
            let mut got = Vec::new();
            for _ in 0..100 {
                poll.poll(&mut events, Some(Duration::from_millis(50)))
                    .unwrap();
                got.extend(events.iter().map(|e| e.token()));
                if !got.is_empty() {
                    break;
                }
            }
            assert_eq!(got, [Token(1 + round)], "{engine:?}, round {round}");
            poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
            assert!(events.is_empty(), "{engine:?}: fired twice");
            poll.reregister(&a, Token(2 + round), Ready::readable(), PollOpt::oneshot())
                .unwrap();
        }
    }
}

/// A `reregister` queued by the io_uring engine while another thread is
/// blocked in `poll` reaches the kernel at once: that poll returns the event.
#[test]
fn queued_reregister_wakes_a_poll_blocked_in_another_thread() {
    use std::sync::Arc;
    use std::thread;

    let poll = Arc::new(Poll::with_engine(Engine::IoUring).unwrap());
    if poll.engine() != Engine::IoUring {
        eprintln!("skipped: the io_uring engine cannot run here (Poll falls back to epoll)");
        return;
    }
    let (a, mut b) = evio::unix::UnixStream::pair().unwrap();
    b.write_all(b"x").unwrap();
    // Readable, but with writable interest only: nothing to report.
    poll.register(&a, Token(7), Ready::writable(), PollOpt::oneshot())
        .unwrap();
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_millis(100)))
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.token()).collect::<Vec<_>>(),
        [Token(7)]
    );
    // Fired (writable); now wait in another thread for readable.
    let p = poll.clone();
    let waiter = thread::spawn(move || {
        let mut events = Events::with_capacity(4);
        // One wait: had the change stayed queued, it would end at its
        // timeout with nothing (a later poll would hand the change over).
        p.poll(&mut events, Some(Duration::from_secs(20))).unwrap();
        events.iter().next().map(|e| (e.token(), e.readiness()))
    });
    // Give the waiter time to block, then re-arm for readable.
    thread::sleep(Duration::from_millis(50));
    poll.reregister(&a, Token(8), Ready::readable(), PollOpt::oneshot())
        .unwrap();
    let got = waiter.join().unwrap();
    assert_eq!(got, Some((Token(8), Ready::readable())));
}

/// Where io_uring is refused (here by a seccomp filter in a child process:
/// `io_uring_setup` answers `EPERM`, as under a container's profile, or
/// `ENOSYS`, as on a kernel without it), a `Poll` asked for it runs epoll,
/// says so, and works.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn falls_back_to_epoll_where_io_uring_is_refused() {
    for errno in [libc::EPERM, libc::ENOSYS] {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "fallback_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("EVIO_FALLBACK_CHILD", errno.to_string())
            .env("EVIO_ENGINE", "io_uring")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("fallback checked"),
            "errno {errno}: {}\n{stdout}\n{stderr}",
            out.status
        );
    }
}

/// The child of `falls_back_to_epoll_where_io_uring_is_refused`; does
/// nothing in a normal run.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn fallback_child() {
    let Ok(errno) = std::env::var("EVIO_FALLBACK_CHILD") else {
        return;
    };
    let errno: u32 = errno.parse().unwrap();
    refuse_io_uring_setup(errno);
    // The filter is in force: io_uring_setup fails with `errno`.
    // SAFETY: a raw system call with a null parameter block: the kernel
    // reads nothing (the filter answers first).
    let rc = unsafe { libc::syscall(libc::SYS_io_uring_setup, 8, std::ptr::null_mut::<u8>()) };
    assert_eq!(rc, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(errno as i32)
    );

    for poll in [
        Poll::with_engine(Engine::IoUring).unwrap(),
        Poll::new().unwrap(),
    ] {
        assert_eq!(poll.engine(), Engine::Epoll);
        let (a, mut b) = evio::unix::UnixStream::pair().unwrap();
        poll.register(&a, Token(3), Ready::readable(), PollOpt::edge())
            .unwrap();
        b.write_all(b"x").unwrap();
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(
            events.iter().map(|e| e.token()).collect::<Vec<_>>(),
            [Token(3)]
        );
    }
    println!("fallback checked");
}

/// Installs a seccomp filter on this process: `io_uring_setup` fails with
/// `errno`, every other system call is allowed.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn refuse_io_uring_setup(errno: u32) {
    use libc::{sock_filter, sock_fprog, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let stmt = |code: u32, k: u32| sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let filter = [
        // The system call number (offset 0 of `struct seccomp_data`).
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        sock_filter {
            code: (BPF_JMP | BPF_JEQ | BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: libc::SYS_io_uring_setup as u32,
        },
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ERRNO | errno),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut sock_filter,
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes plain integers; PR_SET_SECCOMP
    // reads `prog` and the filter it points at, both alive across the call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const sock_fprog
            ),
            0,
            "seccomp: {}",
            std::io::Error::last_os_error()
        );
    }
}
