//! The kqueue selector (macOS, iOS, FreeBSD, NetBSD).
