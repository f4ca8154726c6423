//! Domain events out to JetStream: every event exactly once, in order, without secrets.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream;
use rollcall::domain::person::PersonDraft;
use rollcall::domain::user::UserDraft;

use crate::fold::count_events;
use crate::helpers::nats_server::PrivateNats;
use crate::helpers::{TestApp, eventually, secret, test_settings, user_draft};

/// Waits until `P-events` holds `expected` messages, then returns their `Nats-Msg-Id`s (asserting
/// there are no more than `expected`).
pub async fn published_ids(t: &TestApp, expected: i64) -> Vec<String> {
    let js = jetstream::new(t.nats.clone());
    let name = format!("{}-events", t.settings.nats_prefix);
    let stored = eventually(Duration::from_secs(30), || async {
        let mut stream = js.get_stream(&name).await.ok()?;
        let n = stream.info().await.ok()?.state.messages as i64;
        (n >= expected).then_some(n)
    })
    .await;
    assert_eq!(stored, Some(expected), "the stream never held exactly the events");
    let stream = js.get_stream(&name).await.unwrap();
    let mut ids = Vec::new();
    for seq in 1..=expected as u64 {
        let msg = stream.get_raw_message(seq).await.unwrap();
        let id = msg.headers.get("Nats-Msg-Id").map(|v| v.to_string()).unwrap();
        let body = String::from_utf8(msg.payload.to_vec()).unwrap();
        assert!(
            !body.contains("password_hash") && !body.contains("$argon2"),
            "secrets leaked: {body}"
        );
        ids.push(id);
    }
    ids
}

fn person(name: &str) -> PersonDraft {
    PersonDraft {
        first_name: Some(name.into()),
        ..PersonDraft::default()
    }
}

#[tokio::test]
async fn every_event_is_published_once_with_its_id_and_no_password_hash() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    for i in 0..4 {
        t.app.create_person(&meta, person(&format!("P{i}"))).await.unwrap();
    }
    let draft = UserDraft {
        password: Some(secret("a-valid-password")),
        ..user_draft("pub@example.com")
    };
    t.app.create_user(&meta, draft).await.unwrap();
    let events = count_events(&t.pool).await;
    let ids = published_ids(&t, events).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "ids are unique");

    // Subjects and order per aggregate follow the interface.
    let js = jetstream::new(t.nats.clone());
    let stream = js
        .get_stream(format!("{}-events", t.settings.nats_prefix))
        .await
        .unwrap();
    let prefix = &t.settings.nats_prefix;
    for kind in ["person", "user"] {
        let subject = format!("{prefix}.events.{kind}.created");
        assert!(
            stream.get_last_raw_message_by_subject(&subject).await.is_ok(),
            "nothing on {subject}"
        );
    }
    let positions: Vec<i64> = {
        let mut out = Vec::new();
        for seq in 1..=events as u64 {
            let msg = stream.get_raw_message(seq).await.unwrap();
            let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
            out.push(body["position"].as_i64().unwrap());
        }
        out
    };
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "published in global order: {positions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_in_a_burst_delays_events_but_loses_and_duplicates_none() {
    let mut nats = PrivateNats::start().await;
    let (mut settings, _) = test_settings();
    settings.nats_url = nats.url();
    let t = TestApp::with(settings).await;
    let meta = t.owner_meta().await;
    let (app, burst_meta) = (t.app.clone(), meta.clone());
    let burst = tokio::spawn(async move {
        for i in 0..60 {
            app.create_person(&burst_meta, person(&format!("Burst{i}")))
                .await
                .unwrap();
        }
    });
    let pool = t.pool.clone();
    let at = |n: i64| {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move { (count_events(&pool).await >= n).then_some(()) }
        }
    };
    assert!(eventually(Duration::from_secs(30), at(20)).await.is_some());
    nats.kill().await;
    assert!(eventually(Duration::from_secs(30), at(40)).await.is_some());
    nats.restart().await;
    burst.await.unwrap();

    let events = count_events(&t.pool).await;
    assert_eq!(events, 61, "the owner and the burst");
    let ids = published_ids(&t, events).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len() as i64, events);
    // Nothing more arrives later (no duplicate slipped past the window).
    let js = jetstream::new(t.nats.clone());
    let mut stream = js
        .get_stream(format!("{}-events", t.settings.nats_prefix))
        .await
        .unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages as i64, events);
}
