//! Ingestion never stalls after an idle period (issue 18): black-box runs saw commands wait 5 s when a
//! burst met pull requests that had expired while the service was idle. Bursts after idle periods
//! longer than a pull's expiry (500 ms), at several phases against the pull cycle, with one instance,
//! with two sharing the consumer, and with a server that never says a pull expired (nats-server 2.9
//! drops an expired request silently when a new message finds it before its expiry timer does, the
//! race behind the stalls; here a proxy swallows every `408`): each burst is handled within a bound
//! well under the 5 s of a stalled pull.

use std::time::Duration;

use async_nats::jetstream;
use futures::future::join_all;

use super::{PERSON, headers, person_json, stream_ready};
use crate::helpers::proxy::NatsProxy;
use crate::helpers::{TestApp, eventually, test_settings};
use crate::ops::scrape;

/// Longest one burst may take from its publishing to its last person in the event store.
const BURST_BOUND: Duration = Duration::from_millis(2_500);
/// Commands per burst (with the service's own consumer).
const BURST: usize = 40;
/// Idle periods before the bursts: all longer than the pull expiry, at different phases of it.
const IDLE_MS: [u64; 5] = [650, 1_100, 1_390, 1_720, 2_050];

async fn persons_in_store(t: &TestApp) -> i64 {
    t.count_events("Person", "PersonCreated").await
}

/// Publishes one burst of person creates (all at once) and waits for their JetStream acks.
async fn burst(js: &jetstream::Context, prefix: &str, token: &str, tag: &str, size: usize) {
    let body = serde_json::to_vec(&person_json("Burst")).unwrap();
    let mut acks = Vec::with_capacity(size);
    for i in 0..size {
        let ack = js
            .publish_with_headers(
                format!("{prefix}.commands.{PERSON}"),
                headers(token, Some(&format!("{tag}-{i}"))),
                body.clone().into(),
            )
            .await
            .expect("published");
        acks.push(ack);
    }
    for ack in join_all(acks.into_iter().map(std::future::IntoFuture::into_future)).await {
        ack.expect("stored by the stream");
    }
}

/// Runs the bursts against `t` (whose consumer may be shared with other instances) and returns how
/// long each took to be fully handled; panics when one exceeds [`BURST_BOUND`].
async fn bursts_after_idle(t: &TestApp, tag: &str, size: usize) -> Vec<Duration> {
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let mut took = Vec::new();
    for (round, idle) in IDLE_MS.into_iter().enumerate() {
        // The idle period is the condition under test (pulls expire meanwhile), not a wait for an effect.
        tokio::time::sleep(Duration::from_millis(idle)).await;
        let before = persons_in_store(t).await;
        let start = tokio::time::Instant::now();
        burst(&js, &prefix, &token, &format!("{tag}-{round}"), size).await;
        let want = before + size as i64;
        let handled = eventually(BURST_BOUND, || async {
            (persons_in_store(t).await >= want).then_some(())
        })
        .await;
        let elapsed = start.elapsed();
        assert!(
            handled.is_some(),
            "burst {round} after {idle} ms idle was not handled within {BURST_BOUND:?}: {} of {size} after {elapsed:?}",
            persons_in_store(t).await - before
        );
        took.push(elapsed);
    }
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_after_idle_periods_are_handled_without_a_stall() {
    let t = TestApp::spawn().await;
    bursts_after_idle(&t, "one", BURST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bursts_after_idle_periods_are_handled_without_a_stall_by_two_instances() {
    let a = TestApp::spawn().await;
    // Both consume from the one durable consumer.
    let _b = TestApp::with(a.settings.clone()).await;
    bursts_after_idle(&a, "two", BURST).await;
}

/// The server ends an expired pull without telling the client (here the proxy swallows every `408`):
/// the service pulls again after its own short guard, so a burst after idle periods is still handled
/// in time, instead of after the client library's 5 s timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_are_handled_in_time_when_the_server_never_says_a_pull_expired() {
    let (mut settings, _) = test_settings();
    let server = tokio::net::lookup_host(settings.nats_url.trim_start_matches("nats://"))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = NatsProxy::start(Some(server)).await;
    proxy.drop_pull_timeouts(true);
    let direct = settings.nats_url.clone();
    settings.nats_url = proxy.url();
    let mut t = TestApp::with(settings).await;
    // The bursts are published straight to the server; only the service's traffic goes through the proxy.
    t.nats = async_nats::connect(&direct).await.unwrap();
    bursts_after_idle(&t, "silent", BURST).await;
    let guarded = scrape(t.http_addr).await.value("rollcall_nats_silent_pulls_total", &[]);
    assert!(
        guarded.is_some_and(|n| n > 0.0),
        "the guard never ended a pull: {guarded:?}"
    );
}
