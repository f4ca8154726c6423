//! Limits on what one NATS command may bring in (issue 14): a correlation id as long as REST allows,
//! and a refused command as large as NATS allows, whose copy on `P.rejected.…` would not be.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use serde_json::Value;

use super::rpc::request;
use super::{PERSON, consumer_info, drained, headers, person_json, publish, stream_ready};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_correlation_id_longer_than_rest_allows_is_replaced_by_the_message_id_on_both_paths() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let huge = "c".repeat(60_000);
    let mut h = headers(&token, Some("corr-stream"));
    h.insert("Correlation-Id", huge.as_str());
    publish(&js, &prefix, PERSON, h, &person_json("Streamed")).await;
    let mut h = headers(&token, Some("corr-rpc"));
    h.insert("Correlation-Id", huge.as_str());
    let answer = request(&t, PERSON, h, &serde_json::to_vec(&person_json("Asked")).unwrap()).await;
    assert_eq!(answer["statusCode"], 201, "{answer}");
    drained(&js, &prefix, Duration::from_secs(20)).await;

    let mut stored: Vec<String> =
        sqlx::query_scalar("SELECT metadata ->> 'correlation_id' FROM events WHERE aggregate_type = 'Person'")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    stored.sort();
    assert_eq!(
        stored,
        ["corr-rpc", "corr-stream"],
        "the 60 KB value never reaches an event"
    );
}

#[tokio::test]
async fn a_refused_command_as_large_as_nats_allows_still_reaches_rejected_once_without_its_payload() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    // No token (401): the copy only grows, by its Rollcall-Error header, past max_payload.
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", "huge");
    let headers_len = "NATS/1.0\r\nNats-Msg-Id: huge\r\n\r\n".len();
    let room = t.nats.server_info().max_payload - headers_len - 8;
    let filler = "x".repeat(room - r#"{"firstName":"A","about":""}"#.len());
    let body = serde_json::to_vec(&serde_json::json!({"firstName": "A", "about": filler})).unwrap();
    js.publish_with_headers(format!("{prefix}.commands.{PERSON}"), h, body.into())
        .await
        .expect("published")
        .await
        .expect("stored by the stream");

    let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
        .await
        .expect("the rejection reaches P.rejected")
        .unwrap();
    let h = message.headers.clone().unwrap();
    let error: Value = serde_json::from_str(h.get("Rollcall-Error").unwrap().as_str()).unwrap();
    assert_eq!(error["status"], 401);
    assert_eq!(h.get("Nats-Msg-Id").map(|v| v.as_str()), Some("huge"));
    assert!(message.payload.is_empty());
    assert!(
        h.get("Rollcall-Payload-Omitted")
            .is_some_and(|v| v.as_str().starts_with("too large")),
        "{h:?}"
    );
    let info = drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(info.num_redelivered, 0, "settled on its first delivery");
    let again = tokio::time::timeout(Duration::from_secs(2), rejected.next()).await;
    assert!(again.is_err(), "reported once");
    assert_eq!(consumer_info(&js, &prefix).await.unwrap().num_ack_pending, 0);
}
