//! The classic API's `channel` module: a std channel whose receiver is
//! `Evented`, in edge and level mode, across threads.

use std::collections::HashSet;
use std::sync::mpsc::TryRecvError;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use evio::channel::{self, SendError, TrySendError};
use evio::{Events, Poll, PollOpt, Ready, Token};

const RX: Token = Token(3);
const DEADLINE: Duration = Duration::from_secs(20);

/// One poll with a short timeout: the tokens it reported.
fn tokens(poll: &Poll, events: &mut Events) -> Vec<Token> {
    poll.poll(events, Some(Duration::from_millis(50))).unwrap();
    events.iter().map(|e| e.token()).collect()
}

#[test]
fn edge_receiver_sees_every_message_from_many_threads() {
    const SENDERS: usize = 4;
    const EACH: usize = 2_000;
    let poll = Poll::new().unwrap();
    let (tx, rx) = channel::channel::<(usize, usize)>();
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();

    let threads: Vec<_> = (0..SENDERS)
        .map(|t| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    tx.send((t, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);

    let mut events = Events::with_capacity(8);
    let mut seen = HashSet::new();
    let mut last = [None; SENDERS];
    let start = Instant::now();
    let mut disconnected = false;
    while !disconnected {
        assert!(
            start.elapsed() < DEADLINE,
            "{} of {} messages",
            seen.len(),
            SENDERS * EACH
        );
        poll.poll(&mut events, Some(Duration::from_secs(1)))
            .unwrap();
        // Edge: drain until empty before waiting again.
        loop {
            match rx.try_recv() {
                Ok((t, i)) => {
                    assert!(seen.insert((t, i)), "message {t}/{i} twice");
                    // Each sender's messages arrive in the order sent.
                    assert!(
                        last[t].is_none_or(|l| l < i),
                        "{t}: {i} after {:?}",
                        last[t]
                    );
                    last[t] = Some(i);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(seen.len(), SENDERS * EACH);
}

#[test]
fn level_receiver_is_reported_while_messages_are_pending() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::channel::<u8>();
    poll.register(&rx, RX, Ready::readable(), PollOpt::level())
        .unwrap();
    assert!(tokens(&poll, &mut events).is_empty());

    tx.send(1).unwrap();
    tx.send(2).unwrap();
    // Level: every poll, until nothing is pending.
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv().unwrap(), 1);
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv().unwrap(), 2);
    assert!(tokens(&poll, &mut events).is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));

    // The last sender going makes it readable, to tell the disconnection.
    drop(tx);
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn edge_receiver_reports_once_per_arrival_after_drain() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::channel::<u8>();
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    // Not drained: no new edge.
    assert!(tokens(&poll, &mut events).is_empty());
    assert_eq!(rx.try_recv().unwrap(), 1);
    assert_eq!(rx.try_recv().unwrap(), 2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(3).unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv().unwrap(), 3);
}

#[test]
fn messages_sent_before_registering_are_reported() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::channel::<&str>();
    tx.send("early").unwrap();
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv().unwrap(), "early");
}

#[test]
fn a_blocked_poll_is_woken_by_a_send_from_another_thread() {
    let poll = Poll::new().unwrap();
    let (tx, rx) = channel::channel::<u32>();
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        tx.send(42).unwrap();
        tx
    });
    let mut events = Events::with_capacity(8);
    let start = Instant::now();
    // No timeout: only the send can end this wait.
    while events.is_empty() {
        assert!(start.elapsed() < DEADLINE);
        poll.poll(&mut events, None).unwrap();
    }
    assert_eq!(events.iter().next().unwrap().token(), RX);
    assert_eq!(rx.try_recv().unwrap(), 42);
    drop(t.join().unwrap());
}

#[test]
fn sync_channel_full_and_disconnected() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::sync_channel::<u8>(1);
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();
    tx.try_send(1).unwrap();
    match tx.try_send(2) {
        Err(TrySendError::Full(2)) => {}
        other => panic!("expected Full(2), got {other:?}"),
    }
    assert_eq!(tokens(&poll, &mut events), [RX]);
    assert_eq!(rx.try_recv().unwrap(), 1);

    // A bounded send waits for room, then is received.
    let tx2 = tx.clone();
    let t = thread::spawn(move || {
        for i in 10..20 {
            tx2.send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < 10 {
        assert!(start.elapsed() < DEADLINE);
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .unwrap();
        while let Ok(v) = rx.try_recv() {
            got.push(v);
        }
    }
    t.join().unwrap();
    assert_eq!(got, (10..20).collect::<Vec<_>>());

    drop(rx);
    match tx.try_send(7) {
        Err(TrySendError::Disconnected(7)) => {}
        other => panic!("expected Disconnected(7), got {other:?}"),
    }
    match tx.send(8) {
        Err(SendError::Disconnected(8)) => {}
        other => panic!("expected Disconnected(8), got {other:?}"),
    }
}

#[test]
fn unbounded_send_to_a_dropped_receiver_gives_the_value_back() {
    let (tx, rx) = channel::channel::<String>();
    drop(rx);
    match tx.send("kept".to_string()) {
        Err(SendError::Disconnected(s)) => assert_eq!(s, "kept"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    let e = tx.send(String::new()).unwrap_err();
    assert!(e.to_string().contains("receiver"), "{e}");
}

#[test]
fn registration_misuse_is_an_error() {
    // Errors of kind `Other`, as the classic channel gives.
    let poll = Poll::new().unwrap();
    let (_tx, rx) = channel::channel::<u8>();
    let kind = |r: std::io::Result<()>| r.unwrap_err().kind();
    assert_eq!(
        kind(poll.reregister(&rx, RX, Ready::readable(), PollOpt::edge())),
        std::io::ErrorKind::Other
    );
    assert_eq!(kind(poll.deregister(&rx)), std::io::ErrorKind::Other);
    poll.register(&rx, RX, Ready::readable(), PollOpt::edge())
        .unwrap();
    assert_eq!(
        kind(poll.register(&rx, RX, Ready::readable(), PollOpt::edge())),
        std::io::ErrorKind::Other
    );
    poll.reregister(&rx, Token(4), Ready::readable(), PollOpt::level())
        .unwrap();
    poll.deregister(&rx).unwrap();
    // Deregistering twice is harmless, as for the Registration inside.
    poll.deregister(&rx).unwrap();
}

#[test]
fn reregister_changes_token_and_deregister_silences() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::channel::<u8>();
    poll.register(&rx, RX, Ready::readable(), PollOpt::level())
        .unwrap();
    tx.send(1).unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    poll.reregister(&rx, Token(9), Ready::readable(), PollOpt::level())
        .unwrap();
    assert_eq!(tokens(&poll, &mut events), [Token(9)]);
    poll.deregister(&rx).unwrap();
    assert!(tokens(&poll, &mut events).is_empty());
    assert_eq!(rx.try_recv().unwrap(), 1);
}

#[test]
fn ctl_pair_counts_in_and_out() {
    let poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, rx) = channel::ctl_pair();
    poll.register(&rx, RX, Ready::readable(), PollOpt::level())
        .unwrap();
    tx.inc().unwrap();
    tx.inc().unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    rx.dec().unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
    rx.dec().unwrap();
    assert!(tokens(&poll, &mut events).is_empty());
    // More counted out than in is harmless.
    rx.dec().unwrap();
    assert!(tokens(&poll, &mut events).is_empty());
    tx.inc().unwrap();
    assert_eq!(tokens(&poll, &mut events), [RX]);
}

#[test]
fn receiver_is_send_and_senders_are_send_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<channel::Receiver<u8>>();
    send::<channel::Sender<u8>>();
    send::<channel::SyncSender<u8>>();
    sync::<channel::SyncSender<u8>>();
    // A Receiver registered through an Arc'd Poll from another thread.
    let poll = Arc::new(Poll::new().unwrap());
    let (_tx, rx) = channel::channel::<u8>();
    let p = poll.clone();
    thread::spawn(move || {
        p.register(&rx, RX, Ready::readable(), PollOpt::edge())
            .unwrap();
        rx
    })
    .join()
    .unwrap();
}
