//! A UDP echo server: sends every datagram back to where it came from.
//!
//! ```sh
//! cargo run --example udp_echo                     # listens on 127.0.0.1:9000
//! cargo run --example udp_echo -- 7000             # or another port (0: any free one)
//! cargo run --example udp_echo -- --max-seconds 60 # stops by itself after a minute
//! nc -u 127.0.0.1 9000                             # in another terminal: type, see it echoed
//! ```
//!
//! A failure to start (the port in use, say) is printed in words and the
//! exit status is 1; a bad argument gives status 2.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evio::net::UdpSocket;
use evio::{Events, Poll, PollOpt, Ready, Token};

const SOCKET: Token = Token(0);
/// Most datagrams held while the socket cannot send; later ones are dropped,
/// as UDP allows.
const MAX_QUEUED: usize = 1024;

const USAGE: &str = "usage: udp_echo [PORT (default 9000)] [--max-seconds N]";

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// `e` with what failed in front of it.
fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
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
            eprintln!("udp_echo: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(SocketAddr::from(([127, 0, 0, 1], port)), max_time) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udp_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(addr: SocketAddr, max_time: Option<Duration>) -> io::Result<()> {
    let socket = UdpSocket::bind(&addr).map_err(context(format!("cannot bind {addr}")))?;
    let addr = socket.local_addr()?;
    let poll = Poll::new().map_err(context("cannot create a Poll".into()))?;
    poll.register(
        &socket,
        SOCKET,
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )
    .map_err(context(format!("cannot register the socket on {addr}")))?;
    println!(
        "echoing datagrams on {addr} (try: nc -u 127.0.0.1 {})",
        addr.port()
    );
    let deadline = max_time.map(|m| Instant::now() + m);

    let mut events = Events::with_capacity(64);
    let mut buf = vec![0u8; 64 * 1024];
    // Datagrams waiting to go back, when the socket could not send at once.
    let mut queue: VecDeque<(Vec<u8>, SocketAddr)> = VecDeque::new();
    loop {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout == Some(Duration::ZERO) {
            println!("time is up; stopping");
            return Ok(());
        }
        poll.poll(&mut events, timeout)
            .map_err(context("poll failed".into()))?;
        if events.is_empty() {
            continue;
        }
        // Send what waits, then receive until the socket would block.
        while let Some((data, to)) = queue.front() {
            match socket.send_to(data, to) {
                Ok(_) => {
                    queue.pop_front();
                }
                Err(ref e) if would_block(e) => break,
                Err(e) => {
                    eprintln!("send to {to}: {e}");
                    queue.pop_front();
                }
            }
        }
        let mut errors = 0;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if !queue.is_empty() {
                        if queue.len() < MAX_QUEUED {
                            queue.push_back((buf[..n].to_vec(), from));
                        }
                        continue;
                    }
                    match socket.send_to(&buf[..n], &from) {
                        Ok(_) => {}
                        Err(ref e) if would_block(e) => queue.push_back((buf[..n].to_vec(), from)),
                        Err(e) => eprintln!("send to {from}: {e}"),
                    }
                }
                Err(ref e) if would_block(e) => break,
                // An ICMP error from an earlier send can surface here; it
                // is cleared once reported. Give up on a lasting one.
                Err(e) => {
                    eprintln!("receive: {e}");
                    errors += 1;
                    if errors == 16 {
                        break;
                    }
                }
            }
        }
    }
}
