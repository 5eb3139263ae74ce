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
//! others. A line longer than 4096 bytes is not sent on: its sender is told
//! so, and the server goes on with the next line. When the process runs out
//! of descriptors, waiting clients stay queued in the kernel and are taken
//! again a moment later. A failure to start (the address in use, say) is
//! printed in words and the exit status is 1; a bad argument gives status 2.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evio::event::Evented;
use evio::net::TcpListener;
use evio::{Events, Poll, PollOpt, Ready, Token};

/// The longest line a client may send, in bytes, not counting its end.
const MAX_LINE: usize = 4096;
/// The most output that may wait for a slow client before it is dropped.
const MAX_PENDING: usize = 1 << 20;
const LISTENER: Token = Token(0);
const USAGE: &str = "usage: chat [unix PATH | tcp ADDR] [--max-seconds N]";

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
    /// In a line too long to send on: its bytes are dropped up to its end.
    skipping: bool,
    outbox: Vec<u8>,
    writable_interest: bool,
    /// Said `/quit`: leaves once its outbox (the goodbye) is written.
    quitting: bool,
}

struct Server {
    poll: Poll,
    clients: BTreeMap<Token, Client>,
    next: usize,
    guests: usize,
}

/// Where to listen.
pub enum Place {
    Tcp(SocketAddr),
    #[cfg(unix)]
    Unix(std::path::PathBuf),
}

/// `e` with what failed in front of it.
fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (place, max_time) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("chat: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(place, max_time) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn run(place: Place, max_time: Option<Duration>) -> io::Result<()> {
    let listener = listen(place)?;
    let poll = Poll::new().map_err(context("cannot create a Poll".into()))?;
    poll.register(
        listener.evented(),
        LISTENER,
        Ready::readable(),
        PollOpt::edge(),
    )
    .map_err(context("cannot register the listener".into()))?;
    let mut server = Server {
        poll,
        clients: BTreeMap::new(),
        next: 1,
        guests: 0,
    };
    let start = Instant::now();
    let mut events = Events::with_capacity(256);
    // Set when `accept` failed with clients possibly left waiting: tried
    // again after the next poll (at most 500 ms later).
    let mut retry_accept = false;
    loop {
        if max_time.is_some_and(|m| start.elapsed() >= m) {
            println!("time is up; closing");
            break;
        }
        server
            .poll
            .poll(&mut events, Some(Duration::from_millis(500)))
            .map_err(context("poll failed".into()))?;
        let mut accept_now = std::mem::take(&mut retry_accept);
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_now = true;
            } else {
                // A hang-up or an error is noticed by reading: the read
                // returns 0 or the error.
                let read = event.is_readable() || event.is_read_closed() || event.is_error();
                server.ready(event.token(), read, event.is_writable());
            }
        }
        if accept_now {
            retry_accept = !server.accept_all(&listener);
        }
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<(Place, Option<Duration>), String> {
    let mut max_time = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--max-seconds" {
            let n: u64 = it
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or("--max-seconds takes a whole number of seconds")?;
            max_time = Some(Duration::from_secs(n));
        } else {
            rest.push(a.as_str());
        }
    }
    let place = match rest.as_slice() {
        ["tcp", addr] => Place::Tcp(
            addr.parse()
                .map_err(|_| format!("tcp takes an address such as 127.0.0.1:7000, not {addr}"))?,
        ),
        #[cfg(unix)]
        ["unix", path] => Place::Unix(std::path::PathBuf::from(path)),
        #[cfg(unix)]
        [] => Place::Unix(std::env::temp_dir().join("evio-chat.sock")),
        #[cfg(not(unix))]
        [] => Place::Tcp(SocketAddr::from(([127, 0, 0, 1], 7000))),
        _ => return Err(format!("unexpected arguments: {}", rest.join(" "))),
    };
    Ok((place, max_time))
}

fn listen(place: Place) -> io::Result<Listener> {
    match place {
        Place::Tcp(addr) => {
            let l = TcpListener::bind(&addr)
                .map_err(context(format!("cannot listen on tcp {addr}")))?;
            let local = l.local_addr()?;
            println!(
                "chat on tcp {local}: join with `nc {} {}`",
                local.ip(),
                local.port()
            );
            Ok(Listener::Tcp(l))
        }
        #[cfg(unix)]
        Place::Unix(path) => unix_listener(path),
    }
}

#[cfg(unix)]
fn unix_listener(path: std::path::PathBuf) -> io::Result<Listener> {
    use evio::unix::UnixListener;
    let what = || format!("cannot listen on {}", path.display());
    let l = match UnixListener::bind(&path) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            // A live server answers; a stale file refuses.
            match std::os::unix::net::UnixStream::connect(&path) {
                Err(c) if c.kind() == io::ErrorKind::ConnectionRefused => {
                    println!("removing the stale socket file {}", path.display());
                    std::fs::remove_file(&path).map_err(context(format!(
                        "cannot remove the stale socket file {}",
                        path.display()
                    )))?;
                    UnixListener::bind(&path).map_err(context(what()))?
                }
                _ => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("{}: another server is listening there", what()),
                    ))
                }
            }
        }
        other => other.map_err(context(what()))?,
    };
    println!(
        "chat on {}: join with `nc -U {}`",
        path.display(),
        path.display()
    );
    Ok(Listener::Unix(l, path))
}

impl Server {
    /// Accepts every waiting client. False if `accept` failed with an error
    /// that may leave clients waiting (out of descriptors): the caller
    /// tries again a moment later.
    fn accept_all(&mut self, listener: &Listener) -> bool {
        loop {
            let (conn, from) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                // A connection that failed before it was accepted.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("cannot accept a client (will try again): {e}");
                    return false;
                }
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
                skipping: false,
                outbox: Vec::new(),
                writable_interest: false,
                quitting: false,
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
            if client.quitting {
                return;
            }
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
    /// client is gone. A line longer than `MAX_LINE` is dropped, in parts
    /// as it comes, and its sender told.
    fn lines(&mut self, token: Token) -> bool {
        loop {
            let Some(client) = self.clients.get_mut(&token) else {
                return false;
            };
            let Some(end) = client.inbox.iter().position(|&b| b == b'\n') else {
                // (One byte more for a `\r` before the `\n` still to come.)
                if client.inbox.len() > MAX_LINE + 1 {
                    // Too long already, and not over: drop what came.
                    client.inbox.clear();
                    if !std::mem::replace(&mut client.skipping, true) {
                        self.too_long(token);
                    }
                }
                return true;
            };
            if client.skipping {
                // The end of a line too long, reported already.
                client.inbox.drain(..=end);
                client.skipping = false;
                continue;
            }
            let body = client.inbox[..end]
                .strip_suffix(b"\r")
                .unwrap_or(&client.inbox[..end]);
            if body.len() > MAX_LINE {
                client.inbox.drain(..=end);
                self.too_long(token);
                continue;
            }
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
                // Nothing more is read from it; it leaves once the
                // goodbye is written (see `flush`).
                client.quitting = true;
                self.tell(token, "* bye\n");
                return false;
            } else {
                let msg = format!("{}: {line}\n", client.name);
                self.broadcast(token, msg.as_bytes());
            }
        }
    }

    fn too_long(&mut self, token: Token) {
        if let Some(c) = self.clients.get(&token) {
            println!("{} sent a line too long; not sent on", c.name);
        }
        self.tell(
            token,
            &format!("* line too long (more than {MAX_LINE} bytes): not sent\n"),
        );
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
        if c.quitting && c.outbox.is_empty() {
            return self.leave(token, "left");
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
