//! Where the CPU went during a scenario: the time each group of processes spent on the CPU, read from
//! `/proc` (Linux) before and after. Groups: the service (by pid), PostgreSQL and nats-server (by name,
//! with the time of PostgreSQL's ended backends, which the postmaster collects), the bench itself, and
//! everything else. The machine has two cores that all of them share.

use std::collections::BTreeMap;
use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS: f64 = 100.0;

/// CPU ticks per group at one moment.
pub struct Snapshot {
    at: Instant,
    ticks: BTreeMap<&'static str, u64>,
}

fn group(pid: u32, name: &str, service: Option<u32>) -> &'static str {
    if Some(pid) == service {
        "service"
    } else if pid == std::process::id() {
        "bench"
    } else if name == "postgres" {
        "postgres"
    } else if name == "nats-server" {
        "nats-server"
    } else {
        "other"
    }
}

/// The ticks of every process now; `service` is the service's pid.
pub fn snapshot(service: Option<u32>) -> Snapshot {
    let mut ticks = BTreeMap::new();
    let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    for entry in entries {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (name) state ppid …": the name may hold spaces and parentheses, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After the name: state is field 3, so utime (14), stime (15), cutime (16), cstime (17) are 11..=14.
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        let group = group(pid, name, service);
        // Only PostgreSQL's children are counted as well: its backends end and are collected.
        let children = if group == "postgres" { field(13) + field(14) } else { 0 };
        *ticks.entry(group).or_insert(0) += field(11) + field(12) + children;
    }
    Snapshot {
        at: Instant::now(),
        ticks,
    }
}

impl Snapshot {
    /// "postgres 1.05 cores (0.056 ms/command), service …" from this snapshot until now, per `work`
    /// items (commands) done in between.
    pub fn report_since(&self, service: Option<u32>, work: u64, unit: &str) -> String {
        let now = snapshot(service);
        let secs = now.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let mut spent: Vec<(&str, f64)> = now
            .ticks
            .iter()
            .map(|(g, t)| (*g, t.saturating_sub(*self.ticks.get(g).unwrap_or(&0)) as f64 / TICKS))
            .collect();
        spent.sort_by(|a, b| b.1.total_cmp(&a.1));
        let parts: Vec<String> = spent
            .iter()
            .map(|(g, cpu)| {
                let per = if work > 0 {
                    format!(" ({:.3} ms/{unit})", cpu * 1e3 / work as f64)
                } else {
                    String::new()
                };
                format!("{g} {:.2} cores{per}", cpu / secs)
            })
            .collect();
        format!("CPU over {secs:.1} s: {}", parts.join(", "))
    }
}
