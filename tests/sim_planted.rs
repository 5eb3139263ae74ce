//! The planted bug of `examples/planted_bug.rs` (a server that assumes
//! `write` takes the whole buffer): the simulator finds it within 10
//! seeds, and the failing seed replays to the same failure, with the same
//! trace hash. (`cargo run --example planted_bug` shows it passing on the
//! real loopback network.)

#![cfg(evio_sim)]

#[allow(dead_code)]
#[path = "../examples/planted_bug.rs"]
mod planted;

#[test]
fn the_simulator_finds_the_planted_bug_and_replays_it() {
    let failing = (0..10).find_map(|seed| match planted::sim_run(seed) {
        (Err(e), hash) => Some((seed, e, hash)),
        (Ok(()), _) => None,
    });
    let (seed, err, hash) = failing.expect("no seed of 0..10 found the planted bug");
    let (again, hash2) = planted::sim_run(seed);
    assert_eq!(again, Err(err));
    assert_eq!(hash, hash2);
}
