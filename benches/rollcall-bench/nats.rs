//! NATS ingestion: pipelined JetStream publishes to `P.commands.crm.person.create`, then the time until the
//! read model holds them all. Also the end-of-run cleanup of the bench prefix's streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, context::PublishAckFuture};
use futures::StreamExt;
use sqlx::PgPool;

use crate::gaps;
use crate::session::person_json;
use crate::stats::{self, Ceiling, Outcome};

/// A JetStream context that keeps at most `inflight` publish acks pending (publishing waits beyond).
pub async fn connect(url: &str, inflight: usize) -> Result<(async_nats::Client, jetstream::Context), String> {
    let client = async_nats::connect(url).await.map_err(|e| format!("NATS {url}: {e}"))?;
    let js = jetstream::context::ContextBuilder::new()
        .max_ack_inflight(inflight)
        .timeout(Duration::from_secs(30))
        .build(client.clone());
    Ok((client, js))
}

pub fn subject(prefix: &str) -> String {
    format!("{prefix}.commands.crm.person.create")
}

/// Publishes one create-person command (JSON) with its idempotency key; returns the ack to await.
pub async fn publish(
    js: &jetstream::Context,
    subject: &str,
    token: &str,
    msg_id: &str,
    last_name: &str,
) -> Result<PublishAckFuture, String> {
    let mut headers = HeaderMap::new();
    headers.insert("Authorization", format!("Bearer {token}").as_str());
    headers.insert("Nats-Msg-Id", msg_id);
    headers.insert("Content-Type", "application/json");
    let body = serde_json::to_vec(&person_json("Bench", last_name)).map_err(|e| e.to_string())?;
    js.publish_with_headers(subject.to_string(), headers, body.into())
        .await
        .map_err(|e| e.to_string())
}

/// Counts what the service republishes to `P.rejected.>`.
pub async fn count_rejected(client: &async_nats::Client, prefix: &str) -> Result<Arc<AtomicU64>, String> {
    let mut sub = client
        .subscribe(format!("{prefix}.rejected.>"))
        .await
        .map_err(|e| e.to_string())?;
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while sub.next().await.is_some() {
            c.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok(count)
}

/// Commands the service's consumer (`P-ingest` on `P-commands`) has not settled yet: not delivered, or
/// delivered and not acked. Asked before counting persons, which scans the table: polling that count
/// every few milliseconds loaded PostgreSQL as much as a good part of what it measured.
pub async fn unsettled(js: &jetstream::Context, prefix: &str) -> Result<u64, String> {
    let stream = js
        .get_stream(format!("{prefix}-commands"))
        .await
        .map_err(|e| format!("stream {prefix}-commands: {e}"))?;
    let info = stream
        .consumer_info(format!("{prefix}-ingest"))
        .await
        .map_err(|e| format!("consumer {prefix}-ingest: {e}"))?;
    Ok(info.num_pending + info.num_ack_pending as u64)
}

/// Persons in the read model once the consumer has settled every command (`None` before).
pub async fn settled_count(js: &jetstream::Context, prefix: &str, pool: &PgPool) -> Result<Option<i64>, String> {
    if unsettled(js, prefix).await? > 0 {
        return Ok(None);
    }
    persons_count(pool).await.map(Some)
}

pub async fn persons_count(pool: &PgPool) -> Result<i64, String> {
    sqlx::query_scalar("SELECT count(*) FROM persons")
        .fetch_one(pool)
        .await
        .map_err(|e| format!("count persons: {e}"))
}

pub struct Ingest<'a> {
    pub nats_url: &'a str,
    pub prefix: &'a str,
    pub token: &'a str,
    pub tag: &'a str,
    pub count: usize,
    pub inflight: usize,
    pub timeout: Duration,
    pub pid: Option<u32>,
}

/// Publishes `count` commands with `inflight` acks pending at most, then polls the read model until
/// it holds them all (or `timeout`, or a minute without progress).
pub async fn run_ingest(cfg: Ingest<'_>, pool: &PgPool) -> Result<Outcome, String> {
    let (client, js) = connect(cfg.nats_url, cfg.inflight).await?;
    let rejected = count_rejected(&client, cfg.prefix).await?;
    let before = persons_count(pool).await?;
    let after = gaps::last_position(pool).await?;
    let subject = subject(cfg.prefix);
    if let Some(pid) = cfg.pid {
        stats::reset_peak_rss(pid);
    }
    let window = gaps::db_now(pool).await?;
    let cpu = crate::cpu::snapshot(cfg.pid);
    let start = Instant::now();
    let mut acks = Vec::with_capacity(cfg.count);
    for i in 0..cfg.count {
        let name = format!("{}-n-{i}", cfg.tag);
        let ack = publish(&js, &subject, cfg.token, &name, &name).await?;
        let sent = Instant::now();
        acks.push(tokio::spawn(async move { ack.await.map(|_| sent.elapsed()) }));
    }
    let published = start.elapsed();
    let mut ack_latency = Vec::with_capacity(cfg.count);
    let mut publish_errors = 0u64;
    let mut first_error = None;
    for a in acks {
        match a.await {
            Ok(Ok(d)) => ack_latency.push(d),
            Ok(Err(e)) => {
                publish_errors += 1;
                first_error.get_or_insert(e.to_string());
            }
            Err(e) => {
                publish_errors += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let acked_at = start.elapsed();
    let acked = ack_latency.len() as i64;

    // Bounded poll of the read model: done when every acked command is a person or was rejected
    // (persons are counted once the consumer has nothing unsettled).
    let (mut last_progress, mut last_seen) = (Instant::now(), (u64::MAX, -1i64));
    let (seen, done_at) = loop {
        let unsettled = unsettled(&js, cfg.prefix).await?;
        let seen = match unsettled {
            0 => persons_count(pool).await? - before,
            _ => -1,
        };
        if seen >= 0 && seen + rejected.load(Ordering::Relaxed) as i64 >= acked {
            break (seen, Some(start.elapsed()));
        }
        if (unsettled, seen) != last_seen {
            (last_seen, last_progress) = ((unsettled, seen), Instant::now());
        }
        if start.elapsed() > cfg.timeout || last_progress.elapsed() > Duration::from_secs(60) {
            break (persons_count(pool).await? - before, None);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let elapsed = done_at.unwrap_or_else(|| start.elapsed());
    let cpu = cpu.report_since(cfg.pid, seen.max(0) as u64, "command");
    let gap = gaps::longest(&[window], &gaps::append_times(pool, after).await?);

    let mut o = Outcome::new(format!("NATS ingest, {} commands", cfg.count), "commands/s");
    o.ok = seen.max(0) as u64;
    o.errors = cfg.count as u64 - o.ok;
    o.rate = o.ok as f64 / elapsed.as_secs_f64();
    o.latency = stats::percentiles(&mut ack_latency);
    o.peak_rss_kib = cfg.pid.and_then(stats::peak_rss_kib);
    o.compare = Some(Ceiling::Batched);
    o.target = "≥ 0.8× batched ceiling";
    o.gap = gap.map(|g| g.longest);
    o.note = format!(
        "end to end {:.1} s; published in {:.2} s ({:.0}/s), all acked after {:.2} s; latency = publish→JetStream ack; \
         {} rejected, {} publish errors",
        elapsed.as_secs_f64(),
        published.as_secs_f64(),
        cfg.count as f64 / published.as_secs_f64(),
        acked_at.as_secs_f64(),
        rejected.load(Ordering::Relaxed),
        publish_errors,
    );
    if let Some(g) = gap {
        o.note.push_str(&format!("; {g}"));
    }
    o.note
        .push_str(&format!("; {cpu} (from the first publish until all were visible)"));
    if done_at.is_none() {
        o.note.push_str(&format!("; TIMED OUT with {seen} of {acked} visible"));
    }
    if let Some(e) = first_error {
        o.note.push_str(&format!("; first publish error: {e}"));
    }
    Ok(o)
}

/// Deletes the streams of a bench prefix (`P-commands`, `P-events`); refuses any other prefix.
pub async fn cleanup(nats_url: &str, prefix: &str) -> Result<(), String> {
    if !prefix.starts_with("bench") {
        return Err(format!(
            "refusing to delete the streams of prefix {prefix:?}: not a bench prefix"
        ));
    }
    let (_client, js) = connect(nats_url, 16).await?;
    for stream in [format!("{prefix}-commands"), format!("{prefix}-events")] {
        match js.delete_stream(&stream).await {
            Ok(_) => println!("deleted stream {stream}"),
            Err(e) => println!("stream {stream} not deleted: {e}"),
        }
    }
    Ok(())
}
