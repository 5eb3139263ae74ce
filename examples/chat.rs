//! A chat server: every line a client sends goes to every other client.
//!
//! Over a Unix socket (the default) or TCP:
//!
//! ```text
//! cargo run --example chat                       # listens on $TMPDIR/evio-chat.sock
//! cargo run --example chat -- unix /tmp/my.sock
//! cargo run --example chat -- tcp 127.0.0.1:7000
//! ```
//!
//! Then join from several terminals with `nc -U /tmp/evio-chat.sock` (or
//! `nc 127.0.0.1 7000`). `/nick NAME` changes your name, `/who` lists who
//! is here, `/quit` leaves. The server runs until stopped (Ctrl-C), or
//! for `--max-seconds N`. A socket file left behind by a server that was
//! killed is found stale (nothing answers on it) and replaced.
//!
//! One thread, one `Poll`, edge-triggered: each readiness event is drained
//! until the socket would block. Each client has an outgoing buffer; a
//! client that lets too much pile up is dropped rather than slowing the
//! others.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use evio::event::Evented;
use evio::net::TcpListener;
use evio::{Events, Poll, PollOpt, Ready, Token};

/// The longest line a client may send.
const MAX_LINE: usize = 4096;
/// The most output that may wait for a slow client before it is dropped.
const MAX_PENDING: usize = 1 << 20;
const LISTENER: Token = Token(0);

/// What the server needs from a connection, whatever its kind.
trait Conn: Read + Write + Evented {}
impl<T: Read + Write + Evented> Conn for T {}

enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(evio::unix::UnixListener, std::path::PathBuf),
}

impl Listener {
    fn accept(&self) -> io::Result<(Box<dyn Conn>, String)> {
        match self {
            Listener::Tcp(l) => {
                let (s, addr) = l.accept()?;
                s.set_nodelay(true)?;
                Ok((Box::new(s), addr.to_string()))
            }
            #[cfg(unix)]
            Listener::Unix(l, _) => {
                let (s, _) = l.accept()?;
                Ok((Box::new(s), "a local socket".to_string()))
            }
        }
    }

    fn evented(&self) -> &dyn Evented {
        match self {
            Listener::Tcp(l) => l,
            #[cfg(unix)]
            Listener::Unix(l, _) => l,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // The socket file outlives the socket: remove it.
        #[cfg(unix)]
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

struct Client {
    conn: Box<dyn Conn>,
    name: String,
    inbox: Vec<u8>,
    outbox: Vec<u8>,
    writable_interest: bool,
}

struct Server {
    poll: Poll,
    clients: HashMap<Token, Client>,
    next: usize,
    guests: usize,
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listener, max_time) = parse(&args)?;
    let poll = Poll::new()?;
    poll.register(
        listener.evented(),
        LISTENER,
        Ready::readable(),
        PollOpt::edge(),
    )?;
    let mut server = Server {
        poll,
        clients: HashMap::new(),
        next: 1,
        guests: 0,
    };
    let start = Instant::now();
    let mut events = Events::with_capacity(256);
    loop {
        if max_time.is_some_and(|m| start.elapsed() >= m) {
            println!("time is up; closing");
            break;
        }
        server
            .poll
            .poll(&mut events, Some(Duration::from_millis(500)))?;
        for event in events.iter() {
            if event.token() == LISTENER {
                server.accept_all(&listener)?;
            } else {
                // A hang-up or an error is noticed by reading: the read
                // returns 0 or the error.
                let read = event.is_readable() || event.is_read_closed() || event.is_error();
                server.ready(event.token(), read, event.is_writable());
            }
        }
    }
    Ok(())
}

fn parse(args: &[String]) -> io::Result<(Listener, Option<Duration>)> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_string());
    let mut max_time = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--max-seconds" {
            let n: u64 = it
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("--max-seconds takes a number"))?;
            max_time = Some(Duration::from_secs(n));
        } else {
            rest.push(a.as_str());
        }
    }
    let listener = match rest.as_slice() {
        ["tcp", addr] => {
            let addr = addr
                .parse()
                .map_err(|_| bad("tcp takes an address such as 127.0.0.1:7000"))?;
            let l = TcpListener::bind(&addr)?;
            println!(
                "chat on tcp {}: join with `nc {} {}`",
                l.local_addr()?,
                addr.ip(),
                l.local_addr()?.port()
            );
            Listener::Tcp(l)
        }
        #[cfg(unix)]
        ["unix", path] => unix_listener(std::path::PathBuf::from(path))?,
        #[cfg(unix)]
        [] => unix_listener(std::env::temp_dir().join("evio-chat.sock"))?,
        #[cfg(not(unix))]
        [] => {
            let l = TcpListener::bind(&"127.0.0.1:7000".parse().unwrap())?;
            println!("chat on tcp 127.0.0.1:7000");
            Listener::Tcp(l)
        }
        _ => return Err(bad("usage: chat [unix PATH | tcp ADDR] [--max-seconds N]")),
    };
    Ok((listener, max_time))
}

#[cfg(unix)]
fn unix_listener(path: std::path::PathBuf) -> io::Result<Listener> {
    use evio::unix::UnixListener;
    let l = match UnixListener::bind(&path) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            // A live server answers; a stale file refuses.
            match std::os::unix::net::UnixStream::connect(&path) {
                Err(c) if c.kind() == io::ErrorKind::ConnectionRefused => {
                    println!("removing the stale socket file {}", path.display());
                    std::fs::remove_file(&path)?;
                    UnixListener::bind(&path)?
                }
                _ => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("{} is in use by another server", path.display()),
                    ))
                }
            }
        }
        other => other?,
    };
    println!(
        "chat on {}: join with `nc -U {}`",
        path.display(),
        path.display()
    );
    Ok(Listener::Unix(l, path))
}

impl Server {
    fn accept_all(&mut self, listener: &Listener) -> io::Result<()> {
        loop {
            let (conn, from) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                // A connection that failed before it was accepted.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            let token = Token(self.next);
            self.next += 1;
            self.guests += 1;
            let name = format!("guest{}", self.guests);
            if let Err(e) = self
                .poll
                .register(&*conn, token, Ready::readable(), PollOpt::edge())
            {
                eprintln!("cannot register a new client: {e}");
                continue;
            }
            println!("{name} joined from {from}");
            let mut client = Client {
                conn,
                name: name.clone(),
                inbox: Vec::new(),
                outbox: Vec::new(),
                writable_interest: false,
            };
            let here = self.clients.len();
            client.outbox.extend_from_slice(
                format!("* welcome, {name}; {here} other(s) here. /nick NAME, /who, /quit\n")
                    .as_bytes(),
            );
            self.clients.insert(token, client);
            self.broadcast(token, format!("* {name} joined\n").as_bytes());
            self.flush(token);
        }
    }

    /// Handles readiness of one client.
    fn ready(&mut self, token: Token, readable: bool, writable: bool) {
        if readable {
            self.read_from(token);
        }
        if writable {
            self.flush(token);
        }
    }

    fn read_from(&mut self, token: Token) {
        let mut buf = [0u8; 4096];
        loop {
            let Some(client) = self.clients.get_mut(&token) else {
                return;
            };
            match client.conn.read(&mut buf) {
                Ok(0) => return self.leave(token, "left"),
                Ok(n) => {
                    client.inbox.extend_from_slice(&buf[..n]);
                    if !self.lines(token) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.leave(token, &format!("dropped ({e})")),
            }
        }
    }

    /// Handles the complete lines in a client's inbox; false once the
    /// client is gone.
    fn lines(&mut self, token: Token) -> bool {
        loop {
            let Some(client) = self.clients.get_mut(&token) else {
                return false;
            };
            let Some(end) = client.inbox.iter().position(|&b| b == b'\n') else {
                if client.inbox.len() > MAX_LINE {
                    self.leave(token, "dropped (line too long)");
                    return false;
                }
                return true;
            };
            let line: Vec<u8> = client.inbox.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                continue;
            }
            if let Some(nick) = line.strip_prefix("/nick ") {
                let nick = nick.trim();
                if nick.is_empty() || nick.len() > 32 || nick.contains(char::is_whitespace) {
                    self.tell(token, "* a name is 1 to 32 characters, no spaces\n");
                } else {
                    let old = std::mem::replace(&mut client.name, nick.to_string());
                    println!("{old} is now {nick}");
                    self.broadcast(token, format!("* {old} is now {nick}\n").as_bytes());
                    self.tell(token, &format!("* you are now {nick}\n"));
                }
            } else if line == "/who" {
                let mut names: Vec<&str> = self.clients.values().map(|c| c.name.as_str()).collect();
                names.sort_unstable();
                let list = format!("* here: {}\n", names.join(", "));
                self.tell(token, &list);
            } else if line == "/quit" {
                self.tell(token, "* bye\n");
                self.leave(token, "left");
                return false;
            } else {
                let msg = format!("{}: {line}\n", client.name);
                self.broadcast(token, msg.as_bytes());
            }
        }
    }

    /// Queues `msg` for one client and tries to send it.
    fn tell(&mut self, token: Token, msg: &str) {
        if let Some(c) = self.clients.get_mut(&token) {
            c.outbox.extend_from_slice(msg.as_bytes());
        }
        self.flush(token);
    }

    /// Queues `msg` for every client but `from`, and tries to send it.
    fn broadcast(&mut self, from: Token, msg: &[u8]) {
        let others: Vec<Token> = self
            .clients
            .keys()
            .copied()
            .filter(|&t| t != from)
            .collect();
        for t in others {
            if let Some(c) = self.clients.get_mut(&t) {
                c.outbox.extend_from_slice(msg);
            }
            self.flush(t);
        }
    }

    /// Writes as much of a client's outbox as the socket takes, and asks
    /// for a writable event when some is left.
    fn flush(&mut self, token: Token) {
        let Some(c) = self.clients.get_mut(&token) else {
            return;
        };
        while !c.outbox.is_empty() {
            match c.conn.write(&c.outbox) {
                Ok(n) => {
                    c.outbox.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.leave(token, &format!("dropped ({e})")),
            }
        }
        if c.outbox.len() > MAX_PENDING {
            return self.leave(token, "dropped (too slow)");
        }
        let want = !c.outbox.is_empty();
        if want != c.writable_interest {
            let interest = if want {
                Ready::readable() | Ready::writable()
            } else {
                Ready::readable()
            };
            if self
                .poll
                .reregister(&*c.conn, token, interest, PollOpt::edge())
                .is_ok()
            {
                c.writable_interest = want;
            }
        }
    }

    fn leave(&mut self, token: Token, how: &str) {
        if let Some(c) = self.clients.remove(&token) {
            let _ = self.poll.deregister(&*c.conn);
            println!("{} {how}", c.name);
            self.broadcast(token, format!("* {} {how}\n", c.name).as_bytes());
        }
    }
}
