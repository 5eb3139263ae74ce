//! Differential tests: the same scenarios run against evio and against the
//! classic readiness API it replaces (mio 0.6.23, the `mio06`
//! dev-dependency), and what each observably does is compared: the events
//! of every poll (token, readable, writable, hup, error, priority), return
//! values and error kinds.
//!
//! The scenarios live in `compat_diff/scenarios.rs`, included once with
//! `use evio as m;` and once with `use mio06 as m;`.
//!
//! Where evio differs on purpose, the test says so: each scenario lists the
//! observations where evio's value differs, with the value evio gives and
//! why. The list is the one the documentation gives its users, in the
//! migration page (`evio::migration`, "Intentional differences": each
//! comment below names its number there); the classic API's own
//! documentation decides what the behaviour should be. Everything else
//! must be identical.

#![cfg(target_os = "linux")]

use std::fmt::Debug;

/// Labelled observations of one scenario, in order.
#[derive(Default, Debug)]
pub struct Trace(Vec<(String, String)>);

impl Trace {
    pub fn rec(&mut self, label: &str, value: impl Debug) {
        self.0.push((label.to_string(), format!("{value:?}")));
    }
}

mod on_evio {
    use evio as m;
    include!("compat_diff/scenarios.rs");
}

// `Events::len` and `Events::get` are deprecated in mio 0.6.23 (not in evio).
#[allow(deprecated)]
mod on_mio {
    use mio06 as m;
    include!("compat_diff/scenarios.rs");
}

/// Compares the two traces; `differences` lists (label, evio's value) for
/// each observation where evio differs on purpose. A listed difference that
/// does not occur also fails, so that this list stays true.
fn compare(name: &str, evio: Trace, mio: Trace, differences: &[(&str, &str)]) {
    if std::env::var_os("COMPAT_SHOW").is_some() {
        for ((l, e), (_, m)) in evio.0.iter().zip(mio.0.iter()) {
            eprintln!("{name}: {l}: evio {e} | mio 0.6 {m}");
        }
    }
    let mut failures = Vec::new();
    if evio.0.len() != mio.0.len() {
        failures.push(format!(
            "{name}: {} observations with evio, {} with mio 0.6\n  evio: {:?}\n  mio:  {:?}",
            evio.0.len(),
            mio.0.len(),
            evio.0,
            mio.0
        ));
    }
    for ((el, ev), (ml, mv)) in evio.0.iter().zip(mio.0.iter()) {
        assert_eq!(el, ml, "{name}: scenario diverged in its steps");
        let listed = differences.iter().find(|(l, _)| l == el);
        match listed {
            Some((_, want)) => {
                if ev != want || ev == mv {
                    failures.push(format!(
                        "{name}: `{el}`: listed difference: evio should give {want}, mio 0.6 gives \
                         something else; got evio {ev}, mio 0.6 {mv}"
                    ));
                }
            }
            None => {
                if ev != mv {
                    failures.push(format!("{name}: `{el}`: evio {ev}, mio 0.6 {mv}"));
                }
            }
        }
    }
    for (label, _) in differences {
        if !evio.0.iter().any(|(l, _)| l == label) {
            failures.push(format!(
                "{name}: listed difference `{label}` was never observed"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

macro_rules! differential {
    ($($name:ident => [$(($label:expr, $evio:expr)),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                let evio = on_evio::$name();
                let mio = on_mio::$name();
                compare(stringify!($name), evio, mio, &[$(($label, $evio)),*]);
            }
        )*
    };
}

// Hang-up, the trigger mode without options, a clone's binding and a poll
// woken by a registration dropped after its `set_readiness` all behave as
// in mio 0.6.23 (no listed difference): a peer's half close (or close,
// which is one FIN) is readable only, hang-up comes once both directions
// are shut; `PollOpt::empty()` is level; a `try_clone` shares its binding;
// and such a poll returns with no event.
differential! {
    tcp_accept => [];
    tcp_connect_echo => [
        // mio 0.6's streams have no vectored IO of their own (it had
        // `read_bufs`/`write_bufs` over `IoVec`), so std's default
        // `write_vectored`/`read_vectored` use the first buffer only. evio
        // does real vectored IO (migration page, difference 3).
        ("write_vectored", "\"Ok(4)\""),
        ("read_vectored", "\"4 [97, 98, 99] [100, 0, 0]\""),
    ];
    tcp_peer_close => [];
    tcp_half_close => [];
    tcp_connect_refused => [];
    tcp_reset => [];
    tcp_options => [];
    udp => [];
    trigger_edge => [];
    trigger_level => [];
    trigger_edge_oneshot => [];
    // mio 0.6 honours oneshot only together with edge on its own queue, but
    // sockets go to epoll, which honours it either way: no difference here.
    trigger_level_oneshot => [];
    trigger_edge_and_level => [];
    // Neither edge nor level: level, in both.
    trigger_empty => [];
    // Oneshot alone: one event, then disarmed, either way.
    trigger_oneshot_alone => [];
    reregister_interest => [
        // Registering with the reserved token is `InvalidInput`; mio 0.6
        // says `Other` ("invalid token") (migration page, difference 1).
        ("reserved token (register)", "\"InvalidInput\""),
        ("reserved token (reregister)", "\"InvalidInput\""),
    ];
    deregister => [];
    clone_binding => [];
    interest_kinds => [];
    registration => [
        // mio 0.6 keeps a Registration's readiness in 4 bits and turns a
        // user-space event into epoll flags with its interest conversion,
        // which has no error or hang-up: set hang-up, error and priority
        // never reach its events. evio delivers what `set_readiness` set
        // within the interest (migration page, difference 2).
        ("hup", "\"9:--h--\""),
        ("error and priority", "\"9:r--e-\""),
        ("readiness", "\"Readable | Error | Priority\""),
        ("all", "\"9:r-he-\""),
    ];
    registration_outlives_poll => [];
    poll_woken_for_nothing => [];
    registration_wakes_poll => [];
    registration_deprecated_forms => [];
    // A Registration registered twice, reregistered or deregistered when
    // not registered: no error, in both (a socket gives `AlreadyExists` or
    // `NotFound` in both).
    registration_misuse => [];
    capacity => [];
    events_api => [];
    values => [
        // `!` is the complement within `Ready::all()` in evio (`all` holds
        // every readiness bit), where mio 0.6 flips every bit of the word
        // (migration page, difference 4). Their effect on the named kinds
        // is the same (compared above).
        ("!readable as_usize", "78"),
        // evio's `Ready` Debug names every kind it holds; mio 0.6's names
        // only the four portable ones, printing priority as "(empty)"
        // (migration page, difference 5).
        ("Ready all Debug", "\"Readable | Writable | Error | Hup | Priority\""),
        ("Ready unix priority Debug", "\"Priority\""),
        // `urgent` is deprecated and ignored in mio 0.6 (no Debug name);
        // evio honours it and names it (migration page, difference 5).
        ("PollOpt urgent Debug", "\"Urgent\""),
    ];
    // mio 0.6 on Linux prints "Aio" for every `UnixReady`: its `aio()` is
    // the empty set there and its Debug tests `contains(aio())`, always
    // true. evio names only what is set (migration page, difference 5).
    unix_ready_debug => [
        ("UnixReady empty Debug", "\"(empty)\""),
        ("UnixReady readable Debug", "\"Readable\""),
        ("UnixReady hup Debug", "\"Hup\""),
        ("UnixReady error Debug", "\"Error\""),
        ("UnixReady priority Debug", "\"Priority\""),
        ("UnixReady all Debug", "\"Readable | Writable | Error | Hup | Priority\""),
    ];
}
