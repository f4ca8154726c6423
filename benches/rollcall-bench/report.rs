//! The summary: one Markdown table (figures, ceilings, ratios, targets) under a description of the machine.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::{Ceiling, Outcome};

/// The machine and server the figures come from.
pub struct Machine {
    pub lines: Vec<String>,
}

impl Machine {
    pub fn describe(pg_version: String, fsync: String, sync_commit: String, extra: Vec<String>) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            .unwrap_or_else(|| "?".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_gib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(|| "?".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        let mut lines = vec![
            format!("CPU: {cores} × {cpu}; memory {mem_gib}; load average before the run: {load}"),
            format!("PostgreSQL {pg_version}, fsync={fsync}, synchronous_commit={sync_commit}"),
        ];
        lines.extend(extra);
        Machine { lines }
    }
}

/// The best matching ceiling row for `c`.
pub fn ceiling_of(rows: &[Outcome], c: Ceiling) -> Option<&Outcome> {
    rows.iter()
        .filter(|r| r.is_ceiling == Some(c) && r.rate > 0.0)
        .max_by(|a, b| a.rate.total_cmp(&b.rate))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

pub fn markdown(title: &str, machine: &Machine, rows: &[Outcome]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## {title}\n");
    for l in &machine.lines {
        let _ = writeln!(s, "- {l}");
    }
    let _ = writeln!(
        s,
        "\n| scenario | rate | unit | p50 ms | p95 ms | p99 ms | ok | errors | peak RSS MiB | ceiling | ratio | other ratios | target |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for r in rows {
        let (p50, p95, p99) = r.latency.map_or(("–".into(), "–".into(), "–".into()), |p| {
            (ms(p.p50), ms(p.p95), ms(p.p99))
        });
        let rss = r
            .peak_rss_kib
            .map_or("–".into(), |k| format!("{:.0}", k as f64 / 1024.0));
        let (ceiling, ratio) = match r.compare.and_then(|c| ceiling_of(rows, c)) {
            Some(c) if r.rate > 0.0 => (rate(c.rate), format!("{:.2}×", r.rate / c.rate)),
            _ => ("–".into(), "–".into()),
        };
        let others = r
            .also
            .iter()
            .filter_map(|c| ceiling_of(rows, *c).map(|o| (c, o)))
            .filter(|_| r.rate > 0.0)
            .map(|(c, o)| format!("{:.2}× {}", r.rate / o.rate, c.label()))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {p50} | {p95} | {p99} | {} | {} | {rss} | {ceiling} | {ratio} | {others} | {} |",
            r.name,
            rate(r.rate),
            r.unit,
            r.ok,
            r.errors,
            r.target
        );
    }
    let notes: Vec<_> = rows.iter().filter(|r| !r.note.is_empty()).collect();
    if !notes.is_empty() {
        let _ = writeln!(s, "\nNotes:");
        for r in notes {
            let _ = writeln!(s, "- {}: {}", r.name, r.note);
        }
    }
    let _ = writeln!(
        s,
        "\nRatios: gRPC and REST at N clients against the 1-create/tx ceiling at N clients (other ratios: the stock \
         cqrs-es + postgres-es peer and the minimal SQL at N clients); NATS against the best batched ceiling \
         (rows/s); the rebuild against its COPY ceiling measured on the same database (and the batched ceiling). \
         Peak RSS is the service's VmHWM, reset before each scenario where the kernel allows it (RSS target ≤ 150 MB)."
    );
    s
}

/// One finished row, printed as it comes in.
pub fn progress(r: &Outcome) -> String {
    let lat = r.latency.map_or(String::new(), |p| {
        format!(
            " p50 {} p95 {} p99 {} max {} ms",
            ms(p.p50),
            ms(p.p95),
            ms(p.p99),
            ms(p.max)
        )
    });
    let gap = r.gap.map_or(String::new(), |g| format!(", longest gap {} ms", ms(g)));
    format!(
        "bench: {}: {} {}{lat}{gap}, {} ok, {} errors {}",
        r.name,
        rate(r.rate),
        r.unit,
        r.ok,
        r.errors,
        r.note
    )
}
