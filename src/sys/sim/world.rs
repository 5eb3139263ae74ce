//! The simulated world: virtual time, the objects behind the virtual
//! descriptors, the selectors, the network in flight, the hosts and their
//! baton, the fault plan and the trace.
//!
//! Everything lives in one `World` behind one mutex. Objects made by a
//! thread belong to that thread's world (a run's, for the hosts of
//! `sim::run`; otherwise one made for the thread on first use) and keep a
//! reference to it, so a handle moved to another thread still acts on the
//! world it was made in.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

// The readiness flags of the simulated objects: epoll's own meanings, so
// that the reported events follow epoll's rules bit for bit.
pub(crate) const IN: u32 = 0x001;
pub(crate) const OUT: u32 = 0x004;
pub(crate) const ERR: u32 = 0x008;
pub(crate) const HUP: u32 = 0x010;
pub(crate) const RDHUP: u32 = 0x2000;
/// Registration options (in a registration's mask only).
pub(crate) const ET: u32 = 1 << 31;
pub(crate) const ONESHOT: u32 = 1 << 30;

/// The first virtual descriptor number: far above any real descriptor a
/// process gets, so that the two cannot be taken for one another. Below
/// it, 12 bits name the world (its slot among the live ones) and 18 the
/// descriptor within it; the trace shows only the latter, so that the same
/// run gives the same trace whatever else the process has done.
pub(crate) const FD_BASE: i32 = 1 << 30;
const LOCAL_BITS: u32 = 18;
pub(crate) const LOCAL_MASK: i32 = (1 << LOCAL_BITS) - 1;
const MAX_WORLDS: usize = 1 << 12;

/// The live worlds, by slot: how a descriptor number finds its world.
static WORLDS: Mutex<Vec<Option<std::sync::Weak<Shared>>>> = Mutex::new(Vec::new());

/// The world of virtual descriptor `fd`, if it is one and still lives.
pub(crate) fn world_of_fd(fd: Fd) -> Option<WorldRef> {
    if fd < FD_BASE {
        return None;
    }
    let slot = ((fd - FD_BASE) >> LOCAL_BITS) as usize;
    if let Some((w, _)) = current_if_any() {
        if w.slot == slot {
            return Some(w);
        }
    }
    let table = WORLDS.lock().unwrap_or_else(|e| e.into_inner());
    table
        .get(slot)
        .and_then(|w| w.as_ref())
        .and_then(|w| w.upgrade())
}

/// How much one direction of a connection holds, written and not yet read.
pub(crate) const DEFAULT_WINDOW: usize = 256 * 1024;
/// Connections waiting to be accepted, at most.
const BACKLOG: usize = 1024;
/// Datagrams waiting to be received, at most, per socket.
const UDP_QUEUE: usize = 1024;
/// The largest datagram.
pub(crate) const MAX_DATAGRAM: usize = 65_507;

pub(crate) type ObjId = u64;
pub(crate) type Fd = i32;

/// A small, fast, seeded generator (SplitMix64): the same seed gives the
/// same numbers on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`; draws nothing when `p` is 0, so that a
    /// plan without a fault leaves the sequence of numbers alone.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) const fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A link between two hosts (or the default for every pair).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkSpec {
    pub(crate) latency: u64,
    /// Bytes per second; 0 for no limit.
    pub(crate) bandwidth: u64,
}

/// Probabilities of each fault, per chance to inject it (0 to 1).
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    pub(crate) short_read: f64,
    pub(crate) short_write: f64,
    pub(crate) would_block: f64,
    pub(crate) spurious: f64,
    pub(crate) split: f64,
    pub(crate) reset: f64,
    pub(crate) refuse: f64,
    /// A clean close reaches the peer as a half close (its FIN), and the
    /// full close (a reset) a millisecond later.
    pub(crate) half_close: f64,
    pub(crate) accept_emfile: f64,
    pub(crate) accept_enfile: f64,
    pub(crate) connect_emfile: f64,
    pub(crate) udp_loss: f64,
    pub(crate) udp_dup: f64,
    pub(crate) udp_reorder: f64,
    /// Extra delay, at most, of a reordered datagram or a jittered segment.
    pub(crate) jitter: u64,
    /// `(a, b, from, until)`: nothing crosses between the hosts of
    /// addresses `a` and `b` from `from` to `until` (virtual nanoseconds).
    pub(crate) partitions: Vec<(IpAddr, IpAddr, u64, u64)>,
}

/// What a world is set up with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) default_link: LinkSpec,
    pub(crate) links: Vec<(IpAddr, IpAddr, LinkSpec)>,
    pub(crate) faults: Faults,
    pub(crate) window: usize,
    /// Virtual time after which a run stops.
    pub(crate) time_limit: u64,
    /// Keep the trace's text (for a file or the report).
    pub(crate) keep_trace: bool,
}

impl Config {
    pub(crate) fn new(seed: u64) -> Config {
        Config {
            seed,
            default_link: LinkSpec {
                latency: 50_000,
                bandwidth: 0,
            },
            links: Vec::new(),
            faults: Faults::default(),
            window: DEFAULT_WINDOW,
            time_limit: 3600 * 1_000_000_000,
            keep_trace: false,
        }
    }
}

/// One end of a TCP connection.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) local: SocketAddr,
    pub(crate) peer: SocketAddr,
    /// The other end, while it exists.
    pub(crate) peer_obj: Option<ObjId>,
    pub(crate) connecting: bool,
    pub(crate) established: bool,
    pub(crate) rx: VecDeque<u8>,
    /// The peer's FIN arrived: reads return 0 after the data.
    pub(crate) rx_fin: bool,
    pub(crate) rd_shut: bool,
    pub(crate) wr_shut: bool,
    pub(crate) reset: bool,
    /// The pending error (`SO_ERROR`), an errno.
    pub(crate) error: Option<i32>,
    /// Bytes written and not yet read by the peer.
    pub(crate) unread: usize,
    /// A write was cut short or refused for lack of room.
    pub(crate) nospace: bool,
    /// Arrival time of the last segment sent (segments arrive in order).
    pub(crate) last_arrival: u64,
    pub(crate) opts: Opts,
    /// A pipe's end rather than a TCP stream: `PIPE_READ` or `PIPE_WRITE`
    /// (0 for a stream).
    pub(crate) pipe: u8,
    /// A Unix domain stream: its name and its peer's (empty: unnamed;
    /// a leading NUL: an abstract name).
    pub(crate) unix: Option<(Vec<u8>, Vec<u8>)>,
}

impl Stream {
    /// An established stream from `local` to `peer` with nothing in
    /// flight; the constructors change what differs.
    fn open(local: SocketAddr, peer: SocketAddr, now: u64) -> Stream {
        Stream {
            local,
            peer,
            peer_obj: None,
            connecting: false,
            established: true,
            rx: VecDeque::new(),
            rx_fin: false,
            rd_shut: false,
            wr_shut: false,
            reset: false,
            error: None,
            unread: 0,
            nospace: false,
            last_arrival: now,
            opts: Opts::new(),
            pipe: 0,
            unix: None,
        }
    }

    /// A stream of the same host, whose bytes arrive at once.
    pub(crate) fn is_local(&self) -> bool {
        self.pipe != 0 || self.unix.is_some()
    }
}

/// A pipe's reading end.
pub(crate) const PIPE_READ: u8 = 1;
/// A pipe's writing end.
pub(crate) const PIPE_WRITE: u8 = 2;

/// A listening socket.
#[derive(Debug)]
pub(crate) struct Listener {
    pub(crate) addr: SocketAddr,
    /// A Unix domain listener's name.
    pub(crate) unix: Option<Vec<u8>>,
    pub(crate) backlog: VecDeque<ObjId>,
    pub(crate) opts: Opts,
}

/// A UDP socket.
#[derive(Debug)]
pub(crate) struct Udp {
    pub(crate) addr: SocketAddr,
    pub(crate) connected: Option<SocketAddr>,
    pub(crate) queue: VecDeque<(SocketAddr, Vec<u8>)>,
    pub(crate) error: Option<i32>,
    pub(crate) opts: Opts,
}

/// A Unix datagram socket.
#[derive(Debug, Default)]
pub(crate) struct UnixDgram {
    /// Its name (empty: unnamed).
    pub(crate) name: Vec<u8>,
    /// The socket it is connected to, and that one's name.
    pub(crate) peer: Option<(ObjId, Vec<u8>)>,
    /// Datagrams waiting: the sender's name, the bytes.
    pub(crate) queue: VecDeque<(Vec<u8>, Vec<u8>)>,
    pub(crate) rd_shut: bool,
    pub(crate) wr_shut: bool,
    /// Senders refused for a full queue: told (writable) when it drains.
    pub(crate) blocked: Vec<ObjId>,
}

/// Datagrams a Unix datagram socket holds before senders would block.
pub(crate) const UNIX_DGRAM_QUEUE: usize = 256;

/// Socket options: stored and read back; the ones that mean something in
/// the simulation (linger, buffer sizes) are used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Opts {
    pub(crate) nodelay: bool,
    pub(crate) ttl: u32,
    pub(crate) only_v6: bool,
    pub(crate) recv_buffer: usize,
    pub(crate) send_buffer: usize,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) linger: Option<Duration>,
    pub(crate) broadcast: bool,
    pub(crate) multicast_loop_v4: bool,
    pub(crate) multicast_ttl_v4: u32,
    pub(crate) multicast_loop_v6: bool,
}

impl Opts {
    fn new() -> Opts {
        Opts {
            ttl: 64,
            recv_buffer: DEFAULT_WINDOW,
            send_buffer: DEFAULT_WINDOW,
            multicast_loop_v4: true,
            multicast_ttl_v4: 1,
            multicast_loop_v6: true,
            ..Opts::default()
        }
    }
}

#[derive(Debug)]
pub(crate) enum Kind {
    Stream(Box<Stream>),
    Listener(Listener),
    Udp(Udp),
    /// A Unix datagram socket.
    UnixDgram(UnixDgram),
    /// A waker: readable once woken.
    Waker(bool),
    /// A selector's own descriptor.
    Selector,
}

#[derive(Debug)]
pub(crate) struct Obj {
    pub(crate) kind: Kind,
    /// Descriptors that refer to it.
    pub(crate) refs: u32,
    /// The host it lives on (`None`: the world's implicit host).
    pub(crate) host: Option<usize>,
    /// Registrations that watch it: (selector object, descriptor).
    pub(crate) watchers: Vec<(ObjId, Fd)>,
}

/// One registration in a selector.
#[derive(Debug)]
pub(crate) struct Reg {
    pub(crate) obj: ObjId,
    pub(crate) token: u64,
    /// Event flags asked for, with `ET` and `ONESHOT`.
    pub(crate) mask: u32,
    /// On the ready list.
    pub(crate) pending: bool,
    /// A oneshot registration that fired.
    pub(crate) disarmed: bool,
    /// After a split event: what is left to report.
    pub(crate) split_rest: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Sel {
    pub(crate) regs: BTreeMap<Fd, Reg>,
    pub(crate) ready: VecDeque<Fd>,
}

/// Something in flight on the network.
#[derive(Debug)]
pub(crate) enum Packet {
    Syn {
        from: ObjId,
        to: SocketAddr,
        refuse: bool,
    },
    SynAck {
        to: ObjId,
        listener: ObjId,
        conn: ObjId,
    },
    /// The handshake's last segment: the connection joins the backlog.
    Ack {
        listener: ObjId,
        conn: ObjId,
    },
    Refused {
        to: ObjId,
    },
    Data {
        from: ObjId,
        to: ObjId,
        bytes: Vec<u8>,
    },
    Fin {
        to: ObjId,
    },
    Rst {
        to: ObjId,
    },
    Datagram {
        from: SocketAddr,
        to: SocketAddr,
        bytes: Vec<u8>,
    },
    /// A new edge on an object, for a fault that must not stall the program.
    Edge {
        obj: ObjId,
        flags: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostState {
    NotStarted,
    Running,
    /// Blocked in `poll` on the selector object, until the deadline.
    Polling {
        sel: ObjId,
        deadline: Option<u64>,
    },
    Done,
}

#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) ip: IpAddr,
    pub(crate) state: HostState,
}

/// The world.
pub(crate) struct World {
    pub(crate) cfg: Config,
    pub(crate) rng: Rng,
    pub(crate) now: u64,
    seq: u64,
    pub(crate) hash: Fnv,
    pub(crate) trace_text: Option<String>,
    line: String,
    pub(crate) trace_lines: u64,
    next_fd: Fd,
    fd_base: Fd,
    pub(crate) fds: HashMap<Fd, ObjId>,
    next_obj: ObjId,
    pub(crate) objs: HashMap<ObjId, Obj>,
    pub(crate) sels: HashMap<ObjId, Sel>,
    packets: BTreeMap<(u64, u64), Packet>,
    tcp_bound: BTreeMap<SocketAddr, ObjId>,
    udp_bound: BTreeMap<SocketAddr, ObjId>,
    pub(crate) unix_bound: BTreeMap<Vec<u8>, ObjId>,
    next_port: u16,
    link_busy: BTreeMap<(IpAddr, IpAddr), u64>,
    pub(crate) hosts: Vec<Host>,
    /// The host holding the baton, in a run.
    pub(crate) running: Option<usize>,
    /// A run (hosts and a baton) rather than a thread's implicit world.
    pub(crate) is_run: bool,
    /// Why the run ended early, once it has.
    pub(crate) ended: Option<String>,
    owner: ThreadId,
    /// A thread other than the owner has acted on this implicit world.
    pub(crate) foreign: bool,
    pub(crate) events: u64,
    pub(crate) io_calls: u64,
    pub(crate) steps: u64,
}

/// A world and the condition variable of its baton and waits.
pub(crate) struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) cv: Condvar,
    pub(crate) slot: usize,
}

pub(crate) type WorldRef = Arc<Shared>;

impl Drop for Shared {
    fn drop(&mut self) {
        let mut table = WORLDS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = table.get_mut(self.slot) {
            *s = None;
        }
    }
}

impl Shared {
    /// Makes a world, in a free slot.
    pub(crate) fn new(cfg: Config, is_run: bool) -> io::Result<WorldRef> {
        let mut table = WORLDS.lock().unwrap_or_else(|e| e.into_inner());
        let slot = match table
            .iter()
            .position(|s| s.as_ref().is_none_or(|w| w.strong_count() == 0))
        {
            Some(i) => i,
            None if table.len() < MAX_WORLDS => {
                table.push(None);
                table.len() - 1
            }
            None => {
                return Err(crate::error::other_string(format!(
                    "more than {MAX_WORLDS} simulated worlds alive at once"
                )))
            }
        };
        let mut world = World::new(cfg, is_run);
        world.fd_base = FD_BASE | ((slot as i32) << LOCAL_BITS);
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            cv: Condvar::new(),
            slot,
        });
        table[slot] = Some(Arc::downgrade(&shared));
        Ok(shared)
    }

    /// Locks the world. A host that panicked while holding the lock left
    /// it consistent enough to go on (each change is done under one lock),
    /// so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        let mut w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        if !w.is_run && !w.foreign && w.owner != std::thread::current().id() {
            w.foreign = true;
        }
        w
    }
}

thread_local! {
    /// The world this thread acts on, and its host number in a run.
    static CURRENT: RefCell<Option<(WorldRef, Option<usize>)>> = const { RefCell::new(None) };
}

/// The current thread's world (made on first use from `EVIO_SIM_SEED`,
/// default 0) and host.
pub(crate) fn current() -> (WorldRef, Option<usize>) {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((w, h)) = &*c {
            return (w.clone(), *h);
        }
        let seed = std::env::var("EVIO_SIM_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut cfg = Config::new(seed);
        cfg.keep_trace = std::env::var_os("EVIO_SIM_TRACE").is_some();
        let w = Shared::new(cfg, false).expect("too many simulated worlds alive at once");
        *c = Some((w.clone(), None));
        (w, None)
    })
}

/// Makes this thread a host of `world`.
pub(crate) fn set_current(world: WorldRef, host: Option<usize>) {
    CURRENT.with(|c| *c.borrow_mut() = Some((world, host)));
}

/// Forgets the current thread's world.
pub(crate) fn clear_current() {
    CURRENT.with(|c| *c.borrow_mut() = None);
}

/// The current thread's world, if it has one already.
pub(crate) fn current_if_any() -> Option<(WorldRef, Option<usize>)> {
    CURRENT.with(|c| c.borrow().clone())
}

pub(crate) fn errno(e: i32) -> io::Error {
    crate::error::os(e)
}

/// Written into each trace line for a readiness set.
pub(crate) fn flag_names(f: u32) -> String {
    let mut s = String::new();
    for (bit, name) in [
        (IN, "IN"),
        (OUT, "OUT"),
        (ERR, "ERR"),
        (HUP, "HUP"),
        (RDHUP, "RDHUP"),
    ] {
        if f & bit != 0 {
            if !s.is_empty() {
                s.push('|');
            }
            s.push_str(name);
        }
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

impl World {
    pub(crate) fn new(cfg: Config, is_run: bool) -> World {
        let keep = cfg.keep_trace;
        World {
            rng: Rng::new(cfg.seed),
            cfg,
            now: 0,
            seq: 0,
            hash: Fnv::new(),
            trace_text: if keep { Some(String::new()) } else { None },
            line: String::new(),
            trace_lines: 0,
            next_fd: 0,
            fd_base: FD_BASE,
            fds: HashMap::new(),
            next_obj: 1,
            objs: HashMap::new(),
            sels: HashMap::new(),
            packets: BTreeMap::new(),
            tcp_bound: BTreeMap::new(),
            udp_bound: BTreeMap::new(),
            unix_bound: BTreeMap::new(),
            next_port: 49152,
            link_busy: BTreeMap::new(),
            hosts: Vec::new(),
            running: None,
            is_run,
            ended: None,
            owner: std::thread::current().id(),
            foreign: false,
            events: 0,
            io_calls: 0,
            steps: 0,
        }
    }

    /// Adds one line to the trace: its hash, and its text when kept.
    pub(crate) fn trace(&mut self, host: Option<usize>, args: std::fmt::Arguments<'_>) {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let who = match host {
            Some(h) => self.hosts.get(h).map_or("?", |h| h.name.as_str()),
            None => "-",
        };
        let _ = write!(
            line,
            "{:>10}.{:06} {} ",
            self.now / 1_000_000_000,
            (self.now / 1000) % 1_000_000,
            who
        );
        let _ = line.write_fmt(args);
        line.push('\n');
        self.hash.write(line.as_bytes());
        self.trace_lines += 1;
        if let Some(t) = &mut self.trace_text {
            t.push_str(&line);
        }
        self.line = line;
    }

    // ---- descriptors and objects ----

    pub(crate) fn new_obj(&mut self, kind: Kind, host: Option<usize>) -> ObjId {
        let id = self.next_obj;
        self.next_obj += 1;
        self.objs.insert(
            id,
            Obj {
                kind,
                refs: 0,
                host,
                watchers: Vec::new(),
            },
        );
        id
    }

    /// A new descriptor for `obj`.
    pub(crate) fn new_fd(&mut self, obj: ObjId) -> Fd {
        // The numbers are not reused until they wrap around: a stale
        // number is `EBADF`.
        let mut fd;
        loop {
            fd = self.fd_base | self.next_fd;
            self.next_fd = (self.next_fd + 1) & LOCAL_MASK;
            if !self.fds.contains_key(&fd) {
                break;
            }
        }
        self.fds.insert(fd, obj);
        if let Some(o) = self.objs.get_mut(&obj) {
            o.refs += 1;
        }
        fd
    }

    pub(crate) fn obj_of(&self, fd: Fd) -> io::Result<ObjId> {
        self.fds.get(&fd).copied().ok_or_else(|| errno(libc::EBADF))
    }

    /// Closes a descriptor; the object goes when its last one does.
    pub(crate) fn close_fd(&mut self, fd: Fd, host: Option<usize>) {
        let Some(obj) = self.fds.remove(&fd) else {
            return;
        };
        self.trace(host, format_args!("close fd={}", fd & LOCAL_MASK));
        let last = match self.objs.get_mut(&obj) {
            Some(o) => {
                o.refs = o.refs.saturating_sub(1);
                o.refs == 0
            }
            None => false,
        };
        if last {
            self.destroy(obj, host);
        }
    }

    /// Removes an object: its registrations go, a stream sends its FIN (or
    /// a reset, with unread data or a zero linger), a listener resets the
    /// connections it did not accept, a bound address is freed.
    fn destroy(&mut self, obj: ObjId, host: Option<usize>) {
        let Some(o) = self.objs.remove(&obj) else {
            return;
        };
        for (sel, fd) in o.watchers {
            if let Some(s) = self.sels.get_mut(&sel) {
                s.regs.remove(&fd);
                s.ready.retain(|&f| f != fd);
            }
        }
        match o.kind {
            Kind::Stream(s) => {
                let local = s.is_local();
                if s.established && !s.reset {
                    if let Some(peer) = s.peer_obj {
                        let reset = s.pipe == 0
                            && (!s.rx.is_empty() || s.opts.linger == Some(Duration::ZERO));
                        if reset {
                            self.trace(
                                host,
                                format_args!("tcp {} -> {} rst (closed)", s.local, s.peer),
                            );
                            self.send_packet(
                                o.host,
                                peer,
                                s.last_arrival,
                                Packet::Rst { to: peer },
                                local,
                            );
                        } else if !s.wr_shut || s.pipe != 0 {
                            let t = self.send_packet(
                                o.host,
                                peer,
                                s.last_arrival,
                                Packet::Fin { to: peer },
                                local,
                            );
                            let p = self.cfg.faults.half_close;
                            if !local && self.rng.chance(p) {
                                self.trace(
                                    host,
                                    format_args!(
                                        "fault half close {} -> {} then reset",
                                        s.local, s.peer
                                    ),
                                );
                                self.schedule(t + 1_000_000, Packet::Rst { to: peer });
                            }
                        }
                    }
                }
                if let Some(peer) = s.peer_obj {
                    if let Some(Kind::Stream(p)) = self.objs.get_mut(&peer).map(|o| &mut o.kind) {
                        p.peer_obj = None;
                        p.unread = 0;
                    }
                }
                self.tcp_bound.retain(|_, v| *v != obj);
            }
            Kind::Listener(l) => {
                match &l.unix {
                    Some(name) => {
                        self.unix_bound.remove(name);
                    }
                    None => {
                        self.tcp_bound.remove(&l.addr);
                    }
                }
                for conn in l.backlog {
                    self.destroy_unaccepted(conn, host);
                }
            }
            Kind::Udp(u) => {
                self.udp_bound.remove(&u.addr);
            }
            Kind::UnixDgram(d) => {
                if !d.name.is_empty() {
                    self.unix_bound.remove(&d.name);
                }
            }
            Kind::Selector => {
                if let Some(s) = self.sels.remove(&obj) {
                    for (fd, reg) in s.regs {
                        if let Some(o) = self.objs.get_mut(&reg.obj) {
                            o.watchers.retain(|&(sl, f)| !(sl == obj && f == fd));
                        }
                    }
                }
            }
            Kind::Waker(_) => {}
        }
    }

    /// A connection that was never accepted: reset towards its client.
    fn destroy_unaccepted(&mut self, conn: ObjId, host: Option<usize>) {
        let Some(o) = self.objs.remove(&conn) else {
            return;
        };
        if let Kind::Stream(s) = o.kind {
            if let Some(peer) = s.peer_obj {
                self.trace(
                    host,
                    format_args!("tcp {} -> {} rst (not accepted)", s.local, s.peer),
                );
                let local = s.is_local();
                self.send_packet(
                    o.host,
                    peer,
                    s.last_arrival,
                    Packet::Rst { to: peer },
                    local,
                );
            }
        }
    }

    pub(crate) fn host_ip(&self, host: Option<usize>) -> IpAddr {
        match host {
            Some(h) => self.hosts[h].ip,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    /// The host that has address `ip` (`None`: the implicit one, or none).
    fn host_of_ip(&self, ip: IpAddr) -> Option<usize> {
        self.hosts.iter().position(|h| h.ip == ip)
    }

    /// Checks that `addr` can be bound on `host`; fills in a port.
    pub(crate) fn bindable(
        &mut self,
        host: Option<usize>,
        addr: SocketAddr,
        udp: bool,
    ) -> io::Result<SocketAddr> {
        let ip = addr.ip();
        let ok = ip.is_unspecified()
            || match host {
                Some(h) => self.hosts[h].ip == ip,
                None => ip.is_loopback(),
            };
        if !ok {
            return Err(crate::error::addr_not_available_string(format!(
                "{ip} is not an address of this simulated host"
            )));
        }
        let mut addr = addr;
        if addr.port() == 0 {
            addr.set_port(self.free_port(ip, udp)?);
        } else if self.bound(addr, udp) {
            return Err(errno(libc::EADDRINUSE));
        }
        Ok(addr)
    }

    fn bound(&self, addr: SocketAddr, udp: bool) -> bool {
        let map = if udp {
            &self.udp_bound
        } else {
            &self.tcp_bound
        };
        if map.contains_key(&addr) {
            return true;
        }
        // An unspecified address holds the port on every address, and the
        // other way round.
        let mut any = addr;
        any.set_ip(match addr {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        });
        map.contains_key(&any)
            || (addr.ip().is_unspecified()
                && map
                    .keys()
                    .any(|k| k.port() == addr.port() && k.is_ipv4() == addr.is_ipv4()))
    }

    fn free_port(&mut self, ip: IpAddr, udp: bool) -> io::Result<u16> {
        for _ in 0..16384 {
            let p = self.next_port;
            self.next_port = if p == u16::MAX { 49152 } else { p + 1 };
            if !self.bound(SocketAddr::new(ip, p), udp) {
                return Ok(p);
            }
        }
        Err(errno(libc::EADDRINUSE))
    }

    pub(crate) fn bind_tcp(&mut self, addr: SocketAddr, obj: ObjId) {
        self.tcp_bound.insert(addr, obj);
    }

    pub(crate) fn bind_udp(&mut self, addr: SocketAddr, obj: ObjId) {
        self.udp_bound.insert(addr, obj);
    }

    fn lookup(map: &BTreeMap<SocketAddr, ObjId>, addr: SocketAddr) -> Option<ObjId> {
        if let Some(&o) = map.get(&addr) {
            return Some(o);
        }
        let mut any = addr;
        any.set_ip(match addr {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        });
        map.get(&any).copied()
    }

    // ---- the network ----

    fn link(&self, a: IpAddr, b: IpAddr) -> LinkSpec {
        for &(x, y, l) in &self.cfg.links {
            if (x == a && y == b) || (x == b && y == a) {
                return l;
            }
        }
        self.cfg.default_link
    }

    /// When a packet of `len` bytes sent now from `a` to `b` arrives,
    /// after the link's latency, its bandwidth and any partition.
    fn arrival(&mut self, a: IpAddr, b: IpAddr, len: usize) -> u64 {
        let link = self.link(a, b);
        let mut start = self.now;
        for &(x, y, from, until) in &self.cfg.faults.partitions {
            if ((x == a && y == b) || (x == b && y == a)) && start >= from && start < until {
                start = until;
            }
        }
        let mut done = start;
        if let Some(time) = (len as u64)
            .saturating_mul(1_000_000_000)
            .checked_div(link.bandwidth)
        {
            let busy = self.link_busy.entry((a, b)).or_insert(0);
            let begin = start.max(*busy);
            done = begin + time;
            *busy = done;
        }
        done + link.latency
    }

    /// True if `a` and `b` are cut off from each other now.
    fn partitioned(&self, a: IpAddr, b: IpAddr) -> bool {
        self.cfg
            .faults
            .partitions
            .iter()
            .any(|&(x, y, from, until)| {
                ((x == a && y == b) || (x == b && y == a)) && self.now >= from && self.now < until
            })
    }

    fn ip_of_obj(&self, obj: ObjId) -> IpAddr {
        let host = self.objs.get(&obj).and_then(|o| o.host);
        self.host_ip(host)
    }

    /// Sends a packet of a connection from the host `from_host` to object
    /// `to`, arriving no earlier than `after` (in order with what the same
    /// end sent before); a `local` one (a pipe's, a Unix stream's)
    /// arrives at once. Returns the arrival time.
    fn send_packet(
        &mut self,
        from_host: Option<usize>,
        to: ObjId,
        after: u64,
        p: Packet,
        local: bool,
    ) -> u64 {
        if local {
            self.deliver(p);
            return self.now;
        }
        let a = self.host_ip(from_host);
        let b = self.ip_of_obj(to);
        let len = match &p {
            Packet::Data { bytes, .. } => bytes.len(),
            _ => 0,
        };
        let t = self.arrival(a, b, len).max(after);
        self.schedule(t, p);
        t
    }

    pub(crate) fn schedule(&mut self, t: u64, p: Packet) {
        self.seq += 1;
        self.packets.insert((t, self.seq), p);
    }

    /// The time of the next packet, if any.
    pub(crate) fn next_packet_time(&self) -> Option<u64> {
        self.packets.keys().next().map(|k| k.0)
    }

    /// Delivers every packet due by now.
    pub(crate) fn deliver_due(&mut self) {
        while let Some(entry) = self.packets.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let p = entry.remove();
            self.deliver(p);
        }
    }

    fn deliver(&mut self, p: Packet) {
        match p {
            Packet::Syn { from, to, refuse } => self.deliver_syn(from, to, refuse),
            Packet::SynAck { to, listener, conn } => {
                let Some(s) = self.stream_mut(to) else {
                    // The client is gone: the half-open connection goes.
                    self.objs.remove(&conn);
                    return;
                };
                if !s.connecting {
                    return;
                }
                s.connecting = false;
                s.established = true;
                let (l, p) = (s.local, s.peer);
                self.trace(None, format_args!("tcp {l} established with {p}"));
                self.raise(to, OUT);
                let host = self.objs.get(&to).and_then(|o| o.host);
                let now = self.now;
                let t = self.send_packet(host, conn, now, Packet::Ack { listener, conn }, false);
                if let Some(s) = self.stream_mut(to) {
                    s.last_arrival = t;
                }
            }
            Packet::Ack { listener, conn } => {
                let client = self.stream_mut(conn).and_then(|s| s.peer_obj);
                match self.objs.get_mut(&listener).map(|o| &mut o.kind) {
                    Some(Kind::Listener(li)) => {
                        li.backlog.push_back(conn);
                        let a = li.addr;
                        self.trace(None, format_args!("tcp {a} connection queued"));
                        self.raise(listener, IN);
                    }
                    _ => {
                        // The listener closed meanwhile: the client is reset.
                        self.objs.remove(&conn);
                        if let Some(c) = client {
                            let now = self.now;
                            self.send_packet(None, c, now, Packet::Rst { to: c }, false);
                        }
                    }
                }
            }
            Packet::Refused { to } => {
                if let Some(s) = self.stream_mut(to) {
                    s.connecting = false;
                    s.reset = true;
                    s.error = Some(libc::ECONNREFUSED);
                    let (l, p) = (s.local, s.peer);
                    self.trace(None, format_args!("tcp {l} refused by {p}"));
                    self.raise(to, IN | OUT | ERR | HUP | RDHUP);
                }
            }
            Packet::Data { from, to, bytes } => {
                let n = bytes.len();
                match self.stream_mut(to) {
                    Some(s) if !s.reset => {
                        s.rx.extend(bytes);
                        let l = s.local;
                        self.trace(None, format_args!("tcp {l} receives {n}"));
                        self.raise(to, IN);
                    }
                    _ => {
                        // Data for a closed socket: the sender is reset.
                        if self.objs.contains_key(&from) {
                            let t = self.arrival(self.ip_of_obj(to), self.ip_of_obj(from), 0);
                            self.schedule(t, Packet::Rst { to: from });
                        }
                    }
                }
            }
            Packet::Fin { to } => {
                if let Some(s) = self.stream_mut(to) {
                    if !s.rx_fin && !s.reset {
                        s.rx_fin = true;
                        let l = s.local;
                        let hup = if s.wr_shut || s.pipe != 0 {
                            HUP | OUT | ERR
                        } else {
                            0
                        };
                        self.trace(None, format_args!("tcp {l} fin"));
                        self.raise(to, IN | RDHUP | hup);
                    }
                }
            }
            Packet::Rst { to } => self.reset_stream(to),
            Packet::Datagram { from, to, bytes } => {
                let n = bytes.len();
                let Some(obj) = World::lookup(&self.udp_bound, to) else {
                    self.trace(
                        None,
                        format_args!("udp {from} -> {to} {n} dropped (no socket)"),
                    );
                    return;
                };
                let Some(Kind::Udp(u)) = self.objs.get_mut(&obj).map(|o| &mut o.kind) else {
                    return;
                };
                if u.connected.is_some_and(|c| c != from) || u.queue.len() >= UDP_QUEUE {
                    self.trace(None, format_args!("udp {from} -> {to} {n} dropped"));
                    return;
                }
                u.queue.push_back((from, bytes));
                self.trace(None, format_args!("udp {from} -> {to} {n} arrives"));
                self.raise(obj, IN);
            }
            Packet::Edge { obj, flags } => {
                if self.objs.contains_key(&obj) {
                    self.raise(obj, flags);
                }
            }
        }
    }

    fn deliver_syn(&mut self, from: ObjId, to: SocketAddr, refuse: bool) {
        let Some((client_local, client_host)) = self.objs.get(&from).and_then(|o| match &o.kind {
            Kind::Stream(s) => Some((s.local, o.host)),
            _ => None,
        }) else {
            return;
        };
        let listener = World::lookup(&self.tcp_bound, to)
            .filter(|l| matches!(self.objs.get(l).map(|o| &o.kind), Some(Kind::Listener(_))));
        let full = listener.is_some_and(|l| match self.objs.get(&l).map(|o| &o.kind) {
            Some(Kind::Listener(li)) => li.backlog.len() >= BACKLOG,
            _ => true,
        });
        let dest_host = self.host_of_ip(to.ip());
        match listener {
            Some(l) if !refuse && !full => {
                let lhost = self.objs.get(&l).and_then(|o| o.host);
                let now = self.now;
                let conn = self.new_obj(
                    Kind::Stream(Box::new(Stream {
                        peer_obj: Some(from),
                        ..Stream::open(to, client_local, now)
                    })),
                    lhost,
                );
                if let Some(s) = self.stream_mut(from) {
                    s.peer_obj = Some(conn);
                }
                self.trace(None, format_args!("tcp {to} syn from {client_local}"));
                let t = self.send_packet(
                    lhost,
                    from,
                    now,
                    Packet::SynAck {
                        to: from,
                        listener: l,
                        conn,
                    },
                    false,
                );
                if let Some(s) = self.stream_mut(conn) {
                    s.last_arrival = t;
                }
            }
            _ => {
                let why = if refuse {
                    "refused (fault)"
                } else if full {
                    "refused (backlog full)"
                } else {
                    "refused (nothing listens)"
                };
                self.trace(None, format_args!("tcp {to} syn from {client_local} {why}"));
                let _ = client_host;
                let now = self.now;
                self.send_packet(dest_host, from, now, Packet::Refused { to: from }, false);
            }
        }
    }

    /// A reset arrived (or was injected) at stream `obj`.
    pub(crate) fn reset_stream(&mut self, obj: ObjId) {
        if let Some(s) = self.stream_mut(obj) {
            if s.reset {
                return;
            }
            s.reset = true;
            s.connecting = false;
            s.error = Some(libc::ECONNRESET);
            s.peer_obj = None;
            let l = s.local;
            self.trace(None, format_args!("tcp {l} reset"));
            self.raise(obj, IN | OUT | ERR | HUP | RDHUP);
        }
    }

    pub(crate) fn stream_mut(&mut self, obj: ObjId) -> Option<&mut Stream> {
        match self.objs.get_mut(&obj).map(|o| &mut o.kind) {
            Some(Kind::Stream(s)) => Some(s),
            _ => None,
        }
    }

    /// Starts a connection from a new stream object to `to`.
    pub(crate) fn connect(&mut self, host: Option<usize>, to: SocketAddr) -> io::Result<ObjId> {
        let faults = &self.cfg.faults;
        let (emfile, refuse_p) = (faults.connect_emfile, faults.refuse);
        if self.rng.chance(emfile) {
            self.trace(host, format_args!("fault connect {to} EMFILE"));
            return Err(errno(libc::EMFILE));
        }
        let ip = match to {
            SocketAddr::V4(_) if self.host_ip(host).is_ipv4() => self.host_ip(host),
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            SocketAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        let local = SocketAddr::new(ip, self.free_port(ip, false)?);
        let now = self.now;
        let obj = self.new_obj(
            Kind::Stream(Box::new(Stream {
                connecting: true,
                established: false,
                ..Stream::open(local, to, now)
            })),
            host,
        );
        self.tcp_bound.insert(local, obj);
        let refuse = self.rng.chance(refuse_p);
        if refuse {
            self.trace(host, format_args!("fault refuse {local} -> {to}"));
        }
        let t = self.arrival(ip, to.ip(), 0);
        self.schedule(
            t,
            Packet::Syn {
                from: obj,
                to,
                refuse,
            },
        );
        if let Some(s) = self.stream_mut(obj) {
            s.last_arrival = t;
        }
        Ok(obj)
    }

    /// A pipe on `host`: its reading and writing ends, two stream
    /// objects that each send only one way.
    pub(crate) fn new_pipe(&mut self, host: Option<usize>) -> (ObjId, ObjId) {
        let addr = SocketAddr::new(self.host_ip(host), 0);
        let now = self.now;
        let end = |w: &mut World, pipe: u8| {
            w.new_obj(
                Kind::Stream(Box::new(Stream {
                    rd_shut: pipe == PIPE_WRITE,
                    wr_shut: pipe == PIPE_READ,
                    pipe,
                    ..Stream::open(addr, addr, now)
                })),
                host,
            )
        };
        let r = end(self, PIPE_READ);
        let w = end(self, PIPE_WRITE);
        if let Some(s) = self.stream_mut(r) {
            s.peer_obj = Some(w);
        }
        if let Some(s) = self.stream_mut(w) {
            s.peer_obj = Some(r);
        }
        (r, w)
    }

    /// A Unix domain stream object, established, named `local`, its peer
    /// named `peer`.
    fn unix_stream(&mut self, host: Option<usize>, local: Vec<u8>, peer: Vec<u8>) -> ObjId {
        let addr = SocketAddr::new(self.host_ip(host), 0);
        let now = self.now;
        self.new_obj(
            Kind::Stream(Box::new(Stream {
                unix: Some((local, peer)),
                ..Stream::open(addr, addr, now)
            })),
            host,
        )
    }

    fn link_pair(&mut self, a: ObjId, b: ObjId) {
        if let Some(s) = self.stream_mut(a) {
            s.peer_obj = Some(b);
        }
        if let Some(s) = self.stream_mut(b) {
            s.peer_obj = Some(a);
        }
    }

    /// A connected pair of Unix streams, unnamed.
    pub(crate) fn unix_pair(&mut self, host: Option<usize>) -> (ObjId, ObjId) {
        let a = self.unix_stream(host, Vec::new(), Vec::new());
        let b = self.unix_stream(host, Vec::new(), Vec::new());
        self.link_pair(a, b);
        (a, b)
    }

    /// A Unix listener named `name`.
    pub(crate) fn unix_listen(&mut self, host: Option<usize>, name: Vec<u8>) -> io::Result<ObjId> {
        if self.unix_bound.contains_key(&name) {
            return Err(errno(libc::EADDRINUSE));
        }
        let addr = SocketAddr::new(self.host_ip(host), 0);
        let obj = self.new_obj(
            Kind::Listener(Listener {
                addr,
                unix: Some(name.clone()),
                backlog: VecDeque::new(),
                opts: Opts::default(),
            }),
            host,
        );
        self.unix_bound.insert(name, obj);
        Ok(obj)
    }

    /// Connects a new Unix stream to the listener named `name`: at once,
    /// as Linux does (the connection waits in the backlog).
    pub(crate) fn unix_connect(&mut self, host: Option<usize>, name: Vec<u8>) -> io::Result<ObjId> {
        let Some(&l) = self.unix_bound.get(&name) else {
            return Err(errno(libc::ENOENT));
        };
        let lhost = self.objs.get(&l).and_then(|o| o.host);
        match self.objs.get(&l).map(|o| &o.kind) {
            Some(Kind::Listener(li)) if li.backlog.len() >= BACKLOG => {
                return Err(errno(libc::EAGAIN));
            }
            Some(Kind::Listener(_)) => {}
            _ => return Err(errno(libc::ECONNREFUSED)),
        }
        let client = self.unix_stream(host, Vec::new(), name.clone());
        let server = self.unix_stream(lhost, name, Vec::new());
        self.link_pair(client, server);
        if let Some(Kind::Listener(li)) = self.objs.get_mut(&l).map(|o| &mut o.kind) {
            li.backlog.push_back(server);
        }
        self.raise(l, IN);
        Ok(client)
    }

    /// Sends `bytes` from stream `obj` to its peer.
    pub(crate) fn send_data(&mut self, obj: ObjId, bytes: Vec<u8>) {
        let Some(o) = self.objs.get(&obj) else { return };
        let host = o.host;
        let Kind::Stream(s) = &o.kind else { return };
        let Some(peer) = s.peer_obj else { return };
        if s.is_local() {
            self.deliver(Packet::Data {
                from: obj,
                to: peer,
                bytes,
            });
            return;
        }
        let after = s.last_arrival;
        let jitter = self.cfg.faults.jitter;
        let a = self.host_ip(host);
        let b = self.ip_of_obj(peer);
        let mut t = self.arrival(a, b, bytes.len()).max(after);
        if jitter > 0 {
            // Jitter delays, never reorders: a connection's bytes stay in
            // order, as later segments arrive after this one.
            t += self.rng.below(jitter + 1);
        }
        self.schedule(
            t,
            Packet::Data {
                from: obj,
                to: peer,
                bytes,
            },
        );
        if let Some(s) = self.stream_mut(obj) {
            s.last_arrival = t;
        }
    }

    /// Sends a FIN from stream `obj` after what it sent before.
    pub(crate) fn send_fin(&mut self, obj: ObjId) {
        let Some(o) = self.objs.get(&obj) else { return };
        let host = o.host;
        let Kind::Stream(s) = &o.kind else { return };
        let Some(peer) = s.peer_obj else { return };
        let after = s.last_arrival;
        let local = s.is_local();
        let t = self.send_packet(host, peer, after, Packet::Fin { to: peer }, local);
        if let Some(s) = self.stream_mut(obj) {
            s.last_arrival = t;
        }
    }

    /// Resets the connection of `obj` from this end: a fault.
    pub(crate) fn inject_reset(&mut self, obj: ObjId, host: Option<usize>) {
        let peer = self.stream_mut(obj).and_then(|s| s.peer_obj);
        let local = self.stream_mut(obj).is_some_and(|s| s.is_local());
        self.trace(host, format_args!("fault reset obj={obj}"));
        self.reset_stream(obj);
        if let Some(peer) = peer {
            let now = self.now;
            self.send_packet(host, peer, now, Packet::Rst { to: peer }, local);
        }
    }

    /// Sends a datagram, with the plan's loss, duplication and reordering.
    pub(crate) fn send_datagram(
        &mut self,
        host: Option<usize>,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) {
        let f = &self.cfg.faults;
        let (loss, dup, reorder, jitter) = (
            f.udp_loss,
            f.udp_dup,
            f.udp_reorder,
            f.jitter.max(1_000_000),
        );
        let a = self.host_ip(host);
        if self.partitioned(a, to.ip()) {
            self.trace(
                host,
                format_args!("fault udp {from} -> {to} lost (partition)"),
            );
            return;
        }
        if self.rng.chance(loss) {
            self.trace(host, format_args!("fault udp {from} -> {to} lost"));
            return;
        }
        let copies = if self.rng.chance(dup) {
            self.trace(host, format_args!("fault udp {from} -> {to} duplicated"));
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut t = self.arrival(a, to.ip(), bytes.len());
            if self.rng.chance(reorder) {
                let extra = self.rng.below(jitter) + 1;
                self.trace(
                    host,
                    format_args!("fault udp {from} -> {to} delayed {extra}ns"),
                );
                t += extra;
            }
            self.schedule(
                t,
                Packet::Datagram {
                    from,
                    to,
                    bytes: bytes.to_vec(),
                },
            );
        }
    }

    // ---- readiness ----

    /// The current readiness of an object, as epoll flags.
    pub(crate) fn readiness(&self, obj: ObjId) -> u32 {
        let window = self.cfg.window;
        match self.objs.get(&obj).map(|o| &o.kind) {
            Some(Kind::Stream(s)) if s.pipe == PIPE_WRITE => {
                // epoll's pipe: writable while there is room; error once
                // no reader is left.
                if s.peer_obj.is_none() || s.rx_fin || s.reset {
                    OUT | ERR
                } else if s.unread < window {
                    OUT
                } else {
                    0
                }
            }
            Some(Kind::Stream(s)) if s.pipe == PIPE_READ => {
                // Readable with data; hang-up once no writer is left.
                let mut f = 0;
                if !s.rx.is_empty() || s.rx_fin {
                    f |= IN;
                }
                if s.rx_fin {
                    f |= HUP;
                }
                f
            }
            Some(Kind::Stream(s)) => {
                if s.connecting {
                    return 0;
                }
                let mut f = 0;
                let rd_closed = s.rx_fin || s.rd_shut || s.reset;
                if !s.rx.is_empty() || rd_closed || s.error.is_some() {
                    f |= IN;
                }
                if rd_closed {
                    f |= RDHUP;
                }
                let room = s.unread < window.min(s.opts.send_buffer.max(1));
                if s.wr_shut || s.reset || (s.established && room) {
                    f |= OUT;
                }
                if (rd_closed && s.wr_shut) || s.reset {
                    f |= HUP;
                }
                if s.error.is_some() {
                    f |= ERR;
                }
                f
            }
            Some(Kind::Listener(l)) => {
                if l.backlog.is_empty() {
                    0
                } else {
                    IN
                }
            }
            Some(Kind::Udp(u)) => {
                let mut f = OUT;
                if !u.queue.is_empty() || u.error.is_some() {
                    f |= IN;
                }
                if u.error.is_some() {
                    f |= ERR;
                }
                f
            }
            Some(Kind::UnixDgram(d)) => {
                let mut f = 0;
                if !d.queue.is_empty() || d.rd_shut {
                    f |= IN;
                }
                if !d.wr_shut {
                    f |= OUT;
                }
                if d.rd_shut && d.wr_shut {
                    f |= HUP;
                }
                f
            }
            Some(Kind::Waker(set)) => {
                if *set {
                    IN
                } else {
                    0
                }
            }
            Some(Kind::Selector) | None => 0,
        }
    }

    /// A readiness-raising change on `obj` (`flags` says what it raised):
    /// every registration that watches any of it gets a new edge.
    pub(crate) fn raise(&mut self, obj: ObjId, flags: u32) {
        let Some(o) = self.objs.get(&obj) else { return };
        if o.watchers.is_empty() {
            return;
        }
        let watchers = o.watchers.clone();
        for (sel, fd) in watchers {
            let Some(s) = self.sels.get_mut(&sel) else {
                continue;
            };
            let Some(reg) = s.regs.get_mut(&fd) else {
                continue;
            };
            if reg.disarmed || reg.pending || flags & (reg.mask | ERR | HUP) == 0 {
                continue;
            }
            reg.pending = true;
            s.ready.push_back(fd);
        }
    }

    /// Puts a registration on its selector's ready list if its object is
    /// ready for it now (epoll's `EPOLL_CTL_ADD` and `_MOD` do).
    pub(crate) fn check_now(&mut self, sel: ObjId, fd: Fd) {
        let Some(obj) = self
            .sels
            .get(&sel)
            .and_then(|s| s.regs.get(&fd))
            .map(|r| r.obj)
        else {
            return;
        };
        let ready = self.readiness(obj);
        let Some(s) = self.sels.get_mut(&sel) else {
            return;
        };
        let Some(reg) = s.regs.get_mut(&fd) else {
            return;
        };
        if !reg.pending && ready & (reg.mask | ERR | HUP) != 0 {
            reg.pending = true;
            s.ready.push_back(fd);
        }
    }

    /// True if a poll of `sel` would report something now.
    pub(crate) fn has_events(&self, sel: ObjId) -> bool {
        let Some(s) = self.sels.get(&sel) else {
            return false;
        };
        s.ready.iter().any(|fd| {
            s.regs
                .get(fd)
                .is_some_and(|r| r.pending && self.readiness(r.obj) & (r.mask | ERR | HUP) != 0)
        })
    }

    /// Takes up to `cap` events from `sel`'s ready list, as `epoll_wait`
    /// does, with the plan's split and spurious events.
    pub(crate) fn collect(
        &mut self,
        sel: ObjId,
        cap: usize,
        host: Option<usize>,
        out: &mut Vec<(u64, u32)>,
    ) {
        out.clear();
        let (split_p, spurious_p) = (self.cfg.faults.split, self.cfg.faults.spurious);
        let Some(mut s) = self.sels.remove(&sel) else {
            return;
        };
        let mut again = Vec::new();
        let n = s.ready.len();
        for _ in 0..n {
            if out.len() >= cap {
                break;
            }
            let Some(fd) = s.ready.pop_front() else { break };
            let Some(reg) = s.regs.get_mut(&fd) else {
                continue;
            };
            if !reg.pending {
                continue;
            }
            let mut r = self.readiness(reg.obj) & (reg.mask | ERR | HUP);
            if reg.split_rest != 0 {
                r &= reg.split_rest | ERR | HUP;
                reg.split_rest = 0;
            }
            if r == 0 {
                reg.pending = false;
                continue;
            }
            if r & IN != 0 && r & OUT != 0 && self.rng.chance(split_p) {
                // One socket's readiness in two events, over two polls
                // (as kqueue and Windows can deliver it).
                reg.split_rest = OUT;
                r &= !OUT;
                let tok = reg.token;
                out.push((tok, r));
                again.push(fd);
                self.trace(
                    host,
                    format_args!("fault split fd={} token={tok}", fd & LOCAL_MASK),
                );
                continue;
            }
            out.push((reg.token, r));
            if reg.mask & ONESHOT != 0 {
                reg.disarmed = true;
                reg.pending = false;
            } else if reg.mask & ET != 0 {
                reg.pending = false;
            } else {
                again.push(fd);
            }
        }
        s.ready.extend(again);
        if out.len() < cap && !s.regs.is_empty() && self.rng.chance(spurious_p) {
            // An event with nothing behind it.
            let k = self.rng.below(s.regs.len() as u64) as usize;
            if let Some((&fd, reg)) = s.regs.iter_mut().nth(k) {
                let want = reg.mask & (IN | OUT);
                if !reg.disarmed && want != 0 && !out.iter().any(|&(t, _)| t == reg.token) {
                    let f = if want & IN != 0 { IN } else { OUT };
                    out.push((reg.token, f));
                    if reg.mask & ONESHOT != 0 {
                        reg.disarmed = true;
                        reg.pending = false;
                    }
                    let tok = reg.token;
                    self.trace(
                        host,
                        format_args!("fault spurious fd={} token={tok}", fd & LOCAL_MASK),
                    );
                }
            }
        }
        self.sels.insert(sel, s);
    }

    /// Schedules a new edge on `obj` after `delay`, so that a program kept
    /// from progressing by a fault is told to try again.
    pub(crate) fn edge_later(&mut self, obj: ObjId, flags: u32, delay: u64) {
        let t = self.now + delay;
        self.schedule(t, Packet::Edge { obj, flags });
    }

    // ---- scheduling (runs) ----

    /// Hands the baton to the next host (seeded choice among those that
    /// can go on), advancing virtual time while all of them wait. Ends
    /// the run when nothing can ever happen again or time is up.
    pub(crate) fn schedule_next(&mut self) {
        loop {
            self.steps += 1;
            self.deliver_due();
            if self.ended.is_some() {
                // Hosts end one at a time: their polls fail, and they return.
                for h in &mut self.hosts {
                    if h.state == HostState::NotStarted {
                        h.state = HostState::Done;
                    }
                }
                self.running = self
                    .hosts
                    .iter()
                    .position(|h| matches!(h.state, HostState::Polling { .. }));
                return;
            }
            let mut runnable: Vec<usize> = Vec::new();
            let mut next_deadline: Option<u64> = None;
            for (i, h) in self.hosts.iter().enumerate() {
                match h.state {
                    HostState::NotStarted => runnable.push(i),
                    HostState::Polling { sel, deadline } => {
                        if deadline.is_some_and(|d| d <= self.now) || self.has_events(sel) {
                            runnable.push(i);
                        } else if let Some(d) = deadline {
                            next_deadline = Some(next_deadline.map_or(d, |n: u64| n.min(d)));
                        }
                    }
                    HostState::Running | HostState::Done => {}
                }
            }
            if !runnable.is_empty() {
                let pick = if runnable.len() == 1 {
                    runnable[0]
                } else {
                    runnable[self.rng.below(runnable.len() as u64) as usize]
                };
                self.running = Some(pick);
                return;
            }
            if self.hosts.iter().all(|h| h.state == HostState::Done) {
                self.running = None;
                return;
            }
            let next = match (self.next_packet_time(), next_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match next {
                None => {
                    self.ended =
                        Some("quiescent: every host waits for something that cannot come".into());
                    self.trace(None, format_args!("end: quiescent"));
                }
                Some(t) if t > self.cfg.time_limit => {
                    self.ended = Some(format!(
                        "time limit of {:?} reached",
                        Duration::from_nanos(self.cfg.time_limit)
                    ));
                    self.trace(None, format_args!("end: time limit"));
                }
                Some(t) => self.now = self.now.max(t),
            }
        }
    }
}

/// Waits on the world's condition variable until `host` holds the baton;
/// returns the guard.
pub(crate) fn wait_turn<'a>(
    shared: &'a Shared,
    mut w: MutexGuard<'a, World>,
    host: usize,
) -> MutexGuard<'a, World> {
    while w.running != Some(host) {
        w = shared.cv.wait(w).unwrap_or_else(|e| e.into_inner());
    }
    w
}

/// The error of a poll in a run that has ended.
pub(crate) fn ended_error(why: &str) -> io::Error {
    crate::error::other_string(format!("the simulation has ended ({why})"))
}
