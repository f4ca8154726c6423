//! Hostile commands over NATS (issue 14): control characters (JSON and protobuf) and non-positive
//! company ids are rejected once as invalid (400, naming the field) and acked, never retried as if
//! transient; dates land in the read model exactly as the event holds them.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::grpc::pb;
use serde_json::{Value, json};

use super::{PERSON, USER, drained, headers, persons_created, publish, stream_ready};
use crate::helpers::{TestApp, eventually};
use crate::rest::hardening::stored_dates;

fn protobuf(token: &str, id: &str) -> HeaderMap {
    let mut h = headers(token, Some(id));
    h.insert("Content-Type", "application/protobuf");
    h
}

#[tokio::test]
async fn control_characters_and_non_positive_company_ids_are_rejected_once_as_invalid() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;

    let json_cases = [
        ("nul-json", PERSON, json!({"firstName": "A\u{0}nn"}), "firstName"),
        (
            "nul-contacts",
            USER,
            json!({"email": "a@x.io", "firstname": "A", "lastname": "B",
                   "contacts": [{"Type": "mail", "Value": "\u{1}"}]}),
            "contacts",
        ),
        (
            "company-zero",
            PERSON,
            json!({"firstName": "Ann", "companyId": 0}),
            "companyId",
        ),
    ];
    for (id, command, body, _) in &json_cases {
        publish(&js, &prefix, command, headers(&token, Some(id)), body).await;
    }
    let proto_cases = [
        (
            "nul-proto",
            pb::CreatePersonRequest {
                first_name: Some("A\u{0}nn".into()),
                ..Default::default()
            },
            "first_name",
        ),
        (
            "company-negative",
            pb::CreatePersonRequest {
                first_name: Some("Ann".into()),
                company_id: Some(-1),
                ..Default::default()
            },
            "company_id",
        ),
    ];
    for (id, request, _) in &proto_cases {
        js.publish_with_headers(
            format!("{prefix}.commands.{PERSON}"),
            protobuf(&token, id),
            request.encode_to_vec().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }

    let expected: HashMap<&str, &str> = json_cases
        .iter()
        .map(|(id, _, _, field)| (*id, *field))
        .chain(proto_cases.iter().map(|(id, _, field)| (*id, *field)))
        .collect();
    let mut seen = HashMap::new();
    while seen.len() < expected.len() {
        let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
            .await
            .expect("every command is reported on rejected, at its first delivery")
            .unwrap();
        let headers = message.headers.unwrap();
        let id = headers.get("Nats-Msg-Id").unwrap().to_string();
        let error: Value = serde_json::from_str(headers.get("Rollcall-Error").unwrap().as_str()).unwrap();
        assert!(seen.insert(id.clone(), error).is_none(), "{id} was rejected twice");
    }
    for (id, field) in expected {
        assert_eq!(seen[id]["status"], 400, "{id}: {}", seen[id]);
        assert_eq!(seen[id]["field"], field, "{id}: {}", seen[id]);
    }
    let info = drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(info.num_redelivered, 0, "nothing is retried as if transient");
    assert_eq!(persons_created(&t).await, 0);
}

#[tokio::test]
async fn dates_land_in_the_read_model_as_the_event_holds_them() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let body = json!({"email": "ann@x.io", "firstname": "Ann", "lastname": "Lee",
                      "birthday": "2008-04-10T06:30:00.1234567Z", "worksfrom": "9999-12-31T23:59:59.9999999Z"});
    publish(&js, &prefix, USER, headers(&token, Some("dated")), &body).await;
    let owner = t.owner().await;
    let view = eventually(Duration::from_secs(20), || async {
        t.app.get_user_by_email(&owner, "ann@x.io").await.ok()
    })
    .await
    .expect("the user is created");
    let read_model = (
        view.birthday.map(|d| d.to_api_string()).unwrap_or_default(),
        view.works_from.to_api_string(),
    );
    assert_eq!(
        (read_model.0.as_str(), read_model.1.as_str()),
        ("2008-04-10T06:30:00.1234560Z", "9999-12-31T23:59:59.9999990Z")
    );
    assert_eq!(stored_dates(&t, &view.id.to_string()).await, read_model);
}
