//! A minimal single-threaded HTTP/1.1 keep-alive responder on evio: every
//! request gets `200 OK` and `Hello, world!`.
//!
//! ```sh
//! cargo run --release --example http_hello                     # 127.0.0.1:8080, until stopped
//! cargo run --release --example http_hello -- 127.0.0.1:8081 30  # stops by itself after 30 s
//! wrk -t1 -c64 -d10s http://127.0.0.1:8080/                    # in another terminal
//! ```
//!
//! One thread, one `Poll`, edge-triggered events. A request is its header
//! block, up to the blank line (bodies are not read: this answers `GET`s).
//! Connections stay open (HTTP/1.1 keep-alive) unless the client sends
//! `Connection: close`. Buffers are kept per connection and reused, so a
//! served request allocates nothing. `benches/examples/http_hello_mio.rs`
//! is the same program on mio 1.x, for `benches/run.sh` to load both with
//! `wrk`.
//!
//! When the process runs out of descriptors (`accept` fails with `EMFILE`),
//! the connections waiting to be accepted stay queued in the kernel and are
//! taken again a moment later; the clients already connected are served
//! on. A failure to start (the address in use, say) is printed in words
//! and the exit status is 1; a bad argument gives status 2.

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
const USAGE: &str = "usage: http_hello [ADDRESS (default 127.0.0.1:8080)] [SECONDS to run]";
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// One client: its socket, the bytes read and not yet answered, and the
/// answers not yet written.
struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    close_after: bool,
}

/// Answers every complete request in `input`, leaving a partial one there.
/// Returns false if a request asked to close the connection.
fn answer(input: &mut Vec<u8>, output: &mut Vec<u8>) -> bool {
    let mut keep_alive = true;
    let mut start = 0;
    while let Some(end) = find(&input[start..], b"\r\n\r\n") {
        let head = &input[start..start + end];
        if contains_ignore_case(head, b"connection: close") {
            keep_alive = false;
        }
        output.extend_from_slice(RESPONSE);
        start += end + 4;
    }
    input.drain(..start);
    keep_alive
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// `e` with what failed in front of it.
fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Reads and answers until the socket would block; `Ok(false)` when the
/// connection is over.
fn serve(conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
    loop {
        // Write what is pending first; while the client does not read,
        // do not read more from it either.
        while !conn.output.is_empty() {
            match conn.stream.write(&conn.output) {
                Ok(n) => {
                    conn.output.drain(..n);
                }
                Err(ref e) if would_block(e) => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        if conn.close_after {
            return Ok(false);
        }
        match conn.stream.read(buf) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                conn.input.extend_from_slice(&buf[..n]);
                if conn.input.len() > 64 * 1024 {
                    return Ok(false); // a header block this long is not ours to parse
                }
                if !answer(&mut conn.input, &mut conn.output) {
                    conn.close_after = true;
                }
            }
            Err(ref e) if would_block(e) => return Ok(true),
            Err(ref e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The address and the time limit, from the command line.
fn parse(args: &[String]) -> Result<(SocketAddr, Option<Duration>), String> {
    let addr = match args.first() {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(a) => a
            .parse()
            .map_err(|_| format!("not an address such as 127.0.0.1:8080: {a}"))?,
    };
    let max_time = match args.get(1) {
        None => None,
        Some(s) => {
            Some(Duration::from_secs(s.parse().map_err(|_| {
                format!("not a whole number of seconds: {s}")
            })?))
        }
    };
    if let Some(extra) = args.get(2) {
        return Err(format!("unexpected argument: {extra}"));
    }
    Ok((addr, max_time))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (addr, max_time) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("http_hello: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(addr, max_time) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_hello: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn run(addr: SocketAddr, max_time: Option<Duration>) -> io::Result<()> {
    let deadline = max_time.map(|m| Instant::now() + m);
    let poll = Poll::new().map_err(context("cannot create a Poll".into()))?;
    let listener = TcpListener::bind(&addr).map_err(context(format!("cannot listen on {addr}")))?;
    let addr = listener.local_addr()?;
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())
        .map_err(context(format!("cannot register the listener on {addr}")))?;
    println!("listening on http://{addr}/");

    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 16 * 1024];
    // Set when `accept` failed with connections possibly left waiting.
    let mut retry_accept = false;
    loop {
        let mut timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout == Some(Duration::ZERO) {
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
            let idx = event.token().0;
            let Some(conn) = conns.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            if !serve(conn, &mut buf).unwrap_or(false) {
                // Dropping the socket closes it, which also removes it from
                // the poll; its slot is reused.
                conns[idx] = None;
                free.push(idx);
            }
        }
        if accept_now {
            retry_accept = !accept_all(&listener, &poll, &mut conns, &mut free);
        }
    }
}

/// Accepts every waiting connection. False if `accept` failed with an
/// error that may leave connections waiting (out of descriptors): the
/// caller tries again a moment later.
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    conns: &mut Vec<Option<Conn>>,
    free: &mut Vec<usize>,
) -> bool {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(ref e) if would_block(e) => return true,
            // A connection that failed before it was taken: go on.
            Err(ref e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("http_hello: cannot accept a connection (will try again): {e}");
                return false;
            }
        };
        // Without it the answers still go, a little later.
        let _ = stream.set_nodelay(true);
        let idx = free.pop().unwrap_or_else(|| {
            conns.push(None);
            conns.len() - 1
        });
        if let Err(e) = poll.register(
            &stream,
            Token(idx),
            Ready::readable() | Ready::writable(),
            PollOpt::edge(),
        ) {
            eprintln!("http_hello: cannot register the connection from {peer}, closing it: {e}");
            free.push(idx);
            continue;
        }
        conns[idx] = Some(Conn {
            stream,
            input: Vec::with_capacity(4096),
            output: Vec::with_capacity(4096),
            close_after: false,
        });
    }
}
