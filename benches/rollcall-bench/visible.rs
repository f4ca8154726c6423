//! Command → read-model-visible latency at a steady offered rate. Open loop: command i is due at
//! start + i/rate and is sent then however slow the service is; its latency runs from that due time to
//! the first poll of `persons` that sees it. One query per poll covers the oldest pending names.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::nats;
use crate::stats::{self, Outcome};

/// Names checked per poll (the oldest pending ones). Each is an index probe in the PostgreSQL being
/// measured: at 2,000 names every millisecond the poll alone kept most of a core busy once a backlog
/// formed, and slowed what it measured.
const POLL_BATCH: usize = 256;
/// Pause between polls (the resolution of the latencies).
const POLL_EVERY: Duration = Duration::from_millis(5);
/// How long to wait for stragglers after the last send.
const DRAIN: Duration = Duration::from_secs(30);

pub struct Visible<'a> {
    pub nats_url: &'a str,
    pub prefix: &'a str,
    pub token: &'a str,
    pub tag: &'a str,
    pub rate: u32,
    pub duration: Duration,
    pub pid: Option<u32>,
}

type Pending = Arc<Mutex<BTreeMap<u64, Instant>>>;

pub async fn run(cfg: Visible<'_>, pool: &PgPool) -> Result<Outcome, String> {
    let (_client, js) = nats::connect(cfg.nats_url, 20_000).await?;
    let subject = nats::subject(cfg.prefix);
    // Lower-case names, so the lookup uses the lower(last_name) index.
    let prefix = format!("{}-v-", cfg.tag.to_lowercase());
    let pending: Pending = Arc::default();
    let sending = Arc::new(AtomicBool::new(true));
    let poller = tokio::spawn(poll(pool.clone(), prefix.clone(), pending.clone(), sending.clone()));
    let ack_errors = Arc::new(AtomicU64::new(0));

    if let Some(pid) = cfg.pid {
        stats::reset_peak_rss(pid);
    }
    let total = (f64::from(cfg.rate) * cfg.duration.as_secs_f64()) as u64;
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0u64;
    let mut send_errors = 0u64;
    while sent < total {
        tick.tick().await;
        let due = ((start.elapsed().as_secs_f64() * f64::from(cfg.rate)) as u64).min(total);
        while sent < due {
            let due_at = start + Duration::from_secs_f64(sent as f64 / f64::from(cfg.rate));
            let name = format!("{prefix}{sent}");
            pending.lock().unwrap().insert(sent, due_at);
            match nats::publish(&js, &subject, cfg.token, &name, &name).await {
                Ok(ack) => {
                    let errors = ack_errors.clone();
                    tokio::spawn(async move {
                        if ack.await.is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                Err(_) => {
                    pending.lock().unwrap().remove(&sent);
                    send_errors += 1;
                }
            }
            sent += 1;
        }
    }
    let send_span = start.elapsed();
    sending.store(false, Ordering::Relaxed);
    let mut latencies = poller.await.map_err(|e| e.to_string())??;
    let unseen = pending.lock().unwrap().len() as u64;

    let mut o = Outcome::new(
        format!("command → visible, NATS at {}/s offered", cfg.rate),
        "commands/s",
    );
    o.ok = latencies.len() as u64;
    o.errors = unseen + send_errors;
    o.rate = sent as f64 / send_span.as_secs_f64();
    o.latency = stats::percentiles(&mut latencies);
    o.distribution = stats::distribution(&latencies);
    o.peak_rss_kib = cfg.pid.and_then(stats::peak_rss_kib);
    if cfg.rate == 5000 {
        o.target = "p99 ≤ 50 ms at 5,000/s";
    }
    o.note = format!(
        "rate = achieved send rate over {:.1} s; latency = due time → first poll that sees the row (poll every ~{} ms); \
         {unseen} never seen within {} s, {send_errors} send errors, {} ack errors",
        send_span.as_secs_f64(),
        POLL_EVERY.as_millis().max(1),
        DRAIN.as_secs(),
        ack_errors.load(Ordering::Relaxed),
    );
    Ok(o)
}

/// Polls until sending has stopped and nothing is pending (or `DRAIN` has passed since); returns the
/// latencies of what it saw.
async fn poll(
    pool: PgPool,
    prefix: String,
    pending: Pending,
    sending: Arc<AtomicBool>,
) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::new();
    let mut drain_deadline = None;
    // Index probes only: the table grows by thousands of rows a second from empty, faster than its
    // statistics follow, and a plan made on them (a scan of the table per poll, comparing each row with
    // each name) took up to 1.4 s per poll: the figure measured the poll instead of the service.
    let mut conn = pool.acquire().await.map_err(|e| format!("poll connection: {e}"))?;
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("poll connection: {e}"))?;
    loop {
        let batch: Vec<String> = pending
            .lock()
            .unwrap()
            .keys()
            .take(POLL_BATCH)
            .map(|i| format!("{prefix}{i}"))
            .collect();
        if batch.is_empty() {
            if !sending.load(Ordering::Relaxed) {
                return Ok(latencies);
            }
        } else {
            // A row this query sees was visible when its snapshot was taken, right after `asked`.
            let asked = Instant::now();
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT lower(p.last_name) FROM unnest($1::text[]) AS n(name)
                   JOIN persons p ON lower(p.last_name) = n.name",
            )
            .bind(&batch)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| format!("poll persons: {e}"))?;
            let mut pending = pending.lock().unwrap();
            for name in found {
                let seq = name.strip_prefix(&prefix).and_then(|s| s.parse::<u64>().ok());
                if let Some(due) = seq.and_then(|s| pending.remove(&s)) {
                    latencies.push(asked.saturating_duration_since(due));
                }
            }
        }
        if !sending.load(Ordering::Relaxed) {
            let deadline = *drain_deadline.get_or_insert_with(|| Instant::now() + DRAIN);
            if Instant::now() > deadline {
                return Ok(latencies);
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
