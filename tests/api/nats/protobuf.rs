//! `Content-Type: application/protobuf`: the gRPC API's `CreatePersonRequest` / `CreateUserRequest` as
//! payloads, on JetStream and request-reply, translated by the gRPC API's own conversion.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use prost::Message;
use rollcall::grpc::pb;
use rollcall::read_model::ListQuery;
use serde_json::Value;

use super::{PERSON, USER, drained, headers, persons_created, stream_ready};
use crate::helpers::{TestApp, eventually};

fn protobuf(token: &str, msg_id: Option<&str>) -> HeaderMap {
    let mut h = headers(token, msg_id);
    h.insert("Content-Type", "application/protobuf");
    h
}

async fn publish(js: &jetstream::Context, prefix: &str, command: &str, headers: HeaderMap, body: Vec<u8>) {
    js.publish_with_headers(format!("{prefix}.commands.{command}"), headers, body.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn protobuf_person_and_user_commands_land_in_the_read_models() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let person = pb::CreatePersonRequest {
        first_name: Some("Proto".into()),
        last_name: Some("Buffer".into()),
        share_type: pb::ShareType::ReadWrite.into(),
        ..Default::default()
    };
    publish(
        &js,
        &prefix,
        PERSON,
        protobuf(&token, Some("pb-p")),
        person.encode_to_vec(),
    )
    .await;
    let user = pb::CreateUserRequest {
        email: Some("proto@example.com".into()),
        first_name: Some("Proto".into()),
        last_name: Some("User".into()),
        ..Default::default()
    };
    publish(&js, &prefix, USER, protobuf(&token, Some("pb-u")), user.encode_to_vec()).await;

    let owner = t.owner().await;
    let found = eventually(Duration::from_secs(20), || async {
        let page = t.app.list_persons(&owner, &ListQuery::default()).await.unwrap();
        page.items.into_iter().find(|p| p.first_name == "Proto")
    })
    .await
    .expect("the person is created");
    assert_eq!(found.last_name, "Buffer");
    let created = eventually(Duration::from_secs(20), || async {
        t.app.get_user_by_email(&owner, "proto@example.com").await.ok()
    })
    .await
    .expect("the user is created");
    assert_eq!(created.last_name, "User");
}

#[tokio::test]
async fn a_protobuf_request_id_is_the_key_when_there_is_no_message_id() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let person = pb::CreatePersonRequest {
        first_name: Some("Keyed".into()),
        request_id: "pb-request-1".into(),
        ..Default::default()
    };
    for _ in 0..3 {
        publish(&js, &prefix, PERSON, protobuf(&token, None), person.encode_to_vec()).await;
    }
    drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(persons_created(&t).await, 1);
}

#[tokio::test]
async fn a_protobuf_request_is_answered_with_the_json_envelope() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let person = pb::CreatePersonRequest {
        first_name: Some("Reply".into()),
        ..Default::default()
    };
    let subject = format!("{}.rpc.{PERSON}", t.settings.nats_prefix);
    let answer = eventually(Duration::from_secs(20), || {
        let (nats, subject, body) = (t.nats.clone(), subject.clone(), person.encode_to_vec());
        let headers = protobuf(&token, None);
        async move { nats.request_with_headers(subject, headers, body.into()).await.ok() }
    })
    .await
    .expect("answered");
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(answer["statusCode"], 201);
    assert_eq!(answer["response"]["firstName"], "Reply");
}
