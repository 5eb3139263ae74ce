//! tokio 0.1 UDP over loopback: an echo socket answering a client socket,
//! each datagram checked byte for byte, with one datagram in flight at a
//! time (loopback drops nothing then). The sizes vary from 1 byte to
//! 60,000 bytes. Then the same with `connect`ed sockets and `send`/`recv`.
//! Exits non-zero on any mismatch, error or time-out.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use evio_ecosystem::{fail, Pattern};
use futures::{future, Async, Future};
use tokio::net::UdpSocket;
use tokio::util::FutureExt;

const DATAGRAMS: usize = 300;
const DEADLINE: Duration = Duration::from_secs(60);

fn size_of(i: usize) -> usize {
    match i % 5 {
        0 => 1,
        1 => 60_000,
        _ => 1 + (i * 7_919) % 9_000,
    }
}

fn main() {
    let mut rt = tokio::runtime::current_thread::Runtime::new()
        .unwrap_or_else(|e| fail(format!("runtime: {}", e)));

    // Unconnected sockets: send_dgram / recv_dgram with addresses.
    let start = Instant::now();
    let result = rt.block_on(
        future::lazy(|| -> io::Result<_> {
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let server = UdpSocket::bind(&any)?;
            let server_addr = server.local_addr()?;
            let client = UdpSocket::bind(&any)?;
            let client_addr = client.local_addr()?;
            tokio::runtime::current_thread::spawn(
                echo_n(server, DATAGRAMS).map_err(|e| fail(format!("UDP echo side: {}", e))),
            );
            Ok(future::loop_fn(
                (client, Pattern::new(5), 0usize, 0usize),
                move |(client, mut pattern, i, bytes)| {
                    let out = pattern.take(size_of(i));
                    let expect = out.clone();
                    client
                        .send_dgram(out, &server_addr)
                        .and_then(|(client, _)| client.recv_dgram(vec![0u8; 65_536]))
                        .map(move |(client, buf, len, from)| {
                            if from != server_addr {
                                fail(format!(
                                    "datagram {} came from {}, not {}",
                                    i, from, server_addr
                                ));
                            }
                            if buf[..len] != expect[..] {
                                fail(format!(
                                    "datagram {} ({} bytes) differs from what was sent",
                                    i,
                                    expect.len()
                                ));
                            }
                            let bytes = bytes + len;
                            if i + 1 == DATAGRAMS {
                                future::Loop::Break(bytes)
                            } else {
                                future::Loop::Continue((client, pattern, i + 1, bytes))
                            }
                        })
                },
            )
            .map(move |bytes| (bytes, client_addr)))
        })
        .flatten()
        .timeout(DEADLINE),
    );
    let (bytes, _) = result.unwrap_or_else(|e| fail(format!("tokio UDP: {:?}", e)));
    println!(
        "tokio 0.1 UDP echo: {} datagrams, {} bytes each way, every byte checked ({:.2} s)",
        DATAGRAMS,
        bytes,
        start.elapsed().as_secs_f64()
    );

    // Connected sockets: poll_send / poll_recv.
    let start = Instant::now();
    let result = rt.block_on(
        future::lazy(|| -> io::Result<_> {
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let mut a = UdpSocket::bind(&any)?;
            let mut b = UdpSocket::bind(&any)?;
            a.connect(&b.local_addr()?)?;
            b.connect(&a.local_addr()?)?;
            let mut send = Pattern::new(11);
            let mut check = Pattern::new(11);
            let mut i = 0usize;
            let mut pending: Option<Vec<u8>> = None;
            let mut buf = vec![0u8; 65_536];
            let mut bytes = 0usize;
            Ok(future::poll_fn(
                move || -> futures::Poll<usize, io::Error> {
                    loop {
                        if i == DATAGRAMS {
                            return Ok(Async::Ready(bytes));
                        }
                        if pending.is_none() {
                            pending = Some(send.take(size_of(i)));
                        }
                        // a sends datagram i once, then waits for b to get it.
                        let sent = match pending.as_ref() {
                            Some(out) if !out.is_empty() => Some((a.poll_send(out)?, out.len())),
                            _ => None,
                        };
                        match sent {
                            Some((Async::Ready(n), len)) if n == len => pending = Some(Vec::new()),
                            Some((Async::Ready(n), len)) => {
                                return Err(io::Error::new(
                                    io::ErrorKind::WriteZero,
                                    format!("datagram {} sent {} of {} bytes", i, n, len),
                                ))
                            }
                            Some((Async::NotReady, _)) => return Ok(Async::NotReady),
                            None => {}
                        }
                        match b.poll_recv(&mut buf)? {
                            Async::Ready(len) => {
                                if check.check(&buf[..len]).is_err() || len != size_of(i) {
                                    return Err(io::Error::new(
                                        io::ErrorKind::InvalidData,
                                        format!("connected datagram {} differs", i),
                                    ));
                                }
                                bytes += len;
                                i += 1;
                                pending = None;
                            }
                            Async::NotReady => return Ok(Async::NotReady),
                        }
                    }
                },
            ))
        })
        .flatten()
        .timeout(DEADLINE),
    );
    let bytes = result.unwrap_or_else(|e| fail(format!("tokio connected UDP: {:?}", e)));
    println!(
        "tokio 0.1 UDP, connected sockets: {} datagrams, {} bytes, every byte checked ({:.2} s)",
        DATAGRAMS,
        bytes,
        start.elapsed().as_secs_f64()
    );
}

/// Echoes exactly `count` datagrams back to their senders.
fn echo_n(socket: UdpSocket, count: usize) -> impl Future<Item = (), Error = io::Error> {
    future::loop_fn(
        (socket, vec![0u8; 65_536], 0usize),
        move |(socket, buf, n)| {
            socket
                .recv_dgram(buf)
                .and_then(|(socket, buf, len, from)| {
                    let reply = buf[..len].to_vec();
                    socket
                        .send_dgram(reply, &from)
                        .map(move |(socket, _)| (socket, buf))
                })
                .map(move |(socket, buf)| {
                    if n + 1 == count {
                        future::Loop::Break(())
                    } else {
                        future::Loop::Continue((socket, buf, n + 1))
                    }
                })
        },
    )
}
