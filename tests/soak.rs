//! Soak, short configuration: a checksummed echo load in waves through one
//! `Poll` (the engine is `examples/soak.rs`, which runs it long). Every
//! byte must come back exactly, the descriptor count must return to its
//! starting value after each wave and at the end, and resident memory must
//! stay flat from the second wave on.
//!
//! The test raises `RLIMIT_NOFILE` and counts the process's descriptors, so
//! it is the only test of its binary. `EVIO_SOAK_WAVES` and
//! `EVIO_SOAK_CONNS` change its size.

#![cfg(unix)]

#[path = "../examples/soak.rs"]
#[allow(dead_code)]
mod soak_example;

use std::time::Duration;

use soak_example::soak::{run, Config};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn echo_soak_in_waves() {
    let cfg = Config {
        waves: env("EVIO_SOAK_WAVES", 3),
        conns: env("EVIO_SOAK_CONNS", 300),
        max_size: 96 * 1024,
        seed: 0xfeed,
        deadline: Duration::from_secs(240),
    };
    let report = run(&cfg).expect("soak run");
    eprintln!("{report}");
    assert_eq!(report.connections(), cfg.waves * cfg.conns);
    assert!(report.bytes() > 0);
    assert!(
        report
            .waves
            .iter()
            .all(|w| w.partial_writes + w.partial_reads > 0),
        "the load never produced a partial read or write"
    );
    report.check().unwrap();
}
