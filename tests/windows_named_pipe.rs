//! Handles of other IO types driven through a `Poll`'s completion port
//! (`evio::windows`): a named pipe's overlapped connect, reads and writes
//! run through `Binding` and `Overlapped` callbacks, every byte checked;
//! the binding's rules; what a callback's completion does to a poll's
//! wait; a panicking callback; completions left when the `Poll` is gone;
//! and no allocation per operation.
#![cfg(windows)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, AsRawSocket, FromRawHandle, OwnedHandle};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evio::windows::{Binding, Overlapped, OVERLAPPED_ENTRY};
use evio::{Events, Poll, PollOpt, Ready, Registration, SetReadiness, Token};
use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Networking::WinSock::{WSAGetLastError, WSARecv, WSABUF, WSA_IO_PENDING};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, ReadFile, WriteFile, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED,
    OPEN_EXISTING, PIPE_ACCESS_DUPLEX,
};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, PIPE_READMODE_BYTE, PIPE_REJECT_REMOTE_CLIENTS,
    PIPE_TYPE_BYTE, PIPE_WAIT,
};
use windows_sys::Win32::System::IO::GetOverlappedResult;

const TICK: Duration = Duration::from_millis(100);
const DEADLINE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- allocations

struct Counting;

// The initializers are `const` already; clippy 1.96 still flags them when
// it checks for a Windows target.
#[allow(clippy::missing_const_for_thread_local)]
mod counters {
    use std::cell::Cell;
    thread_local! {
        pub(super) static COUNTING: Cell<bool> = const { Cell::new(false) };
        pub(super) static COUNT: Cell<u64> = const { Cell::new(0) };
    }
}
use counters::{COUNT, COUNTING};

fn note() {
    // `try_with`: thread-locals may be gone while a thread exits.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every method forwards to the system allocator with the same
// arguments; the counting touches only const-initialized thread-locals,
// which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    let r = f();
    COUNTING.with(|on| on.set(false));
    (r, COUNT.with(|c| c.get()))
}

// ---------------------------------------------------------------- operations

/// One overlapped operation: its `Overlapped` (first, so that the
/// completion's `lpOverlapped` is the address of the whole `Op`), the
/// readiness its callback sets, what the callback saw, and its buffer.
#[repr(C)]
struct Op {
    overlapped: Overlapped,
    set: SetReadiness,
    /// How many times the callback ran.
    calls: AtomicUsize,
    bytes: AtomicU32,
    key: AtomicUsize,
    lp_overlapped: AtomicUsize,
    buf: UnsafeCell<Vec<u8>>,
}

/// The callback of every `Op`: records the completion and marks the op's
/// registration readable.
fn op_done(entry: &OVERLAPPED_ENTRY) {
    // SAFETY: every operation of these tests is started with the
    // `Overlapped` at the start of a boxed `Op` that outlives it.
    let op = unsafe { &*(entry.lpOverlapped as *const Op) };
    op.bytes
        .store(entry.dwNumberOfBytesTransferred, Ordering::Relaxed);
    op.key.store(entry.lpCompletionKey, Ordering::Relaxed);
    op.lp_overlapped
        .store(entry.lpOverlapped as usize, Ordering::Relaxed);
    op.calls.fetch_add(1, Ordering::Release);
    op.set.set_readiness(Ready::readable()).unwrap();
}

/// An `Op` whose callback only counts.
fn count_only(entry: &OVERLAPPED_ENTRY) {
    // SAFETY: as in `op_done`.
    let op = unsafe { &*(entry.lpOverlapped as *const Op) };
    op.bytes
        .store(entry.dwNumberOfBytesTransferred, Ordering::Relaxed);
    op.calls.fetch_add(1, Ordering::Release);
}

/// An `Op` whose callback panics (after counting).
fn panics(entry: &OVERLAPPED_ENTRY) {
    count_only(entry);
    panic!("callback panics on purpose");
}

/// An operation and the registration its callback drives.
struct Pending {
    registration: Registration,
    op: Box<Op>,
    token: Token,
}

impl Pending {
    fn new(poll: &Poll, token: Token, cap: usize, cb: fn(&OVERLAPPED_ENTRY)) -> Pending {
        let (registration, set) = Registration::new2();
        poll.register(&registration, token, Ready::readable(), PollOpt::edge())
            .unwrap();
        Pending {
            registration,
            op: Box::new(Op {
                overlapped: Overlapped::new(cb),
                set,
                calls: AtomicUsize::new(0),
                bytes: AtomicU32::new(0),
                key: AtomicUsize::new(0),
                lp_overlapped: AtomicUsize::new(0),
                buf: UnsafeCell::new(vec![0; cap]),
            }),
            token,
        }
    }

    fn calls(&self) -> usize {
        self.op.calls.load(Ordering::Acquire)
    }

    /// Clears the readiness the last completion set: the next completion
    /// is a new edge.
    fn reset(&self) {
        self.op.set.set_readiness(Ready::empty()).unwrap();
    }

    /// The buffer (no operation may be running on it).
    fn buf(&mut self) -> &mut Vec<u8> {
        self.op.buf.get_mut()
    }

    /// The operation's final status, through the system's own record.
    fn result(&self, handle: HANDLE) -> io::Result<u32> {
        let mut n = 0u32;
        // SAFETY: the operation has completed (its callback ran): the
        // call only reads the `OVERLAPPED`'s status.
        let ok = unsafe { GetOverlappedResult(handle, self.op.overlapped.as_mut_ptr(), &mut n, 0) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n)
    }

    /// Checks what the callback saw against what the port must have said.
    fn check_entry(&self, key: Token, bytes: u32) {
        assert_eq!(self.op.key.load(Ordering::Relaxed), key.0, "completion key");
        assert_eq!(
            self.op.lp_overlapped.load(Ordering::Relaxed),
            self.op.overlapped.as_mut_ptr() as usize,
            "lpOverlapped"
        );
        assert_eq!(self.op.bytes.load(Ordering::Relaxed), bytes, "byte count");
    }

    /// `ReadFile` of up to `len` bytes into the buffer.
    fn read(&self, handle: HANDLE, len: usize) -> io::Result<()> {
        // SAFETY: no operation runs on this op; the buffer stays in place
        // (boxed op, never resized while the read runs).
        let buf = unsafe { &mut *self.op.buf.get() };
        assert!(len <= buf.len());
        // SAFETY: the buffer and the `Overlapped` stay valid and in place
        // until the callback has run.
        let ok = unsafe {
            ReadFile(
                handle,
                buf.as_mut_ptr(),
                len as u32,
                ptr::null_mut(),
                self.op.overlapped.as_mut_ptr(),
            )
        };
        started(ok)
    }

    /// `WriteFile` of the buffer's first `len` bytes.
    fn write(&self, handle: HANDLE, len: usize) -> io::Result<()> {
        // SAFETY: as in `read`.
        let buf = unsafe { &*self.op.buf.get() };
        assert!(len <= buf.len());
        // SAFETY: as in `read`.
        let ok = unsafe {
            WriteFile(
                handle,
                buf.as_ptr(),
                len as u32,
                ptr::null_mut(),
                self.op.overlapped.as_mut_ptr(),
            )
        };
        started(ok)
    }
}

/// An overlapped call's return: done at once or pending are both started
/// (the port gets a completion either way: no skip-on-success mode is set).
fn started(ok: i32) -> io::Result<()> {
    if ok != 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(ERROR_IO_PENDING as i32) {
        Ok(())
    } else {
        Err(e)
    }
}

/// The `i`-th byte of a stream (`seed` tells the streams apart); not
/// periodic in any of the chunk sizes used.
fn pattern(i: usize, seed: u32) -> u8 {
    ((i as u32)
        .wrapping_mul(2_654_435_761)
        .wrapping_add(seed.wrapping_mul(40_503))
        >> 13) as u8
}

static PIPES: AtomicUsize = AtomicUsize::new(0);

fn wide(s: &str) -> Vec<u16> {
    OsStr::new(s).encode_wide().chain(Some(0)).collect()
}

/// A fresh pipe name for this process.
fn pipe_name() -> Vec<u16> {
    let n = PIPES.fetch_add(1, Ordering::Relaxed);
    wide(&format!(r"\\.\pipe\evio-test-{}-{n}", std::process::id()))
}

/// The server end: one instance, overlapped, byte mode.
fn server(name: &[u16]) -> OwnedHandle {
    // SAFETY: `name` is NUL-terminated; no security attributes.
    let h = unsafe {
        CreateNamedPipeW(
            name.as_ptr(),
            PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
            1,
            65536,
            65536,
            0,
            ptr::null(),
        )
    };
    assert!(h != INVALID_HANDLE_VALUE, "{}", io::Error::last_os_error());
    // SAFETY: a new handle, owned by nothing else.
    unsafe { OwnedHandle::from_raw_handle(h as _) }
}

/// A client end, opened for overlapped IO.
fn client(name: &[u16]) -> OwnedHandle {
    // SAFETY: `name` is NUL-terminated; no security attributes or template.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            0,
            ptr::null(),
            OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED,
            ptr::null_mut(),
        )
    };
    assert!(h != INVALID_HANDLE_VALUE, "{}", io::Error::last_os_error());
    // SAFETY: a new handle, owned by nothing else.
    unsafe { OwnedHandle::from_raw_handle(h as _) }
}

fn raw(h: &OwnedHandle) -> HANDLE {
    h.as_raw_handle() as HANDLE
}

/// Starts an overlapped `ConnectNamedPipe`; it must be pending (no client
/// exists yet).
fn connect(server: &OwnedHandle, op: &Pending) {
    // SAFETY: the `Overlapped` stays valid and in place until its callback ran.
    let ok = unsafe { ConnectNamedPipe(raw(server), op.op.overlapped.as_mut_ptr()) };
    assert_eq!(ok, 0);
    assert_eq!(
        io::Error::last_os_error().raw_os_error(),
        Some(ERROR_IO_PENDING as i32)
    );
}

/// Polls until an event for `token` arrives (bounded).
fn wait_for(poll: &Poll, events: &mut Events, token: Token) {
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        poll.poll(events, Some(TICK)).unwrap();
        if events
            .iter()
            .any(|e| e.token() == token && e.readiness().is_readable())
        {
            return;
        }
    }
    panic!("no event for {token:?}");
}

// ---------------------------------------------------------------- tests

const SERVER: Token = Token(1);
const CLIENT: Token = Token(2);

/// One direction of the pipe: a writer's and a reader's operations.
struct Stream {
    writer: Pending,
    reader: Pending,
    seed: u32,
    sent: usize,
    /// Length of the write running (0: none).
    writing: usize,
    received: usize,
    reading: bool,
}

const TOTAL: usize = 1 << 20;
/// Write sizes, in turn: odd ones, and ones above the pipe's buffer.
const CHUNKS: [usize; 6] = [1, 4093, 65536, 100_000, 7, 30_011];
const READ_CAP: usize = 8192;

impl Stream {
    fn new(poll: &Poll, tokens: (Token, Token), seed: u32) -> Stream {
        Stream {
            writer: Pending::new(poll, tokens.0, 100_000, op_done),
            reader: Pending::new(poll, tokens.1, READ_CAP, op_done),
            seed,
            sent: 0,
            writing: 0,
            received: 0,
            reading: false,
        }
    }

    /// Starts the next write, if any is left.
    fn write_next(&mut self, to: HANDLE, n: usize) {
        if self.sent == TOTAL {
            return;
        }
        let len = CHUNKS[n % CHUNKS.len()].min(TOTAL - self.sent);
        let (sent, seed) = (self.sent, self.seed);
        for (i, b) in self.writer.buf()[..len].iter_mut().enumerate() {
            *b = pattern(sent + i, seed);
        }
        self.writer.reset();
        self.writer.write(to, len).unwrap();
        self.writing = len;
    }

    fn read_next(&mut self, from: HANDLE) {
        if self.received == TOTAL {
            return;
        }
        self.reader.reset();
        self.reader.read(from, READ_CAP).unwrap();
        self.reading = true;
    }

    /// Handles the writer's completion; `key` is the writing end's token.
    fn wrote(&mut self, to: HANDLE, key: Token, n: usize) {
        assert!(
            self.writing > 0 && self.writer.calls() == n,
            "one call per write"
        );
        let got = self.writer.result(to).unwrap();
        self.writer.check_entry(key, got);
        assert_eq!(got as usize, self.writing, "a pipe write completes whole");
        self.sent += got as usize;
        self.writing = 0;
        self.write_next(to, n);
    }

    /// Handles the reader's completion, checking every byte.
    fn read_done(&mut self, from: HANDLE, key: Token, n: usize) {
        assert!(
            self.reading && self.reader.calls() == n,
            "one call per read"
        );
        let got = self.reader.result(from).unwrap() as usize;
        self.reader.check_entry(key, got as u32);
        assert!(got > 0 && self.received + got <= TOTAL);
        let (received, seed) = (self.received, self.seed);
        for (i, &b) in self.reader.buf()[..got].iter().enumerate() {
            assert_eq!(b, pattern(received + i, seed), "byte {}", received + i);
        }
        self.received += got;
        self.reading = false;
        self.read_next(from);
    }
}

#[test]
fn named_pipe_connect_read_write_through_binding_and_overlapped() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let name = pipe_name();
    let server = server(&name);
    let server_binding = Binding::new();
    // SAFETY: every operation on `server` below starts with an `Op`'s
    // `Overlapped`, kept until its callback ran.
    unsafe { server_binding.register_handle(&server, SERVER, &poll) }.unwrap();

    // The connect is pending until a client opens the pipe.
    let connecting = Pending::new(&poll, Token(10), 0, op_done);
    connect(&server, &connecting);
    for _ in 0..3 {
        poll.poll(&mut events, Some(TICK)).unwrap();
        assert!(events.iter().all(|e| e.token() != connecting.token));
    }
    assert_eq!(connecting.calls(), 0, "no completion before a client came");

    let client = client(&name);
    let client_binding = Binding::new();
    // SAFETY: as for the server.
    unsafe { client_binding.register_handle(&client, CLIENT, &poll) }.unwrap();
    wait_for(&poll, &mut events, connecting.token);
    assert_eq!(connecting.calls(), 1);
    assert_eq!(connecting.result(raw(&server)).unwrap(), 0);
    connecting.check_entry(SERVER, 0);

    // Both directions at once: four operations in flight.
    let mut down = Stream::new(&poll, (Token(20), Token(21)), 1); // server to client
    let mut up = Stream::new(&poll, (Token(30), Token(31)), 2); // client to server
    let (s, c) = (raw(&server), raw(&client));
    let mut counts = [0usize; 4];
    down.write_next(s, 0);
    down.read_next(c);
    up.write_next(c, 0);
    up.read_next(s);
    let start = Instant::now();
    while down.received < TOTAL || up.received < TOTAL || down.writing > 0 || up.writing > 0 {
        assert!(start.elapsed() < DEADLINE, "stalled");
        poll.poll(&mut events, Some(TICK)).unwrap();
        for e in events.iter() {
            assert!(e.readiness().is_readable());
            match e.token().0 {
                20 => {
                    counts[0] += 1;
                    down.wrote(s, SERVER, counts[0]);
                }
                21 => {
                    counts[1] += 1;
                    down.read_done(c, CLIENT, counts[1]);
                }
                30 => {
                    counts[2] += 1;
                    up.wrote(c, CLIENT, counts[2]);
                }
                31 => {
                    counts[3] += 1;
                    up.read_done(s, SERVER, counts[3]);
                }
                t => panic!("unexpected token {t}"),
            }
        }
    }
    assert_eq!((down.sent, down.received), (TOTAL, TOTAL));
    assert_eq!((up.sent, up.received), (TOTAL, TOTAL));
    assert!(counts[1] >= TOTAL / READ_CAP, "{counts:?}");

    // The client goes: a read on the server ends with a broken pipe.
    let mut end = Pending::new(&poll, Token(40), 16, op_done);
    end.read(s, 16).unwrap();
    for _ in 0..2 {
        poll.poll(&mut events, Some(TICK)).unwrap();
        assert!(events.iter().all(|e| e.token() != end.token));
    }
    drop(client);
    wait_for(&poll, &mut events, end.token);
    assert_eq!(end.calls(), 1);
    let err = end.result(s).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ERROR_BROKEN_PIPE as i32));
    end.check_entry(SERVER, 0);
    assert!(end.buf().iter().all(|&b| b == 0));

    // Readiness reports stop once the registrations are deregistered.
    // SAFETY: checks only.
    unsafe { server_binding.deregister_handle(&server, &poll) }.unwrap();
    poll.deregister(&connecting.registration).unwrap();
}

#[test]
fn binding_rules() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let name = pipe_name();
    let a = server(&name);
    let b = Binding::new();

    // Not bound yet: nothing to check against.
    // SAFETY: no operation runs on these handles.
    unsafe {
        let e = b.reregister_handle(&a, SERVER, &poll).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other);
        let e = b.deregister_handle(&a, &poll).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other);

        // The reserved token is refused, and binds nothing.
        let e = b.register_handle(&a, Token(usize::MAX), &poll).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(b.reregister_handle(&a, SERVER, &poll).is_err());

        b.register_handle(&a, SERVER, &poll).unwrap();
        b.reregister_handle(&a, CLIENT, &poll).unwrap();
        b.deregister_handle(&a, &poll).unwrap();
        // A handle is associated with one port only.
        assert!(b.register_handle(&a, SERVER, &poll).is_err());

        // Bound to `poll`: another `Poll` is refused everywhere.
        let e = b.register_handle(&a, SERVER, &other).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Other);
        assert!(b.reregister_handle(&a, SERVER, &other).is_err());
        assert!(b.deregister_handle(&a, &other).is_err());

        // Another binding for a handle bound elsewhere: the system refuses.
        let b2 = Binding::new();
        assert!(b2.register_handle(&a, SERVER, &other).is_err());

        // Sockets: the same rules.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let bs = Binding::new();
        bs.register_socket(&l, Token(5), &poll).unwrap();
        bs.reregister_socket(&l, Token(5), &poll).unwrap();
        bs.deregister_socket(&l, &poll).unwrap();
        assert!(bs.reregister_socket(&l, Token(5), &other).is_err());
        assert!(bs.deregister_socket(&l, &other).is_err());
    }
    assert!(format!("{b:?}").contains("Binding"));
}

/// A socket read started on a socket bound with `register_socket`, its
/// callback setting readiness.
#[test]
fn socket_completion_through_register_socket() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut peer = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (sock, _) = l.accept().unwrap();
    let b = Binding::new();
    // SAFETY: the one operation on `sock` starts with an `Op`'s `Overlapped`.
    unsafe { b.register_socket(&sock, Token(3), &poll) }.unwrap();
    let mut op = Pending::new(&poll, Token(4), 32, op_done);
    recv(&sock, &op);
    peer.write_all(b"through the port").unwrap();
    wait_for(&poll, &mut events, op.token);
    assert_eq!(op.calls(), 1);
    op.check_entry(Token(3), 16);
    assert_eq!(&op.buf()[..16], b"through the port");
}

/// `WSARecv` into the op's buffer.
fn recv(sock: &TcpStream, op: &Pending) {
    // SAFETY: no operation runs on this op; the buffer stays in place.
    let buf = unsafe { &mut *op.op.buf.get() };
    let wsabuf = WSABUF {
        len: buf.len() as u32,
        buf: buf.as_mut_ptr(),
    };
    let mut flags = 0u32;
    // SAFETY: the buffer and the `Overlapped` stay valid and in place until
    // the callback has run; `wsabuf` is only read during the call.
    let r = unsafe {
        WSARecv(
            sock.as_raw_socket() as _,
            &wsabuf,
            1,
            ptr::null_mut(),
            &mut flags,
            op.op.overlapped.as_mut_ptr(),
            None,
        )
    };
    // SAFETY: reads this thread's last socket error.
    assert!(r == 0 || unsafe { WSAGetLastError() } == WSA_IO_PENDING);
}

/// A completion whose callback reports nothing runs the callback but does
/// not end the wait (with and without user-space readiness on the `Poll`).
#[test]
fn callback_that_reports_nothing_does_not_end_the_wait() {
    for with_queue in [false, true] {
        let poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let _keep = with_queue.then(|| {
            let (r, s) = Registration::new2();
            poll.register(&r, Token(9), Ready::readable(), PollOpt::edge())
                .unwrap();
            (r, s)
        });
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (sock, _) = l.accept().unwrap();
        let b = Binding::new();
        // SAFETY: as in `socket_completion_through_register_socket`.
        unsafe { b.register_socket(&sock, Token(3), &poll) }.unwrap();
        let op = Pending::new(&poll, Token(4), 8, count_only);
        recv(&sock, &op);
        peer.write_all(b"x").unwrap();
        let timeout = Duration::from_millis(300);
        let start = Instant::now();
        let n = poll.poll(&mut events, Some(timeout)).unwrap();
        assert!(start.elapsed() >= timeout, "returned before the timeout");
        assert_eq!(n, 0);
        // The data may have arrived only after the wait began: it ran by now
        // or runs in the next short polls.
        let start = Instant::now();
        while op.calls() == 0 && start.elapsed() < DEADLINE {
            poll.poll(&mut events, Some(TICK)).unwrap();
            assert_eq!(events.iter().count(), 0);
        }
        assert_eq!(op.calls(), 1);
        assert_eq!(op.op.bytes.load(Ordering::Relaxed), 1);
    }
}

/// A callback that panics makes that `poll` panic, but the other
/// completions it dequeued are handled: their events come.
#[test]
fn panicking_callback_loses_no_other_completion() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut peers = Vec::new();
    let mut socks = Vec::new();
    let mut bindings = Vec::new();
    for i in 0..2 {
        peers.push(TcpStream::connect(l.local_addr().unwrap()).unwrap());
        let (s, _) = l.accept().unwrap();
        let b = Binding::new();
        // SAFETY: as in `socket_completion_through_register_socket`.
        unsafe { b.register_socket(&s, Token(3 + i), &poll) }.unwrap();
        socks.push(s);
        bindings.push(b);
    }
    let bad = Pending::new(&poll, Token(10), 8, panics);
    let good = Pending::new(&poll, Token(11), 8, op_done);
    recv(&socks[0], &bad);
    recv(&socks[1], &good);
    peers[0].write_all(b"a").unwrap();
    peers[1].write_all(b"b").unwrap();
    // Let both complete before polling, so that one poll dequeues both.
    std::thread::sleep(Duration::from_millis(200));
    let mut panicked = false;
    let mut seen = false;
    let start = Instant::now();
    while !(panicked && seen) && start.elapsed() < DEADLINE {
        match panic::catch_unwind(AssertUnwindSafe(|| poll.poll(&mut events, Some(TICK)))) {
            Err(_) => panicked = true,
            Ok(r) => {
                r.unwrap();
                seen |= events.iter().any(|e| e.token() == good.token);
            }
        }
    }
    assert!(panicked, "the callback's panic goes on through poll");
    assert!(seen, "the other completion was handled");
    assert_eq!((bad.calls(), good.calls()), (1, 1));
}

/// Completions still queued when the last owner of the port goes are
/// dropped without calling back (the `Poll` that would run them is gone).
#[test]
fn completions_after_the_poll_is_gone_are_not_called_back() {
    let poll = Poll::new().unwrap();
    // The op's registration lives on another `Poll`, so that the binding is
    // the port's last owner once `poll` is dropped.
    let spare = Poll::new().unwrap();
    let name = pipe_name();
    let server = server(&name);
    let b = Binding::new();
    // SAFETY: the one operation on `server` starts with an `Op`'s `Overlapped`.
    unsafe { b.register_handle(&server, SERVER, &poll) }.unwrap();
    let client = client(&name);
    let op = Pending::new(&spare, Token(10), 16, count_only);
    op.read(raw(&server), 16).unwrap();
    drop(poll);
    // The read completes (broken pipe) onto the port the binding keeps open.
    drop(client);
    std::thread::sleep(Duration::from_millis(100));
    // The port goes with the binding, its completion still queued.
    drop(b);
    assert_eq!(op.calls(), 0);
    let err = op.result(raw(&server)).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ERROR_BROKEN_PIPE as i32));
}

/// Once the pipe, the `Poll`, the events buffer and the operations exist,
/// writing, polling, calling back and reading allocate nothing.
#[test]
fn no_allocation_per_operation() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let name = pipe_name();
    let server = server(&name);
    let client = client(&name);
    let (bs, bc) = (Binding::new(), Binding::new());
    // SAFETY: every operation on both ends starts with an `Op`'s `Overlapped`.
    unsafe {
        bs.register_handle(&server, SERVER, &poll).unwrap();
        bc.register_handle(&client, CLIENT, &poll).unwrap();
    }
    let (s, c) = (raw(&server), raw(&client));
    let mut w = Pending::new(&poll, Token(20), 64, op_done);
    let mut r = Pending::new(&poll, Token(21), 64, op_done);
    let mut round = |i: usize| {
        for (k, b) in w.buf().iter_mut().enumerate() {
            *b = pattern(i * 64 + k, 7);
        }
        w.reset();
        r.reset();
        w.write(c, 64).unwrap();
        r.read(s, 64).unwrap();
        let (mut wrote, mut got) = (false, 0usize);
        let start = Instant::now();
        while !(wrote && got == 64) {
            assert!(start.elapsed() < DEADLINE, "stalled");
            poll.poll(&mut events, Some(TICK)).unwrap();
            for e in events.iter() {
                if e.token() == w.token {
                    assert_eq!(w.result(c).unwrap(), 64);
                    wrote = true;
                } else if e.token() == r.token {
                    got = r.result(s).unwrap() as usize;
                    assert_eq!(got, 64, "a 64-byte write reads whole");
                }
            }
        }
        for (k, &b) in r.buf().iter().enumerate() {
            assert_eq!(b, pattern(i * 64 + k, 7));
        }
    };
    for i in 0..20 {
        round(i);
    }
    let ((), n) = allocations(|| {
        for i in 20..220 {
            round(i);
        }
    });
    assert_eq!(
        n, 0,
        "allocations in 200 rounds of write, poll, callback and read"
    );
}
