//! NATS bursts with idle periods between them (issue 18): the pattern under which black-box runs saw
//! ingestion stop for 5 s with thousands of commands waiting. Each burst is published (pipelined),
//! then the read model is polled until it holds every command of the burst, then nothing is sent for
//! `idle`, longer than a pull request's expiry, so each burst meets pulls that expired while idle.
//! The figure to read is the longest gap between handled commands (from the event feed, `gaps`).

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::gaps;
use crate::nats;
use crate::stats::{self, Ceiling, Outcome};

pub struct Bursts<'a> {
    pub nats_url: &'a str,
    pub prefix: &'a str,
    pub token: &'a str,
    pub tag: &'a str,
    pub bursts: usize,
    pub size: usize,
    pub idle: Duration,
    pub inflight: usize,
    pub pid: Option<u32>,
}

/// How long one burst may take to become visible before the scenario gives up on it.
const BURST_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(cfg: Bursts<'_>, pool: &PgPool) -> Result<Outcome, String> {
    let (client, js) = nats::connect(cfg.nats_url, cfg.inflight).await?;
    let rejected = nats::count_rejected(&client, cfg.prefix).await?;
    let subject = nats::subject(cfg.prefix);
    let after = gaps::last_position(pool).await?;
    if let Some(pid) = cfg.pid {
        stats::reset_peak_rss(pid);
    }
    let mut windows = Vec::with_capacity(cfg.bursts);
    let mut spans = Vec::with_capacity(cfg.bursts);
    let (mut seen_total, mut busy) = (0i64, Duration::ZERO);
    let mut timed_out = None;
    for b in 0..cfg.bursts {
        if b > 0 {
            tokio::time::sleep(cfg.idle).await;
        }
        let before = nats::persons_count(pool).await?;
        let rejected_before = rejected.load(std::sync::atomic::Ordering::Relaxed) as i64;
        windows.push(gaps::db_now(pool).await?);
        let start = Instant::now();
        let mut acks = Vec::with_capacity(cfg.size);
        for i in 0..cfg.size {
            let name = format!("{}-b{b}-{i}", cfg.tag);
            acks.push(nats::publish(&js, &subject, cfg.token, &name, &name).await?);
        }
        let mut acked = 0i64;
        for a in acks {
            if a.await.is_ok() {
                acked += 1;
            }
        }
        // Bounded poll: every acked command of the burst is a person or was rejected.
        let seen = loop {
            let seen = nats::settled_count(&js, cfg.prefix, pool).await?.map(|n| n - before);
            let gone = rejected.load(std::sync::atomic::Ordering::Relaxed) as i64 - rejected_before;
            if let Some(seen) = seen
                && seen + gone >= acked
            {
                break seen;
            }
            if start.elapsed() > BURST_TIMEOUT {
                let seen = nats::persons_count(pool).await? - before;
                timed_out.get_or_insert(format!("burst {} timed out with {seen} of {acked} visible", b + 1));
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let span = start.elapsed();
        spans.push(span);
        busy += span;
        seen_total += seen;
        if timed_out.is_some() {
            break;
        }
    }
    let appends = gaps::append_times(pool, after).await?;
    let gap = gaps::longest(&windows, &appends);

    let mut o = Outcome::new(
        format!(
            "NATS bursts, {} × {} commands, {} ms idle",
            cfg.bursts,
            cfg.size,
            cfg.idle.as_millis()
        ),
        "commands/s",
    );
    o.ok = seen_total.max(0) as u64;
    o.errors = (cfg.bursts * cfg.size) as u64 - o.ok;
    o.rate = o.ok as f64 / busy.as_secs_f64().max(1e-9);
    o.latency = stats::percentiles(&mut spans.clone());
    o.peak_rss_kib = cfg.pid.and_then(stats::peak_rss_kib);
    o.compare = Some(Ceiling::Batched);
    o.target = "no gap ≥ 1 s";
    o.gap = gap.map(|g| g.longest);
    let spans_ms: Vec<String> = spans
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
        .collect();
    o.note = format!(
        "rate over the bursts' busy time; latency = one burst, first publish → all visible ({} ms); {}",
        spans_ms.join(", "),
        gap.map_or("no appends seen".to_string(), |g| g.to_string()),
    );
    if let Some(t) = timed_out {
        o.note.push_str(&format!("; {t}"));
    }
    Ok(o)
}
