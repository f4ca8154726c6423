//! NATS adapter tests against a real server: JetStream commands, idempotency, rejections,
//! request-reply, a killed service and a restarted NATS server. Each test has its own prefix.

mod batch;
mod change_crash;
mod changes;
mod commands;
mod companies;
mod crash;
mod groups;
mod hardening;
mod idempotency;
mod limits;
mod order;
mod outage;
mod people_lifecycle;
mod protobuf;
mod rejections;
pub mod rpc;
mod secrets;
mod stall;

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, stream};
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};

pub const PERSON: &str = "crm.person.create";
pub const USER: &str = "people.user.create";

/// `Authorization: Bearer <token>` and, when given, `Nats-Msg-Id`.
pub fn headers(token: &str, msg_id: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Authorization", format!("Bearer {token}").as_str());
    if let Some(id) = msg_id {
        h.insert("Nats-Msg-Id", id);
    }
    h
}

pub fn person_json(first: &str) -> Value {
    json!({"firstName": first, "lastName": "Bachir", "jobTitle": "Programmer", "shareType": "none"})
}

/// Waits until the service has created the command stream (so JetStream publishes are stored).
pub async fn stream_ready(js: &jetstream::Context, prefix: &str) {
    let ready = eventually(Duration::from_secs(20), || async {
        js.get_stream(format!("{prefix}-commands")).await.ok().map(|_| ())
    })
    .await;
    assert!(ready.is_some(), "the command stream was never created");
}

/// Publishes to `P.commands.<command>` through JetStream and waits for the stream's ack.
pub async fn publish(js: &jetstream::Context, prefix: &str, command: &str, headers: HeaderMap, body: &Value) {
    js.publish_with_headers(
        format!("{prefix}.commands.{command}"),
        headers,
        serde_json::to_vec(body).unwrap().into(),
    )
    .await
    .expect("published")
    .await
    .expect("stored by the stream");
}

/// The ingestion consumer's state, once it exists.
pub async fn consumer_info(js: &jetstream::Context, prefix: &str) -> Option<consumer::Info> {
    let stream = js.get_stream(format!("{prefix}-commands")).await.ok()?;
    stream.consumer_info(format!("{prefix}-ingest")).await.ok()
}

/// Waits until the consumer has nothing pending or unacknowledged.
pub async fn drained(js: &jetstream::Context, prefix: &str, timeout: Duration) -> consumer::Info {
    eventually(timeout, || async {
        let info = consumer_info(js, prefix).await?;
        (info.num_pending == 0 && info.num_ack_pending == 0).then_some(info)
    })
    .await
    .expect("the consumer drains")
}

/// Longest the consumer may make no progress while draining: well under the 30 s default ack_wait, so
/// a message that is only redelivered after ack_wait stalls the drain long enough to fail it.
const DRAIN_STALL: Duration = Duration::from_secs(15);

/// Waits until the consumer has nothing pending or unacknowledged, for as long as it makes progress
/// (fewer messages left, or a higher ack floor), failing once it stalls for [`DRAIN_STALL`]: a slow
/// machine drains slowly, a stuck service fails within seconds.
pub async fn drained_on_progress(js: &jetstream::Context, prefix: &str) -> consumer::Info {
    let mut last = None;
    let mut since = tokio::time::Instant::now();
    loop {
        if let Some(info) = consumer_info(js, prefix).await {
            if info.num_pending == 0 && info.num_ack_pending == 0 {
                return info;
            }
            let now = (
                info.num_pending + info.num_ack_pending as u64,
                info.ack_floor.stream_sequence,
            );
            if last.is_none_or(|(left, floor)| now.0 < left || now.1 > floor) {
                last = Some(now);
                since = tokio::time::Instant::now();
            }
        }
        assert!(
            since.elapsed() < DRAIN_STALL,
            "the consumer made no progress for {DRAIN_STALL:?}: {:?}",
            consumer_info(js, prefix).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates `P-commands` (and, with `ack_wait`, `P-ingest`) before the service does, as an operator
/// would; the service must keep these settings.
pub async fn precreate(js: &jetstream::Context, prefix: &str, duplicate_window: Duration, ack_wait: Option<Duration>) {
    let stream = js
        .create_stream(stream::Config {
            name: format!("{prefix}-commands"),
            subjects: vec![format!("{prefix}.commands.>")],
            storage: stream::StorageType::File,
            duplicate_window,
            ..Default::default()
        })
        .await
        .unwrap();
    if let Some(ack_wait) = ack_wait {
        stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(format!("{prefix}-ingest")),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait,
                max_deliver: 10,
                max_ack_pending: 256,
                filter_subject: format!("{prefix}.commands.>"),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// Persons created, counted in the event store.
pub async fn persons_created(t: &TestApp) -> i64 {
    t.count_events("Person", "PersonCreated").await
}
