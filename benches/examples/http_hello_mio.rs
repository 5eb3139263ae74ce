//! `examples/http_hello.rs` written on mio 1.x, the comparison for
//! `benches/run.sh`: the same single-threaded HTTP/1.1 keep-alive responder,
//! line for line where the two APIs allow (mio 1.x is a Linux-only
//! dependency of the benchmark package, so this example does nothing
//! elsewhere).
//!
//! ```sh
//! cargo run --release --example http_hello_mio -- 127.0.0.1:8081 30
//! wrk -t1 -c64 -d10s http://127.0.0.1:8081/
//! ```

#[cfg(target_os = "linux")]
mod server {
    use std::io::{self, Read, Write};
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use mio1::net::{TcpListener, TcpStream};
    use mio1::{Events, Interest, Poll, Token};

    const LISTENER: Token = Token(usize::MAX - 1);
    const RESPONSE: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

    struct Conn {
        stream: TcpStream,
        input: Vec<u8>,
        output: Vec<u8>,
        close_after: bool,
    }

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

    fn serve(conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
        loop {
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
                        return Ok(false);
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

    pub fn main() -> io::Result<()> {
        let mut args = std::env::args().skip(1);
        let addr: SocketAddr = args
            .next()
            .unwrap_or_else(|| "127.0.0.1:8081".to_string())
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let deadline = match args.next() {
            Some(secs) => {
                let secs: u64 = secs
                    .parse()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                Some(Instant::now() + Duration::from_secs(secs))
            }
            None => None,
        };

        let mut poll = Poll::new()?;
        let mut listener = TcpListener::bind(addr)?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        println!("listening on http://{}/", listener.local_addr()?);

        let mut conns: Vec<Option<Conn>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut events = Events::with_capacity(1024);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                return Ok(());
            }
            poll.poll(&mut events, timeout)?;
            for event in &events {
                if event.token() == LISTENER {
                    loop {
                        match listener.accept() {
                            Ok((mut stream, _)) => {
                                stream.set_nodelay(true)?;
                                let idx = free.pop().unwrap_or_else(|| {
                                    conns.push(None);
                                    conns.len() - 1
                                });
                                poll.registry().register(
                                    &mut stream,
                                    Token(idx),
                                    Interest::READABLE | Interest::WRITABLE,
                                )?;
                                conns[idx] = Some(Conn {
                                    stream,
                                    input: Vec::with_capacity(4096),
                                    output: Vec::with_capacity(4096),
                                    close_after: false,
                                });
                            }
                            Err(ref e) if would_block(e) => break,
                            Err(e) => return Err(e),
                        }
                    }
                    continue;
                }
                let idx = event.token().0;
                let Some(conn) = conns.get_mut(idx).and_then(Option::as_mut) else {
                    continue;
                };
                if !serve(conn, &mut buf).unwrap_or(false) {
                    conns[idx] = None;
                    free.push(idx);
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn main() -> std::io::Result<()> {
    server::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("http_hello_mio needs mio 1.x, a Linux-only dependency of evio-bench");
}
