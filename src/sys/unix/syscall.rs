//! Raw system calls for the hot path on x86-64 and AArch64 Linux and
//! Android: the call and its error test, with the arguments in the
//! registers the kernel reads them from, and nothing else (no wrapper, no
//! conversion). Everywhere else, and for every other call, evio goes
//! through rustix.

use std::io;

/// A raw return value: the result, or (`-4095..=-1`) an error number.
#[inline]
pub(crate) fn result(ret: usize) -> Result<usize, i32> {
    if ret > -4096isize as usize {
        Err(-(ret as isize) as i32)
    } else {
        Ok(ret)
    }
}

/// A raw return value as an `io::Result`.
#[inline]
pub(crate) fn cvt(ret: usize) -> io::Result<usize> {
    match result(ret) {
        Ok(n) => Ok(n),
        Err(errno) => Err(error(errno)),
    }
}

#[cold]
#[inline(never)]
pub(crate) fn error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// System call `nr` with six arguments; the kernel's return value.
///
/// # Safety
///
/// The arguments must be valid for system call `nr` (and the memory it
/// reads or writes valid for the call).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) unsafe fn syscall6(
    nr: libc::c_long,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> usize {
    let ret: usize;
    // SAFETY: the x86-64 Linux system call convention: the number in rax,
    // the arguments in rdi, rsi, rdx, r10, r8 and r9, the result in rax;
    // the kernel clobbers rcx and r11 and nothing else, and restores the
    // flags. The caller vouches for the arguments.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as usize => ret,
            in("rdi") a0,
            in("rsi") a1,
            in("rdx") a2,
            in("r10") a3,
            in("r8") a4,
            in("r9") a5,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// System call `nr` with four arguments (the registers of the other two
/// are left alone, so the caller keeps its own values there).
///
/// # Safety
///
/// As `syscall6`.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) unsafe fn syscall4(
    nr: libc::c_long,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
) -> usize {
    let ret: usize;
    // SAFETY: as in `syscall6`, with four arguments.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as usize => ret,
            in("rdi") a0,
            in("rsi") a1,
            in("rdx") a2,
            in("r10") a3,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// System call `nr` with three arguments.
///
/// # Safety
///
/// As `syscall6`.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) unsafe fn syscall3(nr: libc::c_long, a0: usize, a1: usize, a2: usize) -> usize {
    let ret: usize;
    // SAFETY: as in `syscall6`, with three arguments.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as usize => ret,
            in("rdi") a0,
            in("rsi") a1,
            in("rdx") a2,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// System call `nr` with six arguments; the kernel's return value.
///
/// # Safety
///
/// The arguments must be valid for system call `nr` (and the memory it
/// reads or writes valid for the call).
#[cfg(target_arch = "aarch64")]
#[inline]
pub(crate) unsafe fn syscall6(
    nr: libc::c_long,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> usize {
    let ret: usize;
    // SAFETY: the AArch64 Linux system call convention: the number in x8,
    // the arguments in x0 to x5, the result in x0; no other register is
    // changed. The caller vouches for the arguments.
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr as usize,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            in("x3") a3,
            in("x4") a4,
            in("x5") a5,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// System call `nr` with four arguments.
///
/// # Safety
///
/// As `syscall6`.
#[cfg(target_arch = "aarch64")]
#[inline]
pub(crate) unsafe fn syscall4(
    nr: libc::c_long,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
) -> usize {
    let ret: usize;
    // SAFETY: as in `syscall6`, with four arguments.
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr as usize,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            in("x3") a3,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// System call `nr` with three arguments.
///
/// # Safety
///
/// As `syscall6`.
#[cfg(target_arch = "aarch64")]
#[inline]
pub(crate) unsafe fn syscall3(nr: libc::c_long, a0: usize, a1: usize, a2: usize) -> usize {
    let ret: usize;
    // SAFETY: as in `syscall6`, with three arguments.
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr as usize,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            options(nostack, preserves_flags),
        );
    }
    ret
}

/// A descriptor (or any C int) as a system call argument: sign-extended,
/// as the kernel reads it.
#[inline]
pub(crate) fn int(x: libc::c_int) -> usize {
    x as isize as usize
}
