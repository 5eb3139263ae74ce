//! A TCP echo server: sends back every byte each client sends.
//!
//! ```sh
//! cargo run --example tcp_echo                     # listens on 127.0.0.1:9000
//! cargo run --example tcp_echo -- 7000             # or another port (0: any free one)
//! cargo run --example tcp_echo -- --max-seconds 60 # stops by itself after a minute
//! nc 127.0.0.1 9000                                # in another terminal: type, see it echoed
//! ```
//!
//! One thread, one `Poll`, edge-triggered events, any number of clients.
//! When the process runs out of descriptors, the connections waiting to be
//! accepted stay queued in the kernel and are taken again a moment later;
//! the clients already connected are served on. A failure to start (the
//! port in use, say) is printed in words and the exit status is 1; a bad
//! argument gives status 2.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

const LISTENER: Token = Token(usize::MAX - 1);
/// How long to wait before accepting again after `accept` failed (out of
/// descriptors, typically): the edge-triggered listener reports nothing new
/// for connections that were waiting already.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

const USAGE: &str = "usage: tcp_echo [PORT (default 9000)] [--max-seconds N]";

/// One client: its socket and the bytes read but not yet written back.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// `e` with what failed in front of it.
fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Echoes until the socket would block; `Ok(false)` when the client is gone.
/// While its writes would block it stops reading, so a client that does
/// not read cannot make the server buffer without bound.
fn echo(conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
    loop {
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(n) => {
                    conn.pending.drain(..n);
                }
                Err(ref e) if would_block(e) => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        match conn.stream.read(buf) {
            Ok(0) => return Ok(false),
            Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
            Err(ref e) if would_block(e) => return Ok(true),
            Err(ref e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The port and the time limit, from the command line.
fn parse(args: &[String]) -> Result<(u16, Option<Duration>), String> {
    let mut port = None;
    let mut max_time = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--max-seconds" {
            let secs: u64 = it
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or("--max-seconds takes a whole number of seconds")?;
            max_time = Some(Duration::from_secs(secs));
        } else if port.is_none() {
            port = Some(a.parse().map_err(|_| format!("not a port number: {a}"))?);
        } else {
            return Err(format!("unexpected argument: {a}"));
        }
    }
    Ok((port.unwrap_or(9000), max_time))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, max_time) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("tcp_echo: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(SocketAddr::from(([127, 0, 0, 1], port)), max_time) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcp_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn serve(addr: SocketAddr, max_time: Option<Duration>) -> io::Result<()> {
    let listener = TcpListener::bind(&addr).map_err(context(format!("cannot listen on {addr}")))?;
    let addr = listener.local_addr()?;
    let poll = Poll::new().map_err(context("cannot create a Poll".into()))?;
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .map_err(context(format!("cannot register the listener on {addr}")))?;
    println!("echoing on {addr} (try: nc 127.0.0.1 {})", addr.port());
    let deadline = max_time.map(|m| Instant::now() + m);

    // Connections by token; freed slots are reused.
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    // Set when `accept` failed with connections possibly left waiting.
    let mut retry_accept = false;
    loop {
        let now = Instant::now();
        let mut timeout = deadline.map(|d| d.saturating_duration_since(now));
        if timeout == Some(Duration::ZERO) {
            println!("time is up; stopping");
            return Ok(());
        }
        if retry_accept {
            timeout = Some(timeout.map_or(ACCEPT_RETRY, |t| t.min(ACCEPT_RETRY)));
        }
        poll.poll(&mut events, timeout)
            .map_err(context("poll failed".into()))?;
        let mut accept_now = std::mem::take(&mut retry_accept);
        for event in &events {
            if event.token() == LISTENER {
                accept_now = true;
                continue;
            }
            let slot = event.token().0;
            let Some(conn) = conns.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let open = match echo(conn, &mut buf) {
                Ok(open) => open,
                Err(e) => {
                    eprintln!("connection {slot}: {e}");
                    false
                }
            };
            if !open {
                if let Some(conn) = conns[slot].take() {
                    let _ = poll.deregister(&conn.stream);
                    if let Ok(peer) = conn.stream.peer_addr() {
                        println!("{peer} disconnected");
                    }
                }
            }
        }
        if accept_now {
            retry_accept = !accept_all(&listener, &poll, &mut conns);
        }
    }
}

/// Accepts every waiting connection. False if `accept` failed with an
/// error that may leave connections waiting (out of descriptors): the
/// caller tries again a moment later.
fn accept_all(listener: &TcpListener, poll: &Poll, conns: &mut Vec<Option<Conn>>) -> bool {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(ref e) if would_block(e) => return true,
            // A connection that failed before we took it: go on.
            Err(ref e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("cannot accept a connection (will try again): {e}");
                return false;
            }
        };
        let slot = match conns.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                conns.push(None);
                conns.len() - 1
            }
        };
        if let Err(e) = poll.register(
            &stream,
            Token(slot),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        ) {
            eprintln!("cannot register the connection from {peer}, closing it: {e}");
            continue;
        }
        println!("{peer} connected");
        conns[slot] = Some(Conn {
            stream,
            pending: Vec::new(),
        });
    }
}
