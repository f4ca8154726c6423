//! Groups over NATS: every `people.group.*` subject on request-reply (JSON: the REST body plus `id`;
//! protobuf: GroupService's messages) and on JetStream, `Rollcall-Expected-Version`, the REST statuses
//! of rejections, and every group event published to `P.events.group.<event>`.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::application::GroupView;
use rollcall::grpc::pb;
use serde_json::{Value, json};
use uuid::Uuid;

use super::rpc::request;
use super::{headers, publish, stream_ready};
use crate::helpers::{MEMBER_PASSWORD, TestApp, eventually, secret, user_draft};

async fn user(t: &TestApp, email: &str) -> Uuid {
    let view = t
        .app
        .create_user(&t.owner_meta().await, user_draft(email))
        .await
        .unwrap();
    view.id
}

fn json_body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn ids(people: &Value) -> Vec<Uuid> {
    let list = people.as_array().unwrap_or_else(|| panic!("a list: {people}"));
    list.iter()
        .map(|p| p["Id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn expecting(token: &str, version: &str) -> HeaderMap {
    let mut h = headers(token, None);
    h.insert("Rollcall-Expected-Version", version);
    h
}

#[tokio::test]
async fn every_group_subject_answers_over_request_reply_in_the_rest_envelope() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let (ann, bob) = (user(&t, "ann@example.com").await, user(&t, "bob@example.com").await);

    let create = json!({"groupName": "Sales", "groupManager": ann});
    let created = request(&t, "people.group.create", headers(&token, None), &json_body(&create)).await;
    assert_eq!(created["statusCode"], 201, "{created}");
    assert_eq!(
        (
            created["response"]["Name"].clone(),
            ids(&created["response"]["Members"])
        ),
        (json!("Sales"), vec![ann])
    );
    let id = created["response"]["Id"].as_str().unwrap().to_string();

    let add = json!({"id": id, "members": [bob]});
    let added = request(&t, "people.group.members.add", expecting(&token, "1"), &json_body(&add)).await;
    assert_eq!(
        (added["statusCode"].clone(), ids(&added["response"]["Members"])),
        (json!(200), vec![ann, bob])
    );
    let stale = json!({"id": id, "groupName": "Stale"});
    let stale = request(&t, "people.group.update", expecting(&token, "1"), &json_body(&stale)).await;
    assert_eq!(stale["statusCode"], 412, "{stale}");
    let rename = json!({"id": id, "groupName": "Sales EMEA", "groupManager": bob});
    let renamed = request(&t, "people.group.update", expecting(&token, "2"), &json_body(&rename)).await;
    let group = &renamed["response"];
    assert_eq!(
        (group["Name"].clone(), group["Manager"]["Id"].clone()),
        (json!("Sales EMEA"), json!(bob))
    );
    let remove = json!({"id": id, "members": [bob]});
    let removed = request(
        &t,
        "people.group.members.remove",
        headers(&token, None),
        &json_body(&remove),
    )
    .await;
    let group = &removed["response"];
    assert_eq!(
        (group["Manager"].clone(), ids(&group["Members"])),
        (Value::Null, vec![ann])
    );

    // Rejections carry the REST statuses and fields.
    let nobody = Uuid::new_v4();
    let unknown_member = json!({"id": id, "members": [nobody]});
    let refused = request(
        &t,
        "people.group.members.add",
        headers(&token, None),
        &json_body(&unknown_member),
    )
    .await;
    assert_eq!(refused["statusCode"], 400);
    assert!(
        refused["error"]["message"].as_str().unwrap().starts_with("members:"),
        "{refused}"
    );
    let unknown_group = json!({"id": nobody, "groupName": "x"});
    let refused = request(
        &t,
        "people.group.update",
        headers(&token, None),
        &json_body(&unknown_group),
    )
    .await;
    assert_eq!(refused["statusCode"], 404);
    let refused = request(&t, "people.group.delete", headers(&token, None), &json_body(&json!({}))).await;
    assert_eq!(refused["statusCode"], 400, "no id: {refused}");
    t.member("mem@example.com", false).await;
    let member = t
        .app
        .login("mem@example.com", &secret(MEMBER_PASSWORD))
        .await
        .unwrap()
        .token;
    let refused = request(
        &t,
        "people.group.delete",
        headers(&member, None),
        &json_body(&json!({"id": id})),
    )
    .await;
    assert_eq!(refused["statusCode"], 403);

    // Protobuf payloads are GroupService's messages; their rejections name proto fields.
    let mut protobuf = headers(&token, None);
    protobuf.insert("Content-Type", "application/protobuf");
    let proto_create = pb::CreateGroupRequest {
        name: Some("Audit".into()),
        manager: Some(nobody.to_string()),
        ..Default::default()
    };
    let refused = request(
        &t,
        "people.group.create",
        protobuf.clone(),
        &proto_create.encode_to_vec(),
    )
    .await;
    assert!(
        refused["error"]["message"].as_str().unwrap().starts_with("manager:"),
        "{refused}"
    );
    let proto_create = pb::CreateGroupRequest {
        manager: None,
        members: vec![bob.to_string()],
        ..proto_create
    };
    let audit = request(
        &t,
        "people.group.create",
        protobuf.clone(),
        &proto_create.encode_to_vec(),
    )
    .await;
    assert_eq!(
        (audit["statusCode"].clone(), ids(&audit["response"]["Members"])),
        (json!(201), vec![bob])
    );

    let deleted = request(
        &t,
        "people.group.delete",
        expecting(&token, "6"),
        &json_body(&json!({"id": id})),
    )
    .await;
    assert_eq!(deleted["statusCode"], 200, "{deleted}");
    assert!(deleted["response"].get("Members").is_none(), "{deleted}");
    let owner = t.owner().await;
    let id: Uuid = id.parse().unwrap();
    assert!(t.app.get_group(&owner, id).await.is_err(), "deleted");
}

/// The group named `name` once the read model shows it and `done` holds.
async fn group_when(t: &TestApp, name: &str, done: impl Fn(&GroupView) -> bool) -> GroupView {
    let owner = t.owner().await;
    eventually(Duration::from_secs(20), || async {
        let listed = t.app.list_groups(&owner).await.ok()?;
        let found = listed.into_iter().find(|g| g.name == name)?;
        t.app.get_group(&owner, found.id).await.ok().filter(|g| done(g))
    })
    .await
    .unwrap_or_else(|| panic!("group {name} never reached the expected state"))
}

#[tokio::test]
async fn group_commands_on_jetstream_apply_and_every_group_event_is_published() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let (ann, bob) = (user(&t, "ann@example.com").await, user(&t, "bob@example.com").await);
    let send = |command: &'static str, msg_id: &str, body: Value| {
        let (js, prefix, h) = (js.clone(), prefix.clone(), headers(&token, Some(msg_id)));
        async move { publish(&js, &prefix, command, h, &body).await }
    };

    send(
        "people.group.create",
        "g-create",
        json!({"groupName": "Ops", "members": [ann]}),
    )
    .await;
    let id = group_when(&t, "Ops", |_| true).await.id;
    send("people.group.members.add", "g-add", json!({"id": id, "members": [bob]})).await;
    group_when(&t, "Ops", |g| g.members.len() == 2).await;
    send(
        "people.group.update",
        "g-rename",
        json!({"id": id, "groupName": "DevOps", "groupManager": bob}),
    )
    .await;
    group_when(&t, "DevOps", |g| g.manager.is_some()).await;
    send(
        "people.group.members.remove",
        "g-remove",
        json!({"id": id, "members": [bob]}),
    )
    .await;
    group_when(&t, "DevOps", |g| g.members.len() == 1).await;
    send("people.group.update", "g-bad", json!({"id": id, "groupName": " "})).await;
    send("people.group.delete", "g-delete", json!({"id": id})).await;
    let owner = t.owner().await;
    let gone = eventually(Duration::from_secs(20), || async {
        t.app.get_group(&owner, id).await.is_err().then_some(())
    })
    .await;
    assert!(gone.is_some(), "the group is deleted");

    let refused = tokio::time::timeout(Duration::from_secs(20), rejected.next())
        .await
        .expect("a rejection")
        .unwrap();
    assert_eq!(
        refused.subject.as_str(),
        format!("{prefix}.rejected.people.group.update")
    );
    let error: Value = serde_json::from_str(refused.headers.unwrap().get("Rollcall-Error").unwrap().as_str()).unwrap();
    assert_eq!(
        (error["status"].clone(), error["field"].clone()),
        (json!(400), json!("groupName"))
    );

    // Every event of the group's stream is on P-events under `group.<event>`.
    let events = js.get_stream(format!("{prefix}-events")).await.unwrap();
    for event in [
        "created",
        "membersadded",
        "renamed",
        "managerchanged",
        "membersremoved",
        "deleted",
    ] {
        let subject = format!("{prefix}.events.group.{event}");
        let published = eventually(Duration::from_secs(20), || async {
            events.get_last_raw_message_by_subject(&subject).await.ok()
        })
        .await
        .unwrap_or_else(|| panic!("nothing published on {subject}"));
        let payload: Value = serde_json::from_slice(&published.payload).unwrap();
        assert_eq!(payload["aggregateId"], id.to_string(), "{payload}");
    }
}
