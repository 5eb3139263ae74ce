//! A TCP echo server: sends back every byte each client sends.
//!
//! ```sh
//! cargo run --example tcp_echo          # listens on 127.0.0.1:9000
//! cargo run --example tcp_echo -- 7000  # or another port
//! nc 127.0.0.1 9000                     # in another terminal: type, see it echoed
//! ```
//!
//! One thread, one `Poll`, edge-triggered events, any number of clients.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token};

const LISTENER: Token = Token(usize::MAX - 1);

/// One client: its socket and the bytes read but not yet written back.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
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

fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        None => 9000,
        Some(p) => p.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a port number: {p}"),
            )
        })?,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(&addr)?;
    let poll = Poll::new()?;
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())?;
    println!(
        "echoing on {} (try: nc 127.0.0.1 {port})",
        listener.local_addr()?
    );

    // Connections by token; freed slots are reused.
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, None)?;
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((stream, peer)) => {
                            let slot = match conns.iter().position(Option::is_none) {
                                Some(i) => i,
                                None => {
                                    conns.push(None);
                                    conns.len() - 1
                                }
                            };
                            poll.register(
                                &stream,
                                Token(slot),
                                Ready::readable() | Ready::writable(),
                                PollOpt::edge(),
                            )?;
                            println!("{peer} connected");
                            conns[slot] = Some(Conn {
                                stream,
                                pending: Vec::new(),
                            });
                        }
                        Err(ref e) if would_block(e) => break,
                        // A connection that failed before we took it: go on.
                        Err(e) => {
                            eprintln!("accept: {e}");
                            break;
                        }
                    }
                }
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
    }
}
