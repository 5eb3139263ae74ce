//! Simulated TCP and UDP sockets, under the names the portable layer uses
//! (`sys::net::TcpStream` and the helpers it calls).
//!
//! A socket is a virtual descriptor of its world's table. The helpers take
//! anything with a descriptor number (the socket, or the `BorrowedFd` that
//! `IoSource` keeps of it), find the world from the number, and act there.
//! No system call is ever made with one of these numbers.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{self, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::world::{
    current, errno, world_of_fd, Kind, Listener, ObjId, Opts, Udp, World, WorldRef, FD_BASE, HUP,
    IN, LOCAL_MASK, MAX_DATAGRAM, OUT, RDHUP,
};

/// Length of the queue of connections waiting for `accept`.
#[allow(dead_code)]
pub(crate) const LISTEN_BACKLOG: i32 = 1024;

/// Most buffers one vectored call uses.
pub(crate) const MAX_IOVECS: usize = 1024;

/// What the simulator says of a descriptor that is not one of its own.
fn not_simulated(fd: RawFd) -> io::Error {
    if fd >= FD_BASE {
        errno(libc::EBADF)
    } else {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "a socket of the operating system cannot join the simulated network",
        )
    }
}

fn std_unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "a standard library socket cannot join the simulated network (--cfg evio_sim)",
    )
}

/// A handle on a simulated socket: its world and descriptor, or a real
/// descriptor that was handed in (`From<OwnedFd>`), on which every
/// operation is refused.
struct Handle {
    world: Option<WorldRef>,
    fd: RawFd,
    real: Option<OwnedFd>,
}

impl Handle {
    fn new(world: WorldRef, fd: RawFd) -> Handle {
        Handle {
            world: Some(world),
            fd,
            real: None,
        }
    }

    fn from_raw(fd: RawFd) -> Handle {
        match world_of_fd(fd) {
            Some(w) => Handle::new(w, fd),
            None if fd >= FD_BASE => Handle {
                world: None,
                fd,
                real: None,
            },
            None => Handle {
                world: None,
                fd,
                // SAFETY: the caller of `from_raw_fd` hands over an open
                // descriptor of its own (a real one: not a simulated number).
                real: Some(unsafe { OwnedFd::from_raw_fd(fd) }),
            },
        }
    }

    fn from_owned(fd: OwnedFd) -> Handle {
        Handle {
            world: None,
            fd: fd.as_raw_fd(),
            real: Some(fd),
        }
    }

    fn try_clone(&self) -> io::Result<Handle> {
        let world = self.world.clone().ok_or_else(|| not_simulated(self.fd))?;
        let mut w = world.lock();
        let obj = w.obj_of(self.fd)?;
        let host = w.objs.get(&obj).and_then(|o| o.host);
        let fd = w.new_fd(obj);
        w.trace(
            host,
            format_args!("dup fd={} -> {}", self.fd & LOCAL_MASK, fd & LOCAL_MASK),
        );
        drop(w);
        Ok(Handle::new(world, fd))
    }

    /// Gives the descriptor up without closing it.
    fn into_raw(mut self) -> RawFd {
        let fd = self.fd;
        if let Some(real) = self.real.take() {
            let _ = real.into_raw_fd();
        }
        self.world = None;
        std::mem::forget(self);
        fd
    }

    /// A real descriptor in place of the socket: the one handed in, or,
    /// for a simulated socket (closed here), `/dev/null`, which stands for
    /// nothing: a simulated socket has no descriptor of the system.
    fn into_owned(mut self) -> OwnedFd {
        if let Some(real) = self.real.take() {
            return real;
        }
        drop(self);
        std::fs::File::open("/dev/null")
            .map(OwnedFd::from)
            .expect("/dev/null cannot be opened")
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(world) = &self.world {
            let mut w = world.lock();
            let host = w
                .fds
                .get(&self.fd)
                .and_then(|o| w.objs.get(o))
                .and_then(|o| o.host);
            w.close_fd(self.fd, host);
            let foreign = w.foreign;
            drop(w);
            if foreign {
                world.cv.notify_all();
            }
        }
    }
}

/// Runs `f` on the object of descriptor `s` in its world.
fn with<S: AsRawFd + ?Sized, R>(
    s: &S,
    f: impl FnOnce(&mut World, ObjId, Option<usize>) -> io::Result<R>,
) -> io::Result<R> {
    let fd = s.as_raw_fd();
    let world = world_of_fd(fd).ok_or_else(|| not_simulated(fd))?;
    let mut w = world.lock();
    w.io_calls += 1;
    let res = match w.obj_of(fd) {
        Ok(obj) => {
            let host = w.objs.get(&obj).and_then(|o| o.host);
            f(&mut w, obj, host)
        }
        Err(e) => Err(e),
    };
    let foreign = w.foreign;
    drop(w);
    if foreign {
        world.cv.notify_all();
    }
    res
}

fn show<T>(r: &io::Result<T>, ok: impl FnOnce(&T) -> String) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => match e.raw_os_error() {
            Some(n) => format!("errno {n}"),
            None => format!("{:?}", e.kind()),
        },
    }
}

macro_rules! socket_type {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A simulated ", $what, ".")]
        pub(crate) struct $name {
            h: Handle,
        }

        impl $name {
            pub(crate) fn try_clone(&self) -> io::Result<$name> {
                Ok($name {
                    h: self.h.try_clone()?,
                })
            }

            #[allow(dead_code)]
            pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
                with(self, |w, obj, _| local_of(w, obj))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                if let Ok(a) = self.local_addr() {
                    d.field("addr", &a);
                }
                d.field("fd", &self.h.fd)
                    .field("simulated", &self.h.real.is_none())
                    .finish()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.h.fd
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: the number is the socket's own for as long as the
                // borrow lasts (a simulated number, or the real descriptor
                // that was handed in). A simulated number is never given to
                // a system call by evio; a caller that does gets `EBADF`
                // from the system, as no real descriptor has such a number.
                unsafe { BorrowedFd::borrow_raw(self.h.fd) }
            }
        }

        impl FromRawFd for $name {
            unsafe fn from_raw_fd(fd: RawFd) -> $name {
                $name {
                    h: Handle::from_raw(fd),
                }
            }
        }

        impl IntoRawFd for $name {
            fn into_raw_fd(self) -> RawFd {
                self.h.into_raw()
            }
        }

        impl From<OwnedFd> for $name {
            fn from(fd: OwnedFd) -> $name {
                $name {
                    h: Handle::from_owned(fd),
                }
            }
        }

        impl From<$name> for OwnedFd {
            fn from(s: $name) -> OwnedFd {
                s.h.into_owned()
            }
        }
    };
}

socket_type!(TcpStream, "TCP stream");
socket_type!(TcpListener, "TCP listener");
socket_type!(UdpSocket, "UDP socket");

impl TcpStream {
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        with(self, |w, obj, _| match w.objs.get(&obj).map(|o| &o.kind) {
            Some(Kind::Stream(s)) if s.established && !s.reset => Ok(s.peer),
            _ => Err(errno(libc::ENOTCONN)),
        })
    }
}

impl UdpSocket {
    #[allow(dead_code)]
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        with(self, |w, obj, _| match w.objs.get(&obj).map(|o| &o.kind) {
            Some(Kind::Udp(u)) => u.connected.ok_or_else(|| errno(libc::ENOTCONN)),
            _ => Err(errno(libc::ENOTSOCK)),
        })
    }
}

fn local_of(w: &World, obj: ObjId) -> io::Result<SocketAddr> {
    match w.objs.get(&obj).map(|o| &o.kind) {
        Some(Kind::Stream(s)) => Ok(s.local),
        Some(Kind::Listener(l)) => Ok(l.addr),
        Some(Kind::Udp(u)) => Ok(u.addr),
        _ => Err(errno(libc::ENOTSOCK)),
    }
}

// ---- making sockets ----

pub(crate) fn tcp_bind(addr: &SocketAddr) -> io::Result<TcpListener> {
    let (world, host) = current();
    let mut w = world.lock();
    w.io_calls += 1;
    let res = w.bindable(host, *addr, false);
    let res = res.map(|a| {
        let obj = w.new_obj(
            Kind::Listener(Listener {
                addr: a,
                backlog: Default::default(),
                opts: Opts::default(),
            }),
            host,
        );
        w.bind_tcp(a, obj);
        (w.new_fd(obj), a)
    });
    let line = show(&res, |(fd, a)| format!("fd={} {a}", fd & LOCAL_MASK));
    w.trace(host, format_args!("listen {addr} -> {line}"));
    drop(w);
    res.map(|(fd, _)| TcpListener {
        h: Handle::new(world, fd),
    })
}

pub(crate) fn tcp_bind_reuseport(_addr: &SocketAddr) -> io::Result<TcpListener> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT is not simulated",
    ))
}

pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<TcpStream> {
    let (world, host) = current();
    let mut w = world.lock();
    w.io_calls += 1;
    let res = w.connect(host, *addr).map(|obj| w.new_fd(obj));
    let line = show(&res, |fd| format!("fd={}", fd & LOCAL_MASK));
    w.trace(host, format_args!("connect {addr} -> {line}"));
    drop(w);
    res.map(|fd| TcpStream {
        h: Handle::new(world, fd),
    })
}

pub(crate) fn tcp_accept(l: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let fd = l.h.fd;
    let world = world_of_fd(fd).ok_or_else(|| not_simulated(fd))?;
    let res = with(l, |w, obj, host| {
        let (emfile, enfile) = (w.cfg.faults.accept_emfile, w.cfg.faults.accept_enfile);
        let Some(Kind::Listener(li)) = w.objs.get_mut(&obj).map(|o| &mut o.kind) else {
            return Err(errno(libc::EINVAL));
        };
        if li.backlog.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        for (p, e, name) in [
            (emfile, libc::EMFILE, "EMFILE"),
            (enfile, libc::ENFILE, "ENFILE"),
        ] {
            if w.rng.chance(p) {
                w.trace(
                    host,
                    format_args!("fault accept fd={} {name}", fd & LOCAL_MASK),
                );
                // The connection stays queued; a new edge comes a moment
                // later, as a descriptor would be closed by then.
                w.edge_later(obj, IN, 1_000_000);
                return Err(errno(e));
            }
        }
        let Some(Kind::Listener(li)) = w.objs.get_mut(&obj).map(|o| &mut o.kind) else {
            return Err(errno(libc::EINVAL));
        };
        let conn = li.backlog.pop_front().ok_or(io::ErrorKind::WouldBlock)?;
        let peer = match w.objs.get(&conn).map(|o| &o.kind) {
            Some(Kind::Stream(s)) => s.peer,
            _ => return Err(errno(libc::ECONNABORTED)),
        };
        Ok((w.new_fd(conn), peer))
    });
    trace_call(l, "accept", &res, |(nfd, peer)| {
        format!("fd={} {peer}", nfd & LOCAL_MASK)
    });
    res.map(|(nfd, peer)| {
        (
            TcpStream {
                h: Handle::new(world, nfd),
            },
            peer,
        )
    })
}

pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<UdpSocket> {
    let (world, host) = current();
    let mut w = world.lock();
    w.io_calls += 1;
    let res = w.bindable(host, *addr, true).map(|a| {
        let obj = w.new_obj(
            Kind::Udp(Udp {
                addr: a,
                connected: None,
                queue: Default::default(),
                error: None,
                opts: Opts::default(),
            }),
            host,
        );
        w.bind_udp(a, obj);
        (w.new_fd(obj), a)
    });
    let line = show(&res, |(fd, a)| format!("fd={} {a}", fd & LOCAL_MASK));
    w.trace(host, format_args!("udp bind {addr} -> {line}"));
    drop(w);
    res.map(|(fd, _)| UdpSocket {
        h: Handle::new(world, fd),
    })
}

pub(crate) fn from_std_stream(_s: net::TcpStream) -> io::Result<TcpStream> {
    Err(std_unsupported())
}

pub(crate) fn from_std_listener(_l: net::TcpListener) -> io::Result<TcpListener> {
    Err(std_unsupported())
}

pub(crate) fn from_std_udp(_s: net::UdpSocket) -> io::Result<UdpSocket> {
    Err(std_unsupported())
}

pub(crate) fn connect_std_stream(_s: net::TcpStream, _addr: &SocketAddr) -> io::Result<TcpStream> {
    Err(std_unsupported())
}

pub(crate) fn into_std_blocking(_s: TcpStream) -> io::Result<net::TcpStream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "a simulated stream cannot become a standard library stream (--cfg evio_sim)",
    ))
}

/// Writes the line of an IO call and its result into the trace.
fn trace_call<S: AsRawFd + ?Sized, T>(
    s: &S,
    op: &str,
    r: &io::Result<T>,
    ok: impl FnOnce(&T) -> String,
) {
    let fd = s.as_raw_fd();
    let Some(world) = world_of_fd(fd) else { return };
    let mut w = world.lock();
    let host = w
        .fds
        .get(&fd)
        .and_then(|o| w.objs.get(o))
        .and_then(|o| o.host);
    let line = show(r, ok);
    w.trace(host, format_args!("{op} fd={} -> {line}", fd & LOCAL_MASK));
}

// ---- data ----

/// Takes up to `want` bytes from a stream (or a datagram from a UDP
/// socket), with the plan's faults.
fn take(
    w: &mut World,
    obj: ObjId,
    host: Option<usize>,
    want: usize,
    peek: bool,
) -> io::Result<Vec<u8>> {
    let f = &w.cfg.faults;
    let (short_p, wb_p, reset_p) = (f.short_read, f.would_block, f.reset);
    match w.objs.get(&obj).map(|o| &o.kind) {
        Some(Kind::Stream(_)) => {}
        Some(Kind::Udp(_)) => return take_datagram(w, obj, host, want, peek).map(|(v, _)| v),
        Some(Kind::Listener(_)) => return Err(errno(libc::ENOTCONN)),
        _ => return Err(errno(libc::ENOTSOCK)),
    }
    let Some(s) = w.stream_mut(obj) else {
        return Err(errno(libc::ENOTSOCK));
    };
    if want == 0 {
        return Ok(Vec::new());
    }
    if s.connecting {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    if !s.rx.is_empty() {
        if w.rng.chance(wb_p) {
            w.trace(host, format_args!("fault read WouldBlock obj={obj}"));
            w.edge_later(obj, IN, 0);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if !peek && w.rng.chance(reset_p) {
            w.inject_reset(obj, host);
            if let Some(s) = w.stream_mut(obj) {
                s.error = None;
                s.rx.clear();
            }
            return Err(errno(libc::ECONNRESET));
        }
        let s = w.stream_mut(obj).ok_or_else(|| errno(libc::ENOTSOCK))?;
        let full = want.min(s.rx.len());
        let mut n = full;
        if n > 1 && w.rng.chance(short_p) {
            n = 1 + w.rng.below(n as u64 - 1) as usize;
            w.trace(
                host,
                format_args!("fault short read {n} of {full} obj={obj}"),
            );
            w.edge_later(obj, IN, 0);
        }
        let s = w.stream_mut(obj).ok_or_else(|| errno(libc::ENOTSOCK))?;
        if peek {
            return Ok(s.rx.iter().take(n).copied().collect());
        }
        let bytes: Vec<u8> = s.rx.drain(..n).collect();
        let peer = s.peer_obj;
        if let Some(p) = peer.and_then(|p| w.stream_mut(p)) {
            p.unread = p.unread.saturating_sub(n);
            if p.nospace {
                p.nospace = false;
                w.raise(peer.unwrap_or_default(), OUT);
            }
        }
        return Ok(bytes);
    }
    if let Some(e) = s.error.take() {
        return Err(errno(e));
    }
    if s.rx_fin || s.rd_shut || s.reset {
        return Ok(Vec::new());
    }
    Err(io::ErrorKind::WouldBlock.into())
}

fn take_datagram(
    w: &mut World,
    obj: ObjId,
    host: Option<usize>,
    want: usize,
    peek: bool,
) -> io::Result<(Vec<u8>, SocketAddr)> {
    let wb_p = w.cfg.faults.would_block;
    let Some(Kind::Udp(u)) = w.objs.get_mut(&obj).map(|o| &mut o.kind) else {
        return Err(errno(libc::ENOTSOCK));
    };
    if let Some(e) = u.error.take() {
        return Err(errno(e));
    }
    if u.queue.is_empty() {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    if w.rng.chance(wb_p) {
        w.trace(host, format_args!("fault recv WouldBlock obj={obj}"));
        w.edge_later(obj, IN, 0);
        return Err(io::ErrorKind::WouldBlock.into());
    }
    let Some(Kind::Udp(u)) = w.objs.get_mut(&obj).map(|o| &mut o.kind) else {
        return Err(errno(libc::ENOTSOCK));
    };
    let (from, mut bytes) = if peek {
        u.queue.front().cloned().ok_or(io::ErrorKind::WouldBlock)?
    } else {
        u.queue.pop_front().ok_or(io::ErrorKind::WouldBlock)?
    };
    // A datagram longer than the buffer is cut; the rest is lost.
    bytes.truncate(want);
    Ok((bytes, from))
}

/// Writes `data` to a stream (or sends it to a connected UDP socket's
/// peer), with the plan's faults.
fn put(w: &mut World, obj: ObjId, host: Option<usize>, data: &[u8]) -> io::Result<usize> {
    let f = &w.cfg.faults;
    let (short_p, wb_p, reset_p) = (f.short_write, f.would_block, f.reset);
    let window = w.cfg.window;
    match w.objs.get(&obj).map(|o| &o.kind) {
        Some(Kind::Stream(_)) => {}
        Some(Kind::Udp(u)) => {
            let to = u.connected.ok_or_else(|| errno(libc::EDESTADDRREQ))?;
            return send_datagram(w, obj, host, data, to);
        }
        Some(Kind::Listener(_)) => return Err(errno(libc::ENOTCONN)),
        _ => return Err(errno(libc::ENOTSOCK)),
    }
    let s = w.stream_mut(obj).ok_or_else(|| errno(libc::ENOTSOCK))?;
    if let Some(e) = s.error.take() {
        return Err(errno(e));
    }
    if s.reset || s.wr_shut {
        return Err(errno(libc::EPIPE));
    }
    if s.connecting {
        s.nospace = true;
        return Err(io::ErrorKind::WouldBlock.into());
    }
    if !s.established {
        return Err(errno(libc::ENOTCONN));
    }
    if data.is_empty() {
        return Ok(0);
    }
    let room = window
        .min(s.opts.send_buffer.max(1))
        .saturating_sub(s.unread);
    if room == 0 {
        s.nospace = true;
        return Err(io::ErrorKind::WouldBlock.into());
    }
    let gone = s.peer_obj.is_none();
    if w.rng.chance(wb_p) {
        w.trace(host, format_args!("fault write WouldBlock obj={obj}"));
        w.edge_later(obj, OUT, 0);
        return Err(io::ErrorKind::WouldBlock.into());
    }
    if w.rng.chance(reset_p) {
        w.inject_reset(obj, host);
        if let Some(s) = w.stream_mut(obj) {
            s.error = None;
        }
        return Err(errno(libc::ECONNRESET));
    }
    let mut n = data.len().min(room);
    if n > 1 && w.rng.chance(short_p) {
        n = 1 + w.rng.below(n as u64 - 1) as usize;
        w.trace(
            host,
            format_args!("fault short write {n} of {} obj={obj}", data.len()),
        );
        w.edge_later(obj, OUT, 0);
    }
    if gone {
        // The peer has closed: the data reaches a closed socket, which
        // answers with a reset one round trip later.
        let rtt = 2 * w.cfg.default_link.latency;
        w.schedule(w.now + rtt, super::world::Packet::Rst { to: obj });
        return Ok(n);
    }
    let s = w.stream_mut(obj).ok_or_else(|| errno(libc::ENOTSOCK))?;
    if n < data.len() {
        s.nospace = true;
    }
    s.unread += n;
    w.send_data(obj, data[..n].to_vec());
    Ok(n)
}

fn send_datagram(
    w: &mut World,
    obj: ObjId,
    host: Option<usize>,
    data: &[u8],
    to: SocketAddr,
) -> io::Result<usize> {
    if data.len() > MAX_DATAGRAM {
        return Err(errno(libc::EMSGSIZE));
    }
    let Some(Kind::Udp(u)) = w.objs.get(&obj).map(|o| &o.kind) else {
        return Err(errno(libc::ENOTSOCK));
    };
    let mut from = u.addr;
    if from.ip().is_unspecified() {
        from.set_ip(w.host_ip(host));
    }
    w.send_datagram(host, from, to, data);
    Ok(data.len())
}

fn scatter<B: std::ops::DerefMut<Target = [u8]>>(bytes: &[u8], bufs: &mut [B]) -> usize {
    let mut off = 0;
    for b in bufs.iter_mut() {
        if off == bytes.len() {
            break;
        }
        let n = b.len().min(bytes.len() - off);
        b[..n].copy_from_slice(&bytes[off..off + n]);
        off += n;
    }
    off
}

fn gather<B: std::ops::Deref<Target = [u8]>>(bufs: &[B]) -> Vec<u8> {
    let mut v = Vec::new();
    for b in bufs.iter().take(MAX_IOVECS) {
        v.extend_from_slice(b);
    }
    v
}

pub(crate) fn recv<S: AsRawFd>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    let r = with(s, |w, obj, host| take(w, obj, host, buf.len(), false)).map(|v| {
        buf[..v.len()].copy_from_slice(&v);
        v.len()
    });
    trace_call(s, "read", &r, |n| n.to_string());
    r
}

pub(crate) fn peek<S: AsRawFd>(s: &S, buf: &mut [u8]) -> io::Result<usize> {
    let r = with(s, |w, obj, host| take(w, obj, host, buf.len(), true)).map(|v| {
        buf[..v.len()].copy_from_slice(&v);
        v.len()
    });
    trace_call(s, "peek", &r, |n| n.to_string());
    r
}

pub(crate) fn recv_vectored<S: AsRawFd>(s: &S, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let len = bufs.len().min(MAX_IOVECS);
    let bufs = &mut bufs[..len];
    let want = bufs.iter().map(|b| b.len()).sum();
    let r = with(s, |w, obj, host| take(w, obj, host, want, false)).map(|v| scatter(&v, bufs));
    trace_call(s, "readv", &r, |n| n.to_string());
    r
}

pub(crate) fn recv_iovecs<S: AsRawFd>(s: &S, bufs: &mut [&mut iovec::IoVec]) -> io::Result<usize> {
    let len = bufs.len().min(MAX_IOVECS);
    let bufs = &mut bufs[..len];
    let want = bufs.iter().map(|b| b.len()).sum();
    let r = with(s, |w, obj, host| take(w, obj, host, want, false)).map(|v| {
        let mut off = 0;
        for b in bufs.iter_mut() {
            let n = b.len().min(v.len() - off);
            b[..n].copy_from_slice(&v[off..off + n]);
            off += n;
        }
        off
    });
    trace_call(s, "readv", &r, |n| n.to_string());
    r
}

pub(crate) fn send<S: AsRawFd>(s: &S, buf: &[u8]) -> io::Result<usize> {
    let r = with(s, |w, obj, host| put(w, obj, host, buf));
    trace_call(s, "write", &r, |n| format!("{n} of {}", buf.len()));
    r
}

pub(crate) fn send_vectored<S: AsRawFd>(s: &S, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let data = gather(bufs);
    let r = with(s, |w, obj, host| put(w, obj, host, &data));
    trace_call(s, "writev", &r, |n| format!("{n} of {}", data.len()));
    r
}

pub(crate) fn send_iovecs<S: AsRawFd>(s: &S, bufs: &[&iovec::IoVec]) -> io::Result<usize> {
    let mut data = Vec::new();
    for b in bufs.iter().take(MAX_IOVECS) {
        data.extend_from_slice(b);
    }
    let r = with(s, |w, obj, host| put(w, obj, host, &data));
    trace_call(s, "writev", &r, |n| format!("{n} of {}", data.len()));
    r
}

pub(crate) fn recv_from<S: AsRawFd>(s: &S, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let r = with(s, |w, obj, host| {
        take_datagram(w, obj, host, buf.len(), false)
    })
    .map(|(v, from)| {
        buf[..v.len()].copy_from_slice(&v);
        (v.len(), from)
    });
    trace_call(s, "recv_from", &r, |(n, a)| format!("{n} {a}"));
    r
}

pub(crate) fn send_to<S: AsRawFd>(s: &S, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    let r = with(s, |w, obj, host| send_datagram(w, obj, host, buf, *addr));
    trace_call(s, "send_to", &r, |n| format!("{n} {addr}"));
    r
}

pub(crate) fn connect<S: AsRawFd>(s: &S, addr: &SocketAddr) -> io::Result<()> {
    with(s, |w, obj, _| {
        match w.objs.get_mut(&obj).map(|o| &mut o.kind) {
            Some(Kind::Udp(u)) => {
                u.connected = Some(*addr);
                Ok(())
            }
            _ => Err(errno(libc::EISCONN)),
        }
    })
}

pub(crate) fn shutdown<S: AsRawFd>(s: &S, how: Shutdown) -> io::Result<()> {
    let r = with(s, |w, obj, _| {
        let Some(st) = w.stream_mut(obj) else {
            return Err(errno(libc::ENOTCONN));
        };
        if !st.established && !st.reset {
            return Err(errno(libc::ENOTCONN));
        }
        let (rd, wr) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        let mut raised = 0;
        if rd && !st.rd_shut {
            st.rd_shut = true;
            raised |= IN | RDHUP;
        }
        let send_fin = wr && !st.wr_shut && !st.reset;
        if wr && !st.wr_shut {
            st.wr_shut = true;
            raised |= OUT;
        }
        if (st.rd_shut || st.rx_fin) && st.wr_shut {
            raised |= HUP;
        }
        if send_fin {
            w.send_fin(obj);
        }
        w.raise(obj, raised);
        Ok(())
    });
    trace_call(s, &format!("shutdown {how:?}"), &r, |_| "ok".into());
    r
}

pub(crate) fn take_error<S: AsRawFd>(s: &S) -> io::Result<Option<io::Error>> {
    with(s, |w, obj, _| {
        Ok(match w.objs.get_mut(&obj).map(|o| &mut o.kind) {
            Some(Kind::Stream(st)) => st.error.take().map(errno),
            Some(Kind::Udp(u)) => u.error.take().map(errno),
            _ => None,
        })
    })
}

// ---- options ----

fn opts<S: AsRawFd, R>(s: &S, f: impl FnOnce(&mut Opts) -> R) -> io::Result<R> {
    with(s, |w, obj, _| {
        match w.objs.get_mut(&obj).map(|o| &mut o.kind) {
            Some(Kind::Stream(st)) => Ok(f(&mut st.opts)),
            Some(Kind::Listener(l)) => Ok(f(&mut l.opts)),
            Some(Kind::Udp(u)) => Ok(f(&mut u.opts)),
            _ => Err(errno(libc::ENOTSOCK)),
        }
    })
}

pub(crate) fn set_ttl<S: AsRawFd>(s: &S, ttl: u32) -> io::Result<()> {
    if ttl == 0 || ttl > 255 {
        return Err(errno(libc::EINVAL));
    }
    opts(s, |o| o.ttl = ttl)
}

pub(crate) fn ttl<S: AsRawFd>(s: &S) -> io::Result<u32> {
    opts(s, |o| if o.ttl == 0 { 64 } else { o.ttl })
}

pub(crate) fn set_only_v6<S: AsRawFd>(s: &S, on: bool) -> io::Result<()> {
    let v6 = with(s, |w, obj, _| local_of(w, obj))?.is_ipv6();
    if !v6 {
        return Err(errno(libc::ENOPROTOOPT));
    }
    opts(s, |o| o.only_v6 = on)
}

pub(crate) fn only_v6<S: AsRawFd>(s: &S) -> io::Result<bool> {
    let v6 = with(s, |w, obj, _| local_of(w, obj))?.is_ipv6();
    if !v6 {
        return Err(errno(libc::ENOPROTOOPT));
    }
    opts(s, |o| o.only_v6)
}

pub(crate) fn set_nodelay<S: AsRawFd>(s: &S, on: bool) -> io::Result<()> {
    opts(s, |o| o.nodelay = on)
}

pub(crate) fn nodelay<S: AsRawFd>(s: &S) -> io::Result<bool> {
    opts(s, |o| o.nodelay)
}

/// Buffer sizes are doubled when set, and at least a page, as Linux does.
fn buffer_size(size: usize) -> usize {
    size.saturating_mul(2).max(4608)
}

pub(crate) fn set_recv_buffer_size<S: AsRawFd>(s: &S, size: usize) -> io::Result<()> {
    opts(s, |o| o.recv_buffer = buffer_size(size))
}

pub(crate) fn recv_buffer_size<S: AsRawFd>(s: &S) -> io::Result<usize> {
    opts(s, |o| {
        if o.recv_buffer == 0 {
            super::world::DEFAULT_WINDOW
        } else {
            o.recv_buffer
        }
    })
}

pub(crate) fn set_send_buffer_size<S: AsRawFd>(s: &S, size: usize) -> io::Result<()> {
    opts(s, |o| o.send_buffer = buffer_size(size))
}

pub(crate) fn send_buffer_size<S: AsRawFd>(s: &S) -> io::Result<usize> {
    opts(s, |o| {
        if o.send_buffer == 0 {
            super::world::DEFAULT_WINDOW
        } else {
            o.send_buffer
        }
    })
}

pub(crate) fn set_keepalive<S: AsRawFd>(s: &S, keepalive: Option<Duration>) -> io::Result<()> {
    // Whole seconds, rounded up, as the systems keep it.
    let k = keepalive.map(|d| {
        Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
            .max(Duration::from_secs(1))
    });
    opts(s, |o| o.keepalive = k)
}

pub(crate) fn keepalive<S: AsRawFd>(s: &S) -> io::Result<Option<Duration>> {
    opts(s, |o| o.keepalive)
}

pub(crate) fn set_linger<S: AsRawFd>(s: &S, linger: Option<Duration>) -> io::Result<()> {
    let l = linger.map(|d| Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0)));
    opts(s, |o| o.linger = l)
}

pub(crate) fn linger<S: AsRawFd>(s: &S) -> io::Result<Option<Duration>> {
    opts(s, |o| o.linger)
}

pub(crate) fn set_broadcast<S: AsRawFd>(s: &S, on: bool) -> io::Result<()> {
    opts(s, |o| o.broadcast = on)
}

pub(crate) fn broadcast<S: AsRawFd>(s: &S) -> io::Result<bool> {
    opts(s, |o| o.broadcast)
}

pub(crate) fn set_multicast_loop_v4<S: AsRawFd>(s: &S, on: bool) -> io::Result<()> {
    opts(s, |o| o.multicast_loop_v4 = on)
}

pub(crate) fn multicast_loop_v4<S: AsRawFd>(s: &S) -> io::Result<bool> {
    opts(s, |o| o.multicast_loop_v4)
}

pub(crate) fn set_multicast_ttl_v4<S: AsRawFd>(s: &S, ttl: u32) -> io::Result<()> {
    opts(s, |o| o.multicast_ttl_v4 = ttl)
}

pub(crate) fn multicast_ttl_v4<S: AsRawFd>(s: &S) -> io::Result<u32> {
    opts(s, |o| o.multicast_ttl_v4)
}

pub(crate) fn set_multicast_loop_v6<S: AsRawFd>(s: &S, on: bool) -> io::Result<()> {
    opts(s, |o| o.multicast_loop_v6 = on)
}

pub(crate) fn multicast_loop_v6<S: AsRawFd>(s: &S) -> io::Result<bool> {
    opts(s, |o| o.multicast_loop_v6)
}

fn no_multicast() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "multicast groups are not simulated",
    )
}

pub(crate) fn join_multicast_v4<S: AsRawFd>(
    _s: &S,
    _group: &Ipv4Addr,
    _iface: &Ipv4Addr,
) -> io::Result<()> {
    Err(no_multicast())
}

pub(crate) fn leave_multicast_v4<S: AsRawFd>(
    _s: &S,
    _group: &Ipv4Addr,
    _iface: &Ipv4Addr,
) -> io::Result<()> {
    Err(no_multicast())
}

pub(crate) fn join_multicast_v6<S: AsRawFd>(
    _s: &S,
    _group: &Ipv6Addr,
    _iface: u32,
) -> io::Result<()> {
    Err(no_multicast())
}

pub(crate) fn leave_multicast_v6<S: AsRawFd>(
    _s: &S,
    _group: &Ipv6Addr,
    _iface: u32,
) -> io::Result<()> {
    Err(no_multicast())
}
