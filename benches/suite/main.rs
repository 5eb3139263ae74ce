//! evio's benchmark suite: the same workloads on evio and on its peers
//! (`mio` 1.x, `mio` 0.6.23, `polling` 3.x and a raw `libc` epoll loop).
//!
//! `cargo bench --bench suite` runs every workload and prints a table;
//! `-- --quick` runs short samples, `-- --filter WORD` only the workloads
//! whose name holds WORD, `-- --csv FILE` also writes the figures as CSV.
//! `-- --callgrind WORKLOAD PEER PARAM ITERS` runs a fixed number of
//! iterations for `benches/callgrind.sh`; `-- --accept-spread [CONNS]`
//! counts the wake-ups per accepted connection of a server with several
//! threads (see `accept.rs`); `-- --report DIR` turns the CSV
//! files that `benches/run.sh` leaves in DIR into tables and a chart.
//! See BENCHMARKS.md.

#[cfg(target_os = "linux")]
mod accept;
#[cfg(target_os = "linux")]
mod common;
#[cfg(target_os = "linux")]
mod evio_extra;
#[cfg(target_os = "linux")]
mod harness;
#[cfg(target_os = "linux")]
mod mio1;
#[cfg(target_os = "linux")]
mod polling_peer;
#[cfg(target_os = "linux")]
mod raw;
#[cfg(target_os = "linux")]
mod report;

/// evio through the classic API.
#[cfg(target_os = "linux")]
mod evio_peer {
    use evio as mio;
    include!("classic_core.rs");
    include!("classic_net.rs");
    pub use crate::evio_extra::wake;
}

/// evio on its io_uring engine, through the same source: `mio::Poll::new`
/// is `Poll::with_engine(Engine::IoUring)` here (and checks it got it).
#[cfg(target_os = "linux")]
#[allow(dead_code)] // set_readiness and timeout: the engines share that code
mod evio_uring_peer {
    mod mio {
        pub use evio::{net, unix, Events, PollOpt, Ready, Registration, Token};

        /// An evio `Poll` on the io_uring engine.
        pub struct Poll(evio::Poll);

        impl Poll {
            pub fn new() -> std::io::Result<Poll> {
                let p = evio::Poll::with_engine(evio::Engine::IoUring)?;
                assert_eq!(
                    p.engine(),
                    evio::Engine::IoUring,
                    "the io_uring engine cannot run here"
                );
                Ok(Poll(p))
            }
        }

        impl std::ops::Deref for Poll {
            type Target = evio::Poll;

            fn deref(&self) -> &evio::Poll {
                &self.0
            }
        }
    }
    include!("classic_core.rs");
    include!("classic_net.rs");
}

/// The classic implementation, mio 0.6.23, through the same source.
#[cfg(target_os = "linux")]
mod mio06_peer {
    use mio06 as mio;
    include!("classic_core.rs");
    include!("classic_net.rs");
}

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: harness::CountingAlloc = harness::CountingAlloc;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the benchmark suite runs on Linux only");
}

#[cfg(target_os = "linux")]
fn main() {
    linux::main()
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::Write;
    use std::time::Duration;

    use crate::harness::{self, Body, Config, Stats};
    use crate::{evio_peer, evio_uring_peer, mio06_peer, mio1, polling_peer, raw};

    /// The peers, in the order of every table.
    pub const PEERS: [&str; 5] = ["evio", "raw", "mio1", "mio06", "polling"];

    /// The peers of `--engines`: evio on epoll, on io_uring, and the
    /// classic implementation.
    pub const ENGINE_PEERS: [&str; 3] = ["evio", "evio_uring", "mio06"];

    /// The workloads of `--engines` (BENCHMARKS.md, "Engines").
    pub const ENGINE_SPECS: &[Spec] = &[
        Spec {
            workload: "empty_poll",
            param: 0,
            label: "empty poll, zero timeout (ns/poll)",
        },
        Spec {
            workload: "rearm",
            param: 1,
            label: "oneshot re-arm, 1 ready connection (ns/event)",
        },
        Spec {
            workload: "rearm",
            param: 100,
            label: "oneshot re-arm, 100 ready connections (ns/event)",
        },
        Spec {
            workload: "pingpong",
            param: 64,
            label: "TCP ping-pong, 64 B (ns/round trip)",
        },
        Spec {
            workload: "many",
            param: 1000,
            label: "1,000 connections echo, edge (ns/message)",
        },
        Spec {
            workload: "churn",
            param: 1,
            label: "register + deregister (ns/pair)",
        },
    ];

    /// One benchmark: a workload, its parameter, and how to label it.
    pub struct Spec {
        pub workload: &'static str,
        pub param: u64,
        pub label: &'static str,
    }

    pub const SPECS: &[Spec] = &[
        Spec {
            workload: "dispatch",
            param: 1,
            label: "dispatch, 1 ready source (ns/event)",
        },
        Spec {
            workload: "dispatch",
            param: 100,
            label: "dispatch, 100 ready sources (ns/event)",
        },
        Spec {
            workload: "dispatch",
            param: 10_000,
            label: "dispatch, 10,000 ready sources (ns/event)",
        },
        Spec {
            workload: "empty_poll",
            param: 0,
            label: "empty poll, zero timeout (ns/poll)",
        },
        Spec {
            workload: "pingpong",
            param: 64,
            label: "TCP ping-pong, 64 B (ns/round trip)",
        },
        Spec {
            workload: "many",
            param: 1000,
            label: "1,000 connections echo (ns/message)",
        },
        Spec {
            workload: "dispatch_turn",
            param: 1,
            label: "dispatch, 1 ready source, poll in a turn (ns/event)",
        },
        Spec {
            workload: "dispatch_turn",
            param: 100,
            label: "dispatch, 100 ready sources, poll in a turn (ns/event)",
        },
        Spec {
            workload: "dispatch_turn",
            param: 10_000,
            label: "dispatch, 10,000 ready sources, poll in a turn (ns/event)",
        },
        Spec {
            workload: "empty_poll_turn",
            param: 0,
            label: "empty poll, zero timeout, poll in a turn (ns/poll)",
        },
        Spec {
            workload: "pingpong_turn",
            param: 64,
            label: "TCP ping-pong, 64 B, poll in a turn (ns/round trip)",
        },
        Spec {
            workload: "many_turn",
            param: 1000,
            label: "1,000 connections echo, poll in a turn (ns/message)",
        },
        Spec {
            workload: "oneshot",
            param: 100,
            label: "oneshot re-arm, 100 sources (ns/event)",
        },
        Spec {
            workload: "oneshot_turn",
            param: 100,
            label: "oneshot re-arm, 100 sources, poll in a turn (ns/event)",
        },
        Spec {
            workload: "churn_udp",
            param: 1,
            label: "register + deregister a UDP socket (ns/pair)",
        },
        Spec {
            workload: "registration",
            param: 1,
            label: "Registration create + register + drop (ns/op)",
        },
        Spec {
            workload: "set_readiness",
            param: 1,
            label: "set_readiness -> poll, 1 thread (ns/event)",
        },
        Spec {
            workload: "set_readiness",
            param: 4,
            label: "set_readiness -> poll, 4 setter threads (ns/event)",
        },
        Spec {
            workload: "wake",
            param: 1,
            label: "wake -> poll (ns/wake)",
        },
        Spec {
            workload: "churn",
            param: 1,
            label: "register + deregister (ns/pair)",
        },
        Spec {
            workload: "timeout",
            param: 50_000,
            label: "timeout 50 us: overshoot (ns)",
        },
        Spec {
            workload: "timeout",
            param: 1_500_000,
            label: "timeout 1.5 ms: overshoot (ns)",
        },
    ];

    /// The benchmark body of `workload` for `peer`, if that peer has it.
    pub fn body(workload: &str, peer: &str, param: u64) -> Option<Body> {
        let n = param as usize;
        Some(match (workload, peer) {
            ("dispatch", "evio") => evio_peer::dispatch(n),
            ("dispatch", "raw") => raw::dispatch(n),
            ("dispatch", "mio1") => mio1::dispatch(n),
            ("dispatch", "mio06") => mio06_peer::dispatch(n),
            ("dispatch", "polling") => polling_peer::dispatch(n),
            ("empty_poll", "evio") => evio_peer::dispatch(0),
            ("empty_poll", "raw") => raw::dispatch(0),
            ("empty_poll", "mio1") => mio1::dispatch(0),
            ("empty_poll", "mio06") => mio06_peer::dispatch(0),
            ("empty_poll", "polling") => polling_peer::dispatch(0),
            ("pingpong", "evio") => evio_peer::pingpong(),
            ("pingpong", "raw") => raw::pingpong(),
            ("pingpong", "mio1") => mio1::pingpong(),
            ("pingpong", "mio06") => mio06_peer::pingpong(),
            ("pingpong", "polling") => polling_peer::pingpong(),
            ("many", "evio") => evio_peer::many(n),
            ("many", "raw") => raw::many(n),
            ("many", "mio1") => mio1::many(n),
            ("many", "mio06") => mio06_peer::many(n),
            ("many", "polling") => polling_peer::many(n),
            ("dispatch_turn", "evio") => evio_peer::dispatch_turn(n),
            ("dispatch_turn", "raw") => raw::dispatch_turn(n),
            ("dispatch_turn", "mio1") => mio1::dispatch_turn(n),
            ("dispatch_turn", "mio06") => mio06_peer::dispatch_turn(n),
            ("dispatch_turn", "polling") => polling_peer::dispatch_turn(n),
            ("empty_poll_turn", "evio") => evio_peer::dispatch_turn(0),
            ("empty_poll_turn", "raw") => raw::dispatch_turn(0),
            ("empty_poll_turn", "mio1") => mio1::dispatch_turn(0),
            ("empty_poll_turn", "mio06") => mio06_peer::dispatch_turn(0),
            ("empty_poll_turn", "polling") => polling_peer::dispatch_turn(0),
            ("pingpong_turn", "evio") => evio_peer::pingpong_turn(),
            ("pingpong_turn", "raw") => raw::pingpong_turn(),
            ("pingpong_turn", "mio1") => mio1::pingpong_turn(),
            ("pingpong_turn", "mio06") => mio06_peer::pingpong_turn(),
            ("pingpong_turn", "polling") => polling_peer::pingpong_turn(),
            ("many_turn", "evio") => evio_peer::many_turn(n),
            ("many_turn", "raw") => raw::many_turn(n),
            ("many_turn", "mio1") => mio1::many_turn(n),
            ("many_turn", "mio06") => mio06_peer::many_turn(n),
            ("many_turn", "polling") => polling_peer::many_turn(n),
            ("oneshot", "evio") => evio_peer::oneshot(n, false),
            ("oneshot", "raw") => raw::oneshot(n, false),
            ("oneshot", "mio1") => mio1::oneshot(n, false),
            ("oneshot", "mio06") => mio06_peer::oneshot(n, false),
            ("oneshot", "polling") => polling_peer::oneshot(n, false),
            ("oneshot_turn", "evio") => evio_peer::oneshot(n, true),
            ("oneshot_turn", "raw") => raw::oneshot(n, true),
            ("oneshot_turn", "mio1") => mio1::oneshot(n, true),
            ("oneshot_turn", "mio06") => mio06_peer::oneshot(n, true),
            ("oneshot_turn", "polling") => polling_peer::oneshot(n, true),
            ("churn_udp", "evio") => evio_peer::churn_udp(),
            ("churn_udp", "raw") => raw::churn_udp(),
            ("churn_udp", "mio1") => mio1::churn_udp(),
            ("churn_udp", "mio06") => mio06_peer::churn_udp(),
            ("churn_udp", "polling") => polling_peer::churn_udp(),
            ("registration", "evio") => evio_peer::registration(),
            ("registration", "mio06") => mio06_peer::registration(),
            ("set_readiness", "evio") => evio_peer::set_readiness(n),
            ("set_readiness", "mio06") => mio06_peer::set_readiness(n),
            ("wake", "evio") => evio_peer::wake(),
            ("wake", "raw") => raw::wake(),
            ("wake", "mio1") => mio1::wake(),
            ("wake", "polling") => polling_peer::wake(),
            ("churn", "evio") => evio_peer::churn(),
            ("churn", "raw") => raw::churn(),
            ("churn", "mio1") => mio1::churn(),
            ("churn", "mio06") => mio06_peer::churn(),
            ("churn", "polling") => polling_peer::churn(),
            ("empty_poll", "evio_uring") => evio_uring_peer::dispatch(0),
            ("pingpong", "evio_uring") => evio_uring_peer::pingpong(),
            ("many", "evio_uring") => evio_uring_peer::many(n),
            ("churn", "evio_uring") => evio_uring_peer::churn(),
            ("rearm", "evio") => evio_peer::rearm(n),
            ("rearm", "evio_uring") => evio_uring_peer::rearm(n),
            ("rearm", "mio06") => mio06_peer::rearm(n),
            _ => return None,
        })
    }

    /// Overshoots (ns) of `samples` empty polls with timeout `d`.
    fn timeouts(peer: &str, d: Duration, samples: usize) -> Option<Vec<f64>> {
        Some(match peer {
            "evio" => evio_peer::timeout(d, samples),
            "raw" => raw::timeout(d, samples),
            "mio1" => mio1::timeout(d, samples),
            "mio06" => mio06_peer::timeout(d, samples),
            "polling" => polling_peer::timeout(d, samples),
            _ => return None,
        })
    }

    struct Args {
        quick: bool,
        filter: Vec<String>,
        peers: Vec<String>,
        csv: Option<String>,
        callgrind: Option<Vec<String>>,
        report: Option<String>,
        engines: bool,
        accept_spread: Option<u64>,
    }

    fn args() -> Args {
        let mut a = Args {
            quick: false,
            filter: Vec::new(),
            peers: Vec::new(),
            csv: None,
            callgrind: None,
            report: None,
            engines: false,
            accept_spread: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--bench" => {} // passed by `cargo bench`
                "--quick" => a.quick = true,
                "--engines" => a.engines = true,
                "--filter" => a.filter.push(it.next().expect("--filter WORD")),
                "--peer" => a.peers.push(it.next().expect("--peer NAME")),
                "--csv" => a.csv = Some(it.next().expect("--csv FILE")),
                "--report" => a.report = Some(it.next().expect("--report DIR")),
                "--accept-spread" => {
                    a.accept_spread = Some(
                        it.next()
                            .map(|n| n.parse().expect("--accept-spread CONNS"))
                            .unwrap_or(1000),
                    )
                }
                "--callgrind" => {
                    a.callgrind = Some(
                        (0..4)
                            .map(|_| it.next().expect("--callgrind WORKLOAD PEER PARAM ITERS"))
                            .collect(),
                    )
                }
                other => a.filter.push(other.to_string()),
            }
        }
        a
    }

    pub fn main() {
        harness::raise_fd_limit();
        let args = args();
        if let Some(dir) = args.report {
            crate::report::main(&dir);
            return;
        }
        if let Some(cg) = args.callgrind {
            callgrind(&cg);
            return;
        }
        if let Some(conns) = args.accept_spread {
            crate::accept::main(conns, args.csv.as_deref());
            return;
        }
        if let Some(ns) = std::env::var("SUITE_TIMERSLACK_NS")
            .ok()
            .and_then(|v| v.parse::<libc::c_ulong>().ok())
        {
            // The thread's timer slack (50 us by default) is how late the
            // kernel may fire a timer: the floor of every timeout's overshoot.
            // SAFETY: PR_SET_TIMERSLACK takes one integer argument.
            let r = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, ns) };
            assert_eq!(r, 0, "prctl(PR_SET_TIMERSLACK)");
            println!("timer slack of this thread: {ns} ns");
        }
        let cfg = if args.quick {
            Config::quick()
        } else {
            Config::full()
        };
        let mut csv = args.csv.as_ref().map(|p| {
            let mut f = std::fs::File::create(p).expect("cannot create the CSV file");
            writeln!(
                f,
                "workload,param,peer,median_ns,min_ns,max_ns,allocs_per_op,ops"
            )
            .unwrap();
            f
        });
        println!(
            "{:<52} {:>8} {:>12} {:>12} {:>12} {:>10}",
            "benchmark", "peer", "median ns", "min ns", "max ns", "allocs/op"
        );
        // `--engines`: evio's two engines side by side (and mio 0.6.23).
        let (specs, peer_list): (&[Spec], &[&str]) = if args.engines {
            (ENGINE_SPECS, &ENGINE_PEERS)
        } else {
            (SPECS, &PEERS)
        };
        for spec in specs {
            if !args.filter.is_empty()
                && !args
                    .filter
                    .iter()
                    .any(|f| spec.workload.contains(f.as_str()))
            {
                continue;
            }
            // Descriptors the workload opens per peer (a pair per connection).
            let fds = match spec.workload {
                "dispatch" | "dispatch_turn" | "oneshot" | "oneshot_turn" => spec.param,
                "many" | "many_turn" | "rearm" => 2 * spec.param,
                _ => 0,
            };
            let mut peers = Vec::new();
            for &peer in peer_list {
                if !args.peers.is_empty() && !args.peers.iter().any(|p| p == peer) {
                    continue;
                }
                if fds + 64 > harness::fd_limit() {
                    println!(
                        "{:<52} {:>8} skipped: needs {} descriptors, the limit is {}",
                        spec.label,
                        peer,
                        fds + 64,
                        harness::fd_limit()
                    );
                    continue;
                }
                peers.push(peer);
            }
            let mut results: Vec<(&str, Stats)> = Vec::new();
            if spec.workload == "timeout" {
                let d = Duration::from_nanos(spec.param);
                let samples = if args.quick { 20 } else { 200 };
                for peer in peers {
                    if let Some(mut v) = timeouts(peer, d, samples) {
                        v.sort_by(|a, b| a.total_cmp(b));
                        let stats = Stats {
                            median_ns: harness::median(&v),
                            min_ns: v[0],
                            // The 99th percentile, not the maximum.
                            max_ns: harness::quantile(&v, 0.99),
                            allocs_per_op: 0.0,
                            ops: v.len() as u64,
                        };
                        results.push((peer, stats));
                    }
                }
            } else if spec.workload != "set_readiness"
                && fds * peers.len() as u64 + 64 <= harness::fd_limit()
            {
                // Every peer at once, their samples taken in turn. Not for
                // the setter threads of set_readiness, which would spin
                // while the other peers are timed.
                let (names, mut bodies): (Vec<&str>, Vec<Body>) = peers
                    .iter()
                    .filter_map(|&peer| Some((peer, body(spec.workload, peer, spec.param)?)))
                    .unzip();
                let stats = harness::run_interleaved(&cfg, &mut bodies);
                results.extend(names.into_iter().zip(stats));
            } else {
                for peer in peers {
                    if let Some(mut b) = body(spec.workload, peer, spec.param) {
                        results.push((peer, harness::run(&cfg, &mut b)));
                    }
                }
            }
            for (peer, stats) in results {
                println!(
                    "{:<52} {:>8} {:>12.1} {:>12.1} {:>12.1} {:>10.3}",
                    spec.label,
                    peer,
                    stats.median_ns,
                    stats.min_ns,
                    stats.max_ns,
                    stats.allocs_per_op
                );
                if let Some(f) = csv.as_mut() {
                    writeln!(
                        f,
                        "{},{},{},{:.2},{:.2},{:.2},{:.4},{}",
                        spec.workload,
                        spec.param,
                        peer,
                        stats.median_ns,
                        stats.min_ns,
                        stats.max_ns,
                        stats.allocs_per_op,
                        stats.ops
                    )
                    .unwrap();
                }
            }
        }
    }

    /// Fixed-count mode for callgrind: warms up, then runs ITERS iterations
    /// and prints how many operations they made.
    fn callgrind(a: &[String]) {
        let (workload, peer) = (a[0].as_str(), a[1].as_str());
        let param: u64 = a[2].parse().expect("PARAM is a number");
        let iters: u64 = a[3].parse().expect("ITERS is a number");
        if std::env::var("SUITE_SECOND_THREAD").is_ok_and(|v| v == "1") {
            // A thread that only sleeps: the process is multi-threaded, as
            // most event-loop programs are, and glibc's system-call wrappers
            // then take their cancellation-point path.
            std::thread::spawn(|| loop {
                std::thread::park();
            });
        }
        let mut b = body(workload, peer, param)
            .unwrap_or_else(|| panic!("no workload {workload} for {peer}"));
        // Warm-up outside the counted runs: first-call costs (symbol
        // binding, lazy set-up) are not part of an operation.
        b(64);
        let ops = b(iters);
        println!("ops {ops}");
    }
}
