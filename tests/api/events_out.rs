//! Domain events out to JetStream: every event exactly once, in order, without secrets, and another
//! instance takes over when the publishing one dies. Where "once" is the publisher's own doing, the
//! test creates `P-events` with the shortest duplicate window (100 ms) and listens on the subjects
//! with a core subscription, which sees every publish, also those the stream would drop as duplicates.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use futures::StreamExt;
use rollcall::config::Settings;
use rollcall::domain::person::PersonDraft;
use rollcall::domain::user::UserDraft;
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::PgPool;

use crate::fold::count_events;
use crate::helpers::binary::{self, Cleanup};
use crate::helpers::nats_server::PrivateNats;
use crate::helpers::{TestApp, eventually, http_client, rest_owner_token, secret, test_settings, user_draft};

/// Creates `P-events` before the service does (the service keeps it), with a duplicate window far too
/// short to drop a second publish of an event: a second publisher, or one whose checkpoint does not
/// advance, shows up as extra messages.
pub async fn precreate_events_without_dedupe(settings: &Settings) {
    let client = async_nats::connect(&settings.nats_url).await.unwrap();
    let prefix = &settings.nats_prefix;
    jetstream::new(client)
        .create_stream(stream::Config {
            name: format!("{prefix}-events"),
            subjects: vec![format!("{prefix}.events.>")],
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_millis(100),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// Every message published on `P.events.>`, seen by a core subscription (before any deduplication).
pub struct EventTap {
    ids: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl EventTap {
    /// Subscribes before anything is published.
    pub async fn start(settings: &Settings) -> EventTap {
        let client = async_nats::connect(&settings.nats_url).await.unwrap();
        let mut subscription = client
            .subscribe(format!("{}.events.>", settings.nats_prefix))
            .await
            .unwrap();
        client.flush().await.unwrap();
        let ids = Arc::new(Mutex::new(Vec::new()));
        let sink = ids.clone();
        let task = tokio::spawn(async move {
            let _client = client;
            while let Some(message) = subscription.next().await {
                let id = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id"));
                sink.lock().unwrap().push(id.map(|v| v.to_string()).unwrap_or_default());
            }
        });
        EventTap { ids, task }
    }

    /// Waits until `expected` publishes were seen and asserts each was a different event.
    pub async fn published_once(&self, expected: i64) {
        let seen = eventually(Duration::from_secs(30), || async {
            let n = self.ids.lock().unwrap().len() as i64;
            (n >= expected).then_some(())
        })
        .await;
        assert!(
            seen.is_some(),
            "only {} publishes of {expected} events",
            self.ids.lock().unwrap().len()
        );
        let ids = self.ids.lock().unwrap().clone();
        let distinct = ids.iter().collect::<HashSet<_>>().len();
        assert_eq!(
            (ids.len(), distinct),
            (expected as usize, expected as usize),
            "each event published once"
        );
    }
}

impl Drop for EventTap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits until the publisher's checkpoint stands at the newest event: everything was published.
async fn publisher_caught_up(pool: &PgPool, prefix: &str) {
    let caught_up = eventually(Duration::from_secs(30), || async {
        // In feed order (transaction, then position): concurrent appends interleave positions, so the
        // last event published need not hold the highest one.
        let behind: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM (SELECT $1::text AS name) n
                      LEFT JOIN projector_checkpoints c ON c.name = n.name
                      JOIN events e ON (e.transaction_id, e.global_position)
                                     > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0)))",
        )
        .bind(format!("nats_events:{prefix}"))
        .fetch_one(pool)
        .await
        .unwrap();
        (!behind).then_some(())
    })
    .await;
    assert!(
        caught_up.is_some(),
        "the publisher's checkpoint never reached the newest event"
    );
}

/// Waits until the publisher has published every event, then returns the `Nats-Msg-Id`s in `P-events`,
/// asserting it holds exactly `expected` messages.
pub async fn published_ids(t: &TestApp, expected: i64) -> Vec<String> {
    stream_ids(&t.nats, &t.pool, &t.settings.nats_prefix, expected).await
}

async fn stream_ids(client: &async_nats::Client, pool: &PgPool, prefix: &str, expected: i64) -> Vec<String> {
    let js = jetstream::new(client.clone());
    let name = format!("{prefix}-events");
    publisher_caught_up(pool, prefix).await;
    let stored = eventually(Duration::from_secs(30), || async {
        let mut stream = js.get_stream(&name).await.ok()?;
        let n = stream.info().await.ok()?.state.messages as i64;
        (n >= expected).then_some(n)
    })
    .await;
    assert_eq!(stored, Some(expected), "the stream holds each event exactly once");
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
    let (settings, _) = test_settings();
    precreate_events_without_dedupe(&settings).await;
    let tap = EventTap::start(&settings).await;
    let t = TestApp::with(settings).await;
    let meta = t.owner_meta().await;
    for i in 0..4 {
        t.app
            .create_person(&meta, person(&format!("P{i}")), None)
            .await
            .unwrap();
    }
    let draft = UserDraft {
        password: Some(secret("a-valid-password")),
        ..user_draft("pub@example.com")
    };
    t.app.create_user(&meta, draft).await.unwrap();
    let events = count_events(&t.pool).await;
    let ids = published_ids(&t, events).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "ids are unique");
    tap.published_once(events).await;

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
            app.create_person(&burst_meta, person(&format!("Burst{i}")), None)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_publishing_instance_dies_mid_burst_the_other_takes_over_and_every_event_is_published_once() {
    const TOTAL: usize = 120;
    let (settings, _) = test_settings();
    let _cleanup = Cleanup(settings.clone());
    let mut leader = binary::serve(&settings).await;
    // The first instance is alone when it starts: it takes the publisher's lock.
    leader.wait_for_log("publishing domain events").await;
    let other = binary::serve(&settings).await;
    let pool = PgPool::connect(settings.database.url.expose_secret()).await.unwrap();
    let nats = async_nats::connect(&settings.nats_url).await.unwrap();

    // A burst of creates through the instance that survives.
    let (client, base) = (http_client(), format!("http://{}/api/2.0", other.http_addr));
    let token = rest_owner_token(other.http_addr).await;
    let burst = tokio::spawn(async move {
        for i in 0..TOTAL {
            let res = client
                .post(format!("{base}/crm/contact/person"))
                .header("Authorization", &token)
                .json(&json!({"firstName": format!("Burst{i}"), "lastName": "Failover"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
        }
    });
    let js = jetstream::new(nats.clone());
    let stream_name = format!("{}-events", settings.nats_prefix);
    let some_published = eventually(Duration::from_secs(60), || async {
        let n = js
            .get_stream(&stream_name)
            .await
            .ok()?
            .info()
            .await
            .ok()?
            .state
            .messages;
        (n >= 20).then_some(())
    })
    .await;
    assert!(some_published.is_some(), "the leader never published");
    leader.kill().await;
    assert!(
        !other.log().iter().any(|l| l.contains("publishing domain events")),
        "the other instance published while the leader lived"
    );
    other.wait_for_log("publishing domain events").await;
    burst.await.unwrap();

    let events = count_events(&pool).await;
    assert_eq!(events, TOTAL as i64 + 1, "the owner and the burst");
    let ids = stream_ids(&nats, &pool, &settings.nats_prefix, events).await;
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len() as i64,
        events,
        "each event once"
    );
    pool.close().await;
}

#[tokio::test]
async fn an_event_too_large_for_nats_goes_out_thin_and_never_holds_back_the_events_after_it() {
    use rollcall::domain::contact::CustomField;
    use rollcall::domain::datetime::ApiDateTime;
    use rollcall::domain::person::{PersonCreated, PersonEvent, PersonFields};
    use rollcall::domain::values::ShareType;

    let t = TestApp::spawn().await;
    published_ids(&t, 1).await; // the owner
    // A person stored before records were bounded: 100 custom fields of 8,000 CJK characters (2.4 MB).
    let legacy = PersonEvent::PersonCreated(PersonCreated {
        id: 999_999,
        fields: PersonFields {
            first_name: "Legacy".into(),
            last_name: String::new(),
            title: None,
            company_id: None,
            about: String::new(),
            share_type: ShareType::ReadWrite,
            managers: vec![],
            custom_fields: (1..=100)
                .map(|key| CustomField {
                    key,
                    value: "語".repeat(8_000),
                })
                .collect(),
            photo: None,
        },
        created_by: uuid::Uuid::nil(),
        created_at: ApiDateTime::parse("2024-01-01T00:00:00Z").unwrap(),
    });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Person', '999999', 1, 'PersonCreated', '1', $1, $2)",
    )
    .bind(serde_json::to_value(&legacy).unwrap())
    .bind(serde_json::json!({"correlation_id": "legacy", "source": "rest"}))
    .execute(&t.pool)
    .await
    .unwrap();
    t.app
        .create_person(&t.owner_meta().await, person("After"), None)
        .await
        .unwrap();

    let ids = published_ids(&t, 3).await;
    assert_eq!(ids.len(), 3);
    let js = jetstream::new(t.nats.clone());
    let stream = js
        .get_stream(format!("{}-events", t.settings.nats_prefix))
        .await
        .unwrap();
    let thin = stream.get_raw_message(2).await.unwrap();
    assert_eq!(
        thin.headers.get("Rollcall-Omitted").map(|v| v.to_string()).as_deref(),
        Some("data, metadata")
    );
    let body: serde_json::Value = serde_json::from_slice(&thin.payload).unwrap();
    assert_eq!(
        (body["aggregateId"].as_str(), body["type"].as_str()),
        (Some("999999"), Some("PersonCreated"))
    );
    assert!(body.get("data").is_none(), "no data in a thin event");
    let after: serde_json::Value = serde_json::from_slice(&stream.get_raw_message(3).await.unwrap().payload).unwrap();
    assert_eq!(after["data"]["PersonCreated"]["first_name"], "After", "{after}");

    let metrics = crate::ops::scrape(t.http_addr).await;
    let count = |outcome| metrics.value("rollcall_events_published_total", &[("outcome", outcome)]);
    assert_eq!(count("thin"), Some(1.0));
    assert!(count("published").is_some_and(|n| n >= 2.0));
}

#[tokio::test]
async fn an_event_the_stream_refuses_for_its_size_goes_out_thin_and_the_next_ones_whole() {
    let t = TestApp::spawn().await;
    published_ids(&t, 1).await; // the owner; the publisher leads with an unlimited stream
    // The operator limits the stream while the publisher runs: the server itself refuses the event.
    let js = jetstream::new(t.nats.clone());
    let name = format!("{}-events", t.settings.nats_prefix);
    let mut config = js.get_stream(&name).await.unwrap().cached_info().config.clone();
    config.max_message_size = 4_096;
    js.update_stream(config).await.unwrap();
    let meta = t.owner_meta().await;
    let big = PersonDraft {
        about: Some("x".repeat(5_000)),
        ..person("Big")
    };
    t.app.create_person(&meta, big, None).await.unwrap();
    published_ids(&t, 2).await;
    t.app.create_person(&meta, person("Small"), None).await.unwrap();

    published_ids(&t, 3).await;
    let stream = js.get_stream(&name).await.unwrap();
    let body = |seq| {
        let stream = stream.clone();
        async move {
            let msg = stream.get_raw_message(seq).await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&msg.payload).unwrap()
        }
    };
    let (thin, small) = (body(2).await, body(3).await);
    assert!(thin.get("data").is_none() && thin["omitted"].is_object(), "{thin}");
    assert_eq!(small["data"]["PersonCreated"]["first_name"], "Small", "{small}");
}
