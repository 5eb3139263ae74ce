//! An echo server that spreads its connections over threads, the way
//! BENCHMARKS.md found best ("Accept spread"): every thread has a `Poll`
//! of its own and a listener of its own, all bound to one address with
//! `SO_REUSEPORT` (`TcpListener::bind_reuseport`, Linux and Android). The
//! kernel hands each connection to one listener, so a connection wakes one
//! thread, and the threads share the connections; a shared listener would
//! wake every thread for each (or, with `EPOLLEXCLUSIVE`, one thread for
//! all of them).
//!
//! ```sh
//! cargo run --release --example reuseport_echo                  # 127.0.0.1:7007, a thread per core, 10 s
//! cargo run --release --example reuseport_echo -- 127.0.0.1:7007 4 30
//! ```
//!
//! Each thread serves its connections edge-triggered: it reads until
//! `WouldBlock`, writes back what it can, and keeps the rest for the
//! socket's next writable event. The server stops by itself after the
//! given seconds and prints what each thread accepted and echoed. A failure
//! to start (the address in use, say) is printed in words and the exit
//! status is 1; a bad argument gives status 2.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod server {
    use std::io::{self, Read, Write};
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::thread;

    use evio::net::{TcpListener, TcpStream};
    use evio::{Events, Poll, PollOpt, Ready, Token, Waker};

    const LISTENER: Token = Token(0);
    const STOP: Token = Token(1);
    /// Connection `i` has token `FIRST + i`.
    const FIRST: usize = 2;

    /// What one thread did.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Report {
        pub accepted: u64,
        pub echoed: u64,
    }

    struct Conn {
        stream: TcpStream,
        /// Received and not yet written back.
        pending: Vec<u8>,
    }

    /// A running server: its address, and how to stop it.
    pub struct Server {
        pub addr: SocketAddr,
        stop: Arc<AtomicBool>,
        wakers: Vec<Waker>,
        threads: Vec<thread::JoinHandle<io::Result<Report>>>,
    }

    impl Server {
        /// Binds `threads` listeners to `addr` (port 0: one chosen for the
        /// first, then shared) and starts a thread for each.
        pub fn start(addr: SocketAddr, threads: usize) -> io::Result<Server> {
            let first = TcpListener::bind_reuseport(&addr)?;
            let addr = first.local_addr()?;
            let mut listeners = vec![first];
            for _ in 1..threads {
                listeners.push(TcpListener::bind_reuseport(&addr)?);
            }
            let stop = Arc::new(AtomicBool::new(false));
            let (tx, rx) = mpsc::channel();
            let threads = listeners
                .into_iter()
                .map(|listener| {
                    let (stop, tx) = (stop.clone(), tx.clone());
                    thread::spawn(move || -> io::Result<Report> {
                        let setup = || -> io::Result<(Poll, Waker)> {
                            let poll = Poll::new()?;
                            poll.register(&listener, LISTENER, Ready::readable(), PollOpt::edge())?;
                            let waker = Waker::new(&poll, STOP)?;
                            Ok((poll, waker))
                        };
                        // The waker goes to the main thread, which stops us
                        // with it; a failure goes there too.
                        let poll = match setup() {
                            Ok((poll, waker)) => {
                                let _ = tx.send(Ok(waker));
                                poll
                            }
                            Err(e) => {
                                let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                                return Err(e);
                            }
                        };
                        drop(tx);
                        serve(&poll, &listener, &stop)
                    })
                })
                .collect::<Vec<_>>();
            drop(tx);
            // One message from each thread, sent before it serves.
            let wakers = match rx.iter().collect::<io::Result<Vec<_>>>() {
                Ok(w) => w,
                Err(e) => {
                    // Stop the threads that did start.
                    stop.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            };
            Ok(Server {
                addr,
                stop,
                wakers,
                threads,
            })
        }

        /// Stops every thread and returns what each did.
        pub fn stop(self) -> io::Result<Vec<Report>> {
            self.stop.store(true, Ordering::SeqCst);
            for w in &self.wakers {
                w.wake()?;
            }
            self.threads
                .into_iter()
                .map(|t| t.join().expect("a server thread panicked"))
                .collect()
        }
    }

    /// One thread's event loop, until `stop`.
    fn serve(poll: &Poll, listener: &TcpListener, stop: &AtomicBool) -> io::Result<Report> {
        let mut report = Report::default();
        let mut conns: Vec<Option<Conn>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut events = Events::with_capacity(256);
        let mut buf = vec![0u8; 16 * 1024];
        while !stop.load(Ordering::SeqCst) {
            poll.poll(&mut events, None)?;
            for event in events.iter() {
                match event.token() {
                    STOP => {}
                    LISTENER => loop {
                        match listener.accept() {
                            Ok((stream, _)) => {
                                let i = free.pop().unwrap_or_else(|| {
                                    conns.push(None);
                                    conns.len() - 1
                                });
                                poll.register(
                                    &stream,
                                    Token(FIRST + i),
                                    Ready::readable() | Ready::writable(),
                                    PollOpt::edge(),
                                )?;
                                conns[i] = Some(Conn {
                                    stream,
                                    pending: Vec::new(),
                                });
                                report.accepted += 1;
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            // Out of descriptors, say: the connections stay
                            // queued, and the next connection's event
                            // brings them.
                            Err(e) => {
                                eprintln!("accept: {e}");
                                break;
                            }
                        }
                    },
                    Token(t) => {
                        let i = t - FIRST;
                        let done = match conns.get_mut(i).and_then(Option::as_mut) {
                            Some(conn) => echo(conn, &mut buf, &mut report),
                            None => false,
                        };
                        if done {
                            // Dropping the stream deregisters and closes it.
                            conns[i] = None;
                            free.push(i);
                        }
                    }
                }
            }
        }
        Ok(report)
    }

    /// Reads what there is and writes it back; true when the connection
    /// is over (closed by the peer, or failed).
    fn echo(conn: &mut Conn, buf: &mut [u8], report: &mut Report) -> bool {
        loop {
            match conn.stream.read(buf) {
                Ok(0) => return true,
                Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(n) => {
                    conn.pending.drain(..n);
                    report.echoed += n as u64;
                }
                // The rest goes at the next writable event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
        false
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    use std::time::Duration;

    let mut args = std::env::args().skip(1);
    let usage =
        "usage: reuseport_echo [ADDR (127.0.0.1:7007)] [THREADS (one per core)] [SECONDS (10)]";
    let addr = match args.next().map(|a| a.parse()) {
        None => "127.0.0.1:7007".parse().unwrap(),
        Some(Ok(a)) => a,
        Some(Err(_)) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let threads = match args.next().map(|a| a.parse::<usize>()) {
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        Some(Ok(n)) if (1..=256).contains(&n) => n,
        Some(_) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let secs = match args.next().map(|a| a.parse::<f64>()) {
        None => 10.0,
        Some(Ok(s)) if s > 0.0 && s <= 86_400.0 => s,
        Some(_) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let server = match server::Server::start(addr, threads) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "echoing on {} with {threads} threads for {secs} s",
        server.addr
    );
    std::thread::sleep(Duration::from_secs_f64(secs));
    match server.stop() {
        Ok(reports) => {
            for (i, r) in reports.iter().enumerate() {
                println!(
                    "thread {i}: {} connections, {} bytes echoed",
                    r.accepted, r.echoed
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("a server thread failed: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn main() {
    eprintln!("SO_REUSEPORT listeners are an evio addition for Linux and Android");
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use super::server::Server;

    /// Clients get their bytes back, and the connections went to more than
    /// one thread (32 connections all on one of two listeners would be a 1
    /// in 2^31 chance).
    #[test]
    fn echoes_and_spreads() {
        let server = Server::start("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        for i in 0..32u8 {
            let mut c = TcpStream::connect(server.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let msg = [i; 100];
            c.write_all(&msg).unwrap();
            let mut back = [0u8; 100];
            c.read_exact(&mut back).unwrap();
            assert_eq!(back, msg);
        }
        let reports = server.stop().unwrap();
        assert_eq!(reports.iter().map(|r| r.accepted).sum::<u64>(), 32);
        assert_eq!(reports.iter().map(|r| r.echoed).sum::<u64>(), 32 * 100);
        assert!(reports.iter().all(|r| r.accepted > 0), "{reports:?}");
    }
}
