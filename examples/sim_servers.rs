//! evio's example servers (`tcp_echo.rs`, `chat.rs`, `http_hello.rs`),
//! unchanged, under the simulator with faults, across many seeds: their
//! clients check every byte they get where the protocol promises it, and
//! one misbehaving connection per run (it half-closes, sends a line too
//! long or half a request, then resets) must not keep the others from
//! being served.
//!
//! ```sh
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --release --example sim_servers -- --seeds 1000
//! RUSTFLAGS="--cfg evio_sim" cargo run --target-dir target/sim --example sim_servers -- --server chat --seed 12
//! ```
//!
//! Without `--cfg evio_sim` it says how to run it and exits with status 2.

#[cfg(evio_sim)]
#[allow(dead_code)]
#[path = "chat.rs"]
mod chat;
#[cfg(evio_sim)]
#[allow(dead_code)]
#[path = "http_hello.rs"]
mod http_hello;
#[cfg(evio_sim)]
#[allow(dead_code)]
#[path = "tcp_echo.rs"]
mod tcp_echo;

#[cfg(not(evio_sim))]
fn main() -> std::process::ExitCode {
    eprintln!(
        "sim_servers runs under the simulator: RUSTFLAGS=\"--cfg evio_sim\" cargo run \
         --target-dir target/sim --example sim_servers -- --seeds 100"
    );
    std::process::ExitCode::from(2)
}

#[cfg(evio_sim)]
fn main() -> std::process::ExitCode {
    sim::main()
}

#[cfg(evio_sim)]
mod sim {
    use std::io::{self, Read, Write};
    use std::net::{Shutdown, SocketAddr};
    use std::process::ExitCode;
    use std::time::Duration;

    use evio::net::TcpStream;
    use evio::sim::{FaultPlan, Report, Sim};

    use crate::{chat, http_hello, tcp_echo};
    use evio::{Events, Poll, PollOpt, Ready, Token};

    const CLIENTS: u64 = 3;

    struct Gen(u64);

    impl Gen {
        fn new(seed: u64, id: u64) -> Gen {
            Gen(seed.wrapping_mul(0x9e37_79b9).wrapping_add(id) ^ 0x5eed)
        }

        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    fn wb(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::WouldBlock
    }

    /// A connected, registered client stream and its poll.
    fn connect(server: SocketAddr) -> io::Result<(TcpStream, Poll, Events)> {
        let poll = Poll::new()?;
        let s = TcpStream::connect(&server)?;
        poll.register(
            &s,
            Token(0),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        )?;
        Ok((s, poll, Events::with_capacity(8)))
    }

    /// Writes what it can of `out[*sent..]` (in pieces of random sizes) and
    /// reads what there is into `got`; `Ok(true)` once the peer closed.
    fn step(
        s: &mut TcpStream,
        g: &mut Gen,
        out: &[u8],
        sent: &mut usize,
        got: &mut Vec<u8>,
    ) -> io::Result<bool> {
        while *sent < out.len() {
            let end = (*sent + 1 + (g.next() % 2000) as usize).min(out.len());
            match s.write(&out[*sent..end]) {
                Ok(n) => *sent += n,
                Err(ref e) if wb(e) => break,
                Err(e) => return Err(e),
            }
        }
        let mut buf = [0u8; 2048];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return Ok(true),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(ref e) if wb(e) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }

    fn wait(poll: &Poll, events: &mut Events, who: &str) -> io::Result<()> {
        poll.poll(events, Some(Duration::from_secs(20)))?;
        if events.is_empty() {
            return Err(io::Error::other(format!("{who}: no progress in 20 s")));
        }
        Ok(())
    }

    // ---- echo ----

    fn echo_client(server: SocketAddr, seed: u64, id: u64) -> io::Result<()> {
        let mut g = Gen::new(seed, id);
        let len = 500 + (g.next() % 30_000) as usize;
        let data: Vec<u8> = (0..len).map(|_| g.next() as u8).collect();
        let (mut s, poll, mut events) = connect(server)?;
        let (mut sent, mut got) = (0, Vec::new());
        for _ in 0..100_000 {
            wait(&poll, &mut events, "echo client")?;
            if step(&mut s, &mut g, &data, &mut sent, &mut got)? && got.len() < len {
                return Err(io::Error::other("echo client: the server closed early"));
            }
            if got.len() >= len {
                if got != data {
                    return Err(io::Error::other("echo client: the echo differs"));
                }
                return Ok(());
            }
        }
        Err(io::Error::other("echo client: loop bound"))
    }

    /// Sends half its data, half-closes, then resets without reading.
    fn echo_misbehaving(server: SocketAddr) -> io::Result<()> {
        let (s, poll, mut events) = connect(server)?;
        let data = vec![b'x'; 5000];
        let mut sent = 0;
        for _ in 0..1000 {
            wait(&poll, &mut events, "misbehaving echo client")?;
            match (&s).write(&data[sent..]) {
                Ok(n) => sent += n,
                Err(ref e) if wb(e) => continue,
                Err(e) => return Err(e),
            }
            if sent >= 2500 {
                break;
            }
        }
        s.shutdown(Shutdown::Write)?;
        poll.poll(&mut events, Some(Duration::from_millis(3)))?;
        s.set_linger(Some(Duration::ZERO))?;
        Ok(())
    }

    // ---- chat ----

    /// Sends `lines` numbered lines, then `/quit`; checks that each other
    /// client's lines come in order with no gap from the first one seen.
    fn chat_client(server: SocketAddr, seed: u64, id: u64, lines: u64) -> io::Result<()> {
        let mut g = Gen::new(seed, id);
        let mut out = Vec::new();
        for i in 0..lines {
            let pad = "z".repeat((g.next() % 200) as usize);
            out.extend_from_slice(format!("line {id} {i} {pad}\n").as_bytes());
        }
        out.extend_from_slice(b"/quit\n");
        let (mut s, poll, mut events) = connect(server)?;
        let (mut sent, mut got) = (0, Vec::new());
        let mut closed = false;
        for _ in 0..100_000 {
            wait(&poll, &mut events, "chat client")?;
            if step(&mut s, &mut g, &out, &mut sent, &mut got)? {
                closed = true;
                break;
            }
        }
        if !closed {
            return Err(io::Error::other("chat client: loop bound"));
        }
        let text = String::from_utf8_lossy(&got);
        // (Lines of others queued before it left may follow the goodbye.)
        if !text.lines().any(|l| l == "* bye") {
            return Err(io::Error::other("chat client: no goodbye"));
        }
        let mut last: std::collections::BTreeMap<u64, u64> = Default::default();
        for line in text.lines() {
            let Some((_, msg)) = line.split_once(": ") else {
                continue;
            };
            let mut w = msg.split(' ');
            if w.next() != Some("line") {
                continue;
            }
            let (Some(from), Some(n)) = (
                w.next().and_then(|x| x.parse().ok()),
                w.next().and_then(|x| x.parse::<u64>().ok()),
            ) else {
                return Err(io::Error::other(format!(
                    "chat client {id}: a garbled line: {line:?}"
                )));
            };
            if from == id {
                return Err(io::Error::other(format!(
                    "chat client {id}: got its own line back"
                )));
            }
            if let Some(&prev) = last.get(&from) {
                if n != prev + 1 {
                    return Err(io::Error::other(format!(
                        "chat client {id}: from {from}, line {n} after line {prev}"
                    )));
                }
            }
            last.insert(from, n);
        }
        Ok(())
    }

    /// Sends a line too long, with no end, then resets.
    fn chat_misbehaving(server: SocketAddr) -> io::Result<()> {
        let (s, poll, mut events) = connect(server)?;
        let long = vec![b'y'; 6000];
        let mut sent = 0;
        for _ in 0..1000 {
            wait(&poll, &mut events, "misbehaving chat client")?;
            match (&s).write(&long[sent..]) {
                Ok(n) => sent += n,
                Err(ref e) if wb(e) => continue,
                Err(e) => return Err(e),
            }
            if sent == long.len() {
                break;
            }
        }
        poll.poll(&mut events, Some(Duration::from_millis(2)))?;
        s.set_linger(Some(Duration::ZERO))?;
        Ok(())
    }

    // ---- http ----

    const RESPONSE: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

    /// Sends pipelined requests, the last with `Connection: close`, and
    /// checks the answers byte for byte, then the close.
    fn http_client(server: SocketAddr, seed: u64, id: u64) -> io::Result<()> {
        let mut g = Gen::new(seed, id);
        let n = 1 + g.next() % 20;
        let mut out = Vec::new();
        for i in 0..n {
            let close = if i + 1 == n {
                "Connection: close\r\n"
            } else {
                ""
            };
            out.extend_from_slice(
                format!("GET /{id}/{i} HTTP/1.1\r\nHost: sim\r\n{close}\r\n").as_bytes(),
            );
        }
        let (mut s, poll, mut events) = connect(server)?;
        let (mut sent, mut got) = (0, Vec::new());
        for _ in 0..100_000 {
            wait(&poll, &mut events, "http client")?;
            if step(&mut s, &mut g, &out, &mut sent, &mut got)? {
                let want: Vec<u8> = RESPONSE.repeat(n as usize);
                if got != want {
                    return Err(io::Error::other(format!(
                        "http client {id}: {} bytes of answers, {} expected, or they differ",
                        got.len(),
                        want.len()
                    )));
                }
                return Ok(());
            }
        }
        Err(io::Error::other("http client: loop bound"))
    }

    /// Sends half a request, then resets.
    fn http_misbehaving(server: SocketAddr) -> io::Result<()> {
        let (s, poll, mut events) = connect(server)?;
        wait(&poll, &mut events, "misbehaving http client")?;
        let _ = (&s).write(b"GET /half HTTP/1.1\r\nHo");
        poll.poll(&mut events, Some(Duration::from_millis(2)))?;
        s.set_linger(Some(Duration::ZERO))?;
        Ok(())
    }

    // ---- runs ----

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Server {
        Echo,
        Chat,
        Http,
    }

    fn run(server: Server, seed: u64) -> Report {
        let addr: SocketAddr = "127.0.0.1:7000".parse().unwrap();
        let mut sim = Sim::new(seed);
        sim.faults(FaultPlan::chaos());
        // The chat server polls every 500 ms: it never waits for good,
        // so the run ends at this limit.
        sim.time_limit(Duration::from_secs(60));
        match server {
            Server::Echo => sim.host("server", "127.0.0.1", move || tcp_echo::serve(addr, None)),
            Server::Chat => sim.host("server", "127.0.0.1", move || {
                chat::run(chat::Place::Tcp(addr), None)
            }),
            Server::Http => sim.host("server", "127.0.0.1", move || http_hello::run(addr, None)),
        };
        for id in 0..CLIENTS {
            let ip = format!("127.0.0.{}", 2 + id);
            let name = format!("client{id}");
            match server {
                Server::Echo => sim.host(&name, &ip, move || echo_client(addr, seed, id)),
                Server::Chat => sim.host(&name, &ip, move || chat_client(addr, seed, id, 30)),
                Server::Http => sim.host(&name, &ip, move || http_client(addr, seed, id)),
            };
        }
        let ip = format!("127.0.0.{}", 2 + CLIENTS);
        match server {
            Server::Echo => sim.host("misbehaving", &ip, move || echo_misbehaving(addr)),
            Server::Chat => sim.host("misbehaving", &ip, move || chat_misbehaving(addr)),
            Server::Http => sim.host("misbehaving", &ip, move || http_misbehaving(addr)),
        };
        sim.run()
    }

    pub(crate) fn main() -> ExitCode {
        let mut first = 0;
        let mut seeds = 1;
        let mut servers = vec![Server::Echo, Server::Chat, Server::Http];
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let v = it.next();
            let num = || v.as_deref().and_then(|s| s.parse::<u64>().ok());
            match (a.as_str(), v.as_deref()) {
                ("--seed", _) if num().is_some() => first = num().unwrap_or(0),
                ("--seeds", _) if num().is_some() => seeds = num().unwrap_or(1),
                ("--server", Some("echo")) => servers = vec![Server::Echo],
                ("--server", Some("chat")) => servers = vec![Server::Chat],
                ("--server", Some("http")) => servers = vec![Server::Http],
                _ => {
                    eprintln!(
                        "usage: sim_servers [--seed N] [--seeds COUNT] [--server echo|chat|http]"
                    );
                    return ExitCode::from(2);
                }
            }
        }
        let start = std::time::Instant::now();
        let (mut runs, mut failed, mut events) = (0u64, 0u64, 0u64);
        let mut last = 0;
        for seed in first..first + seeds {
            for &server in &servers {
                let name = match server {
                    Server::Echo => "echo",
                    Server::Chat => "chat",
                    Server::Http => "http",
                };
                let r = run(server, seed);
                runs += 1;
                events += r.events;
                last = r.trace_hash;
                // The server ends only with the run; the misbehaving client
                // may see its own resets.
                let bad: Vec<_> = r
                    .hosts
                    .iter()
                    .filter(|h| h.name.starts_with("client") && h.result.is_err())
                    .collect();
                if !bad.is_empty() {
                    failed += 1;
                    for h in bad {
                        println!(
                            "seed {seed}: {name}: {}: {}",
                            h.name,
                            h.result.as_ref().unwrap_err()
                        );
                    }
                }
            }
        }
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        println!(
            "{runs} runs ({seeds} seeds), {failed} failed, {:.1} runs/s, {:.0} events/s",
            runs as f64 / secs,
            events as f64 / secs
        );
        println!("trace: {last:016x}");
        if failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}
