//! What a scenario measured: rate, latency percentiles, errors and the service's peak memory.

use std::time::Duration;

/// Which ceiling a figure is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    /// pgbench, one create per transaction, at this many clients.
    Single(usize),
    /// pgbench, 100 creates per transaction (the best of the batched client counts).
    Batched,
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
    pub target: &'static str,
    pub note: String,
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
            target: "",
            note: String::new(),
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
