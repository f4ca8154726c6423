//! The real binary killed (SIGKILL) during contact updates over NATS: an update committed but never
//! acked comes back and is recognised by its key (here the stream position: it has no `Nats-Msg-Id`);
//! after a burst and a restart every update is applied exactly once (each carries a distinct value and
//! its own `Nats-Msg-Id`), and `rollcall projections rebuild` gives the same read models.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use rollcall::application::Expect;
use rollcall::domain::person::{PersonDraft, PersonPatch};
use rollcall::domain::values::{Patch, ShareType};
use serde_json::json;

use super::crash::{binary_settings, lock_event_store, unlock_event_store};
use super::{consumer_info, drained, drained_on_progress, headers, precreate};
use crate::fold::read_model_difference;
use crate::helpers::binary::{self, Cleanup};
use crate::helpers::proxy::NatsProxy;
use crate::helpers::{TestApp, eventually};
use crate::ops::scrape;

const UPDATE_PERSON: &str = "crm.person.update";

/// Publishes `update-<i>` (to person `ids[i % len]`, setting `about` to its own name) for every `i` in
/// `range`, each with its own `Nats-Msg-Id`.
async fn publish_updates(
    js: &jetstream::Context,
    prefix: &str,
    token: &str,
    ids: &[i64],
    range: std::ops::Range<usize>,
) {
    futures::stream::iter(range)
        .for_each_concurrent(100, |i| async move {
            let key = format!("update-{i}");
            let body = json!({"id": ids[i % ids.len()], "about": key});
            super::publish(js, prefix, UPDATE_PERSON, headers(token, Some(&key)), &body).await;
        })
        .await;
}

/// The `about` of every `PersonUpdated` event, sorted.
async fn updates_applied(t: &TestApp) -> Vec<String> {
    let mut about: Vec<String> = sqlx::query_scalar(
        "SELECT payload -> 'PersonUpdated' ->> 'about' FROM events
          WHERE aggregate_type = 'Person' AND event_type = 'PersonUpdated'",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    about.sort();
    about
}

/// A person to update, created through the application.
async fn person(t: &TestApp, name: &str) -> i64 {
    let draft = PersonDraft {
        first_name: Some(name.into()),
        share_type: ShareType::ReadWrite,
        ..Default::default()
    };
    t.app
        .create_person(&t.owner_meta().await, draft, None)
        .await
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyless_update_committed_but_not_acked_before_a_kill_is_redelivered_and_applied_once() {
    let t = TestApp::spawn().await;
    let settings = binary_settings(&t);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(2))).await;
    let _cleanup = Cleanup(settings.clone());
    let id = person(&t, "Once").await;
    // The first instance reaches NATS through a proxy that swallows its acks: it commits the update,
    // but JetStream never hears that it did.
    let server = tokio::net::lookup_host(settings.nats_url.trim_start_matches("nats://"))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = NatsProxy::start(Some(server)).await;
    proxy.drop_acks(true);
    let mut through_proxy = settings.clone();
    through_proxy.nats_url = proxy.url();
    let mut first = binary::serve(&through_proxy).await;

    let token = t.owner_token().await;
    let body = json!({"id": id, "about": "exactly once"});
    super::publish(&js, &prefix, UPDATE_PERSON, headers(&token, None), &body).await;
    let committed = eventually(Duration::from_secs(30), || async {
        (t.count_events("Person", "PersonUpdated").await == 1).then_some(())
    })
    .await;
    assert!(committed.is_some(), "the first instance never committed the update");
    assert_eq!(consumer_info(&js, &prefix).await.unwrap().num_ack_pending, 1);
    first.kill().await;
    // Another change in between: applied again, the redelivered update would show as a third event.
    let patch = PersonPatch {
        about: Patch::Set("meanwhile".into()),
        ..Default::default()
    };
    let meta = t.owner_meta().await;
    t.app
        .update_person(&meta, id, patch, None, Expect::default())
        .await
        .unwrap();

    let second = binary::serve(&settings).await;
    drained(&js, &prefix, Duration::from_secs(60)).await;
    assert_eq!(
        updates_applied(&t).await,
        ["exactly once", "meanwhile"],
        "the redelivery changed nothing more"
    );
    let redelivered = scrape(second.http_addr)
        .await
        .value("rollcall_nats_redeliveries_total", &[]);
    assert!(
        redelivered.is_some_and(|n| n >= 1.0),
        "the second instance got the update as a redelivery: {redelivered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_mid_burst_of_updates_applies_each_once_and_a_rebuild_gives_the_same_read_models() {
    const PERSONS: usize = 12;
    const TOTAL: usize = 360;
    let t = TestApp::spawn().await;
    let settings = binary_settings(&t);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    // A short ack_wait, so what the killed process held comes back within the test.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(2))).await;
    let _cleanup = Cleanup(settings.clone());
    let mut ids = Vec::new();
    for i in 0..PERSONS {
        ids.push(person(&t, &format!("Burst{i}")).await);
    }
    let token = t.owner_token().await;
    publish_updates(&js, &prefix, &token, &ids, 0..TOTAL / 2).await;

    let mut first = binary::serve(&settings).await;
    let started = eventually(Duration::from_secs(60), || async {
        (t.count_events("Person", "PersonUpdated").await >= 40).then_some(())
    })
    .await;
    assert!(started.is_some(), "the service never got going");
    // What the service pulled and has not committed yet stays in its hands until the kill.
    let lock = lock_event_store(&settings).await;
    first.kill().await;
    unlock_event_store(lock).await;
    let at_kill = t.count_events("Person", "PersonUpdated").await;
    assert!(at_kill < TOTAL as i64, "killed mid-burst (all {at_kill} were done)");

    // The second half arrives while no instance runs.
    publish_updates(&js, &prefix, &token, &ids, TOTAL / 2..TOTAL).await;
    let mut second = binary::serve(&settings).await;
    drained_on_progress(&js, &prefix).await;
    let mut expected: Vec<String> = (0..TOTAL).map(|i| format!("update-{i}")).collect();
    expected.sort();
    assert_eq!(updates_applied(&t).await, expected, "every update applied exactly once");
    let status = second.terminate().await;
    assert_eq!(status.code(), Some(0), "a graceful stop after the restart");

    let before = read_models(&t).await;
    let out = binary::command(&settings)
        .args(["projections", "rebuild"])
        .stdout(std::process::Stdio::piped())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read_models(&t).await, before, "the rebuild gives the same read models");
    let difference = eventually(Duration::from_secs(30), || async {
        read_model_difference(&t.pool).await.is_none().then_some(())
    })
    .await;
    assert!(
        difference.is_some(),
        "the read models differ from the events: {:?}",
        read_model_difference(&t.pool).await
    );
}

/// Every row of the persons and companies read models, whole, in id order.
async fn read_models(t: &TestApp) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for table in ["persons", "companies"] {
        let table_rows: Vec<serde_json::Value> =
            sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY t.id"))
                .fetch_all(&t.pool)
                .await
                .unwrap();
        rows.extend(table_rows);
    }
    rows
}
