//! What a scenario measured: rate, latency percentiles, errors and the service's peak memory.

use std::time::Duration;

/// Which ceiling a figure is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    /// pgbench, one create per transaction, at this many clients.
    Single(usize),
    /// pgbench, 100 creates per transaction (the best of the batched client counts).
    Batched,
    /// pgbench, the minimal create (one event row and one typed row, prepared), at this many clients.
    Minimal(usize),
    /// The stock cqrs-es + postgres-es peer (`benches/cqrs-peer`), at this many clients.
    Peer(usize),
    /// The rebuild's COPY ceiling: read every event, COPY the rows in, build the indexes.
    Copy,
    /// pgbench, one update per transaction (read the stream's version, append, upsert the row), at
    /// this many clients.
    Update(usize),
}

impl Ceiling {
    /// How a ratio against this ceiling is labelled in the "other ratios" column.
    pub fn label(self) -> &'static str {
        match self {
            Ceiling::Single(_) => "1-create/tx ceiling",
            Ceiling::Batched => "batched ceiling",
            Ceiling::Minimal(_) => "minimal SQL",
            Ceiling::Peer(_) => "cqrs-es peer",
            Ceiling::Copy => "COPY ceiling",
            Ceiling::Update(_) => "1-update/tx ceiling",
        }
    }
}

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    /// Operations per second, in `unit`.
    pub rate: f64,
    pub unit: &'static str,
    pub ok: u64,
    pub errors: u64,
    pub latency: Option<Percentiles>,
    /// Peak resident set of the measured process, KiB.
    pub peak_rss_kib: Option<u64>,
    /// The ceiling this row *is* (pgbench rows).
    pub is_ceiling: Option<Ceiling>,
    /// The ceiling this row is compared with.
    pub compare: Option<Ceiling>,
    /// Further figures it is compared with (the "other ratios" column).
    pub also: Vec<Ceiling>,
    pub target: &'static str,
    pub note: String,
    /// The longest time commands waited with none handled (NATS scenarios, `gaps`).
    pub gap: Option<Duration>,
    /// Latency at every percent from 0 to 100 (the chart's distribution; empty when not drawn).
    pub distribution: Vec<Duration>,
}

impl Outcome {
    pub fn new(name: impl Into<String>, unit: &'static str) -> Outcome {
        Outcome {
            name: name.into(),
            rate: 0.0,
            unit,
            ok: 0,
            errors: 0,
            latency: None,
            peak_rss_kib: None,
            is_ceiling: None,
            compare: None,
            also: Vec::new(),
            target: "",
            note: String::new(),
            gap: None,
            distribution: Vec::new(),
        }
    }

    /// A row for a scenario that could not run at all.
    pub fn failed(name: impl Into<String>, why: impl std::fmt::Display) -> Outcome {
        let mut o = Outcome::new(name, "");
        o.note = format!("FAILED: {why}");
        o
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// Nearest-rank percentiles of `samples` (sorted in place); `None` when empty.
pub fn percentiles(samples: &mut [Duration]) -> Option<Percentiles> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |p: f64| {
        let rank = (p * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    };
    Some(Percentiles {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: samples[samples.len() - 1],
    })
}

/// The latency at each percent 0, 1, …, 100 of `sorted` samples (nearest rank); empty when none.
pub fn distribution(sorted: &[Duration]) -> Vec<Duration> {
    if sorted.is_empty() {
        return Vec::new();
    }
    (0..=100)
        .map(|p| {
            let rank = (p as f64 / 100.0 * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        })
        .collect()
}

/// Peak RSS (`VmHWM`) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets a process's peak RSS to its current RSS (Linux ≥ 4.0), so the next reading covers one
/// scenario only. Returns false where that is not allowed; the peak then spans the whole run.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// "s" unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
