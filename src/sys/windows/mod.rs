//! The Windows backend: an IO completion port with AFD readiness polls.

mod afd;
mod events;
pub(crate) mod net;
pub(crate) mod overlapped;
mod selector;
mod state;
mod waker;

pub(crate) use self::events::{event, Events};
pub(crate) use self::selector::Selector;
pub(crate) use self::state::IoSourceState;
pub(crate) use self::waker::Waker;

#[cfg(test)]
mod tests;
