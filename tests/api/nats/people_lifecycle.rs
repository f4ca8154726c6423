//! People that come and go over NATS: `people.user.{update,status,type,email,password,delete,
//! administrator}` on request-reply and JetStream, JSON (the REST body plus `userid`) or protobuf,
//! with `Rollcall-Expected-Version` (412); a refused password change republished without its
//! password; events without a hash; and a terminated user refused (401) by every instance at once.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::config::Settings;
use rollcall::grpc::pb;
use serde_json::{Value, json};
use uuid::Uuid;

use super::rpc::request;
use super::{PERSON, headers, person_json, stream_ready};
use crate::grpc::people_lifecycle::Instance;
use crate::helpers::{MEMBER_PASSWORD, TestApp, eventually, secret};

const UPDATE: &str = "people.user.update";
const STATUS: &str = "people.user.status";
const TYPE: &str = "people.user.type";
const EMAIL: &str = "people.user.email";
const PASSWORD: &str = "people.user.password";
const DELETE: &str = "people.user.delete";
const ADMINISTRATOR: &str = "people.user.administrator";

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn expecting(token: &str, msg_id: Option<&str>, version: &str) -> HeaderMap {
    let mut h = headers(token, msg_id);
    h.insert("Rollcall-Expected-Version", version);
    h
}

fn protobuf(token: &str, msg_id: Option<&str>) -> HeaderMap {
    let mut h = headers(token, msg_id);
    h.insert("Content-Type", "application/protobuf");
    h
}

/// A member's GUID.
async fn member(t: &TestApp, email: &str) -> String {
    t.member(email, false).await.id.to_string()
}

/// `statusCode` and `response` of an answer.
fn answered(answer: &Value) -> (u64, &Value) {
    (answer["statusCode"].as_u64().unwrap_or_default(), &answer["response"])
}

#[tokio::test]
async fn every_user_change_is_answered_over_request_reply_as_rest_answers_it() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let owner = t.owner().await.id.to_string();
    let (ann, bob, carl) = (
        member(&t, "ann@example.com").await,
        member(&t, "bob@example.com").await,
        member(&t, "carl@example.com").await,
    );

    // By user name, at the version expected; then the same version again is stale.
    let update = body(json!({"userid": "ann", "firstname": "Anne", "title": "CTO", "location": null}));
    let answer = request(&t, UPDATE, expecting(&token, None, "1"), &update).await;
    let (status, user) = answered(&answer);
    assert_eq!(
        (status, user["FirstName"].as_str(), user["Title"].as_str()),
        (200, Some("Anne"), Some("CTO"))
    );
    let stale = request(&t, UPDATE, expecting(&token, None, "1"), &update).await;
    assert_eq!(stale["statusCode"], 412, "{stale}");

    let terminate = body(json!({"userIds": [bob, owner], "status": "Terminated"}));
    let answer = request(&t, STATUS, headers(&token, None), &terminate).await;
    let (status, users) = answered(&answer);
    assert_eq!(
        (status, users.as_array().map(Vec::len)),
        (200, Some(1)),
        "the owner is skipped: {answer}"
    );
    assert_eq!(
        (users[0]["Id"].as_str(), users[0]["Status"].as_u64()),
        (Some(bob.as_str()), Some(2))
    );

    let retype = body(json!({"userIds": [carl], "type": "Visitor"}));
    let answer = request(&t, TYPE, headers(&token, None), &retype).await;
    assert_eq!(answered(&answer).1[0]["IsVisitor"], true, "{answer}");

    let email = body(json!({"userid": ann, "email": "Anne@Example.com"}));
    let answer = request(&t, EMAIL, headers(&token, None), &email).await;
    assert_eq!(answered(&answer).1["Email"], "anne@example.com", "{answer}");

    let password = body(json!({"userid": ann, "password": "new-secret-99"}));
    let answer = request(&t, PASSWORD, headers(&token, None), &password).await;
    assert_eq!(answered(&answer).0, 200, "{answer}");
    assert!(!answer.to_string().contains("new-secret-99"), "never echoed: {answer}");
    assert!(t.app.login("anne@example.com", &secret("new-secret-99")).await.is_ok());

    let grant = body(json!({"userid": ann, "administrator": true}));
    let answer = request(&t, ADMINISTRATOR, headers(&token, None), &grant).await;
    assert_eq!(
        answered(&answer),
        (
            200,
            &json!({"ProductId": Uuid::nil(), "UserId": ann, "Administrator": true})
        )
    );
    let visitor = body(json!({"userid": carl, "administrator": true}));
    let answer = request(&t, ADMINISTRATOR, headers(&token, None), &visitor).await;
    assert_eq!(
        answer["statusCode"], 409,
        "a visitor cannot be an administrator: {answer}"
    );

    let active = request(&t, DELETE, headers(&token, None), &body(json!({"userid": ann}))).await;
    assert_eq!(active["statusCode"], 409, "only a terminated user is deleted: {active}");
    let answer = request(&t, DELETE, headers(&token, None), &body(json!({"userid": bob}))).await;
    assert_eq!(answered(&answer).1["Email"], "bob@example.com", "{answer}");
    let gone = request(&t, DELETE, headers(&token, None), &body(json!({"userid": bob}))).await;
    assert_eq!(gone["statusCode"], 404);
    let nobody = request(&t, DELETE, headers(&token, None), &body(json!({}))).await;
    assert!(
        nobody["error"]["message"].as_str().unwrap().starts_with("userid"),
        "{nobody}"
    );
}

#[tokio::test]
async fn protobuf_user_changes_are_the_grpc_requests_and_a_header_version_wins() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let ann = member(&t, "ann@example.com").await;
    let update = pb::UpdateUserRequest {
        id: ann.clone(),
        location: Some("Riga".into()),
        department: vec!["not a guid".into()],
        expected_version: Some(1),
        ..Default::default()
    };
    let answer = request(&t, UPDATE, protobuf(&token, None), &update.encode_to_vec()).await;
    assert!(
        answer["error"]["message"].as_str().unwrap().starts_with("department"),
        "{answer}"
    );
    let update = pb::UpdateUserRequest {
        department: vec![],
        ..update
    };
    let answer = request(&t, UPDATE, protobuf(&token, None), &update.encode_to_vec()).await;
    assert_eq!(answered(&answer).1["Location"], "Riga", "{answer}");
    let answer = request(&t, UPDATE, protobuf(&token, None), &update.encode_to_vec()).await;
    assert_eq!(answer["statusCode"], 412, "the version moved: {answer}");
    let mut header = protobuf(&token, None);
    header.insert("Rollcall-Expected-Version", "2");
    let answer = request(&t, UPDATE, header, &update.encode_to_vec()).await;
    assert_eq!(answer["statusCode"], 200, "the header's version wins: {answer}");

    let terminate = pb::SetUserStatusRequest {
        user_ids: vec![ann.clone()],
        status: pb::UserStatus::Terminated.into(),
    };
    let answer = request(&t, STATUS, protobuf(&token, None), &terminate.encode_to_vec()).await;
    assert_eq!(answered(&answer).1[0]["Status"], 2, "{answer}");
    let delete = pb::DeleteUserRequest {
        id: "ann".into(),
        ..Default::default()
    };
    let answer = request(&t, DELETE, protobuf(&token, None), &delete.encode_to_vec()).await;
    assert_eq!(answered(&answer).1["Id"], json!(ann), "{answer}");
}

/// `Rollcall-Error` and the copy of each rejection by its `Nats-Msg-Id`, once `n` have arrived.
async fn rejections(rejected: &mut async_nats::Subscriber, n: usize) -> HashMap<String, (Value, async_nats::Message)> {
    let mut seen = HashMap::new();
    while seen.len() < n {
        let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} rejections: {:?}", seen.len(), seen.keys()))
            .unwrap();
        let h = message.headers.clone().unwrap();
        let id = h.get("Nats-Msg-Id").unwrap().to_string();
        let error = serde_json::from_str(h.get("Rollcall-Error").unwrap().as_str()).unwrap();
        seen.insert(id, (error, message));
    }
    seen
}

#[tokio::test]
async fn user_changes_on_jetstream_apply_and_refusals_are_final_and_hold_no_password() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let ann = member(&t, "ann@example.com").await;
    let publish = |command: &'static str, h: HeaderMap, payload: Vec<u8>| {
        let (js, subject) = (js.clone(), format!("{prefix}.commands.{command}"));
        async move {
            js.publish_with_headers(subject, h, payload.into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
    };

    let weak = "weak pass";
    publish(
        PASSWORD,
        headers(&token, Some("weak")),
        body(json!({"userid": ann, "Password": weak})),
    )
    .await;
    let secret_one = "stale-secret-42";
    let stale = pb::ChangeUserPasswordRequest {
        id: ann.clone(),
        password: secret_one.into(),
        expected_version: Some(7),
        ..Default::default()
    };
    publish(PASSWORD, protobuf(&token, Some("stale")), stale.encode_to_vec()).await;
    // A state conflict is final: rejected at once, not redelivered until max_deliver.
    publish(DELETE, headers(&token, Some("active")), body(json!({"userid": ann}))).await;
    let seen = rejections(&mut rejected, 3).await;
    assert_eq!(
        (seen["weak"].0["status"].as_u64(), seen["weak"].0["field"].as_str()),
        (Some(400), Some("password"))
    );
    assert_eq!(seen["stale"].0["status"], 412);
    assert_eq!(seen["active"].0["status"], 409);
    assert_eq!(seen["active"].1.subject.as_str(), format!("{prefix}.rejected.{DELETE}"));
    for (id, secret) in [("weak", weak), ("stale", secret_one)] {
        let copy = &seen[id].1;
        assert!(
            !copy.payload.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{id}: the password was republished: {:?}",
            String::from_utf8_lossy(&copy.payload)
        );
        let h = copy.headers.as_ref().unwrap();
        assert_eq!(h.get("Rollcall-Redacted").map(|v| v.as_str()), Some("password"), "{id}");
        assert_eq!(h.get("Authorization").map(|v| v.as_str()), Some("[redacted]"), "{id}");
    }
    let copy = pb::ChangeUserPasswordRequest::decode(seen["stale"].1.payload.as_ref()).unwrap();
    assert_eq!((copy.id.as_str(), copy.password.as_str()), (ann.as_str(), "[redacted]"));

    // Applied changes: a protobuf profile update, then a password change whose event holds no hash.
    let update = pb::UpdateUserRequest {
        id: ann.clone(),
        location: Some("Riga".into()),
        ..Default::default()
    };
    publish(UPDATE, protobuf(&token, Some("located")), update.encode_to_vec()).await;
    publish(
        PASSWORD,
        headers(&token, Some("changed")),
        body(json!({"userid": ann, "password": "new-secret-99"})),
    )
    .await;
    let signed_in = eventually(Duration::from_secs(20), || async {
        t.app.login("ann@example.com", &secret("new-secret-99")).await.ok()
    })
    .await;
    assert!(signed_in.is_some(), "the password change applies");
    let owner = t.owner().await;
    let user = t.app.get_user(&owner, ann.parse().unwrap()).await.unwrap();
    assert_eq!(user.location.as_deref(), Some("Riga"));

    let events = js.get_stream(format!("{prefix}-events")).await.unwrap();
    let subject = format!("{prefix}.events.user.passwordchanged");
    let published = eventually(Duration::from_secs(20), || async {
        events.get_last_raw_message_by_subject(&subject).await.ok()
    })
    .await
    .expect("the password change's event is published");
    let event: Value = serde_json::from_slice(&published.payload).unwrap();
    assert_eq!(
        (event["aggregateId"].as_str(), event["type"].as_str()),
        (Some(ann.as_str()), Some("UserPasswordChanged"))
    );
    assert_eq!(event["data"], json!({"UserPasswordChanged": {}}), "no hash: {event}");
    assert!(!event.to_string().contains("argon2"), "{event}");
}

/// Settings of another instance on the same database and auth secret but its own NATS prefix, so a
/// test can address each instance's responders; its streams are deleted on drop.
struct Elsewhere {
    instance: Option<Instance>,
    settings: Settings,
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        drop(self.instance.take());
        let (url, prefix) = (self.settings.nats_url.clone(), self.settings.nats_prefix.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                let Ok(client) = async_nats::connect(&url).await else {
                    return;
                };
                let js = jetstream::new(client);
                for stream in ["commands", "events"] {
                    let delete = js.delete_stream(format!("{prefix}-{stream}"));
                    let _ = tokio::time::timeout(Duration::from_secs(5), delete).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

#[tokio::test]
async fn a_terminated_users_token_is_refused_over_nats_at_once_where_terminated_and_soon_by_every_instance() {
    let t = TestApp::spawn().await;
    let mut settings = t.settings.clone();
    settings.nats_prefix = format!("t{}", Uuid::new_v4().simple());
    let other = Elsewhere {
        instance: Some(Instance::start(&settings).await),
        settings,
    };
    let token = t.owner_token().await;
    let ann = member(&t, "ann@example.com").await;
    let ann_token = t.token("ann@example.com", MEMBER_PASSWORD).await;
    let create = body(person_json("Tadjeddine"));
    let ask = |prefix: String, h: HeaderMap, payload: Vec<u8>, command: &'static str| {
        let nats = t.nats.clone();
        async move {
            let subject = format!("{prefix}.rpc.{command}");
            let answer = eventually(Duration::from_secs(20), || {
                let (nats, subject, h, payload) = (nats.clone(), subject.clone(), h.clone(), payload.clone());
                async move { nats.request_with_headers(subject, h, payload.into()).await.ok() }
            })
            .await
            .expect("answered");
            serde_json::from_slice::<Value>(&answer.payload).unwrap()
        }
    };
    let prefixes = [t.settings.nats_prefix.clone(), other.settings.nats_prefix.clone()];
    for prefix in &prefixes {
        let answer = ask(prefix.clone(), headers(&ann_token, None), create.clone(), PERSON).await;
        assert_eq!(answer["statusCode"], 201, "{prefix}: {answer}");
    }

    // Terminated through the other instance: its very next request is refused, and this instance's
    // once the change's notification reached its identity cache (polled without creating anything).
    let terminate = body(json!({"userIds": [ann], "status": "Terminated"}));
    let answer = ask(prefixes[1].clone(), headers(&token, None), terminate, STATUS).await;
    assert_eq!(answered(&answer).1[0]["Status"], 2, "{answer}");
    let notified = eventually(Duration::from_secs(5), || async {
        t.app.authenticate(Some(&ann_token)).await.is_err().then_some(())
    });
    assert!(notified.await.is_some(), "this instance hears of the termination");
    for prefix in &prefixes {
        let answer = ask(prefix.clone(), headers(&ann_token, None), create.clone(), PERSON).await;
        assert_eq!(answer["statusCode"], 401, "refused at once on {prefix}: {answer}");
    }

    // Reactivated: a new token works on both, the old one stays refused.
    let reactivate = body(json!({"userIds": [ann], "status": "Active"}));
    let answer = ask(prefixes[0].clone(), headers(&token, None), reactivate, STATUS).await;
    assert_eq!(answered(&answer).1[0]["Status"], 1, "{answer}");
    let new_token = t.token("ann@example.com", MEMBER_PASSWORD).await;
    for prefix in &prefixes {
        let old = ask(prefix.clone(), headers(&ann_token, None), create.clone(), PERSON).await;
        assert_eq!(old["statusCode"], 401, "the old token on {prefix}: {old}");
        // The other instance may still know Ann as terminated until the reactivation's notification.
        let new = eventually(Duration::from_secs(5), || async {
            let new = ask(prefix.clone(), headers(&new_token, None), create.clone(), PERSON).await;
            (new["statusCode"] == 201).then_some(new)
        });
        assert!(new.await.is_some(), "a new login on {prefix}");
    }
}
