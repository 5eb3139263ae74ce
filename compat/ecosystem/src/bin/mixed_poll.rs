//! evio's own types and a crate written for the classic API on one `Poll`.
//!
//! One `evio::Poll` carries evio's TCP listener and streams and its `Waker`
//! together with mio-extras 2's `Timer` and `channel::Receiver`, which are
//! written against `mio` 0.6 (here the patched `mio`, i.e. evio):
//!
//! - a producer thread sends chunks of a reproducible stream through the
//!   mio-extras channel, then wakes the poll with evio's `Waker`;
//! - each chunk that arrives is written to an evio `TcpStream`, echoed by
//!   the accepting side, and every byte read back is checked;
//! - a dozen mio-extras timeouts are set at the start; each must fire once,
//!   in the order of their deadlines, and not more than one tick before its
//!   deadline (mio-extras rounds deadlines and the clock to the nearest tick).
//!
//! Exits non-zero on any mismatch, a missing or repeated event, or if it is
//! not done within a minute.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evio::net::{TcpListener, TcpStream};
use evio::{Events, Poll, PollOpt, Ready, Token, Waker};
use evio_ecosystem::{fail, Pattern};
use mio_extras::{channel, timer};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);
const TIMER: Token = Token(3);
const CHANNEL: Token = Token(4);
const WAKER: Token = Token(5);

const CHUNKS: usize = 64;
const TIMEOUTS: u64 = 12;
const DEADLINE: Duration = Duration::from_secs(60);

fn chunk_len(i: usize) -> usize {
    1 + (i * 4_099) % 60_000
}

/// Writes as much of `out[*off..]` as the socket takes.
fn flush(stream: &mut TcpStream, out: &[u8], off: &mut usize) -> io::Result<()> {
    while *off < out.len() {
        match stream.write(&out[*off..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => *off += n,
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn run() -> io::Result<String> {
    let poll = Poll::new()?;
    let mut events = Events::with_capacity(64);

    // evio's sockets.
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap())?;
    poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())?;
    let mut client = TcpStream::connect(&listener.local_addr()?)?;
    poll.register(
        &client,
        CLIENT,
        Ready::readable() | Ready::writable(),
        PollOpt::edge(),
    )?;
    let mut server: Option<TcpStream> = None;

    // mio-extras' timer, registered through the classic trait.
    let tick = Duration::from_millis(5);
    let mut timer: timer::Timer<u64> = timer::Builder::default().tick_duration(tick).build();
    poll.register(&timer, TIMER, Ready::readable(), PollOpt::edge())?;
    let set_at = Instant::now();
    for k in 0..TIMEOUTS {
        timer.set_timeout(Duration::from_millis(20 + 15 * k), k);
    }

    // mio-extras' channel, fed by another thread, and evio's Waker.
    let (tx, rx) = channel::channel::<Vec<u8>>();
    poll.register(&rx, CHANNEL, Ready::readable(), PollOpt::edge())?;
    let waker = Arc::new(Waker::new(&poll, WAKER)?);
    let producer = {
        let waker = waker.clone();
        thread::spawn(move || {
            let mut pattern = Pattern::new(42);
            for i in 0..CHUNKS {
                if tx.send(pattern.take(chunk_len(i))).is_err() {
                    return;
                }
                if i % 8 == 7 {
                    thread::sleep(Duration::from_millis(2));
                }
            }
            let _ = waker.wake();
        })
    };

    let total: usize = (0..CHUNKS).map(chunk_len).sum();
    let mut outgoing: Vec<u8> = Vec::new();
    let mut out_off = 0;
    let mut echo_buf: Vec<u8> = Vec::new();
    let mut echo_off = 0;
    let mut check = Pattern::new(42);
    let mut received = 0usize;
    let mut chunks_in = 0usize;
    let mut producer_done = false;
    let mut fired: Vec<u64> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let start = Instant::now();

    while received < total || !producer_done || (fired.len() as u64) < TIMEOUTS {
        if start.elapsed() > DEADLINE {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "not done in time: {} of {} bytes back, {} of {} chunks in, {} of {} timeouts, producer done: {}",
                    received, total, chunks_in, CHUNKS, fired.len(), TIMEOUTS, producer_done
                ),
            ));
        }
        poll.poll(&mut events, Some(Duration::from_millis(500)))?;
        for event in events.iter() {
            match event.token() {
                LISTENER => loop {
                    match listener.accept() {
                        Ok((s, _)) => {
                            if server.is_some() {
                                return Err(io::Error::other("a second connection"));
                            }
                            poll.register(
                                &s,
                                SERVER,
                                Ready::readable() | Ready::writable(),
                                PollOpt::edge(),
                            )?;
                            server = Some(s);
                        }
                        Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                },
                TIMER => {
                    while let Some(k) = timer.poll() {
                        let due = Duration::from_millis(20 + 15 * k);
                        if set_at.elapsed() + tick < due {
                            return Err(io::Error::other(format!(
                                "timeout {} fired before its deadline",
                                k
                            )));
                        }
                        if fired.last().is_some_and(|&last| last >= k) {
                            return Err(io::Error::other(format!(
                                "timeout {} fired after {:?}",
                                k, fired
                            )));
                        }
                        fired.push(k);
                    }
                }
                CHANNEL => loop {
                    match rx.try_recv() {
                        Ok(chunk) => {
                            if chunk.len() != chunk_len(chunks_in) {
                                return Err(io::Error::other(format!(
                                    "chunk {} has the wrong size",
                                    chunks_in
                                )));
                            }
                            chunks_in += 1;
                            outgoing.extend_from_slice(&chunk);
                            flush(&mut client, &outgoing, &mut out_off)?;
                        }
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                    }
                },
                WAKER => producer_done = true,
                CLIENT => {
                    if event.readiness().is_writable() {
                        flush(&mut client, &outgoing, &mut out_off)?;
                    }
                    if event.readiness().is_readable() {
                        loop {
                            match client.read(&mut buf) {
                                Ok(0) => return Err(io::Error::other("echo side closed early")),
                                Ok(n) => {
                                    if let Err(at) = check.check(&buf[..n]) {
                                        return Err(io::Error::other(format!(
                                            "byte {} of the echo differs",
                                            received + at
                                        )));
                                    }
                                    received += n;
                                }
                                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => return Err(e),
                            }
                        }
                    }
                }
                SERVER => {
                    let s = server
                        .as_mut()
                        .ok_or_else(|| io::Error::other("event before accept"))?;
                    if event.readiness().is_readable() {
                        loop {
                            match s.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => echo_buf.extend_from_slice(&buf[..n]),
                                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    flush(s, &echo_buf, &mut echo_off)?;
                    if echo_off == echo_buf.len() {
                        echo_buf.clear();
                        echo_off = 0;
                    }
                }
                t => return Err(io::Error::other(format!("event for unknown {:?}", t))),
            }
        }
    }
    producer
        .join()
        .map_err(|_| io::Error::other("producer panicked"))?;
    if received != total || chunks_in != CHUNKS {
        return Err(io::Error::other(format!(
            "{} bytes back of {}",
            received, total
        )));
    }
    Ok(format!(
        "one evio Poll with evio TCP and Waker, mio-extras timer and channel: {} chunks ({} bytes) through the channel and echoed, every byte checked; {} timeouts fired in order ({:.2} s)",
        CHUNKS,
        total,
        fired.len(),
        start.elapsed().as_secs_f64()
    ))
}

fn main() {
    match run() {
        Ok(summary) => println!("{}", summary),
        Err(e) => fail(e),
    }
}
