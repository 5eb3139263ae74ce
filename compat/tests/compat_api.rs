//! Compile-time compatibility with the classic readiness API (mio 0.6):
//! every item of the classic API (mio 0.6.23's public items, as listed in
//! `compat_api/surface.rs`) with the classic signature, checked
//! so that this file only compiles if each one matches: functions are
//! assigned to variables of the exact fn-pointer type, traits are required
//! through bounds, and a piece of code written for the classic API builds
//! and runs with only the crate name changed.
//!
//! The checks live in `compat_api/surface.rs`, compiled against evio and,
//! on Linux, against mio 0.6.23 itself (the `mio06` dev-dependency), which
//! proves that the signatures they pin are the classic ones. What evio's
//! contract adds (`Hash` on the value types, `UnixReady::lio` everywhere)
//! is checked here, for evio only.

#![allow(deprecated)]
#![allow(clippy::type_complexity, clippy::assign_op_pattern)]

mod on_evio {
    use evio as m;
    include!("compat_api/surface.rs");
}

#[cfg(target_os = "linux")]
mod on_mio06 {
    use mio06 as m;
    include!("compat_api/surface.rs");
}

#[test]
fn evio_additions() {
    fn hash<T: std::hash::Hash>() {}
    hash::<evio::Token>();
    hash::<evio::Ready>();
    hash::<evio::PollOpt>();
    #[cfg(unix)]
    {
        use evio::unix::UnixReady;
        hash::<UnixReady>();
        let _: fn() -> UnixReady = UnixReady::lio;
        let _: fn(&UnixReady) -> bool = UnixReady::is_lio;

        // IO safety traits on the sockets (which mio 0.6 predates).
        use std::os::fd::{AsFd, OwnedFd};
        fn io_safety<T: AsFd + From<OwnedFd> + Into<OwnedFd>>() {}
        io_safety::<evio::net::TcpStream>();
        io_safety::<evio::net::TcpListener>();
        io_safety::<evio::net::UdpSocket>();
    }
    // Vectored IO over std's slices, in place of the old `IoVec`.
    use std::io::{IoSlice, IoSliceMut, Read, Write};
    let _: fn(&mut evio::net::TcpStream, &mut [IoSliceMut<'_>]) -> std::io::Result<usize> =
        <evio::net::TcpStream as Read>::read_vectored;
    let _: fn(&mut evio::net::TcpStream, &[IoSlice<'_>]) -> std::io::Result<usize> =
        <evio::net::TcpStream as Write>::write_vectored;
    let _: fn(&evio::net::UdpSocket, &mut [u8]) -> std::io::Result<usize> =
        evio::net::UdpSocket::peek;
}
