//! The measuring harness: warm-up, calibrated samples, medians, and a
//! counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Counts every allocation (and reallocation) the process makes.
pub struct CountingAlloc;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed through.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made so far by the whole process.
pub fn allocations() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

/// The code whose instructions `benches/callgrind.sh` counts: callgrind is
/// told to collect only inside functions with `measured` in their name.
#[inline(never)]
pub fn measured<R>(f: impl FnOnce() -> R) -> R {
    black_box(f())
}

/// A benchmark body: runs `iters` iterations and returns how many
/// operations (events, round trips, messages...) they made.
pub type Body = Box<dyn FnMut(u64) -> u64>;

/// How long to warm up and how to sample.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub warmup: Duration,
    pub sample: Duration,
    pub samples: usize,
}

impl Config {
    pub fn full() -> Config {
        Config {
            warmup: Duration::from_millis(300),
            sample: Duration::from_millis(150),
            samples: 21,
        }
    }

    pub fn quick() -> Config {
        Config {
            warmup: Duration::from_millis(30),
            sample: Duration::from_millis(20),
            samples: 5,
        }
    }
}

/// The figures of one benchmark.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Median nanoseconds per operation over the samples.
    pub median_ns: f64,
    pub min_ns: f64,
    pub max_ns: f64,
    /// Heap allocations per operation during the samples (after warm-up).
    pub allocs_per_op: f64,
    /// Operations measured in all samples.
    pub ops: u64,
}

/// Warms `body` up, calibrates a sample to about `cfg.sample`, then times
/// `cfg.samples` samples and returns their median.
pub fn run(cfg: &Config, body: &mut Body) -> Stats {
    run_interleaved(cfg, std::slice::from_mut(body)).remove(0)
}

/// Like [`run`] for several bodies (the peers of one workload), taking
/// their samples in turn, so that a change in the machine's load during
/// the run falls on every peer alike.
pub fn run_interleaved(cfg: &Config, bodies: &mut [Body]) -> Vec<Stats> {
    let iters: Vec<u64> = bodies.iter_mut().map(|b| warm_up(cfg, b)).collect();
    let mut per_op = vec![Vec::with_capacity(cfg.samples); bodies.len()];
    let mut ops = vec![0u64; bodies.len()];
    let mut allocs = vec![0u64; bodies.len()];
    for _ in 0..cfg.samples {
        for (i, body) in bodies.iter_mut().enumerate() {
            let a0 = allocations();
            let t = Instant::now();
            let n = body(iters[i]);
            let el = t.elapsed();
            allocs[i] += allocations() - a0;
            ops[i] += n;
            per_op[i].push(el.as_nanos() as f64 / n.max(1) as f64);
        }
    }
    per_op
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            v.sort_by(|a, b| a.total_cmp(b));
            Stats {
                median_ns: median(&v),
                min_ns: v[0],
                max_ns: v[v.len() - 1],
                allocs_per_op: allocs[i] as f64 / ops[i].max(1) as f64,
                ops: ops[i],
            }
        })
        .collect()
}

/// Runs `body` for `cfg.warmup`, doubling the iteration count, and returns
/// the count that makes a sample last about `cfg.sample`.
fn warm_up(cfg: &Config, body: &mut Body) -> u64 {
    let start = Instant::now();
    let mut iters = 1u64;
    let mut per_iter;
    loop {
        let t = Instant::now();
        black_box(body(iters));
        let el = t.elapsed();
        per_iter = el.as_secs_f64() / iters as f64;
        if start.elapsed() >= cfg.warmup {
            break;
        }
        if el < cfg.sample / 2 {
            iters = iters.saturating_mul(2);
        }
    }
    ((cfg.sample.as_secs_f64() / per_iter.max(1e-9)) as u64).max(1)
}

/// The median of sorted values.
pub fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The value at quantile `q` (0..=1) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// The soft limit on open descriptors.
pub fn fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    // `rlim_t` is narrower than u64 on some 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let cur = lim.rlim_cur as u64;
    cur
}

/// Raises the soft limit on open descriptors to the hard limit, for the
/// workloads that open thousands.
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    // Enough for every peer's 10,000 sources at once, if the process may
    // raise its hard limit (root may); else up to the hard limit.
    let want = libc::rlimit {
        rlim_cur: 65_536,
        rlim_max: 65_536,
    };
    // SAFETY: `want` is a valid rlimit; a failure leaves the limit as it was.
    if lim.rlim_max >= want.rlim_max || unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &want) } != 0
    {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

/// Panics with the OS error if a libc call returned a negative value.
#[track_caller]
pub fn check(ret: libc::c_int, what: &str) -> libc::c_int {
    if ret < 0 {
        panic!("{what}: {}", std::io::Error::last_os_error());
    }
    ret
}
