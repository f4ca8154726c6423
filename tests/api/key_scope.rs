//! Idempotency keys belong to their actor (issue 14): on every transport, a key another user already
//! used (or took on purpose) never makes a command fail with 409 nor replays someone else's result.

use std::time::Duration;

use async_nats::jetstream;
use reqwest::StatusCode;
use rollcall::grpc::pb::CreatePersonRequest;
use serde_json::json;

use crate::helpers::{MEMBER_PASSWORD, TestApp, eventually};
use crate::nats::rpc::request;
use crate::nats::{PERSON, drained, headers, person_json, persons_created, precreate, publish};
use crate::rest::{Rest, read, response};

#[tokio::test]
async fn rest_an_idempotency_key_used_by_another_user_creates_for_each_and_replays_for_each() {
    let r = Rest::spawn().await;
    let (owner, member) = (r.owner_token().await, r.member_token("member@example.com", false).await);
    for (path, key, body) in [
        ("crm/contact/person", "shared-key", json!({"firstName": "Ann"})),
        ("crm/contact/company", "company-key", json!({"companyName": "Acme"})),
    ] {
        let send = |token: &str, body: serde_json::Value| {
            r.post(path, token).header("Idempotency-Key", key).json(&body).send()
        };
        let (s, first) = read(send(&owner, body.clone()).await.unwrap()).await;
        let first = response(s, &first, 201)["id"].clone();
        // Another user, the same key, other content: a create of their own, not a 409.
        let other = json!({"firstName": "Bob", "companyName": "Bobco"});
        let (s, theirs) = read(send(&member, other.clone()).await.unwrap()).await;
        let theirs = response(s, &theirs, 201)["id"].clone();
        assert_ne!(theirs, first, "{path}");
        // Each retry still answers its own sender's first result.
        let (s, again) = read(send(&member, other).await.unwrap()).await;
        assert_eq!(response(s, &again, 201)["id"], theirs, "{path}");
        let (s, again) = read(send(&owner, body).await.unwrap()).await;
        assert_eq!(response(s, &again, 201)["id"], first, "{path}");
    }
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 2);
    // The owner's key reused by the owner for something else is still refused.
    let (s, _) = read(
        r.post("crm/contact/person", &owner)
            .header("Idempotency-Key", "shared-key")
            .json(&json!({"firstName": "Changed"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn grpc_a_request_id_used_by_another_user_creates_for_each() {
    let t = TestApp::spawn().await;
    let mut c = crate::grpc::clients(&t).await;
    let owner = t.owner_token().await;
    let member = crate::grpc::member_token(&t, "member@example.com", false).await;
    let request = |name: &str| CreatePersonRequest {
        first_name: Some(name.into()),
        request_id: "shared-request".into(),
        ..Default::default()
    };
    let first = c
        .persons
        .create_person(crate::grpc::authed(request("Ann"), &owner))
        .await
        .expect("the owner's create")
        .into_inner();
    let theirs = c
        .persons
        .create_person(crate::grpc::authed(request("Bob"), &member))
        .await
        .expect("another user's create with the same request_id is not ABORTED")
        .into_inner();
    assert_ne!(theirs.id, first.id);
    assert_eq!(t.count_events("Person", "PersonCreated").await, 2);
}

#[tokio::test]
async fn nats_request_reply_a_message_id_used_by_another_user_creates_for_each() {
    let t = TestApp::spawn().await;
    let owner = t.owner_token().await;
    t.member("member@example.com", false).await;
    let member = t
        .app
        .login("member@example.com", &crate::helpers::secret(MEMBER_PASSWORD))
        .await
        .unwrap()
        .token;
    let body = |name: &str| serde_json::to_vec(&person_json(name)).unwrap();
    let first = request(&t, PERSON, headers(&owner, Some("shared-id")), &body("Ann")).await;
    assert_eq!(first["statusCode"], 201, "{first}");
    let theirs = request(&t, PERSON, headers(&member, Some("shared-id")), &body("Bob")).await;
    assert_eq!(theirs["statusCode"], 201, "{theirs}");
    assert_ne!(theirs["response"]["id"], first["response"]["id"]);
}

#[tokio::test]
async fn nats_a_taken_fallback_key_or_message_id_of_another_user_never_fails_a_command() {
    // A stream that dedupes for 100 ms only, so the second use of a Nats-Msg-Id reaches the service.
    let (settings, _) = crate::helpers::test_settings();
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(async_nats::connect(&settings.nats_url).await.unwrap());
    precreate(&js, &prefix, Duration::from_millis(100), None).await;
    let t = TestApp::with(settings).await;
    let owner = t.owner_token().await;
    t.member("member@example.com", false).await;
    let member = t
        .app
        .login("member@example.com", &crate::helpers::secret(MEMBER_PASSWORD))
        .await
        .unwrap()
        .token;
    // Message 1: the member takes the key the owner's keyless message 2 falls back to, and a
    // Nats-Msg-Id the owner uses later.
    let fallback = format!("{prefix}-commands:2");
    publish(
        &js,
        &prefix,
        PERSON,
        headers(&member, Some(&fallback)),
        &person_json("Squatter"),
    )
    .await;
    publish(&js, &prefix, PERSON, headers(&owner, None), &person_json("Keyless")).await;
    drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(persons_created(&t).await, 2, "the owner's keyless command was created");

    publish(
        &js,
        &prefix,
        PERSON,
        headers(&member, Some("shared-id")),
        &person_json("Bob"),
    )
    .await;
    drained(&js, &prefix, Duration::from_secs(20)).await;
    // Until the 100 ms window has passed JetStream drops the id itself; then the service sees it.
    let subject = format!("{prefix}.commands.{PERSON}");
    let body = serde_json::to_vec(&person_json("Ann")).unwrap();
    let stored = eventually(Duration::from_secs(5), || async {
        let ack = js
            .publish_with_headers(subject.clone(), headers(&owner, Some("shared-id")), body.clone().into())
            .await
            .ok()?
            .await
            .ok()?;
        (!ack.duplicate).then_some(())
    })
    .await;
    assert!(stored.is_some(), "the stream stored the owner's command");
    drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(
        persons_created(&t).await,
        4,
        "the owner's command with a used Nats-Msg-Id was created"
    );
}
