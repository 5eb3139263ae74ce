//! The TCP echo server of `tcp_echo.rs`, unchanged, with clients that
//! check every byte they get back: on the simulated network under
//! `--cfg evio_sim`, on the real loopback network otherwise.
//!
//! ```sh
//! # Under the simulator: one run, by seed, with faults; the last line is
//! # `trace: ` and the hash of the run's trace.
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --example sim_echo -- --seed 7
//! # Many seeds (the first 200), one line each:
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --release --example sim_echo -- --seeds 200
//! # The same server and clients on the real loopback network:
//! cargo run --example sim_echo
//! ```
//!
//! Each client sends a few thousand bytes, of a length and content drawn
//! from the seed, in writes of its own sizes, and reads the echo until it
//! has all of it; a client whose echo differs fails the run (exit status 1).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use evio::net::TcpStream;
use evio::{Events, Poll, PollOpt, Ready, Token};

#[allow(dead_code)]
#[path = "tcp_echo.rs"]
mod tcp_echo;

const CLIENTS: u64 = 4;

/// A small generator for the clients' data (not the simulator's).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Connects to `server`, sends its data and checks the echo.
fn client(server: SocketAddr, seed: u64, id: u64) -> io::Result<()> {
    let mut g = Gen(seed.wrapping_mul(31).wrapping_add(id) ^ 0x5eed);
    let len = 1000 + (g.next() % 20_000) as usize;
    let data: Vec<u8> = (0..len).map(|_| g.next() as u8).collect();
    let poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut stream = TcpStream::connect(&server)?;
    poll.register(
        &stream,
        Token(0),
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )?;
    let (mut sent, mut got) = (0, Vec::with_capacity(len));
    let mut buf = [0u8; 4096];
    for _ in 0..1_000_000 {
        poll.poll(&mut events, Some(Duration::from_secs(10)))?;
        if events.is_empty() {
            return Err(io::Error::other(format!(
                "client {id}: no progress in 10 s"
            )));
        }
        while sent < len {
            let chunk = (1 + g.next() % 3000) as usize;
            let end = (sent + chunk).min(len);
            match stream.write(&data[sent..end]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        loop {
            match stream.read(&mut buf) {
                Ok(0) => {
                    return Err(io::Error::other(format!(
                        "client {id}: the server closed early"
                    )))
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if got.len() >= len {
            if got != data {
                let at = got
                    .iter()
                    .zip(&data)
                    .position(|(a, b)| a != b)
                    .unwrap_or(len);
                return Err(io::Error::other(format!(
                    "client {id}: the echo differs from byte {at} on ({} bytes sent, {} back)",
                    len,
                    got.len()
                )));
            }
            return Ok(());
        }
    }
    Err(io::Error::other(format!("client {id}: loop bound reached")))
}

fn args() -> Result<(u64, u64), String> {
    let mut seed = 0;
    let mut seeds = 1;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(format!("{a} takes a number"))
        };
        match a.as_str() {
            "--seed" => seed = num()?,
            "--seeds" => seeds = num()?,
            _ => return Err(format!("unexpected argument: {a}")),
        }
    }
    Ok((seed, seeds))
}

#[cfg(evio_sim)]
fn main() -> ExitCode {
    use evio::sim::{FaultPlan, Sim};
    let (first, seeds) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sim_echo: {e}\nusage: sim_echo [--seed N] [--seeds COUNT]");
            return ExitCode::from(2);
        }
    };
    let server: SocketAddr = "127.0.0.1:9000".parse().unwrap();
    let mut failed = 0;
    let mut last = 0;
    let start = std::time::Instant::now();
    let mut events = 0;
    for seed in first..first + seeds {
        let mut sim = Sim::new(seed);
        sim.faults(FaultPlan::chaos());
        sim.host("server", "127.0.0.1", move || tcp_echo::serve(server, None));
        for id in 0..CLIENTS {
            let ip = format!("127.0.0.{}", 2 + id);
            sim.host(&format!("client{id}"), &ip, move || {
                client(server, seed, id)
            });
        }
        let report = sim.run();
        events += report.events;
        let clients_ok = report
            .hosts
            .iter()
            .filter(|h| h.name != "server")
            .all(|h| h.result.is_ok());
        if !clients_ok {
            failed += 1;
            for h in &report.hosts {
                if let Err(e) = &h.result {
                    eprintln!("seed {seed}: {}: {e}", h.name);
                }
            }
        }
        if seeds > 1 {
            println!(
                "seed {seed}: {} trace {:016x}",
                if clients_ok { "ok" } else { "FAILED" },
                report.trace_hash
            );
        }
        last = report.trace_hash;
    }
    if seeds > 1 {
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{seeds} seeds, {failed} failed, {:.1} seeds/s, {:.0} events/s",
            seeds as f64 / secs,
            events as f64 / secs
        );
    }
    println!("trace: {last:016x}");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(not(evio_sim))]
fn main() -> ExitCode {
    let (seed, _) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sim_echo: {e}\nusage: sim_echo [--seed N]");
            return ExitCode::from(2);
        }
    };
    // A free port, then the server on it in a thread of its own.
    let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("sim_echo: no free port: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    std::thread::spawn(move || tcp_echo::serve(server, Some(Duration::from_secs(60))));
    std::thread::sleep(Duration::from_millis(200));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| std::thread::spawn(move || client(server, seed, id)))
        .collect();
    let mut ok = true;
    for (id, c) in clients.into_iter().enumerate() {
        match c.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("client {id}: {e}");
                ok = false;
            }
            Err(_) => ok = false,
        }
    }
    println!(
        "real loopback: {}",
        if ok { "every echo intact" } else { "FAILED" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
