//! Streams an instance keeps between the commands it decides (`application::kept`): a change decided
//! on a kept state still sees everything another instance appended meanwhile, and versions still hold.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Rest, read, response, second_instance};

/// `PUT crm/contact/person/{id}` on the instance at `http`, expecting version `tag`: status and body.
async fn put(r: &Rest, http: SocketAddr, token: &str, id: i64, tag: u32, body: Value) -> (StatusCode, Value) {
    let url = format!("http://{http}/api/2.0/crm/contact/person/{id}");
    let res = r
        .client
        .put(url)
        .header("Authorization", token)
        .header("If-Match", format!("\"{tag}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    read(res).await
}

fn kept(r: &Rest, outcome: &str) -> u64 {
    r.t.app.metrics().kept_streams.with_label_values(&[outcome]).get()
}

#[tokio::test]
async fn a_change_decided_on_a_kept_stream_sees_what_another_instance_appended() {
    let r = Rest::spawn().await;
    let b = second_instance(&r).await;
    let token = r.owner_token().await;
    let (status, body) = read(
        r.post("crm/contact/person", &token)
            .json(&json!({"firstName": "Ann", "lastName": "Lee", "shareType": "readWrite"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = response(status, &body, 201)["id"].as_i64().unwrap();
    let a = r.t.http_addr;

    // Two changes on the first instance: the second one is decided on the state the first one kept.
    let (status, body) = put(&r, a, &token, id, 1, json!({"jobTitle": "One"})).await;
    response(status, &body, 200);
    let hits = kept(&r, "hit");
    let (status, body) = put(&r, a, &token, id, 2, json!({"about": "Two"})).await;
    response(status, &body, 200);
    assert_eq!(kept(&r, "hit"), hits + 1, "decided on the kept state");

    // The other instance appends; the first one's kept state is now one event behind.
    let (status, body) = put(&r, b.http, &token, id, 3, json!({"firstName": "Bea"})).await;
    response(status, &body, 200);
    let (status, body) = put(&r, a, &token, id, 3, json!({"lastName": "Stale"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    let (status, body) = put(&r, a, &token, id, 4, json!({"lastName": "Kay"})).await;
    let person = response(status, &body, 200);
    assert_eq!(
        (
            person["firstName"].as_str(),
            person["lastName"].as_str(),
            person["title"].as_str(),
            person["about"].as_str()
        ),
        (Some("Bea"), Some("Kay"), Some("One"), Some("Two")),
        "every change, whichever instance made it"
    );
    let version: i64 = sqlx::query_scalar("SELECT max(sequence) FROM events WHERE aggregate_id = $1")
        .bind(id.to_string())
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    assert_eq!(version, 5);
}
