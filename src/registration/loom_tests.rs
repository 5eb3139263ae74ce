//! Loom models of the readiness queue between setters and `poll`.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib registration::loom`.
//! Each model drives the queue directly (the `Poll` and its selector are not
//! modelled): `deliver_with` stands for a `poll`, the waker is a counter, and
//! `close` stands for dropping the `Poll`. Loom explores the interleavings and
//! the weak-memory outcomes, and fails a model on a leaked node or queue
//! (a node carries a tracked value) or a doubly released one.

use loom::thread;

use super::queue::{Node, NodeRef, ReadinessQueue};
use crate::{PollOpt, Ready, Token};

fn registered(q: &ReadinessQueue, token: usize, interest: Ready, opts: PollOpt) -> NodeRef {
    let node = NodeRef::new_pair().0;
    node.bind(q).unwrap();
    Node::configure(&node, Token(token), interest, opts).unwrap();
    node
}

/// One modelled `poll` with room for `room` events.
fn poll(q: &ReadinessQueue, room: usize) -> Vec<(usize, Ready)> {
    let mut out = Vec::new();
    q.deliver_with(room, |t, r| out.push((t.0, r)));
    out
}

/// A set racing a poll: exactly one edge event in all, nothing left queued.
#[test]
fn set_racing_poll() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::edge());
        let setter = {
            let node = node.clone();
            thread::spawn(move || Node::set_readiness(&node, Ready::readable()).unwrap())
        };
        let mut got = poll(&q, 4);
        setter.join().unwrap();
        got.extend(poll(&q, 4));
        assert_eq!(got, vec![(1, Ready::readable())]);
        assert!(!q.has_pending());
        q.close();
    });
}

/// A set racing a reregister (and a poll): whatever the order, the final
/// state (token 2, readable) is what gets reported, and nothing else ever is.
#[test]
fn set_racing_reregister() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::writable(), PollOpt::edge());
        let setter = {
            let node = node.clone();
            thread::spawn(move || Node::set_readiness(&node, Ready::readable()).unwrap())
        };
        let rereg = {
            let node = node.clone();
            thread::spawn(move || {
                Node::configure(&node, Token(2), Ready::readable(), PollOpt::edge()).unwrap()
            })
        };
        let mut got = poll(&q, 4);
        setter.join().unwrap();
        rereg.join().unwrap();
        got.extend(poll(&q, 4));
        assert!(!got.is_empty());
        assert!(got.len() <= 2);
        for e in &got {
            assert_eq!(*e, (2, Ready::readable()));
        }
        assert!(poll(&q, 4).is_empty());
        q.close();
    });
}

/// Level: a set to empty racing a poll ends with no event, and a level node
/// that keeps firing stays queued (through the backlog) until it is cleared.
#[test]
fn level_clear_racing_poll() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::level());
        Node::set_readiness(&node, Ready::readable()).unwrap();
        let setter = {
            let node = node.clone();
            thread::spawn(move || Node::set_readiness(&node, Ready::empty()).unwrap())
        };
        let raced = poll(&q, 4);
        assert!(raced.len() <= 1);
        setter.join().unwrap();
        // At most one more look finds it set (queued before the clear).
        let after = poll(&q, 4);
        assert!(after.is_empty());
        assert!(!q.has_pending());
        q.close();
    });
}

/// Oneshot: two sets racing a poll give exactly one event until re-armed.
#[test]
fn oneshot_racing_poll() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::oneshot());
        let setter = {
            let node = node.clone();
            thread::spawn(move || {
                Node::set_readiness(&node, Ready::readable()).unwrap();
                Node::set_readiness(&node, Ready::readable() | Ready::writable()).unwrap();
            })
        };
        let mut got = poll(&q, 4);
        setter.join().unwrap();
        got.extend(poll(&q, 4));
        assert_eq!(got, vec![(1, Ready::readable())]);
        Node::configure(&node, Token(3), Ready::readable(), PollOpt::oneshot()).unwrap();
        assert_eq!(poll(&q, 4), vec![(3, Ready::readable())]);
        q.close();
    });
}

/// Dropping the `Registration` racing a set and a poll: no event after the
/// drop is seen, and every reference is given back (loom checks leaks).
#[test]
fn drop_racing_set_and_poll() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::level());
        let setter = {
            let node = node.clone();
            thread::spawn(move || Node::set_readiness(&node, Ready::readable()).unwrap())
        };
        let dropper = thread::spawn(move || {
            node.drop_registration();
            drop(node);
        });
        let _ = poll(&q, 4);
        setter.join().unwrap();
        dropper.join().unwrap();
        assert!(poll(&q, 4).is_empty());
        q.close();
    });
}

/// Dropping the `Poll` (closing the queue) racing a set: the node and the
/// queue are both freed, whichever comes first.
#[test]
fn close_racing_set() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::edge());
        let setter = thread::spawn(move || {
            Node::set_readiness(&node, Ready::readable()).unwrap();
            node.drop_registration();
        });
        q.close();
        drop(q);
        setter.join().unwrap();
    });
}

/// No lost wake-up: a poller that counts itself as a waiter and finds
/// nothing queued and no wake-up pending blocks; then, at the end, either
/// nothing is queued or a wake-up is pending for it. Two nodes, so one push lands on a non-empty stack.
#[test]
fn wake_up_not_lost() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let a = registered(&q, 1, Ready::readable(), PollOpt::edge());
        let b = registered(&q, 2, Ready::readable(), PollOpt::edge());
        let sa = thread::spawn(move || Node::set_readiness(&a, Ready::readable()).unwrap());
        let sb = thread::spawn(move || Node::set_readiness(&b, Ready::readable()).unwrap());
        let mut seen = Vec::new();
        let mut blocked = None;
        for _ in 0..2 {
            let woken = q.waker().take() > 0;
            if !woken {
                // Counted as a waiter, with nothing queued: it blocks.
                if let Some(guard) = q.begin_wait() {
                    blocked = Some(guard);
                    break;
                }
            }
            seen.extend(poll(&q, 4));
        }
        sa.join().unwrap();
        sb.join().unwrap();
        if blocked.is_some() {
            assert!(!q.has_pending() || q.waker().take() > 0);
        }
        seen.extend(poll(&q, 4));
        seen.sort_unstable_by_key(|e| e.0);
        assert_eq!(seen, vec![(1, Ready::readable()), (2, Ready::readable())]);
        q.close();
    });
}

/// Two polls at once with room for one event each, over a level node and an
/// edge node: both backlogs are merged, each node stays queued once, and the
/// next polls deliver both.
#[test]
fn concurrent_polls_with_small_room() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let level = registered(&q, 1, Ready::readable(), PollOpt::level());
        let edge = registered(&q, 2, Ready::readable(), PollOpt::edge());
        Node::set_readiness(&level, Ready::readable()).unwrap();
        Node::set_readiness(&edge, Ready::readable()).unwrap();
        let other = {
            let q = q.clone();
            thread::spawn(move || poll(&q, 1))
        };
        let mut got = poll(&q, 1);
        got.extend(other.join().unwrap());
        let edges_seen = got.iter().filter(|e| e.0 == 2).count();
        assert!(edges_seen <= 1);
        // Two more polls: the level node again, the edge one if still due.
        let mut next = poll(&q, 1);
        next.extend(poll(&q, 1));
        assert!(next.contains(&(1, Ready::readable())));
        let edges = edges_seen + next.iter().filter(|e| e.0 == 2).count();
        assert_eq!(edges, 1);
        q.close();
    });
}

/// A deregister racing a set and a poll: once both are done nothing is
/// reported, and registering again reports the readiness that was set.
#[test]
fn deregister_racing_set() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::edge());
        let setter = {
            let node = node.clone();
            thread::spawn(move || Node::set_readiness(&node, Ready::readable()).unwrap())
        };
        let dereg = {
            let node = node.clone();
            thread::spawn(move || node.deregister())
        };
        let raced = poll(&q, 4);
        assert!(raced.len() <= 1);
        setter.join().unwrap();
        dereg.join().unwrap();
        assert!(poll(&q, 4).is_empty());
        Node::configure(&node, Token(2), Ready::readable(), PollOpt::edge()).unwrap();
        assert_eq!(poll(&q, 4), vec![(2, Ready::readable())]);
        q.close();
    });
}

/// Two registers at once: both succeed (a register of a registered
/// `Registration` is a reregister, as in the classic API), and the node
/// ends up with one of the two tokens, reported once.
#[test]
fn register_racing_register() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = NodeRef::new_pair().0;
        node.bind(&q).unwrap();
        let other = {
            let node = node.clone();
            thread::spawn(move || {
                Node::configure(&node, Token(1), Ready::readable(), PollOpt::edge()).unwrap()
            })
        };
        Node::configure(&node, Token(2), Ready::readable(), PollOpt::edge()).unwrap();
        other.join().unwrap();
        Node::set_readiness(&node, Ready::readable()).unwrap();
        let got = poll(&q, 4);
        assert!(
            got == vec![(1, Ready::readable())] || got == vec![(2, Ready::readable())],
            "{got:?}"
        );
        q.close();
    });
}

/// Two setters and a poll with room for one event: a level node toggled
/// readable, empty, readable, and an edge node set once. The edge event is
/// delivered exactly once, and the level node ends up reported (its final
/// readiness) by every later poll.
///
/// Three threads with many steps: explored up to four preemptions (about
/// 20,000 interleavings) unless `LOOM_MAX_PREEMPTIONS` says otherwise; the
/// unbounded space is too large for CI.
#[test]
fn setters_racing_small_polls() {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    builder.check(|| {
        let q = ReadinessQueue::for_model();
        let level = registered(&q, 1, Ready::readable(), PollOpt::level());
        let edge = registered(&q, 2, Ready::readable(), PollOpt::edge());
        let a = {
            let level = level.clone();
            thread::spawn(move || {
                Node::set_readiness(&level, Ready::readable()).unwrap();
                Node::set_readiness(&level, Ready::empty()).unwrap();
                Node::set_readiness(&level, Ready::readable()).unwrap();
            })
        };
        let b = thread::spawn(move || Node::set_readiness(&edge, Ready::readable()).unwrap());
        let mut got = poll(&q, 1);
        got.extend(poll(&q, 1));
        a.join().unwrap();
        b.join().unwrap();
        for _ in 0..2 {
            got.extend(poll(&q, 1));
        }
        assert_eq!(got.iter().filter(|e| e.0 == 2).count(), 1);
        for _ in 0..2 {
            assert_eq!(poll(&q, 1), vec![(1, Ready::readable())]);
        }
        q.close();
    });
}

/// The references of a node given back on three threads at once, one of
/// them while the node is queued: whichever is last frees it (with the
/// queue's reference it holds), once; loom fails the model on a leak.
#[test]
fn last_reference_on_any_thread() {
    loom::model(|| {
        let q = ReadinessQueue::for_model();
        let node = registered(&q, 1, Ready::readable(), PollOpt::edge());
        let set = node.clone();
        let other = node.clone();
        let setter = thread::spawn(move || {
            Node::set_readiness(&set, Ready::readable()).unwrap();
            drop(set);
        });
        let dropper = thread::spawn(move || {
            other.drop_registration();
            drop(other);
        });
        drop(node);
        let _ = poll(&q, 4);
        setter.join().unwrap();
        dropper.join().unwrap();
        q.close();
    });
}
