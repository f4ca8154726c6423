//! Person creates pulled together are created together, and every message of the batch is still
//! settled by its own outcome: created once, rejected once with its reason, never redelivered.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::grpc::pb;
use serde_json::Value;

use super::{PERSON, drained, headers, precreate};
use crate::helpers::{MEMBER_PASSWORD, TestApp, secret};

/// The case a message stands for travels in a header of its own, so its rejection can be told apart.
fn case(mut h: HeaderMap, name: &str) -> HeaderMap {
    h.insert("Case", name);
    h
}

fn protobuf(token: &str, name: &str) -> HeaderMap {
    let mut h = case(headers(token, None), name);
    h.insert("Content-Type", "application/protobuf");
    h
}

fn proto_person(first: &str, request_id: &str) -> Vec<u8> {
    pb::CreatePersonRequest {
        first_name: Some(first.into()),
        request_id: request_id.into(),
        ..Default::default()
    }
    .encode_to_vec()
}

async fn first_names(t: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT payload -> 'PersonCreated' ->> 'first_name' FROM events WHERE aggregate_type = 'Person'",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_mixing_valid_invalid_unauthorized_duplicate_and_reused_keys_settles_each_message() {
    let t = TestApp::spawn().await;
    let owner = t.owner_token().await;
    t.member("visitor@example.com", true).await;
    let visitor = t
        .app
        .login("visitor@example.com", &secret(MEMBER_PASSWORD))
        .await
        .unwrap()
        .token;

    // Everything is in the stream before a service consumes it, so one pull takes it all.
    let mut settings = t.settings.clone();
    settings.nats_prefix = format!("{}b", t.settings.nats_prefix);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    precreate(&js, &prefix, Duration::from_secs(120), None).await;
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    let json = |first: &str| format!(r#"{{"firstName":"{first}","lastName":"B"}}"#).into_bytes();
    let cases: Vec<(HeaderMap, Vec<u8>)> = vec![
        (case(headers(&owner, Some("ok-1")), "ok-1"), json("Ann")),
        (case(headers(&owner, Some("ok-2")), "ok-2"), json("Bob")),
        (case(headers(&owner, Some("blank")), "blank"), json(" ")),
        (
            case(headers("not-a-token", Some("bad-token")), "bad-token"),
            json("Eve"),
        ),
        (case(headers(&visitor, Some("visitor")), "visitor"), json("Vic")),
        (
            case(headers(&owner, Some("no-company")), "no-company"),
            br#"{"firstName":"Co","companyId":987654}"#.to_vec(),
        ),
        (case(headers(&owner, Some("poison")), "poison"), b"{not json".to_vec()),
        (protobuf(&owner, "proto"), proto_person("Proto", "r-1")),
        (protobuf(&owner, "proto-again"), proto_person("Proto", "r-1")),
        (protobuf(&owner, "reused"), proto_person("Other", "r-1")),
    ];
    for (h, body) in &cases {
        js.publish_with_headers(format!("{prefix}.commands.{PERSON}"), h.clone(), body.clone().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let _consumer = TestApp::with(settings).await;

    let expected = HashMap::from([
        ("blank", 400),
        ("bad-token", 401),
        ("visitor", 403),
        ("no-company", 404),
        ("poison", 400),
        ("reused", 409),
    ]);
    let mut seen: HashMap<String, u64> = HashMap::new();
    while seen.len() < expected.len() {
        let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
            .await
            .expect("every bad command is reported")
            .unwrap();
        let h = message.headers.unwrap();
        let error: Value = serde_json::from_str(h.get("Rollcall-Error").unwrap().as_str()).unwrap();
        let name = h.get("Case").unwrap().to_string();
        assert!(
            seen.insert(name.clone(), error["status"].as_u64().unwrap()).is_none(),
            "{name} twice"
        );
    }
    let statuses: HashMap<&str, u64> = seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(statuses, expected);

    let info = drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(
        info.num_redelivered, 0,
        "every message was settled on its first delivery"
    );
    let again = tokio::time::timeout(Duration::from_secs(2), rejected.next()).await;
    assert!(again.is_err(), "a rejection was reported twice");
    assert_eq!(
        first_names(&t).await,
        ["Ann", "Bob", "Proto"],
        "each created exactly once"
    );
}
