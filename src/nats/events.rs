//! Domain events out: committed events are published to the JetStream stream `P-events`
//! (`P.events.person.created`, …) in commit-safe global order, at least once, with
//! `Nats-Msg-Id` = the event's id so the stream drops duplicates. One instance publishes at a time
//! (a session advisory lock); its checkpoint only advances over events NATS acknowledged, so an
//! outage delays events and loses none. The password hash never leaves the database.
//!
//! No event can stop the others: one too large for the stream (written before records were bounded,
//! or a stream limited further by an operator) goes out thin, without its data and metadata, and one
//! too large even so is skipped, each logged and counted in `rollcall_events_published_total`.

mod message;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::{CreateStreamError, PublishAckFuture, PublishError, PublishErrorKind};
use async_nats::jetstream::{self, ErrorCode, message::PublishMessage, stream};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backoff::{self, Backoff};
use crate::metrics::Metrics;
use crate::persistence::feed::{self, EventRow};
pub use message::{Form, OMITTED, body, event_id, subject};

/// Events published per batch.
const BATCH: i64 = 256;
/// How often an idle publisher looks for new events (it is also woken by projector progress).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Namespace of the deterministic event ids.
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b5e_9a4d_4c3b_8e7f_1a2b_3c4d_5e6f);

/// Why the publisher paused (it retries after a delay). `Display` is the text logged for it.
#[derive(Debug, thiserror::Error)]
enum PublisherError {
    /// Reading the feed or the checkpoint, or taking the leader lock, failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The connection holding the leader lock is gone, and the lock with it.
    #[error("leader lock lost: {0}")]
    LockLost(#[source] sqlx::Error),
    /// The `P-events` stream could not be found or created.
    #[error(transparent)]
    Stream(#[from] CreateStreamError),
    /// NATS did not take an event; the checkpoint moved over the `published` ones before it.
    #[error("{published} of {total} events published")]
    Publish {
        published: usize,
        total: usize,
        #[source]
        source: PublishError,
    },
    /// NATS did not acknowledge an event; the checkpoint moved over the `published` ones before it.
    #[error("{published} of {total} events published")]
    Ack {
        published: usize,
        total: usize,
        #[source]
        source: PublishError,
    },
}

/// The publisher's checkpoint in `projector_checkpoints`: how far `P-events` has got.
pub fn checkpoint(prefix: &str) -> String {
    format!("nats_events:{prefix}")
}

/// Creates the `P-events` stream if it does not exist; the largest message it takes (`None`: any).
pub async fn ensure_stream(js: &jetstream::Context, prefix: &str) -> Result<Option<usize>, CreateStreamError> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: format!("{prefix}-events"),
            subjects: vec![format!("{prefix}.events.>")],
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await?;
    Ok(usize::try_from(stream.cached_info().config.max_message_size)
        .ok()
        .filter(|n| *n > 0))
}

/// Whether the server refused a message for its size (so it never will take it as it is).
fn refused_for_size(e: &PublishError) -> bool {
    e.kind() == PublishErrorKind::MaxPayloadExceeded
        || std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
            .is_some_and(|e| {
                [
                    ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM,
                    ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM,
                ]
                .contains(&e.error_code())
            })
}

pub struct Publisher {
    pool: PgPool,
    client: async_nats::Client,
    js: jetstream::Context,
    prefix: String,
    progress: watch::Receiver<u64>,
    metrics: Arc<Metrics>,
    /// The largest message the stream takes, learnt when leadership starts.
    stream_limit: Option<usize>,
    /// Events the server refused whole: sent thin on the next try, skipped if refused again.
    refused: HashSet<i64>,
}

/// What became of one event of a batch, in order.
enum Sent {
    /// Sent in this form; the server's ack is awaited.
    Pending(Form, PublishAckFuture),
    /// Too large for the stream even thin: passed over (logged and counted).
    Skipped,
}

fn lock_key(prefix: &str) -> i64 {
    let digest = Uuid::new_v5(&EVENT_ID_NAMESPACE, format!("publisher/{prefix}").as_bytes());
    i64::from_be_bytes(digest.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

impl Publisher {
    pub fn new(
        pool: PgPool,
        client: async_nats::Client,
        prefix: String,
        progress: watch::Receiver<u64>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(client.clone());
        Publisher {
            pool,
            client,
            js,
            prefix,
            progress,
            metrics,
            stream_limit: None,
            refused: HashSet::new(),
        }
    }

    fn checkpoint(&self) -> String {
        checkpoint(&self.prefix)
    }

    /// The largest message that can go out now: the server's `max_payload`, or the stream's limit.
    fn limit(&self) -> usize {
        let max_payload = self.client.max_payload();
        self.stream_limit.map_or(max_payload, |l| l.min(max_payload))
    }

    /// Publishes until `shutdown`; waits for leadership, and retries every failure with a growing delay.
    pub async fn run(mut self, shutdown: CancellationToken) {
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
    }

    /// Takes the leader lock (or returns if another instance holds it) and publishes while it holds.
    async fn lead(&mut self, shutdown: &CancellationToken) -> Result<(), PublisherError> {
        let mut lock: PoolConnection<Postgres> = self.pool.acquire().await?;
        let key = lock_key(&self.prefix);
        let leader: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *lock)
            .await?;
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
    ) -> Result<(), PublisherError> {
        self.stream_limit = ensure_stream(&self.js, &self.prefix).await?;
        feed::ensure_checkpoint(lock, &self.checkpoint()).await?;
        tracing::info!("publishing domain events to {}-events", self.prefix);
        while !shutdown.is_cancelled() {
            // Still the leader? (The lock dies with its connection.)
            sqlx::query("SELECT 1")
                .execute(&mut **lock)
                .await
                .map_err(PublisherError::LockLost)?;
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

    /// Publishes the next final events and moves the checkpoint over those NATS acknowledged (or that
    /// no form of which the stream takes). An event too large for the stream goes out thin, so no event
    /// can hold the others back.
    async fn publish_batch(&mut self) -> Result<usize, PublisherError> {
        let mut conn = self.pool.acquire().await?;
        let after = feed::checkpoint(&mut conn, &self.checkpoint()).await?;
        let xmin = feed::snapshot_xmin(&mut conn).await?;
        let rows = feed::read_after(&mut conn, after, xmin, BATCH).await?;
        let limit = self.limit();
        let mut sent = Vec::with_capacity(rows.len());
        // What stopped the batch short: a send that failed, or an earlier event's ack that did.
        let (mut unsent, mut unacked) = (None, None);
        for row in &rows {
            let thin = self.refused.contains(&row.global_position);
            let Some(out) = message::outgoing(row, limit, thin) else {
                sent.push(Sent::Skipped);
                continue;
            };
            let publish = PublishMessage::build().payload(out.payload).headers(out.headers);
            match self
                .js
                .send_publish(subject(&self.prefix, &row.aggregate_type, &row.event_type), publish)
                .await
            {
                Ok(ack) => sent.push(Sent::Pending(out.form, ack)),
                Err(e) => {
                    if refused_for_size(&e) {
                        self.refused.insert(row.global_position);
                    }
                    tracing::warn!(error = %e, position = row.global_position, "publish failed");
                    unsent = Some(e);
                    break;
                }
            }
        }
        // The checkpoint moves over the settled prefix only.
        let mut done: Option<feed::Cursor> = None;
        let mut count = 0;
        for (row, sent) in rows.iter().zip(sent) {
            let form = match sent {
                Sent::Skipped => None,
                Sent::Pending(form, ack) => match ack.await {
                    Ok(_) => Some(form),
                    Err(e) if refused_for_size(&e) && form == Form::Whole => {
                        // Sent again thin next round; what was sent after it is deduped by its id.
                        self.refused.insert(row.global_position);
                        tracing::warn!(error = %e, position = row.global_position,
                            "the stream refused an event for its size; it goes out thin");
                        unacked = Some(e);
                        break;
                    }
                    Err(e) if refused_for_size(&e) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, position = row.global_position, "publish not acknowledged");
                        unacked = Some(e);
                        break;
                    }
                },
            };
            self.settled(row, form, limit);
            done = Some(row.cursor());
            count += 1;
        }
        if let Some(at) = done {
            feed::save_checkpoint(&mut conn, &self.checkpoint(), at, count as i64).await?;
            tracing::debug!(events = count, "domain events published");
        }
        // Short of the batch exactly when one of them stopped it; a failed ack is the earlier event's.
        let (published, total) = (count, rows.len());
        match (unacked, unsent) {
            (Some(source), _) => Err(PublisherError::Ack {
                published,
                total,
                source,
            }),
            (None, Some(source)) => Err(PublisherError::Publish {
                published,
                total,
                source,
            }),
            (None, None) => Ok(count),
        }
    }

    /// Counts an event the checkpoint passes over: published whole or thin, or skipped (`None`).
    fn settled(&mut self, row: &EventRow, form: Option<Form>, limit: usize) {
        self.refused.remove(&row.global_position);
        let outcome = form.map_or("skipped", Form::as_str);
        self.metrics.published_events.with_label_values(&[outcome]).inc();
        let (position, event) = (row.global_position, row.event_type.as_str());
        match form {
            Some(Form::Whole) => {}
            Some(Form::Thin) => tracing::warn!(position, event, aggregate_id = %row.aggregate_id, limit,
                "an event too large for the stream was published thin, without its data and metadata"),
            None => tracing::error!(position, event, aggregate_id = %row.aggregate_id, limit,
                "an event too large for the stream even thin was skipped; consumers must read it from the service"),
        }
    }
}
