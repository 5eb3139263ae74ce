//! A server with a planted bug, of the kind a loopback test does not find
//! and the simulator does: it answers each request with one `write` and
//! assumes the write took the whole answer.
//!
//! ```sh
//! # On the real loopback network: every answer arrives whole.
//! cargo run --example planted_bug
//! # Under the simulator: seeds from 0 until one fails (at most 50), then
//! # that seed again, which fails the same way with the same trace hash.
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --example planted_bug
//! ```
//!
//! The client asks for answers of 8 KiB, which a real socket's send
//! buffer always takes whole; the simulator's short writes do not.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

/// The size of one answer.
pub const ANSWER: usize = 8 * 1024;
/// Answers a client asks for.
pub const REQUESTS: usize = 8;

fn answer_byte(i: usize) -> u8 {
    (i % 251) as u8
}

/// The buggy server: serves `clients` connections, one after the other,
/// then returns. Each request is one byte; the answer is `ANSWER` bytes.
pub fn server(listener: TcpListener, clients: usize) -> io::Result<()> {
    let poll = Poll::new()?;
    poll.register(&listener, Token(0), Ready::readable(), PollOpt::edge())?;
    let mut events = Events::with_capacity(8);
    let answer: Vec<u8> = (0..ANSWER).map(answer_byte).collect();
    let mut served = 0;
    let mut conn: Option<TcpStream> = None;
    for _ in 0..1_000_000 {
        if served == clients {
            return Ok(());
        }
        poll.poll(&mut events, Some(Duration::from_secs(10)))?;
        if conn.is_none() {
            match listener.accept() {
                Ok((c, _)) => {
                    poll.register(&c, Token(1), Ready::readable(), PollOpt::edge())?;
                    conn = Some(c);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.raw_os_error().is_some() => continue,
                Err(e) => return Err(e),
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let mut buf = [0u8; 64];
        loop {
            match c.read(&mut buf) {
                Ok(0) => {
                    conn = None;
                    served += 1;
                    break;
                }
                Ok(n) => {
                    for _ in 0..n {
                        // THE BUG: the count `write` returns is ignored.
                        match c.write(&answer) {
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    Err(io::Error::other("server: loop bound reached"))
}

/// The client: asks for `REQUESTS` answers, one at a time, and checks
/// each byte.
pub fn client(server: SocketAddr) -> io::Result<()> {
    let poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut s = TcpStream::connect(&server)?;
    poll.register(
        &s,
        Token(0),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )?;
    let mut buf = vec![0u8; 4096];
    for req in 0..REQUESTS {
        // The request: one byte, written when the stream can take it.
        let mut asked = false;
        let mut got = 0;
        for _ in 0..100_000 {
            if !asked {
                match s.write(b"?") {
                    Ok(_) => asked = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            loop {
                match s.read(&mut buf) {
                    Ok(0) => return Err(io::Error::other("client: the server closed")),
                    Ok(n) => {
                        for (k, &b) in buf[..n].iter().enumerate() {
                            if got + k >= ANSWER || b != answer_byte(got + k) {
                                return Err(io::Error::other(format!(
                                    "client: answer {req} is wrong at byte {}",
                                    got + k
                                )));
                            }
                        }
                        got += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            if got == ANSWER {
                break;
            }
            poll.poll(&mut events, Some(Duration::from_secs(10)))?;
            if events.is_empty() {
                return Err(io::Error::other(format!(
                    "client: answer {req} stopped at {got} of {ANSWER} bytes"
                )));
            }
        }
        if got != ANSWER {
            return Err(io::Error::other("client: loop bound reached"));
        }
    }
    Ok(())
}

/// One simulated run of the server and a client, by seed: the client's
/// outcome and the trace hash.
#[cfg(evio_sim)]
pub fn sim_run(seed: u64) -> (Result<(), String>, u64) {
    use evio::sim::{FaultPlan, Sim};
    let addr: SocketAddr = "127.0.0.1:8000".parse().unwrap();
    let mut sim = Sim::new(seed);
    sim.faults(FaultPlan::chaos());
    sim.host("server", "127.0.0.1", move || {
        server(TcpListener::bind(&addr)?, 1)
    });
    sim.host("client", "127.0.0.2", move || client(addr));
    let report = sim.run();
    let res = report
        .host("client")
        .cloned()
        .unwrap_or(Err("no client".into()));
    (res, report.trace_hash)
}

#[cfg(evio_sim)]
fn main() -> ExitCode {
    for seed in 0..50 {
        let (res, hash) = sim_run(seed);
        if let Err(e) = res {
            println!("seed {seed} fails: {e} (trace {hash:016x})");
            let (again, hash2) = sim_run(seed);
            println!(
                "seed {seed} again: {} (trace {hash2:016x}, {})",
                again.err().unwrap_or_else(|| "passes".into()),
                if hash == hash2 {
                    "the same run"
                } else {
                    "A DIFFERENT RUN"
                }
            );
            println!("trace: {hash2:016x}");
            return if hash == hash2 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    }
    println!("no seed of 0..50 found the bug");
    ExitCode::FAILURE
}

#[cfg(not(evio_sim))]
fn main() -> ExitCode {
    let run = || -> io::Result<()> {
        let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
        let addr = listener.local_addr()?;
        let t = std::thread::spawn(move || server(listener, 1));
        let res = client(addr);
        let served = t
            .join()
            .map_err(|_| io::Error::other("the server panicked"))?;
        res.and(served)
    };
    match run() {
        Ok(()) => {
            println!("real loopback: every answer whole ({REQUESTS} of {ANSWER} bytes)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("real loopback: {e}");
            ExitCode::FAILURE
        }
    }
}
