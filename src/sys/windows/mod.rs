//! The Windows backend: an IO completion port with AFD readiness polls.
//!
//! The modules, each depending only on those listed after it (no cycle):
//! - [`selector`]: the wait and the re-arm list (`Selector`) → `state`,
//!   `overlapped`, `shared`, `slot`, `port`, `events`;
//! - [`state`]: a socket's side of its registration (`IoSourceState`) →
//!   `shared`, `slot`, `afd`;
//! - [`waker`] (`Waker`) and [`overlapped`] (`Binding`, `Overlapped`) →
//!   `shared`;
//! - [`shared`]: what all of the above share (the port and the slab), and
//!   the one decoder of evio's completion contexts → `slot`, `afd`, `port`;
//! - [`slot`]: a registered socket's state machines and the slab of slots
//!   → `afd`, `port`;
//! - [`afd`]: the AFD device and its poll request → `port`, `events`;
//! - [`port`]: the completion port (an owned handle);
//! - [`events`]: the records `select` fills in;
//! - [`net`]: socket calls, through socket2 and Winsock.

mod afd;
mod events;
pub(crate) mod net;
pub(crate) mod overlapped;
mod port;
mod selector;
mod shared;
mod slot;
mod state;
mod waker;

pub(crate) use self::events::{event, Events, SysEvent};
pub(crate) use self::selector::Selector;
pub(crate) use self::state::IoSourceState;
pub(crate) use self::waker::Waker;

/// The completion port's wait takes a record list of length 0 without
/// complaint, so `Poll::poll` checks the capacity itself.
pub(crate) const SELECT_REJECTS_ZERO_CAPACITY: bool = false;
/// No error number means a wait interrupted by a signal: Windows waits are
/// never interrupted so.
pub(crate) const EINTR: i32 = -1;

#[cfg(test)]
mod tests;
