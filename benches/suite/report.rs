//! `--report DIR`: turns the CSV files that `benches/run.sh` leaves in DIR
//! (`suite.csv` from the suite, `callgrind.csv` from `benches/callgrind.sh`,
//! `wrk.csv` from the HTTP run) into Markdown tables (`DIR/tables.md`) and a
//! chart (`DIR/chart.svg`) of every peer against the raw epoll loop.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::linux::{PEERS, SPECS};

/// One CSV file: its header names and rows.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Option<Csv> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next()?.split(',').map(str::to_string).collect();
        let rows = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Some(Csv { header, rows })
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Maps (workload, param, peer) to the number in column `name`.
    fn by_key(&self, name: &str) -> BTreeMap<(String, String, String), f64> {
        let (w, p, r, v) = (
            self.col("workload"),
            self.col("param"),
            self.col("peer"),
            self.col(name),
        );
        self.rows
            .iter()
            .filter_map(|row| {
                let x: f64 = row.get(v)?.parse().ok()?;
                x.is_finite()
                    .then(|| ((row[w].clone(), row[p].clone(), row[r].clone()), x))
            })
            .collect()
    }
}

/// The instruction-count workloads, in table order, with their labels:
/// first with `poll` inlined into the measuring loop, then called from an
/// event loop's `turn` (the second call shape), then the rest.
const CG: &[(&str, &str, &str)] = &[
    ("dispatch", "1", "dispatch, 1 ready source (per event)"),
    ("dispatch", "100", "dispatch, 100 ready sources (per event)"),
    (
        "dispatch",
        "10000",
        "dispatch, 10,000 ready sources (per event)",
    ),
    ("empty_poll", "0", "empty poll, zero timeout (per poll)"),
    ("pingpong", "64", "TCP ping-pong, 64 B (per round trip)"),
    ("oneshot", "100", "oneshot re-arm, 100 sources (per event)"),
    (
        "dispatch_turn",
        "1",
        "turn: dispatch, 1 ready source (per event)",
    ),
    (
        "dispatch_turn",
        "100",
        "turn: dispatch, 100 ready sources (per event)",
    ),
    (
        "dispatch_turn",
        "10000",
        "turn: dispatch, 10,000 ready sources (per event)",
    ),
    (
        "empty_poll_turn",
        "0",
        "turn: empty poll, zero timeout (per poll)",
    ),
    (
        "pingpong_turn",
        "64",
        "turn: TCP ping-pong, 64 B (per round trip)",
    ),
    (
        "oneshot_turn",
        "100",
        "turn: oneshot re-arm, 100 sources (per event)",
    ),
    ("set_readiness", "1", "set_readiness -> poll (per event)"),
    ("wake", "1", "wake -> poll (per wake)"),
    ("churn", "1", "register + deregister an eventfd (per pair)"),
    (
        "churn_udp",
        "1",
        "register + deregister a UDP socket (per pair)",
    ),
    (
        "registration",
        "1",
        "Registration create + register + drop (per op)",
    ),
];

/// The columns of the instruction tables: the peers, and evio built with
/// its `stats` feature.
const CG_PEERS: [&str; 6] = ["evio", "evio+stats", "raw", "mio1", "mio06", "polling"];

fn key(w: &str, p: &str, peer: &str) -> (String, String, String) {
    (w.to_string(), p.to_string(), peer.to_string())
}

/// The figure ratios are taken against: raw epoll's, or where it has no
/// such workload (user-space readiness) the classic implementation's, which
/// the label then says.
fn reference(
    v: &BTreeMap<(String, String, String), f64>,
    w: &str,
    p: &str,
    label: &str,
) -> (Option<f64>, String) {
    match v.get(&key(w, p, "raw")) {
        Some(r) => (Some(*r), label.to_string()),
        None => match v.get(&key(w, p, "mio06")) {
            Some(r) => (Some(*r), format!("{label} [vs mio06]")),
            None => (None, label.to_string()),
        },
    }
}

fn cell(v: Option<f64>, raw: Option<f64>, digits: usize) -> String {
    match (v, raw) {
        (Some(v), Some(r)) if r > 0.0 => format!("{v:.digits$} ({:.2}x)", v / r),
        (Some(v), _) => format!("{v:.digits$}"),
        _ => "-".to_string(),
    }
}

pub fn main(dir: &str) {
    let dir = Path::new(dir);
    let suite = Csv::read(&dir.join("suite.csv"));
    let cg = Csv::read(&dir.join("callgrind.csv"));
    let wrk = Csv::read(&dir.join("wrk.csv"));
    let mut md = String::new();
    let head = format!(
        "| | {} |\n|---|{}\n",
        PEERS.join(" | "),
        "---:|".repeat(PEERS.len())
    );

    let mut cg_ratios = Vec::new();
    let mut cg_mt_ratios = Vec::new();
    if let Some(cg) = &cg {
        for (column, title, ratios) in [
            (
                "instructions_per_op",
                "User-space instructions per operation, single-threaded process (callgrind; ratio to raw epoll)",
                &mut cg_ratios,
            ),
            (
                "instructions_per_op_2_threads",
                "User-space instructions per operation, process with a second thread (callgrind; ratio to raw epoll)",
                &mut cg_mt_ratios,
            ),
        ] {
            let v = cg.by_key(column);
            let cg_head = format!(
                "| | {} |\n|---|{}\n",
                CG_PEERS.join(" | "),
                "---:|".repeat(CG_PEERS.len())
            );
            let _ = write!(md, "### {title}\n\n{cg_head}");
            for (w, p, label) in CG {
                let (raw, label) = reference(&v, w, p, label);
                let _ = write!(md, "| {label} |");
                let mut row = Vec::new();
                for peer in CG_PEERS {
                    let x = v.get(&key(w, p, peer)).copied();
                    let _ = write!(md, " {} |", cell(x, raw, 1));
                    if let (Some(x), Some(r), true) = (x, raw, PEERS.contains(&peer)) {
                        row.push((peer, x / r));
                    }
                }
                md.push('\n');
                if !row.is_empty() {
                    ratios.push((label, row));
                }
            }
            md.push('\n');
        }
    }

    let mut wall_ratios = Vec::new();
    if let Some(suite) = &suite {
        let med = suite.by_key("median_ns");
        let alloc = suite.by_key("allocs_per_op");
        md.push_str("### Wall clock: median ns per operation (ratio to raw epoll)\n\n");
        md.push_str(&head);
        for s in SPECS {
            let p = s.param.to_string();
            let (raw, label) = reference(&med, s.workload, &p, s.label);
            if PEERS
                .iter()
                .all(|peer| !med.contains_key(&key(s.workload, &p, peer)))
            {
                continue;
            }
            let _ = write!(md, "| {label} |");
            let mut ratios = Vec::new();
            for peer in PEERS {
                let x = med.get(&key(s.workload, &p, peer)).copied();
                let _ = write!(md, " {} |", cell(x, raw, 0));
                if let (Some(x), Some(r)) = (x, raw) {
                    ratios.push((peer, x / r));
                }
            }
            md.push('\n');
            if s.workload != "timeout" && !ratios.is_empty() {
                wall_ratios.push((label, ratios));
            }
        }
        md.push_str("\n### Heap allocations per operation after warm-up\n\n");
        md.push_str(&head);
        for s in SPECS.iter().filter(|s| s.workload != "timeout") {
            let p = s.param.to_string();
            let _ = write!(md, "| {} |", s.label);
            for peer in PEERS {
                match alloc.get(&key(s.workload, &p, peer)) {
                    Some(a) => {
                        let _ = write!(md, " {a} |");
                    }
                    None => md.push_str(" - |"),
                }
            }
            md.push('\n');
        }
        md.push('\n');
    }

    if let Some(acc) = Csv::read(&dir.join("accept_spread.csv")) {
        md.push_str(
            "### Accept spread: wake-ups per accepted connection (counts, not times)\n\n\
             | threads | mode | wake-ups per connection | poll returns per connection | returns that found nothing | connections accepted per thread |\n\
             |---:|---|---:|---:|---:|---|\n",
        );
        let c = |n| acc.col(n);
        for row in &acc.rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                row[c("threads")],
                row[c("mode")],
                row[c("wakeups_per_conn")],
                row[c("returns_per_conn")],
                row[c("empty_returns")],
                row[c("accepted_per_thread")]
            );
        }
        md.push('\n');
    }

    if let Some(wrk) = &wrk {
        md.push_str("### HTTP/1.1 keep-alive responder under wrk\n\n");
        md.push_str("| server | requests/s | p50 | p90 | p99 |\n|---|---:|---:|---:|---:|\n");
        let c = |n| wrk.col(n);
        for row in &wrk.rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                row[c("server")],
                row[c("requests_per_sec")],
                row[c("p50")],
                row[c("p90")],
                row[c("p99")]
            );
        }
        md.push('\n');
    }

    std::fs::write(dir.join("tables.md"), &md).expect("cannot write tables.md");
    let svg = chart(&[
        (
            "User-space instructions per operation (callgrind, single-threaded process), relative to raw epoll",
            &cg_ratios,
        ),
        (
            "The same in a process with a second thread (glibc's wrappers become cancellation points)",
            &cg_mt_ratios,
        ),
        (
            "Wall-clock median per operation, relative to raw epoll",
            &wall_ratios,
        ),
    ]);
    std::fs::write(dir.join("chart.svg"), svg).expect("cannot write chart.svg");
    print!("{md}");
    eprintln!(
        "written: {} and {}",
        dir.join("tables.md").display(),
        dir.join("chart.svg").display()
    );
}

type Panel<'a> = (&'a str, &'a [(String, Vec<(&'static str, f64)>)]);

const COLORS: [&str; 5] = ["#d62728", "#7f7f7f", "#1f77b4", "#2ca02c", "#ff7f0e"];

/// Horizontal grouped bars on a log2 axis from 1/4 to 32, one panel per
/// measure; 1.0 (raw epoll) is the reference line.
fn chart(panels: &[Panel<'_>]) -> String {
    let (left, width, bar, gap) = (400.0, 520.0, 7.0, 10.0);
    let (lo, hi) = (-2.0f64, 5.0f64); // log2 of the axis ends
    let x = |r: f64| left + (r.clamp(0.25, 32.0).log2() - lo) / (hi - lo) * width;
    let mut body = String::new();
    let mut y = 60.0;
    for (title, rows) in panels {
        if rows.is_empty() {
            continue;
        }
        let top = y;
        let _ = writeln!(
            body,
            r#"<text x="10" y="{}" font-weight="bold">{}</text>"#,
            y - 22.0,
            esc(title)
        );
        for (label, ratios) in rows.iter() {
            let h = bar * PEERS.len() as f64;
            let _ = writeln!(
                body,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                left - 8.0,
                y + h / 2.0 + 4.0,
                esc(label)
            );
            for (i, peer) in PEERS.iter().enumerate() {
                if let Some((_, r)) = ratios.iter().find(|(p, _)| p == peer) {
                    let _ = writeln!(
                        body,
                        r#"<rect x="{left}" y="{}" width="{:.1}" height="{}" fill="{}"><title>{peer}: {r:.2}x</title></rect>"#,
                        y + i as f64 * bar,
                        x(*r) - left,
                        bar - 1.0,
                        COLORS[i]
                    );
                }
            }
            y += h + gap;
        }
        for t in [-2i32, -1, 0, 1, 2, 3, 4, 5] {
            let r = 2f64.powi(t);
            let xx = x(r);
            let _ = writeln!(
                body,
                r##"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{y}" stroke="{}" stroke-width="{}"/><text x="{xx:.1}" y="{}" text-anchor="middle" font-size="10">{}</text>"##,
                if t == 0 { "#000" } else { "#ccc" },
                if t == 0 { 1.5 } else { 0.5 },
                y + 12.0,
                if r < 1.0 {
                    format!("1/{}", 1 << -t)
                } else {
                    format!("{r}x")
                }
            );
        }
        y += 70.0;
    }
    let mut legend = String::new();
    for (i, peer) in PEERS.iter().enumerate() {
        let lx = left + i as f64 * 100.0;
        let _ = writeln!(
            legend,
            r#"<rect x="{lx}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18">{peer}</text>"#,
            COLORS[i],
            lx + 16.0
        );
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{legend}{body}<text x="10" y="{}" font-size="10">Lower is better. Log scale; 1x = the raw libc epoll loop. Made by `cargo bench --bench suite -- --report DIR`.</text>
</svg>
"#,
        left + width + 40.0,
        y - 20.0,
        y - 30.0
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
