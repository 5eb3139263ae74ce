//! tokio-process 0.2 and tokio-signal 0.2 (Unix): child processes whose
//! pipes are registered through `EventedFd`, their exits seen through
//! SIGCHLD (a signal pipe made with mio-uds), and a signal sent to this
//! process by a child.
//!
//! - several `cat` children at once, each fed its own byte pattern on its
//!   standard input while its standard output is read back and checked byte
//!   for byte, then its exit status;
//! - children that exit with a given status (`sh -c 'exit N'`), all waited
//!   for together;
//! - a child that runs `kill -USR1` on this process, seen through a
//!   tokio-signal stream.
//!
//! Exits non-zero on any mismatch, error or time-out.

#[cfg(unix)]
fn main() {
    unix::main()
}

#[cfg(not(unix))]
fn main() {
    println!("tokio_process: Unix only, nothing to do");
}

#[cfg(unix)]
mod unix {
    use std::io;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use evio_ecosystem::{fail, Pattern};
    use futures::{future, Future, IntoFuture, Stream};
    use tokio::util::FutureExt;
    use tokio_process::CommandExt;

    const CATS: usize = 6;
    const CAT_BYTES: usize = 300_000;
    const EXITS: i32 = 8;
    const DEADLINE: Duration = Duration::from_secs(60);

    /// One `cat` child: writes `CAT_BYTES` of pattern `seed` to its standard
    /// input, closes it, and checks what comes back; yields the byte count.
    fn cat_roundtrip(seed: u64) -> Box<dyn Future<Item = usize, Error = io::Error> + Send> {
        let mut child = match Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn_async()
        {
            Ok(child) => child,
            Err(e) => return Box::new(future::err(e)),
        };
        let stdin = child.stdin().take().expect("piped standard input");
        let stdout = child.stdout().take().expect("piped standard output");
        let data = Pattern::new(seed).take(CAT_BYTES);
        // write_all, then drop the pipe so that `cat` sees the end.
        let write = tokio::io::write_all(stdin, data).map(|(stdin, _)| drop(stdin));
        let read =
            tokio::io::read_to_end(stdout, Vec::with_capacity(CAT_BYTES)).map(move |(_, back)| {
                if back.len() != CAT_BYTES {
                    fail(format!(
                        "cat {}: {} bytes back, {} sent",
                        seed,
                        back.len(),
                        CAT_BYTES
                    ));
                }
                if let Err(at) = Pattern::new(seed).check(&back) {
                    fail(format!(
                        "cat {}: byte {} differs from what was sent",
                        seed, at
                    ));
                }
                back.len()
            });
        Box::new(write.join(read).join(child).map(move |((_, n), status)| {
            if !status.success() {
                fail(format!("cat {}: {}", seed, status));
            }
            n
        }))
    }

    fn exit_with(code: i32) -> Box<dyn Future<Item = (), Error = io::Error> + Send> {
        let child = match Command::new("sh")
            .arg("-c")
            .arg(format!("exit {}", code))
            .spawn_async()
        {
            Ok(child) => child,
            Err(e) => return Box::new(future::err(e)),
        };
        Box::new(child.map(move |status| {
            if status.code() != Some(code) {
                fail(format!("sh -c 'exit {}' ended with {}", code, status));
            }
        }))
    }

    pub fn main() {
        let mut rt =
            tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("runtime: {}", e)));

        let start = Instant::now();
        let cats = future::lazy(|| future::join_all((0..CATS as u64).map(cat_roundtrip)))
            .timeout(DEADLINE);
        let counts = rt
            .block_on(cats)
            .unwrap_or_else(|e| fail(format!("cat children: {:?}", e)));
        println!(
            "tokio-process: {} cat children, {} bytes each way, every byte checked ({:.2} s)",
            counts.len(),
            counts.iter().sum::<usize>(),
            start.elapsed().as_secs_f64()
        );

        let start = Instant::now();
        let exits = future::lazy(|| future::join_all((0..EXITS).map(exit_with))).timeout(DEADLINE);
        rt.block_on(exits)
            .unwrap_or_else(|e| fail(format!("exit children: {:?}", e)));
        println!(
            "tokio-process: {} children's exit codes seen ({:.2} s)",
            EXITS,
            start.elapsed().as_secs_f64()
        );

        // The signal stream is set up first; the child sends SIGUSR1 after.
        let start = Instant::now();
        let pid = std::process::id();
        let signal = tokio_signal::unix::Signal::new(tokio_signal::unix::SIGUSR1)
            .and_then(move |signals| {
                let kill = Command::new("kill")
                    .arg("-USR1")
                    .arg(pid.to_string())
                    .spawn_async()
                    .into_future()
                    .flatten()
                    .map(|status| {
                        if !status.success() {
                            fail(format!("kill -USR1: {}", status));
                        }
                    });
                kill.join(signals.into_future().map_err(|(e, _)| e))
            })
            .timeout(DEADLINE);
        let (_, (got, _)) = rt
            .block_on(signal)
            .unwrap_or_else(|e| fail(format!("SIGUSR1 from a child: {:?}", e)));
        if got != Some(tokio_signal::unix::SIGUSR1) {
            fail(format!("signal stream gave {:?}, not SIGUSR1", got));
        }
        println!(
            "tokio-signal: SIGUSR1 from a child seen ({:.2} s)",
            start.elapsed().as_secs_f64()
        );
        rt.shutdown_now()
            .wait()
            .unwrap_or_else(|()| fail("runtime shutdown"));
    }
}
