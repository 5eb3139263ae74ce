//! An echo server and many client connections in one process, over loopback,
//! all driven by one evio `Poll`.
//!
//! ```sh
//! cargo run --release --example demo              # 64 connections, about 2 s
//! cargo run --release --example demo -- 5 256     # 5 s, 256 connections
//! ```
//!
//! Every client keeps a window of messages in flight; the server echoes every
//! byte back; each client checks every byte it gets against what it sent. The
//! program prints the connections, the bytes moved and the messages per
//! second, and exits with status 1 if any byte came back wrong or missing,
//! or if some connections were never accepted (more of them than the
//! listener's backlog takes at once, with too short a run for the kernel to
//! retry them). Each connection takes two descriptors in this process.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

/// Size of one message.
const MSG: usize = 64;
/// Messages each client keeps in flight.
const DEPTH: usize = 16;
/// Most unanswered bytes per client.
const WINDOW: u64 = (MSG * DEPTH) as u64;

const LISTENER: Token = Token(0);
/// Tokens of server-side connections start here; clients' at `CLIENT_BASE`.
const SERVER_BASE: usize = 1;
const CLIENT_BASE: usize = 1 << 20;

/// The byte at `offset` of the stream client `conn` sends.
fn pattern(conn: usize, offset: u64) -> u8 {
    (offset
        .wrapping_mul(31)
        .wrapping_add(conn as u64 * 7)
        .wrapping_add(offset / 251)) as u8
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// `e` with what failed in front of it, and a hint when the process ran out
/// of descriptors.
fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| {
        let hint = if is_emfile(&e) {
            " (each connection takes two descriptors here: raise `ulimit -n` or ask for fewer)"
        } else {
            ""
        };
        io::Error::new(e.kind(), format!("{what}: {e}{hint}"))
    }
}

#[cfg(unix)]
fn is_emfile(e: &io::Error) -> bool {
    e.raw_os_error() == Some(24) // EMFILE on every Unix evio supports
}

#[cfg(not(unix))]
fn is_emfile(_: &io::Error) -> bool {
    false
}

/// The server side of one connection: bytes read but not yet written back.
struct Echo {
    stream: TcpStream,
    pending: Vec<u8>,
    open: bool,
}

impl Echo {
    /// Echoes until the socket would block. Stops reading while its own
    /// writes would block, so a slow reader holds back its writer.
    fn drive(&mut self, buf: &mut [u8]) -> io::Result<()> {
        loop {
            while !self.pending.is_empty() {
                match self.stream.write(&self.pending) {
                    Ok(n) => {
                        self.pending.drain(..n);
                    }
                    Err(ref e) if would_block(e) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            match self.stream.read(buf) {
                Ok(0) => {
                    self.open = false;
                    return Ok(());
                }
                Ok(n) => match self.stream.write(&buf[..n]) {
                    Ok(w) => self.pending.extend_from_slice(&buf[w..n]),
                    Err(ref e) if would_block(e) => self.pending.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(e),
                },
                Err(ref e) if would_block(e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

/// One client connection.
struct Client {
    id: usize,
    stream: TcpStream,
    sent: u64,
    received: u64,
    wrong: u64,
}

impl Client {
    /// Sends while the window allows, then reads and checks what came back
    /// (until the socket would block), then sends again into the room the
    /// answers made. When `stopping`, sends only up to the end of the current
    /// message.
    fn drive(&mut self, stopping: bool, scratch: &mut [u8]) -> io::Result<()> {
        self.send(stopping, scratch)?;
        if self.receive(scratch)? {
            self.send(stopping, scratch)?;
        }
        Ok(())
    }

    fn send(&mut self, stopping: bool, scratch: &mut [u8]) -> io::Result<()> {
        loop {
            let room = WINDOW - (self.sent - self.received);
            let to_boundary = (MSG as u64 - self.sent % MSG as u64) % MSG as u64;
            let allowed = if stopping {
                to_boundary.min(room)
            } else {
                room
            };
            if allowed == 0 {
                return Ok(());
            }
            let len = (allowed as usize).min(scratch.len());
            for (i, b) in scratch[..len].iter_mut().enumerate() {
                *b = pattern(self.id, self.sent + i as u64);
            }
            match self.stream.write(&scratch[..len]) {
                Ok(n) => self.sent += n as u64,
                Err(ref e) if would_block(e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until the socket would block; `true` if anything came.
    fn receive(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        let mut got = false;
        loop {
            match self.stream.read(scratch) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed the connection",
                    ))
                }
                Ok(n) => {
                    for (i, &b) in scratch[..n].iter().enumerate() {
                        if b != pattern(self.id, self.received + i as u64) {
                            self.wrong += 1;
                        }
                    }
                    self.received += n as u64;
                    got = true;
                }
                Err(ref e) if would_block(e) => return Ok(got),
                Err(e) => return Err(e),
            }
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let secs: f64 = match args.next().map(|a| a.parse()) {
        None => 2.0,
        Some(Ok(s)) if s > 0.0 && s < 3600.0 => s,
        Some(_) => {
            eprintln!("usage: demo [seconds (default 2)] [connections (default 64)]");
            return ExitCode::from(2);
        }
    };
    let conns: usize = match args.next().map(|a| a.parse()) {
        None => 64,
        Some(Ok(n)) if n > 0 && n <= 10_000 => n,
        Some(_) => {
            eprintln!("usage: demo [seconds (default 2)] [connections (default 64)]");
            return ExitCode::from(2);
        }
    };
    match run(Duration::from_secs_f64(secs), conns) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(duration: Duration, conns: usize) -> io::Result<bool> {
    let poll = Poll::new().map_err(context("cannot create a Poll".into()))?;
    let mut events = Events::with_capacity(1024);
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())
        .map_err(context("cannot listen on 127.0.0.1".into()))?;
    let addr = listener.local_addr()?;
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .map_err(context(format!("cannot register the listener on {addr}")))?;

    let mut clients = Vec::with_capacity(conns);
    for id in 0..conns {
        let what = || format!("client connection {} of {conns} to {addr}", id + 1);
        let stream =
            TcpStream::connect(&addr).map_err(context(format!("cannot open {}", what())))?;
        stream
            .set_nodelay(true)
            .map_err(context(format!("cannot set TCP_NODELAY on {}", what())))?;
        poll.register(
            &stream,
            Token(CLIENT_BASE + id),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        )
        .map_err(context(format!("cannot register {}", what())))?;
        clients.push(Client {
            id,
            stream,
            sent: 0,
            received: 0,
            wrong: 0,
        });
    }
    println!(
        "evio demo: echo server on {addr}, {conns} client connections, one Poll, {duration:?}"
    );

    let mut servers: Vec<Echo> = Vec::with_capacity(conns);
    let mut buf = vec![0u8; 64 * 1024];
    let mut scratch = vec![0u8; 16 * 1024];
    let mut polls: u64 = 0;

    let start = Instant::now();
    let mut stopping = false;
    let mut end = None;
    let give_up = start + duration + Duration::from_secs(10);
    loop {
        let now = Instant::now();
        if now > give_up {
            break;
        }
        if !stopping && now - start >= duration {
            stopping = true;
            for c in &mut clients {
                c.drive(true, &mut scratch)
                    .map_err(context(format!("client connection {}", c.id + 1)))?;
            }
        }
        if stopping
            && clients
                .iter()
                .all(|c| c.received == c.sent && c.sent % MSG as u64 == 0)
        {
            end = Some(now);
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .map_err(context("poll failed".into()))?;
        polls += 1;
        for event in &events {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let what = || format!("accepted connection {}", servers.len() + 1);
                            stream.set_nodelay(true).map_err(context(format!(
                                "cannot set TCP_NODELAY on {}",
                                what()
                            )))?;
                            let token = Token(SERVER_BASE + servers.len());
                            poll.register(
                                &stream,
                                token,
                                Ready::readable() | Ready::writable(),
                                PollOpt::edge(),
                            )
                            .map_err(context(format!("cannot register {}", what())))?;
                            servers.push(Echo {
                                stream,
                                pending: Vec::new(),
                                open: true,
                            });
                        }
                        Err(ref e) if would_block(e) => break,
                        Err(e) => {
                            return Err(context(format!(
                                "cannot accept connection {} of {conns} on {addr}",
                                servers.len() + 1
                            ))(e))
                        }
                    }
                },
                Token(t) if t >= CLIENT_BASE => {
                    let id = t - CLIENT_BASE;
                    clients[id]
                        .drive(stopping, &mut scratch)
                        .map_err(context(format!("client connection {}", id + 1)))?;
                }
                Token(t) => {
                    let s = &mut servers[t - SERVER_BASE];
                    if s.open {
                        s.drive(&mut buf).map_err(context(format!(
                            "accepted connection {}",
                            t - SERVER_BASE + 1
                        )))?;
                    }
                }
            }
        }
    }

    let elapsed = end.unwrap_or_else(Instant::now) - start;
    let sent: u64 = clients.iter().map(|c| c.sent).sum();
    let received: u64 = clients.iter().map(|c| c.received).sum();
    let wrong: u64 = clients.iter().map(|c| c.wrong).sum();
    let messages = received / MSG as u64;
    let secs = elapsed.as_secs_f64();
    if servers.len() == conns {
        println!("connections:      {conns}");
    } else {
        println!("connections:      {} accepted of {conns}", servers.len());
    }
    println!(
        "bytes moved:      {} ({} each way, {:.1} MB/s each way)",
        2 * received,
        received,
        received as f64 / secs / 1e6
    );
    println!(
        "messages:         {messages} of {MSG} bytes in {secs:.2} s: {:.0} messages/s ({DEPTH} in flight per connection)",
        messages as f64 / secs
    );
    println!("polls:            {polls}");
    let outcome = Outcome {
        conns,
        accepted: servers.len(),
        settled: end.is_some(),
        sent,
        received,
        wrong,
    };
    match outcome.verdict() {
        Ok(()) => {
            println!("verified:         every echoed byte matched");
            Ok(true)
        }
        Err(why) => {
            println!("FAILED:           {why}");
            Ok(false)
        }
    }
}

/// What a run saw, for its verdict.
struct Outcome {
    conns: usize,
    accepted: usize,
    /// Every client got back all it sent before the run gave up waiting.
    settled: bool,
    sent: u64,
    received: u64,
    wrong: u64,
}

impl Outcome {
    /// `Ok` if every connection was accepted and every byte came back
    /// right; otherwise every problem seen, in words.
    fn verdict(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.accepted < self.conns {
            problems.push(format!(
                "{} of {} connections were never accepted in the run (the listener's \
                 backlog was full and the kernel had not retried them yet: ask for fewer \
                 connections or more seconds)",
                self.conns - self.accepted,
                self.conns
            ));
        }
        if self.wrong > 0 {
            problems.push(format!("{} bytes came back wrong", self.wrong));
        }
        if self.received < self.sent {
            problems.push(format!(
                "{} bytes sent never came back",
                self.sent - self.received
            ));
        }
        if !self.settled {
            problems.push("the traffic did not settle within 10 s of the end".to_string());
        }
        if self.received == 0 {
            problems.push("no traffic at all".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short run moves traffic and every byte checks out.
    #[test]
    fn short_run_verifies() {
        assert!(run(Duration::from_millis(300), 16).unwrap());
    }

    /// Connections that were never accepted fail the run and are named,
    /// even when every byte of the others checked out.
    #[test]
    fn missing_connections_are_reported() {
        let mut o = Outcome {
            conns: 3000,
            accepted: 2050,
            settled: true,
            sent: 1 << 20,
            received: 1 << 20,
            wrong: 0,
        };
        let why = o.verdict().unwrap_err();
        assert!(
            why.starts_with("950 of 3000 connections were never accepted"),
            "{why}"
        );
        assert!(!why.contains("bytes"), "{why}");
        o.accepted = 3000;
        assert_eq!(o.verdict(), Ok(()));
        o.received -= 64;
        o.wrong = 3;
        o.settled = false;
        assert_eq!(
            o.verdict().unwrap_err(),
            "3 bytes came back wrong; 64 bytes sent never came back; \
             the traffic did not settle within 10 s of the end"
        );
    }

    #[test]
    fn pattern_differs_by_connection_and_offset() {
        assert_ne!(pattern(0, 5), pattern(1, 5));
        assert_ne!(pattern(3, 0), pattern(3, 1));
    }
}
