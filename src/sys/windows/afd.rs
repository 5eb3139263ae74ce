//! The AFD device: readiness polls on sockets (`IOCTL_AFD_POLL`).
//!
//! AFD is the kernel driver behind Windows sockets. An `IOCTL_AFD_POLL`
//! request sent to a handle on the AFD device completes when one of the
//! asked-for conditions holds on the socket named in the request; with the
//! device handle associated with a completion port, the completion arrives
//! there like any other overlapped operation, carrying the request's APC
//! context as its `lpOverlapped`. A poll completes once: the selector sends
//! a new one to keep watching.

use std::io;
use std::mem::size_of;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtCancelIoFileEx, NtCreateFile, FILE_OPEN};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, HANDLE, NTSTATUS, STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS,
    UNICODE_STRING,
};
use windows_sys::Win32::Networking::WinSock::{
    WSAGetLastError, WSAIoctl, SIO_BASE_HANDLE, SIO_BSP_HANDLE_POLL, SOCKET, SOCKET_ERROR,
};
use windows_sys::Win32::Storage::FileSystem::{
    SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;

use super::events::{READ_CLOSED, WRITE_CLOSED};
use super::port::{Port, INTERNAL_KEY};
use crate::ready::{ERROR, HUP, READABLE, WRITABLE};
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

/// `IOCTL_AFD_POLL`: device `FILE_DEVICE_NETWORK`, function 9, buffered, any access.
const IOCTL_AFD_POLL: u32 = 0x0001_2024;

pub(crate) const POLL_RECEIVE: u32 = 0x0001;
pub(crate) const POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
pub(crate) const POLL_SEND: u32 = 0x0004;
pub(crate) const POLL_DISCONNECT: u32 = 0x0008;
pub(crate) const POLL_ABORT: u32 = 0x0010;
pub(crate) const POLL_LOCAL_CLOSE: u32 = 0x0020;
pub(crate) const POLL_ACCEPT: u32 = 0x0080;
pub(crate) const POLL_CONNECT_FAIL: u32 = 0x0100;

/// The readable direction's AFD conditions.
pub(crate) const AFD_READ: u32 = POLL_RECEIVE
    | POLL_RECEIVE_EXPEDITED
    | POLL_ACCEPT
    | POLL_DISCONNECT
    | POLL_ABORT
    | POLL_CONNECT_FAIL;
/// The writable direction's AFD conditions.
pub(crate) const AFD_WRITE: u32 = POLL_SEND | POLL_ABORT | POLL_CONNECT_FAIL;
/// What hang-up interest alone asks for: the connection reset or failed
/// (a graceful disconnect, the peer's half close, is no hang-up).
pub(crate) const AFD_HUP: u32 = POLL_ABORT | POLL_CONNECT_FAIL;

/// The AFD conditions that report `active` readiness.
pub(crate) fn afd_mask(active: usize) -> u32 {
    let mut m = 0;
    if active & READABLE != 0 {
        m |= AFD_READ;
    }
    if active & WRITABLE != 0 {
        m |= AFD_WRITE;
    }
    if active & HUP != 0 {
        m |= AFD_HUP;
    }
    if m != 0 {
        m |= POLL_LOCAL_CLOSE;
    }
    m
}

/// Readiness and closed marks for the AFD conditions in `events`.
pub(crate) fn afd_ready(events: u32) -> (usize, u32) {
    let (mut kind, mut closed) = (0, 0);
    if events & (POLL_RECEIVE | POLL_RECEIVE_EXPEDITED | POLL_ACCEPT) != 0 {
        kind |= READABLE;
    }
    if events & POLL_SEND != 0 {
        kind |= WRITABLE;
    }
    // The peer's half close: readable and end-of-stream, no hang-up.
    if events & POLL_DISCONNECT != 0 {
        kind |= READABLE;
        closed |= READ_CLOSED;
    }
    if events & POLL_ABORT != 0 {
        kind |= READABLE | WRITABLE | HUP;
        closed |= READ_CLOSED | WRITE_CLOSED;
    }
    if events & POLL_CONNECT_FAIL != 0 {
        kind |= READABLE | WRITABLE | ERROR | HUP;
        closed |= READ_CLOSED | WRITE_CLOSED;
    }
    (kind, closed)
}

/// One socket in a poll request, and what the driver found on it.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct PollHandleInfo {
    pub(crate) handle: HANDLE,
    pub(crate) events: u32,
    pub(crate) status: NTSTATUS,
}

/// The poll request and its answer (the driver writes over the request).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct PollInfo {
    pub(crate) timeout: i64,
    pub(crate) number_of_handles: u32,
    pub(crate) exclusive: u32,
    pub(crate) handles: [PollHandleInfo; 1],
}

impl PollInfo {
    pub(crate) const fn zeroed() -> PollInfo {
        PollInfo {
            timeout: 0,
            number_of_handles: 0,
            exclusive: 0,
            handles: [PollHandleInfo {
                handle: ptr::null_mut(),
                events: 0,
                status: 0,
            }],
        }
    }
}

/// The buffers of one outstanding poll: they must stay where they are
/// until its completion has been dequeued.
#[repr(C)]
pub(crate) struct PollBuffers {
    pub(crate) iosb: IO_STATUS_BLOCK,
    pub(crate) info: PollInfo,
}

impl PollBuffers {
    pub(crate) fn new() -> PollBuffers {
        PollBuffers {
            iosb: IO_STATUS_BLOCK::default(),
            info: PollInfo::zeroed(),
        }
    }

    /// The request's final status, valid once its completion was dequeued.
    pub(crate) fn status(&self) -> NTSTATUS {
        // SAFETY: both members of the union are plain data of the same
        // size; the driver writes the status member.
        unsafe { self.iosb.Anonymous.Status }
    }
}

/// Turns an NTSTATUS into the matching Win32 error.
pub(crate) fn nt_error(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure conversion function with no pointer arguments.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}

/// A handle on the AFD device, associated with a completion port; closed
/// when dropped.
#[derive(Debug)]
pub(crate) struct Afd {
    handle: OwnedHandle,
}

impl Afd {
    /// Opens `\Device\Afd\Evio` and associates it with `port`.
    pub(crate) fn open(port: &Port) -> io::Result<Afd> {
        let name: [u16; 16] = {
            let s = b"\\Device\\Afd\\Evio";
            let mut w = [0u16; 16];
            let mut i = 0;
            while i < s.len() {
                w[i] = s[i] as u16;
                i += 1;
            }
            w
        };
        let uname = UNICODE_STRING {
            Length: (name.len() * 2) as u16,
            MaximumLength: (name.len() * 2) as u16,
            Buffer: name.as_ptr() as *mut u16,
        };
        let attrs = OBJECT_ATTRIBUTES {
            Length: size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &uname,
            Attributes: 0,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut handle: HANDLE = ptr::null_mut();
        let mut iosb = IO_STATUS_BLOCK::default();
        // SAFETY: every pointer refers to a live local for the length of
        // the call; `uname` points into `name`, which outlives it.
        let status = unsafe {
            NtCreateFile(
                &mut handle,
                SYNCHRONIZE,
                &attrs,
                &mut iosb,
                ptr::null(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status != STATUS_SUCCESS {
            return Err(nt_error(status));
        }
        // SAFETY: the call succeeded: `handle` is a new, open handle that
        // nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        let afd = Afd { handle };
        // The key marks the completions as evio's own; their APC context
        // tells which slot they are for.
        port.associate(afd.handle(), INTERNAL_KEY)?;
        // SAFETY: the handle is an open file handle.
        if unsafe {
            SetFileCompletionNotificationModes(afd.handle(), FILE_SKIP_SET_EVENT_ON_HANDLE as u8)
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(afd)
    }

    /// The device handle, for [`poll`] and [`cancel`].
    pub(crate) fn handle(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }
}

/// Sends a poll for `events` on `socket` through the AFD handle `afd`; its
/// completion carries `context`.
///
/// # Safety
///
/// `afd` must be an open AFD handle; `bufs` must stay valid and untouched,
/// and `context` must stay meaningful, until the completion of this request
/// has been dequeued from the port.
pub(crate) unsafe fn poll(
    afd: HANDLE,
    bufs: *mut PollBuffers,
    socket: SOCKET,
    events: u32,
    context: *const (),
) -> io::Result<()> {
    let request = PollInfo {
        timeout: i64::MAX,
        number_of_handles: 1,
        exclusive: 0,
        handles: [PollHandleInfo {
            handle: socket as HANDLE,
            events,
            status: 0,
        }],
    };
    // SAFETY: the caller gives valid buffers that no one else touches
    // while no poll is outstanding on them; they stay valid until the
    // completion is dequeued, so the driver may write to them until then.
    let status = unsafe {
        let info = ptr::addr_of_mut!((*bufs).info);
        info.write(request);
        let iosb = ptr::addr_of_mut!((*bufs).iosb);
        (*iosb).Anonymous.Status = STATUS_PENDING;
        NtDeviceIoControlFile(
            afd,
            ptr::null_mut(),
            None,
            context as *const core::ffi::c_void,
            iosb,
            IOCTL_AFD_POLL,
            info as *const core::ffi::c_void,
            size_of::<PollInfo>() as u32,
            info as *mut core::ffi::c_void,
            size_of::<PollInfo>() as u32,
        )
    };
    // Success or pending: a completion will be queued either way.
    if status == STATUS_SUCCESS || status == STATUS_PENDING {
        Ok(())
    } else {
        Err(nt_error(status))
    }
}

/// Asks the driver to complete the poll whose buffers are `bufs` now.
///
/// # Safety
///
/// `bufs` must be the buffers of a poll sent on the open AFD handle `afd`.
pub(crate) unsafe fn cancel(afd: HANDLE, bufs: *mut PollBuffers) -> io::Result<()> {
    let mut cancel_iosb = IO_STATUS_BLOCK::default();
    // SAFETY: per the contract, `bufs` holds the status block of a request
    // sent on `afd`; `cancel_iosb` is a live local.
    let status = unsafe { NtCancelIoFileEx(afd, ptr::addr_of!((*bufs).iosb), &mut cancel_iosb) };
    // Not found: it completed already, and its completion is queued.
    if status == STATUS_SUCCESS || status == STATUS_NOT_FOUND {
        Ok(())
    } else {
        Err(nt_error(status))
    }
}

/// The base service provider's socket under `socket`: AFD only knows it.
pub(crate) fn base_socket(socket: SOCKET) -> io::Result<SOCKET> {
    match ioctl_socket(socket, SIO_BASE_HANDLE) {
        Ok(s) => Ok(s),
        Err(e) => match ioctl_socket(socket, SIO_BSP_HANDLE_POLL) {
            Ok(s) if s != socket => Ok(s),
            _ => Err(e),
        },
    }
}

fn ioctl_socket(socket: SOCKET, code: u32) -> io::Result<SOCKET> {
    let mut out: SOCKET = 0;
    let mut bytes = 0u32;
    // SAFETY: `out` and `bytes` are live locals of the sizes given; no
    // overlapped operation, so the call completes before it returns.
    let r = unsafe {
        WSAIoctl(
            socket,
            code,
            ptr::null(),
            0,
            &mut out as *mut SOCKET as *mut core::ffi::c_void,
            size_of::<SOCKET>() as u32,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    };
    if r == SOCKET_ERROR {
        // SAFETY: reads this thread's last socket error.
        return Err(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }));
    }
    Ok(out)
}
