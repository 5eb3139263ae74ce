//! Networking primitives: non-blocking TCP and UDP sockets.
