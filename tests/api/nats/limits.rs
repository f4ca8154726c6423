//! Limits on what one NATS command may bring in (issue 14): a correlation id as long as REST allows.

use std::time::Duration;

use async_nats::jetstream;

use super::rpc::request;
use super::{PERSON, drained, headers, owner_token, person_json, publish, stream_ready};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_correlation_id_longer_than_rest_allows_is_replaced_by_the_message_id_on_both_paths() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = owner_token(&t).await;
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
