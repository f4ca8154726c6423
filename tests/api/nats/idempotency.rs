//! `Nats-Msg-Id` is the idempotency key: duplicates never create twice, whether JetStream dedupes
//! them (inside its window) or they reach the service (beyond it, or through another publish path).

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;

use super::{PERSON, drained, headers, person_json, persons_created, precreate, stream_ready};
use crate::helpers::{TestApp, test_settings};

/// Publishes `ids` (in order) and waits for every stream ack, a few hundred in flight at a time.
async fn publish_all(js: &jetstream::Context, prefix: &str, token: &str, ids: &[String]) {
    let subject = format!("{prefix}.commands.{PERSON}");
    futures::stream::iter(ids)
        .for_each_concurrent(200, |id| {
            let (js, subject) = (js.clone(), subject.clone());
            async move {
                let body = serde_json::to_vec(&person_json(&format!("Person {id}"))).unwrap();
                js.publish_with_headers(subject, headers(token, Some(id)), body.into())
                    .await
                    .expect("published")
                    .await
                    .expect("stored");
            }
        })
        .await;
}

/// 900 distinct ids, and 100 of them published a second time right after the first.
fn thousand_with_hundred_duplicates() -> Vec<String> {
    let mut ids = Vec::with_capacity(1_000);
    for i in 0..900 {
        ids.push(format!("cmd-{i}"));
        if i % 9 == 0 {
            ids.push(format!("cmd-{i}"));
        }
    }
    assert_eq!(ids.len(), 1_000);
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_commands_with_a_hundred_duplicate_ids_create_exactly_nine_hundred_persons() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    publish_all(&js, &prefix, &token, &thousand_with_hundred_duplicates()).await;
    drained(&js, &prefix, Duration::from_secs(180)).await;
    assert_eq!(persons_created(&t).await, 900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_beyond_the_dedupe_window_reach_the_service_and_still_create_once() {
    // A stream that dedupes for 100 ms only: duplicates published after their originals were handled
    // are stored and delivered, and only the service's idempotency stands between them and a twin.
    let (settings, _) = test_settings();
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(async_nats::connect(&settings.nats_url).await.unwrap());
    precreate(&js, &prefix, Duration::from_millis(100), None).await;
    let t = TestApp::with(settings).await;
    let token = t.owner_token().await;
    let ids: Vec<String> = (0..900).map(|i| format!("cmd-{i}")).collect();
    publish_all(&js, &prefix, &token, &ids).await;
    let window_passed = tokio::time::Instant::now() + Duration::from_millis(200);
    drained(&js, &prefix, Duration::from_secs(180)).await;
    assert_eq!(persons_created(&t).await, 900);

    tokio::time::sleep_until(window_passed).await;
    let duplicates: Vec<String> = ids.iter().step_by(9).cloned().collect();
    assert_eq!(duplicates.len(), 100);
    publish_all(&js, &prefix, &token, &duplicates).await;
    let info = drained(&js, &prefix, Duration::from_secs(60)).await;
    let mut stream = js.get_stream(format!("{prefix}-commands")).await.unwrap();
    assert_eq!(
        stream.info().await.unwrap().state.last_sequence,
        1_000,
        "JetStream stored every duplicate"
    );
    assert_eq!(info.delivered.stream_sequence, 1_000, "and delivered it");
    assert_eq!(persons_created(&t).await, 900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_republished_through_core_nats_after_they_were_acked_do_not_create_twice() {
    let (settings, _) = test_settings();
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(async_nats::connect(&settings.nats_url).await.unwrap());
    precreate(&js, &prefix, Duration::from_millis(100), None).await;
    let t = TestApp::with(settings).await;
    let token = t.owner_token().await;
    let ids: Vec<String> = (0..50).map(|i| format!("again-{i}")).collect();
    publish_all(&js, &prefix, &token, &ids).await;
    let window_passed = tokio::time::Instant::now() + Duration::from_millis(200);
    drained(&js, &prefix, Duration::from_secs(60)).await;
    // Handling can now outpace the 100 ms window: republish only once JetStream no longer dedupes.
    tokio::time::sleep_until(window_passed).await;
    assert_eq!(persons_created(&t).await, 50);

    // The same ids again, as plain core-NATS publishes (the stream captures them as well).
    let subject = format!("{prefix}.commands.{PERSON}");
    for id in &ids {
        let body = serde_json::to_vec(&person_json(&format!("Person {id}"))).unwrap();
        t.nats
            .publish_with_headers(subject.clone(), headers(&token, Some(id)), body.into())
            .await
            .unwrap();
    }
    t.nats.flush().await.unwrap();
    let stored = crate::helpers::eventually(Duration::from_secs(10), || async {
        let mut stream = js.get_stream(format!("{prefix}-commands")).await.ok()?;
        (stream.info().await.ok()?.state.last_sequence == 100).then_some(())
    })
    .await;
    assert!(stored.is_some(), "the republished commands were stored");
    drained(&js, &prefix, Duration::from_secs(60)).await;
    assert_eq!(persons_created(&t).await, 50);
}
