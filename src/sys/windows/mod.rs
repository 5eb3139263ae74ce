//! The Windows backend: an IO completion port with AFD readiness polls.
