//! Structured logs of the real binary (`ROLLCALL_LOG_FORMAT=json`): every line is a JSON object, a
//! request's and a NATS message's lines carry their correlation id in their span, and no personal data
//! (names, emails) or secret (passwords, tokens) appears at info level.

use std::time::Duration;

use async_nats::jetstream;
use serde_json::{Value, json};

use crate::helpers::binary::{self, Cleanup};
use crate::helpers::{OWNER_PASSWORD, eventually, test_settings};
use crate::nats::{PERSON, headers, publish, stream_ready};

const FIRST: &str = "Zelda";
const LAST: &str = "Quixote-Logtest";
const MEMBER_EMAIL: &str = "zelda.private@example.org";
const MEMBER_PASSWORD: &str = "do-not-log-me-42";

/// The correlation ids of the spans around a log line.
fn correlation_ids(line: &Value) -> Vec<String> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["correlation_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn json_logs_carry_correlation_ids_and_no_personal_data_or_secrets() {
    let (settings, _) = test_settings();
    let _cleanup = Cleanup(settings.clone());
    // Successful batched NATS commands are logged per message at debug (one info line per batch).
    let mut served = binary::serve_logging(&settings, "info,rollcall::nats=debug").await;
    let base = format!("http://{}/api/2.0", served.http_addr);
    let client = crate::helpers::http_client();
    let token = crate::helpers::rest_owner_token(served.http_addr).await;

    let created = client
        .post(format!("{base}/crm/contact/person"))
        .header("Authorization", &token)
        .header("X-Correlation-Id", "corr-rest-1")
        .json(&json!({"firstName": FIRST, "lastName": LAST}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["x-correlation-id"], "corr-rest-1");
    let user = client
        .post(format!("{base}/people"))
        .header("Authorization", &token)
        .json(&json!({"email": MEMBER_EMAIL, "firstName": FIRST, "lastName": LAST, "password": MEMBER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 201);
    let by_name = client
        .get(format!("{base}/people/email?email={MEMBER_EMAIL}"))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.status(), 200);

    let nats = async_nats::connect(&settings.nats_url).await.unwrap();
    let js = jetstream::new(nats);
    stream_ready(&js, &settings.nats_prefix).await;
    let body = json!({"firstName": FIRST, "lastName": LAST});
    publish(
        &js,
        &settings.nats_prefix,
        PERSON,
        headers(&token, Some("corr-nats-1")),
        &body,
    )
    .await;
    let handled = eventually(Duration::from_secs(20), || async {
        served
            .log()
            .iter()
            .any(|l| l.contains("command handled") && l.contains("corr-nats-1"))
            .then_some(())
    })
    .await;
    assert!(handled.is_some(), "the NATS command was never handled");
    assert_eq!(served.terminate().await.code(), Some(0));

    let lines = served.log();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let with_id = |message: &str, id: &str| {
        parsed
            .iter()
            .any(|l| l["message"] == message && correlation_ids(l).iter().any(|c| c == id))
    };
    assert!(
        with_id("request", "corr-rest-1"),
        "the HTTP request line carries its id"
    );
    assert!(
        with_id("person created", "corr-rest-1"),
        "the App's line carries the request's id"
    );
    assert!(
        with_id("command handled", "corr-nats-1"),
        "the NATS message's line carries its id"
    );
    for (line, value) in lines.iter().zip(&parsed) {
        let level = value["level"].as_str().unwrap_or_default();
        assert!(
            level != "DEBUG" || line.contains("rollcall::nats"),
            "only NATS at debug: {line}"
        );
        for secret in [OWNER_PASSWORD, MEMBER_PASSWORD, token.as_str()] {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
        if level == "INFO" {
            for personal in [FIRST, LAST, MEMBER_EMAIL] {
                assert!(!line.contains(personal), "personal data at info: {line}");
            }
        }
    }
}
