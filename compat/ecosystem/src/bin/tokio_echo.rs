//! A tokio 0.1 TCP echo server and its clients in one process, over
//! loopback, on tokio's thread-pool runtime and then on its current-thread
//! runtime; then the same echo over a tokio-uds Unix stream pair.
//!
//! The server is written the usual tokio 0.1 way (`incoming`, `split`,
//! `tokio::io::copy`, `shutdown`). Each client sends a reproducible stream
//! with vectored writes (`write_buf` over a chain of two buffers, which
//! tokio-tcp turns into `TcpStream::write_bufs`), half-closes, and reads the
//! echo with vectored reads (`read_buf`, i.e. `read_bufs`) until the end of
//! the stream, checking every byte. Exits non-zero on any mismatch, error
//! or time-out.

use std::io::{self, Cursor};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use evio_ecosystem::{fail, Pattern};
use futures::{future, Async, Future, Poll, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::util::FutureExt;

/// Each run must finish well within this (it takes about a second).
const DEADLINE: Duration = Duration::from_secs(60);

/// One client connection: sends `total` bytes of `Pattern::new(seed)`,
/// half-closes, and checks the echo.
struct EchoClient<S> {
    stream: S,
    seed: u64,
    total: usize,
    send: Pattern,
    chunk: Vec<u8>,
    chunk_off: usize,
    sent: usize,
    shut: bool,
    recv: Pattern,
    received: usize,
    buf: BytesMut,
}

impl<S> EchoClient<S> {
    fn new(stream: S, seed: u64, total: usize) -> EchoClient<S> {
        EchoClient {
            stream,
            seed,
            total,
            send: Pattern::new(seed),
            chunk: Vec::new(),
            chunk_off: 0,
            sent: 0,
            shut: false,
            recv: Pattern::new(seed),
            received: 0,
            buf: BytesMut::with_capacity(64 * 1024),
        }
    }
}

/// Half-closing the sending direction of a stream.
trait HalfClose {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl HalfClose for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl HalfClose for tokio::net::UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl<S: AsyncRead + AsyncWrite + HalfClose> Future for EchoClient<S> {
    type Item = usize;
    type Error = io::Error;

    fn poll(&mut self) -> Poll<usize, io::Error> {
        loop {
            let mut progress = false;

            if self.sent < self.total {
                if self.chunk_off == self.chunk.len() {
                    // Chunk sizes vary so that writes end at odd offsets.
                    let len = (self.total - self.sent).min(1 + (self.sent * 31 + 7) % 65_521);
                    self.chunk = self.send.take(len);
                    self.chunk_off = 0;
                }
                let rest = &self.chunk[self.chunk_off..];
                let mid = rest.len() / 2;
                let mut two = Cursor::new(&rest[..mid]).chain(Cursor::new(&rest[mid..]));
                if let Async::Ready(n) = AsyncWrite::write_buf(&mut self.stream, &mut two)? {
                    if n == 0 {
                        return Err(io::Error::new(io::ErrorKind::WriteZero, "write of 0 bytes"));
                    }
                    self.chunk_off += n;
                    self.sent += n;
                    progress = true;
                }
            } else if !self.shut {
                self.stream.shutdown_write()?;
                self.shut = true;
                progress = true;
            }

            self.buf.clear();
            self.buf.reserve(64 * 1024);
            if let Async::Ready(n) = AsyncRead::read_buf(&mut self.stream, &mut self.buf)? {
                if n == 0 {
                    if self.received != self.total {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "client {}: end of stream after {} of {} bytes",
                                self.seed, self.received, self.total
                            ),
                        ));
                    }
                    return Ok(Async::Ready(self.received));
                }
                if let Err(at) = self.recv.check(&self.buf[..n]) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "client {}: byte {} of the echo differs",
                            self.seed,
                            self.received + at
                        ),
                    ));
                }
                self.received += n;
                if self.received > self.total {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "more bytes echoed than sent",
                    ));
                }
                progress = true;
            }

            if !progress {
                return Ok(Async::NotReady);
            }
        }
    }
}

/// The server: accepts `clients` connections and echoes each until its end.
fn server(
    listener: TcpListener,
    clients: usize,
    echoed: Arc<AtomicUsize>,
) -> impl Future<Item = (), Error = io::Error> + Send {
    listener
        .incoming()
        .take(clients as u64)
        .for_each(move |socket| {
            socket.set_nodelay(true)?;
            let echoed = echoed.clone();
            let (reader, writer) = socket.split();
            let conn = tokio::io::copy(reader, writer)
                .and_then(|(n, _reader, writer)| tokio::io::shutdown(writer).map(move |_| n))
                .map(move |n| {
                    echoed.fetch_add(n as usize, Ordering::SeqCst);
                })
                .map_err(|e| fail(format!("echo server connection: {}", e)));
            tokio::spawn(conn);
            Ok(())
        })
}

/// The whole run: a server and `clients` concurrent clients of `bytes` each.
fn echo_run(clients: usize, bytes: usize) -> impl Future<Item = usize, Error = io::Error> + Send {
    future::lazy(move || -> io::Result<_> {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listener = TcpListener::bind(&addr)?;
        let addr = listener.local_addr()?;
        let echoed = Arc::new(AtomicUsize::new(0));
        tokio::spawn(
            server(listener, clients, echoed.clone())
                .map_err(|e| fail(format!("echo server: {}", e))),
        );
        let conns = (0..clients).map(move |i| {
            TcpStream::connect(&addr)
                .and_then(move |stream| {
                    stream.set_nodelay(true)?;
                    Ok(EchoClient::new(stream, i as u64 + 1, bytes + i * 1_237))
                })
                .flatten()
        });
        Ok(future::join_all(conns).map(move |done| {
            let total: usize = done.iter().sum();
            let server_saw = echoed.load(Ordering::SeqCst);
            if server_saw != total {
                fail(format!(
                    "server echoed {} bytes, clients checked {}",
                    server_saw, total
                ));
            }
            total
        }))
    })
    .flatten()
}

fn expected_total(clients: usize, bytes: usize) -> usize {
    (0..clients).map(|i| bytes + i * 1_237).sum()
}

fn report(what: &str, clients: usize, bytes: usize, got: usize, start: Instant) {
    let want = expected_total(clients, bytes);
    if got != want {
        fail(format!(
            "{}: {} bytes checked, {} expected",
            what, got, want
        ));
    }
    println!(
        "{}: {} connections, {} bytes each way, every byte checked ({:.2} s)",
        what,
        clients,
        got,
        start.elapsed().as_secs_f64()
    );
}

fn main() {
    // Thread-pool runtime (tokio::runtime::Runtime): the default of tokio::run.
    let (clients, bytes) = (16, 1 << 20);
    let start = Instant::now();
    let mut rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("runtime: {}", e)));
    let got = rt
        .block_on(echo_run(clients, bytes).timeout(DEADLINE))
        .unwrap_or_else(|e| fail(format!("tokio echo (thread pool): {:?}", e)));
    rt.shutdown_now()
        .wait()
        .unwrap_or_else(|_| fail("runtime shutdown"));
    report(
        "tokio 0.1 TCP echo, thread-pool runtime",
        clients,
        bytes,
        got,
        start,
    );

    // Current-thread runtime: reactor, timer and tasks on this thread.
    let (clients, bytes) = (8, 256 << 10);
    let start = Instant::now();
    let mut rt = tokio::runtime::current_thread::Runtime::new()
        .unwrap_or_else(|e| fail(format!("current-thread runtime: {}", e)));
    let got = rt
        .block_on(echo_run(clients, bytes).timeout(DEADLINE))
        .unwrap_or_else(|e| fail(format!("tokio echo (current thread): {:?}", e)));
    report(
        "tokio 0.1 TCP echo, current-thread runtime",
        clients,
        bytes,
        got,
        start,
    );

    // A tokio-uds stream pair (mio-uds on the patched mio).
    let bytes = 1 << 20;
    let start = Instant::now();
    let got = rt
        .block_on(
            future::lazy(move || -> io::Result<_> {
                let (a, b) = tokio::net::UnixStream::pair()?;
                let (reader, writer) = b.split();
                let echo = tokio::io::copy(reader, writer).and_then(|(n, _reader, writer)| {
                    tokio::io::shutdown(writer).map(move |_| n as usize)
                });
                Ok(EchoClient::new(a, 99, bytes).join(echo))
            })
            .flatten()
            .timeout(DEADLINE),
        )
        .unwrap_or_else(|e| fail(format!("tokio-uds echo: {:?}", e)));
    if got.0 != bytes || got.1 != bytes {
        fail(format!(
            "tokio-uds echo: checked {}, echoed {}, sent {}",
            got.0, got.1, bytes
        ));
    }
    println!(
        "tokio 0.1 Unix stream pair echo: {} bytes each way, every byte checked ({:.2} s)",
        bytes,
        start.elapsed().as_secs_f64()
    );
}
