//! Domain events out: committed events are published to the JetStream stream `P-events`
//! (`P.events.person.created`, …) in commit-safe global order, at least once, with
//! `Nats-Msg-Id` = the event's id so the stream drops duplicates. One instance publishes at a time
//! (a session advisory lock); its checkpoint only advances over events NATS acknowledged, so an
//! outage delays events and loses none. The password hash never leaves the database.

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage, stream};
use bytes::Bytes;
use serde_json::{Value, json};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backoff::{self, Backoff};
use crate::persistence::feed::{self, EventRow};

/// Events published per batch.
const BATCH: i64 = 256;
/// How often an idle publisher looks for new events (it is also woken by projector progress).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Namespace of the deterministic event ids.
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b5e_9a4d_4c3b_8e7f_1a2b_3c4d_5e6f);

/// The event's stable id: UUIDv5 of its aggregate type, aggregate id and sequence.
pub fn event_id(aggregate_type: &str, aggregate_id: &str, sequence: i64) -> Uuid {
    Uuid::new_v5(
        &EVENT_ID_NAMESPACE,
        format!("{aggregate_type}/{aggregate_id}/{sequence}").as_bytes(),
    )
}

/// `P.events.<aggregate>.<what happened>`, e.g. `PersonCreated` of a `Person` → `person.created`.
pub fn subject(prefix: &str, aggregate_type: &str, event_type: &str) -> String {
    let what = event_type.strip_prefix(aggregate_type).unwrap_or(event_type);
    format!(
        "{prefix}.events.{}.{}",
        aggregate_type.to_lowercase(),
        what.to_lowercase()
    )
}

/// Removes every `password_hash` field, however deep.
fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("password_hash");
            map.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The message body: the event with its identity, place and metadata.
pub fn body(row: &EventRow) -> Value {
    let mut data = row.payload.clone();
    scrub(&mut data);
    json!({
        "id": event_id(&row.aggregate_type, &row.aggregate_id, row.sequence),
        "type": row.event_type,
        "version": row.event_version,
        "aggregateType": row.aggregate_type,
        "aggregateId": row.aggregate_id,
        "sequence": row.sequence,
        "position": row.global_position,
        "data": data,
        "metadata": row.metadata,
    })
}

/// Creates the `P-events` stream if it does not exist.
pub async fn ensure_stream(js: &jetstream::Context, prefix: &str) -> Result<(), String> {
    js.get_or_create_stream(stream::Config {
        name: format!("{prefix}-events"),
        subjects: vec![format!("{prefix}.events.>")],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

pub struct Publisher {
    pool: PgPool,
    js: jetstream::Context,
    prefix: String,
    progress: watch::Receiver<u64>,
}

fn lock_key(prefix: &str) -> i64 {
    let digest = Uuid::new_v5(&EVENT_ID_NAMESPACE, format!("publisher/{prefix}").as_bytes());
    i64::from_be_bytes(digest.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

impl Publisher {
    pub fn new(pool: PgPool, client: async_nats::Client, prefix: String, progress: watch::Receiver<u64>) -> Self {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(client);
        Publisher {
            pool,
            js,
            prefix,
            progress,
        }
    }

    fn checkpoint(&self) -> String {
        format!("nats_events:{}", self.prefix)
    }

    /// Publishes until `shutdown`; waits for leadership, and retries every failure with a growing delay.
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), String> {
        let mut attempts = Backoff::PUBLISHER.start();
        while !shutdown.is_cancelled() {
            let pause = match self.lead(&shutdown).await {
                Ok(()) => {
                    attempts.reset();
                    Backoff::PUBLISHER.first
                }
                Err(e) => {
                    let delay = attempts.next_delay().unwrap_or(Backoff::PUBLISHER.max);
                    tracing::warn!(error = %e, retry_in = ?delay, "event publisher paused; retrying");
                    delay
                }
            };
            backoff::sleep(pause, &shutdown).await;
        }
        tracing::info!("event publisher stopped");
        Ok(())
    }

    /// Takes the leader lock (or returns if another instance holds it) and publishes while it holds.
    async fn lead(&mut self, shutdown: &CancellationToken) -> Result<(), String> {
        let mut lock: PoolConnection<Postgres> = self.pool.acquire().await.map_err(|e| e.to_string())?;
        let key = lock_key(&self.prefix);
        let leader: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *lock)
            .await
            .map_err(|e| e.to_string())?;
        if !leader {
            return Ok(());
        }
        let result = self.publish_while_leader(&mut lock, shutdown).await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut *lock)
            .await;
        result
    }

    async fn publish_while_leader(
        &mut self,
        lock: &mut PoolConnection<Postgres>,
        shutdown: &CancellationToken,
    ) -> Result<(), String> {
        ensure_stream(&self.js, &self.prefix).await?;
        feed::ensure_checkpoint(lock, &self.checkpoint())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("publishing domain events to {}-events", self.prefix);
        while !shutdown.is_cancelled() {
            // Still the leader? (The lock dies with its connection.)
            sqlx::query("SELECT 1")
                .execute(&mut **lock)
                .await
                .map_err(|e| format!("leader lock lost: {e}"))?;
            let published = self.publish_batch().await?;
            if published as i64 == BATCH {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                _ = self.progress.changed() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
        Ok(())
    }

    /// Publishes the next final events and moves the checkpoint over those NATS acknowledged.
    async fn publish_batch(&self) -> Result<usize, String> {
        let db = |e: sqlx::Error| e.to_string();
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let after = feed::checkpoint(&mut conn, &self.checkpoint()).await.map_err(db)?;
        let xmin = feed::snapshot_xmin(&mut conn).await.map_err(db)?;
        let rows = feed::read_after(&mut conn, after, xmin, BATCH).await.map_err(db)?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            match self.send(row).await {
                Ok(ack) => pending.push(ack),
                Err(e) => {
                    tracing::warn!(error = %e, "publish failed");
                    break;
                }
            }
        }
        // The checkpoint moves over the acknowledged prefix only.
        let mut done: Option<feed::Cursor> = None;
        let mut count = 0;
        for (row, ack) in rows.iter().zip(pending) {
            match ack.await {
                Ok(_) => {
                    done = Some(row.cursor());
                    count += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, position = row.global_position, "publish not acknowledged");
                    break;
                }
            }
        }
        if let Some(at) = done {
            feed::save_checkpoint(&mut conn, &self.checkpoint(), at, count as i64)
                .await
                .map_err(db)?;
            tracing::debug!(events = count, "domain events published");
        }
        if count < rows.len() {
            return Err(format!("{} of {} events published", count, rows.len()));
        }
        Ok(count)
    }

    async fn send(&self, row: &EventRow) -> Result<jetstream::context::PublishAckFuture, String> {
        let id = event_id(&row.aggregate_type, &row.aggregate_id, row.sequence);
        let payload = serde_json::to_vec(&body(row)).map_err(|e| e.to_string())?;
        let correlation = row
            .metadata
            .get("correlation_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let message = PublishMessage::build()
            .payload(Bytes::from(payload))
            .message_id(id.to_string())
            .header("Content-Type", "application/json")
            .header("Rollcall-Event-Type", row.event_type.as_str())
            .header("Rollcall-Correlation-Id", correlation);
        self.js
            .send_publish(subject(&self.prefix, &row.aggregate_type, &row.event_type), message)
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_interface() {
        assert_eq!(subject("rc", "Person", "PersonCreated"), "rc.events.person.created");
        assert_eq!(subject("rc", "User", "UserCreated"), "rc.events.user.created");
    }

    #[test]
    fn event_ids_are_deterministic_and_distinct() {
        assert_eq!(event_id("Person", "1", 1), event_id("Person", "1", 1));
        assert_ne!(event_id("Person", "1", 1), event_id("Person", "1", 2));
        assert_ne!(event_id("Person", "1", 1), event_id("User", "1", 1));
    }

    #[test]
    fn the_password_hash_is_scrubbed_at_any_depth() {
        let mut v =
            json!({"UserCreated": {"email": "a@b.io", "password_hash": "$argon2id$x", "n": [{"password_hash": 1}]}});
        scrub(&mut v);
        assert_eq!(v, json!({"UserCreated": {"email": "a@b.io", "n": [{}]}}));
    }
}
