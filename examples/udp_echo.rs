//! A UDP echo server: sends every datagram back to where it came from.
//!
//! ```sh
//! cargo run --example udp_echo          # listens on 127.0.0.1:9000
//! cargo run --example udp_echo -- 7000  # or another port
//! nc -u 127.0.0.1 9000                  # in another terminal: type, see it echoed
//! ```

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use evio::net::UdpSocket;
use evio::{Events, Poll, PollOpt, Ready, Token};

const SOCKET: Token = Token(0);
/// Most datagrams held while the socket cannot send; later ones are dropped,
/// as UDP allows.
const MAX_QUEUED: usize = 1024;

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
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
    let socket = UdpSocket::bind(&SocketAddr::from(([127, 0, 0, 1], port)))?;
    let poll = Poll::new()?;
    poll.register(
        &socket,
        SOCKET,
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )?;
    println!(
        "echoing datagrams on {} (try: nc -u 127.0.0.1 {port})",
        socket.local_addr()?
    );

    let mut events = Events::with_capacity(64);
    let mut buf = vec![0u8; 64 * 1024];
    // Datagrams waiting to go back, when the socket could not send at once.
    let mut queue: VecDeque<(Vec<u8>, SocketAddr)> = VecDeque::new();
    loop {
        poll.poll(&mut events, None)?;
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
