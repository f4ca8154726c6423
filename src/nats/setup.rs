//! Ensures the command stream `P-commands` and the durable pull consumer `P-ingest` exist. Missing ones
//! are created with the settings below; existing ones are left as the operator configured them, with a
//! warning for each setting the ingestion relies on that differs.
//!
//! Commands carry bearer tokens and passwords, so the stream keeps a command only until it is handled:
//! a new stream has work-queue retention (the server drops a message once it is acked or terminated).
//! A stream with limits retention (as rollcall created it before, and NATS cannot change retention in
//! place) still works: the ingestion then purges, every second, what lies below the consumer's ack
//! floor (every message before it is settled for good).

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, consumer};

use super::names::Names;

/// How long JetStream drops a republished `Nats-Msg-Id` by itself (the App dedupes beyond it).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long a command not yet handled (no instance running) may wait in the stream.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Deliveries of one message before the ingestion gives up on it (and rejects it).
pub const MAX_DELIVER: i64 = 10;
/// How long a delivered message may stay unacknowledged before JetStream redelivers it.
pub const ACK_WAIT: Duration = Duration::from_secs(30);
/// Unacknowledged messages across every instance sharing the consumer.
pub const MAX_ACK_PENDING: i64 = 4_096;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot ensure the stream: {0}")]
    Stream(#[from] jetstream::context::CreateStreamError),
    #[error("cannot ensure the consumer: {0}")]
    Consumer(#[from] jetstream::stream::ConsumerError),
}

fn stream_config(names: &Names) -> stream::Config {
    stream::Config {
        name: names.stream(),
        subjects: vec![names.commands()],
        storage: StorageType::File,
        retention: RetentionPolicy::WorkQueue,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: MAX_AGE,
        ..Default::default()
    }
}

fn consumer_config(names: &Names) -> pull::Config {
    pull::Config {
        durable_name: Some(names.consumer()),
        description: Some("rollcall command ingestion".into()),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_deliver: MAX_DELIVER,
        max_ack_pending: MAX_ACK_PENDING,
        filter_subject: names.commands(),
        ..Default::default()
    }
}

/// The consumer, and whether the ingestion must erase what it handled itself.
pub struct Ensured {
    pub consumer: PullConsumer,
    /// The stream keeps handled messages (limits retention): the ingestion purges them.
    pub erase_handled: bool,
}

/// The stream and the consumer, created when missing, never overwritten.
pub async fn ensure(js: &jetstream::Context, names: &Names) -> Result<Ensured, SetupError> {
    let stream = js.get_or_create_stream(stream_config(names)).await?;
    let config = &stream.cached_info().config;
    check_stream(config, names);
    let consumer: PullConsumer = stream
        .get_or_create_consumer(&names.consumer(), consumer_config(names))
        .await?;
    check_consumer(&consumer.cached_info().config, names);
    Ok(Ensured {
        consumer,
        erase_handled: keeps_handled(config),
    })
}

/// Whether the stream keeps a message after every consumer acked it (limits retention).
pub fn keeps_handled(config: &stream::Config) -> bool {
    config.retention == RetentionPolicy::Limits
}

fn check_stream(actual: &stream::Config, names: &Names) {
    let name = names.stream();
    let commands = names.commands();
    if !actual.subjects.iter().any(|s| s == &commands || s == ">") {
        tracing::warn!(stream = %name, subjects = ?actual.subjects, expected = %commands,
            "the command stream does not capture every command subject");
    }
    if actual.storage != StorageType::File {
        tracing::warn!(stream = %name, "the command stream is not file-backed: commands are lost if NATS restarts");
    }
    if keeps_handled(actual) {
        tracing::warn!(stream = %name,
            "the command stream keeps handled commands (limits retention, as older versions created it); \
             they are purged below the consumer's ack floor every second. Recreate it with work-queue retention \
             while it is empty to leave that to NATS");
    }
    if actual.duplicate_window < DUPLICATE_WINDOW {
        tracing::warn!(stream = %name, window = ?actual.duplicate_window,
            "the command stream dedupes Nats-Msg-Id for less than 2 minutes (the service still dedupes)");
    }
}

fn check_consumer(actual: &consumer::Config, names: &Names) {
    let name = names.consumer();
    if actual.ack_policy != AckPolicy::Explicit {
        tracing::warn!(consumer = %name, policy = ?actual.ack_policy,
            "the consumer does not use explicit acks: failed commands may be lost");
    }
    if actual.max_deliver != MAX_DELIVER {
        tracing::warn!(consumer = %name, max_deliver = actual.max_deliver, expected = MAX_DELIVER,
            "the consumer's max_deliver differs; the service gives up at it (or at {MAX_DELIVER} when unlimited)");
    }
    if actual.ack_wait != ACK_WAIT {
        tracing::warn!(consumer = %name, ack_wait = ?actual.ack_wait, expected = ?ACK_WAIT,
            "the consumer's ack_wait differs; the service keeps long commands alive at half of it");
    }
    let filters: Vec<&String> = std::iter::once(&actual.filter_subject)
        .chain(&actual.filter_subjects)
        .filter(|f| !f.is_empty())
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| **f == names.commands()) {
        tracing::warn!(consumer = %name, filters = ?filters, "the consumer filters command subjects");
    }
}

/// The delivery count at which a failing message is given up (the consumer's, or ours when unlimited).
pub fn give_up_after(actual: &consumer::Config) -> i64 {
    if actual.max_deliver > 0 {
        actual.max_deliver
    } else {
        MAX_DELIVER
    }
}
