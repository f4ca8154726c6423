//! No secret rests in a stream (issue 14): a refused user create is republished without its password
//! (JSON or protobuf), and `P-commands` keeps a command, token and password included, only until it is
//! handled, whether the service created the stream or an older version did.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::grpc::pb::CreateUserRequest;
use serde_json::{Value, json};

use super::{PERSON, USER, drained, headers, person_json, precreate, publish, stream_ready};
use crate::helpers::{OWNER_EMAIL, TestApp, eventually, test_settings};

const PASSWORD: &str = "never-in-a-stream-42";

#[tokio::test]
async fn a_refused_user_create_is_republished_without_its_password_as_json_or_protobuf() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    // The owner's email is taken: both are refused with 409 after decoding.
    let taken = json!({"email": OWNER_EMAIL, "firstname": "A", "lastname": "B", "Password": PASSWORD});
    publish(&js, &prefix, USER, headers(&token, Some("json")), &taken).await;
    let request = CreateUserRequest {
        email: Some(OWNER_EMAIL.into()),
        first_name: Some("A".into()),
        last_name: Some("B".into()),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    let mut protobuf: HeaderMap = headers(&token, Some("protobuf"));
    protobuf.insert("Content-Type", "application/protobuf");
    js.publish_with_headers(
        format!("{prefix}.commands.{USER}"),
        protobuf,
        request.encode_to_vec().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    for _ in 0..2 {
        let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
            .await
            .expect("reported on rejected")
            .unwrap();
        let h = message.headers.clone().unwrap();
        let error: Value = serde_json::from_str(h.get("Rollcall-Error").unwrap().as_str()).unwrap();
        assert_eq!(error["status"], 409);
        let secret = PASSWORD.as_bytes();
        assert!(
            !message.payload.windows(secret.len()).any(|w| w == secret),
            "the password was republished: {:?}",
            String::from_utf8_lossy(&message.payload)
        );
        assert_eq!(h.get("Rollcall-Redacted").map(|v| v.as_str()), Some("password"));
        match h.get("Nats-Msg-Id").unwrap().as_str() {
            "json" => {
                let body: Value = serde_json::from_slice(&message.payload).unwrap();
                assert_eq!(
                    (body["email"].as_str(), body["Password"].as_str()),
                    (Some(OWNER_EMAIL), Some("[redacted]"))
                );
            }
            _ => {
                let body = CreateUserRequest::decode(message.payload.as_ref()).unwrap();
                assert_eq!(body.password.as_deref(), Some("[redacted]"));
                assert_eq!(body.email.as_deref(), Some(OWNER_EMAIL));
            }
        }
    }
}

/// Publishes one created, one refused (with a password) and one undecodable command, waits until all
/// are handled, and asserts the stream holds none of them any more.
async fn handled_commands_leave_the_stream(t: &TestApp, js: &jetstream::Context) {
    let prefix = &t.settings.nats_prefix;
    let token = t.owner_token().await;
    publish(js, prefix, PERSON, headers(&token, Some("ok")), &person_json("Kept")).await;
    let user = json!({"email": OWNER_EMAIL, "firstname": "A", "lastname": "B", "password": PASSWORD});
    publish(js, prefix, USER, headers(&token, Some("taken")), &user).await;
    js.publish_with_headers(
        format!("{prefix}.commands.{PERSON}"),
        headers(&token, Some("poison")),
        "{".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    drained(js, prefix, Duration::from_secs(20)).await;
    let name = format!("{prefix}-commands");
    let empty = eventually(Duration::from_secs(10), || async {
        let state = js.get_stream(&name).await.ok()?.info().await.ok()?.state.clone();
        (state.messages == 0).then_some(state)
    })
    .await;
    let state = js.get_stream(&name).await.unwrap().info().await.unwrap().state.clone();
    assert!(empty.is_some(), "handled commands are still in the stream: {state:?}");
    assert_eq!(state.last_sequence, 3, "all three were stored first");
}

#[tokio::test]
async fn the_command_stream_keeps_a_command_only_until_it_is_handled() {
    let t = TestApp::spawn().await;
    let js = jetstream::new(t.nats.clone());
    stream_ready(&js, &t.settings.nats_prefix).await;
    handled_commands_leave_the_stream(&t, &js).await;
}

#[tokio::test]
async fn a_command_stream_created_by_an_older_version_no_longer_keeps_handled_commands() {
    // Limits retention, as rollcall created `P-commands` before (NATS cannot change it in place).
    let (settings, _) = test_settings();
    let js = jetstream::new(async_nats::connect(&settings.nats_url).await.unwrap());
    precreate(&js, &settings.nats_prefix, Duration::from_secs(120), None).await;
    let t = TestApp::with(settings).await;
    handled_commands_leave_the_stream(&t, &js).await;
}
