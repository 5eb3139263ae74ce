//! Soak: a checksummed echo load through one `Poll`.
//!
//! Connections are opened, used and closed in waves. Each client sends an
//! 8-byte length and then a payload of random size, written in chunks of
//! random size; the server echoes the payload back and closes. Reads use
//! random sizes too, and a quarter of the sockets get small send buffers, so
//! reads and writes are often partial. Every echoed byte is compared with
//! what was sent, and a running checksum of each direction is kept.
//!
//! After each wave the program records the process's open descriptors and
//! resident memory; at the end every descriptor is closed again.
//!
//! ```text
//! cargo run --release --example soak -- [--waves N] [--conns N] [--max-size BYTES] [--seed N]
//! ```
//!
//! Each wave connects all of its clients before any of them sends, so a
//! wave of N connections holds 2N sockets open at once (both ends live in
//! this process). Defaults: 4 waves of 5,000 connections (20,000 in all,
//! 10,000 sockets open at the peak), payloads of up to 128 KiB. The
//! descriptor limit is raised in-process.

#[cfg(unix)]
fn main() {
    let mut cfg = soak::Config {
        waves: 4,
        conns: 5000,
        max_size: 128 * 1024,
        seed: 0x5eed,
        deadline: std::time::Duration::from_secs(600),
    };
    const USAGE: &str =
        "usage: soak [--waves N] [--conns N] [--max-size BYTES] [--seed N] [--deadline SECONDS]";
    let usage = |why: String| -> ! {
        eprintln!("soak: {why}\n{USAGE}");
        std::process::exit(2)
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(format!("{a} takes a whole number")))
        };
        match a.as_str() {
            "--waves" => cfg.waves = val() as usize,
            "--conns" => cfg.conns = val() as usize,
            "--max-size" => cfg.max_size = val() as usize,
            "--seed" => cfg.seed = val(),
            "--deadline" => cfg.deadline = std::time::Duration::from_secs(val()),
            _ => usage(format!("unknown argument: {a}")),
        }
    }
    match soak::run(&cfg) {
        Ok(report) => {
            println!("{report}");
            if let Err(e) = report.check() {
                eprintln!("FAILED: {e}");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(unix))]
fn main() {
    eprintln!("the soak measures descriptors through /proc and rlimits: Unix only");
}

#[cfg(unix)]
#[allow(dead_code)]
pub mod soak {
    use std::collections::VecDeque;
    use std::fmt;
    use std::io::{self, Read, Write};
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use evio::net::{TcpListener, TcpStream};
    use evio::{Events, Poll, PollOpt, Ready, Token};

    /// What to run.
    #[derive(Clone, Debug)]
    pub struct Config {
        /// Number of waves.
        pub waves: usize,
        /// Connections per wave, all open at once.
        pub conns: usize,
        /// Largest payload of one connection, in bytes.
        pub max_size: usize,
        /// Seed of the random sizes and payloads.
        pub seed: u64,
        /// Give up (with an error) after this long.
        pub deadline: Duration,
    }

    /// What a wave left behind.
    #[derive(Clone, Debug)]
    pub struct Wave {
        pub connections: usize,
        pub bytes: u64,
        pub fds_after: usize,
        pub rss_after: usize,
        pub partial_writes: u64,
        pub partial_reads: u64,
        /// Most sockets (client and server ends) open at once.
        pub peak_open: usize,
    }

    /// The figures of a run.
    #[derive(Clone, Debug)]
    pub struct Report {
        pub fds_before: usize,
        pub fds_after: usize,
        /// Descriptors open during the waves (the Poll and the listener).
        pub fds_base: usize,
        pub waves: Vec<Wave>,
        pub elapsed: Duration,
        pub sent_sum: u64,
        pub echoed_sum: u64,
    }

    impl Report {
        pub fn connections(&self) -> usize {
            self.waves.iter().map(|w| w.connections).sum()
        }

        pub fn bytes(&self) -> u64 {
            self.waves.iter().map(|w| w.bytes).sum()
        }

        /// Checks the run kept its promises: descriptors back to their
        /// starting count after each wave and at the end, checksums equal,
        /// resident memory flat from the second wave on (the first wave
        /// grows the allocator's pools and the kernel's tables). Allows
        /// `slack` bytes of drift between the second wave and the last.
        pub fn check(&self) -> Result<(), String> {
            if self.fds_after != self.fds_before {
                return Err(format!(
                    "descriptors: {} before, {} after",
                    self.fds_before, self.fds_after
                ));
            }
            for (i, w) in self.waves.iter().enumerate() {
                if w.fds_after != self.fds_base {
                    return Err(format!(
                        "wave {i}: {} descriptors open, {} expected",
                        w.fds_after, self.fds_base
                    ));
                }
            }
            if self.sent_sum != self.echoed_sum {
                return Err("checksums of sent and echoed data differ".into());
            }
            if self.waves.len() >= 3 {
                let base = self.waves[1].rss_after;
                let last = self.waves.last().unwrap().rss_after;
                let slack = 8 << 20;
                if last > base + slack {
                    return Err(format!(
                        "resident memory grew from {base} to {last} bytes between wave 1 and the last"
                    ));
                }
            }
            Ok(())
        }
    }

    impl fmt::Display for Report {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(
                f,
                "soak: {} connections, {} bytes echoed (each checked), {} waves in {:.1?}",
                self.connections(),
                self.bytes(),
                self.waves.len(),
                self.elapsed
            )?;
            writeln!(
                f,
                "descriptors: {} before, {} during the waves (Poll + listener), {} after",
                self.fds_before, self.fds_base, self.fds_after
            )?;
            writeln!(
                f,
                "checksum sent {:016x}, echoed {:016x}",
                self.sent_sum, self.echoed_sum
            )?;
            for (i, w) in self.waves.iter().enumerate() {
                writeln!(
                    f,
                    "wave {i}: {} connections (peak {} sockets open), {} bytes, {} fds after, RSS {} KiB, {} partial writes, {} partial reads",
                    w.connections,
                    w.peak_open,
                    w.bytes,
                    w.fds_after,
                    w.rss_after / 1024,
                    w.partial_writes,
                    w.partial_reads
                )?;
            }
            Ok(())
        }
    }

    /// The process's open descriptors (Linux: /proc/self/fd; elsewhere /dev/fd).
    pub fn open_fds() -> usize {
        for dir in ["/proc/self/fd", "/dev/fd"] {
            if let Ok(d) = std::fs::read_dir(dir) {
                // Minus the descriptor of the directory being read.
                return d.count().saturating_sub(1);
            }
        }
        0
    }

    /// Resident memory in bytes (Linux: /proc/self/statm; 0 elsewhere).
    pub fn rss() -> usize {
        let pages = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
            .unwrap_or(0);
        // SAFETY: `sysconf` has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        pages * page.max(0) as usize
    }

    /// Raises the soft descriptor limit to what `need` asks (up to the hard limit).
    pub fn raise_fd_limit(need: u64) -> io::Result<()> {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let cur = getrlimit(Resource::Nofile);
        let want = match cur.maximum {
            Some(max) => need.min(max),
            None => need,
        };
        if cur.current.is_some_and(|c| c < want) {
            setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(want),
                    maximum: cur.maximum,
                },
            )?;
        }
        Ok(())
    }

    fn splitmix(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// Fills `buf` with the payload of stream `seed` from offset `at`.
    fn payload(seed: u64, at: u64, buf: &mut [u8]) {
        let mut word = splitmix(seed ^ (at >> 3).wrapping_mul(0x2545_f491_4f6c_dd1d));
        for (i, b) in buf.iter_mut().enumerate() {
            let pos = at + i as u64;
            if pos & 7 == 0 && i != 0 {
                word = splitmix(seed ^ (pos >> 3).wrapping_mul(0x2545_f491_4f6c_dd1d));
            }
            *b = (word >> ((pos & 7) * 8)) as u8;
        }
    }

    /// FNV-1a over a byte stream, order-sensitive.
    fn fnv(mut h: u64, data: &[u8]) -> u64 {
        for &b in data {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = splitmix(self.0);
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    struct Client {
        stream: TcpStream,
        seed: u64,
        len: u64,
        /// Header bytes then payload bytes written.
        written: u64,
        received: u64,
        sum_sent: u64,
        sum_echoed: u64,
        eof: bool,
    }

    struct Server {
        stream: TcpStream,
        header: [u8; 8],
        header_got: usize,
        len: u64,
        read: u64,
        echoed: u64,
        buf: VecDeque<u8>,
        read_closed: bool,
    }

    enum Conn {
        Client(Client),
        Server(Server),
    }

    const LISTENER: Token = Token(0);
    /// The send buffer a quarter of the sockets get.
    const SMALL_SNDBUF: usize = 8 * 1024;
    /// Most bytes a server holds for echo before it stops reading.
    const SERVER_BUF: usize = 8 * 1024;

    struct State {
        poll: Poll,
        slots: Vec<Option<Conn>>,
        free: Vec<usize>,
        rng: Rng,
        scratch: Vec<u8>,
        check: Vec<u8>,
        bytes: u64,
        sent_sum: u64,
        echoed_sum: u64,
        partial_writes: u64,
        partial_reads: u64,
        clients_done: usize,
        /// Clients wait until the whole wave is connected, so that all of
        /// its sockets are open at once.
        hold: bool,
    }

    fn err(msg: String) -> io::Error {
        io::Error::other(msg)
    }

    impl State {
        fn insert(&mut self, conn: Conn) -> usize {
            match self.free.pop() {
                Some(i) => {
                    self.slots[i] = Some(conn);
                    i
                }
                None => {
                    self.slots.push(Some(conn));
                    self.slots.len() - 1
                }
            }
        }

        fn token(slot: usize) -> Token {
            Token(slot + 1)
        }

        fn close(&mut self, slot: usize) -> io::Result<()> {
            if let Some(conn) = self.slots[slot].take() {
                let s = match &conn {
                    Conn::Client(c) => &c.stream,
                    Conn::Server(s) => &s.stream,
                };
                self.poll.deregister(s)?;
                self.free.push(slot);
            }
            Ok(())
        }

        /// The connections still open, with what the kernel says of their
        /// readiness (`poll(2)`), to tell a lost event from a stuck peer.
        fn describe_open(&self) -> String {
            use rustix::event::{poll, PollFd, PollFlags, Timespec};
            let mut out = String::new();
            for (slot, conn) in self.slots.iter().enumerate() {
                let Some(conn) = conn else { continue };
                let (desc, stream) = match conn {
                    Conn::Client(c) => (
                        format!(
                            "client {slot}: len {} written {} received {} eof {}",
                            c.len, c.written, c.received, c.eof
                        ),
                        &c.stream,
                    ),
                    Conn::Server(s) => (
                        format!(
                            "server {slot}: header {} len {} read {} echoed {} buffered {} read_closed {}",
                            s.header_got,
                            s.len,
                            s.read,
                            s.echoed,
                            s.buf.len(),
                            s.read_closed
                        ),
                        &s.stream,
                    ),
                };
                let mut fds = [PollFd::new(stream, PollFlags::IN | PollFlags::OUT)];
                let _ = poll(
                    &mut fds,
                    Some(&Timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    }),
                );
                out.push_str(&format!(
                    "[{desc}; {:?} -> {:?}; poll(2): {:?}] ",
                    stream.local_addr().ok(),
                    stream.peer_addr().ok(),
                    fds[0].revents()
                ));
            }
            out
        }

        fn random_read_len(&mut self) -> usize {
            1 + self.rng.below(self.scratch.len() as u64) as usize
        }

        /// Drives a client as far as it goes without blocking.
        fn client(&mut self, slot: usize) -> io::Result<()> {
            if self.hold {
                return Ok(());
            }
            let read_len = self.random_read_len();
            let chunk = 1 + self.rng.below(self.scratch.len() as u64) as usize;
            let Some(Conn::Client(c)) = &mut self.slots[slot] else {
                return Ok(());
            };
            // Write: the header, then the payload in chunks of random size.
            while c.written < 8 + c.len {
                let n = if c.written < 8 {
                    let hdr = c.len.to_le_bytes();
                    let at = c.written as usize;
                    c.stream.write(&hdr[at..])
                } else {
                    let at = c.written - 8;
                    let n = (c.len - at).min(chunk as u64) as usize;
                    payload(c.seed, at, &mut self.scratch[..n]);
                    match c.stream.write(&self.scratch[..n]) {
                        Ok(w) => {
                            if w < n {
                                self.partial_writes += 1;
                            }
                            c.sum_sent = fnv(c.sum_sent, &self.scratch[..w]);
                            Ok(w)
                        }
                        e => e,
                    }
                };
                match n {
                    Ok(0) => return Err(err(format!("client {slot}: write returned 0"))),
                    Ok(n) => c.written += n as u64,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // Not connected yet: the writable event comes later.
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                    Err(e) => return Err(err(format!("client {slot} write: {e}"))),
                }
            }
            // Read the echo and compare it with what was sent.
            loop {
                match c.stream.read(&mut self.scratch[..read_len]) {
                    Ok(0) => {
                        c.eof = true;
                        break;
                    }
                    Ok(n) => {
                        if n < read_len {
                            self.partial_reads += 1;
                        }
                        if c.received + n as u64 > c.len {
                            return Err(err(format!("client {slot}: more echoed than sent")));
                        }
                        self.check.resize(n, 0);
                        payload(c.seed, c.received, &mut self.check);
                        if self.check[..] != self.scratch[..n] {
                            return Err(err(format!(
                                "client {slot}: echoed bytes differ near offset {}",
                                c.received
                            )));
                        }
                        c.sum_echoed = fnv(c.sum_echoed, &self.scratch[..n]);
                        c.received += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                    Err(e) => return Err(err(format!("client {slot} read: {e}"))),
                }
            }
            if c.eof {
                if c.received != c.len {
                    return Err(err(format!(
                        "client {slot}: end of stream after {} of {} bytes",
                        c.received, c.len
                    )));
                }
                if c.sum_sent != c.sum_echoed {
                    return Err(err(format!("client {slot}: checksums differ")));
                }
                self.bytes += c.len;
                self.sent_sum = self.sent_sum.wrapping_add(c.sum_sent);
                self.echoed_sum = self.echoed_sum.wrapping_add(c.sum_echoed);
                self.clients_done += 1;
                self.close(slot)?;
            }
            Ok(())
        }

        /// Drives a server connection: read into the echo buffer while it
        /// has room, write it back, close once everything is echoed.
        fn server(&mut self, slot: usize) -> io::Result<()> {
            let read_len = self.random_read_len();
            let Some(Conn::Server(s)) = &mut self.slots[slot] else {
                return Ok(());
            };
            let mut progress = true;
            while progress {
                progress = false;
                // Read.
                if !s.read_closed && s.buf.len() < SERVER_BUF {
                    let want = if s.header_got < 8 {
                        8 - s.header_got
                    } else {
                        read_len.min(SERVER_BUF - s.buf.len())
                    };
                    match s.stream.read(&mut self.scratch[..want]) {
                        Ok(0) => {
                            s.read_closed = true;
                            if s.header_got < 8 || s.read < s.len {
                                return Err(err(format!("server {slot}: peer closed early")));
                            }
                        }
                        Ok(n) => {
                            progress = true;
                            if n < want {
                                self.partial_reads += 1;
                            }
                            if s.header_got < 8 {
                                s.header[s.header_got..s.header_got + n]
                                    .copy_from_slice(&self.scratch[..n]);
                                s.header_got += n;
                                if s.header_got == 8 {
                                    s.len = u64::from_le_bytes(s.header);
                                }
                            } else {
                                s.read += n as u64;
                                if s.read > s.len {
                                    return Err(err(format!("server {slot}: more than announced")));
                                }
                                s.buf.extend(&self.scratch[..n]);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => progress = true,
                        Err(e) => return Err(err(format!("server {slot} read: {e}"))),
                    }
                }
                // Write back.
                if !s.buf.is_empty() {
                    let (a, _) = s.buf.as_slices();
                    match s.stream.write(a) {
                        Ok(0) => return Err(err(format!("server {slot}: write returned 0"))),
                        Ok(n) => {
                            progress = true;
                            if n < a.len() {
                                self.partial_writes += 1;
                            }
                            s.buf.drain(..n);
                            s.echoed += n as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => progress = true,
                        Err(e) => return Err(err(format!("server {slot} write: {e}"))),
                    }
                }
            }
            if s.header_got == 8 && s.echoed == s.len {
                // Everything echoed: the server closes first, so the
                // TIME_WAIT state stays on its side and client ports are
                // free for the next wave.
                self.close(slot)?;
            }
            Ok(())
        }
    }

    /// Runs the soak.
    pub fn run(cfg: &Config) -> io::Result<Report> {
        raise_fd_limit(2 * cfg.conns as u64 + 256)?;
        let fds_before = open_fds();
        let start = Instant::now();
        let deadline = start + cfg.deadline;
        let mut st = State {
            poll: Poll::new()?,
            slots: Vec::with_capacity(2 * cfg.conns),
            free: Vec::new(),
            rng: Rng(cfg.seed),
            scratch: vec![0; 64 * 1024],
            check: Vec::with_capacity(64 * 1024),
            bytes: 0,
            sent_sum: 0,
            echoed_sum: 0,
            partial_writes: 0,
            partial_reads: 0,
            clients_done: 0,
            hold: true,
        };
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listener = TcpListener::bind(&addr)?;
        let addr = listener.local_addr()?;
        st.poll
            .register(&listener, LISTENER, Ready::readable(), PollOpt::edge())?;
        let fds_base = open_fds();
        let mut events = Events::with_capacity(1024);
        let mut waves = Vec::new();

        for wave in 0..cfg.waves {
            let (bytes0, pw0, pr0) = (st.bytes, st.partial_writes, st.partial_reads);
            st.clients_done = 0;
            st.hold = true;
            let mut opened = 0;
            let mut accepted = 0;
            let mut idle = 0;
            let mut peak_open = 0;
            while st.clients_done < cfg.conns {
                peak_open = peak_open.max(st.slots.len() - st.free.len());
                if Instant::now() > deadline {
                    return Err(err(format!(
                        "deadline passed in wave {wave}: {opened} opened, {accepted} accepted, {} done; left: {}",
                        st.clients_done,
                        st.describe_open()
                    )));
                }
                // Open connections in steps, a bounded number ahead of
                // the accepts, so the listen queue never overflows.
                while opened < cfg.conns && opened - accepted < 256 {
                    let stream = TcpStream::connect(&addr)?;
                    if st.rng.below(4) == 0 {
                        // A small send buffer makes writes partial. (The
                        // receive buffer keeps its size: a few KiB of it
                        // on loopback, whose segments are 64 KiB, makes
                        // the kernel drop segments it can never fit.)
                        stream.set_send_buffer_size(SMALL_SNDBUF)?;
                    }
                    let len = st.rng.below(cfg.max_size as u64 + 1);
                    let seed = st.rng.next();
                    let slot = st.insert(Conn::Client(Client {
                        stream,
                        seed,
                        len,
                        written: 0,
                        received: 0,
                        sum_sent: 0xcbf2_9ce4_8422_2325,
                        sum_echoed: 0xcbf2_9ce4_8422_2325,
                        eof: false,
                    }));
                    let Some(Conn::Client(c)) = &st.slots[slot] else {
                        unreachable!()
                    };
                    st.poll.register(
                        &c.stream,
                        State::token(slot),
                        Ready::readable() | Ready::writable(),
                        PollOpt::edge(),
                    )?;
                    opened += 1;
                }
                if st.hold && accepted == cfg.conns {
                    // All connected: let the clients go, each driven once
                    // (their writable edge came while they were held).
                    st.hold = false;
                    for slot in 0..st.slots.len() {
                        if let Some(Conn::Client(_)) = st.slots[slot] {
                            st.client(slot)?;
                        }
                    }
                }
                if st.poll.poll(&mut events, Some(Duration::from_secs(1)))? == 0 {
                    idle += 1;
                    if idle == 20 {
                        if std::env::var_os("EVIO_SOAK_PAUSE").is_some() {
                            eprintln!("stalled: {}", st.describe_open());
                            std::thread::sleep(Duration::from_secs(120));
                        }
                        return Err(err(format!(
                            "no event for 20 s in wave {wave}: {opened} opened, {accepted} accepted, {} done; left: {}",
                            st.clients_done,
                            st.describe_open()
                        )));
                    }
                } else {
                    idle = 0;
                }
                for ev in events.iter() {
                    if ev.token() == LISTENER {
                        loop {
                            match listener.accept() {
                                Ok((stream, _)) => {
                                    accepted += 1;
                                    if st.rng.below(4) == 0 {
                                        stream.set_send_buffer_size(SMALL_SNDBUF)?;
                                    }
                                    let slot = st.insert(Conn::Server(Server {
                                        stream,
                                        header: [0; 8],
                                        header_got: 0,
                                        len: 0,
                                        read: 0,
                                        echoed: 0,
                                        buf: VecDeque::new(),
                                        read_closed: false,
                                    }));
                                    let Some(Conn::Server(s)) = &st.slots[slot] else {
                                        unreachable!()
                                    };
                                    st.poll.register(
                                        &s.stream,
                                        State::token(slot),
                                        Ready::readable() | Ready::writable(),
                                        PollOpt::edge(),
                                    )?;
                                    // Data may be there already.
                                    st.server(slot)?;
                                }
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => return Err(err(format!("accept: {e}"))),
                            }
                        }
                        continue;
                    }
                    let slot = ev.token().0 - 1;
                    match &st.slots.get(slot) {
                        Some(Some(Conn::Client(_))) => st.client(slot)?,
                        Some(Some(Conn::Server(_))) => st.server(slot)?,
                        _ => return Err(err(format!("event {ev:?} for a closed connection"))),
                    }
                }
            }
            if st.slots.iter().any(|s| s.is_some()) {
                return Err(err(format!("wave {wave}: connections left open")));
            }
            // Shrink what the wave grew, so memory is judged on the library.
            st.slots.clear();
            st.slots.shrink_to(2 * cfg.conns);
            st.free.clear();
            waves.push(Wave {
                connections: cfg.conns,
                bytes: st.bytes - bytes0,
                fds_after: open_fds(),
                rss_after: rss(),
                partial_writes: st.partial_writes - pw0,
                partial_reads: st.partial_reads - pr0,
                peak_open,
            });
        }
        st.poll.deregister(&listener)?;
        drop(listener);
        let State {
            poll,
            sent_sum,
            echoed_sum,
            ..
        } = st;
        drop(poll);
        Ok(Report {
            fds_before,
            fds_after: open_fds(),
            fds_base,
            waves,
            elapsed: start.elapsed(),
            sent_sum,
            echoed_sum,
        })
    }
}
