//! The Windows backend: an IO completion port with AFD readiness polls.

mod afd;
pub(crate) mod net;
mod selector;

pub(crate) use self::selector::{event, Events, IoSourceState, Selector, Waker};

#[cfg(test)]
mod tests;
