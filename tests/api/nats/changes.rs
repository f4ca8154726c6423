//! Contacts that change over NATS: `crm.person.update`, `crm.company.update`, `crm.contact.delete`,
//! `crm.contact.access` and `crm.contact.data.*` on JetStream and request-reply, JSON (the REST body
//! plus `id`) or protobuf, with `Rollcall-Expected-Version`; their events reach `P-events`.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use futures::StreamExt;
use prost::Message;
use rollcall::application::{AppError, PersonView};
use rollcall::domain::company::CompanyDraft;
use rollcall::domain::person::PersonDraft;
use rollcall::domain::values::ShareType;
use rollcall::grpc::pb;
use serde_json::{Value, json};

use super::rpc::request;
use super::{headers, publish, stream_ready};
use crate::helpers::{TestApp, eventually};

const UPDATE_PERSON: &str = "crm.person.update";
const UPDATE_COMPANY: &str = "crm.company.update";
const DELETE: &str = "crm.contact.delete";

/// A person (shared for reading and writing) and a company, created through the application.
async fn person_and_company(t: &TestApp) -> (i64, i64) {
    let meta = t.owner_meta().await;
    let company = CompanyDraft {
        company_name: Some("Acme".into()),
        share_type: ShareType::ReadWrite,
        ..Default::default()
    };
    let company = t.app.create_company(&meta, company, None).await.unwrap().id;
    let person = PersonDraft {
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        about: Some("met at expo".into()),
        share_type: ShareType::ReadWrite,
        ..Default::default()
    };
    (t.app.create_person(&meta, person, None).await.unwrap().id, company)
}

/// The person once `done` holds for it.
async fn person_when(t: &TestApp, id: i64, done: impl Fn(&PersonView) -> bool) -> PersonView {
    let owner = t.owner().await;
    eventually(Duration::from_secs(20), || async {
        t.app.get_person(&owner, id).await.ok().filter(|p| done(p))
    })
    .await
    .unwrap_or_else(|| panic!("person {id} never reached the expected state"))
}

fn expecting(token: &str, msg_id: &str, version: &str) -> HeaderMap {
    let mut h = headers(token, Some(msg_id));
    h.insert("Rollcall-Expected-Version", version);
    h
}

fn protobuf(token: &str) -> HeaderMap {
    let mut h = headers(token, None);
    h.insert("Content-Type", "application/protobuf");
    h
}

/// `Rollcall-Error` of each rejection by its `Nats-Msg-Id`, once `n` have arrived.
async fn rejections(rejected: &mut async_nats::Subscriber, n: usize) -> HashMap<String, (String, Value)> {
    let mut seen = HashMap::new();
    while seen.len() < n {
        let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} rejections: {seen:?}", seen.len()))
            .unwrap();
        let h = message.headers.clone().unwrap();
        let id = h.get("Nats-Msg-Id").unwrap().to_string();
        let error = serde_json::from_str(h.get("Rollcall-Error").unwrap().as_str()).unwrap();
        assert!(
            seen.insert(id.clone(), (message.subject.to_string(), error)).is_none(),
            "{id} rejected twice"
        );
    }
    seen
}

#[tokio::test]
async fn json_changes_on_jetstream_apply_publish_their_events_and_rejections_carry_the_rest_status() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let (person, company) = person_and_company(&t).await;
    let send = |command: &'static str, h: HeaderMap, body: Value| {
        let (js, prefix) = (js.clone(), prefix.clone());
        async move { publish(&js, &prefix, command, h, &body).await }
    };

    send(
        UPDATE_PERSON,
        headers(&token, Some("u-1")),
        json!({"id": person, "firstName": "Anne", "companyId": company, "jobTitle": null}),
    )
    .await;
    let updated = person_when(&t, person, |p| p.first_name == "Anne").await;
    assert_eq!(updated.company.map(|c| c.id), Some(company));
    assert_eq!(
        (updated.about.as_str(), updated.share_type),
        ("met at expo", ShareType::ReadWrite),
        "left out, kept"
    );
    let version = updated.version;
    assert_eq!(version, 3, "updated and linked");

    // The update's event is published to P-events.
    let events = js.get_stream(format!("{prefix}-events")).await.unwrap();
    let subject = format!("{prefix}.events.person.updated");
    let published = eventually(Duration::from_secs(20), || async {
        events.get_last_raw_message_by_subject(&subject).await.ok()
    })
    .await
    .expect("the update's event is published");
    let payload: Value = serde_json::from_slice(&published.payload).unwrap();
    assert!(payload.to_string().contains("Anne"), "{payload}");

    send(
        UPDATE_COMPANY,
        headers(&token, Some("c-1")),
        json!({"id": company, "companyName": "Acme Ltd"}),
    )
    .await;
    let owner = t.owner().await;
    let renamed = eventually(Duration::from_secs(20), || async {
        let c = t.app.get_company(&owner, company).await.ok()?;
        (c.company_name == "Acme Ltd").then_some(c)
    })
    .await;
    assert!(renamed.is_some(), "the company is renamed");

    send(
        UPDATE_PERSON,
        expecting(&token, "stale", "1"),
        json!({"id": person, "about": "stale"}),
    )
    .await;
    send(
        UPDATE_PERSON,
        headers(&token, Some("blank")),
        json!({"id": person, "lastName": ""}),
    )
    .await;
    send(UPDATE_PERSON, headers(&token, Some("no-id")), json!({"firstName": "X"})).await;
    send(
        UPDATE_PERSON,
        headers(&token, Some("unknown")),
        json!({"id": 999_999, "about": "x"}),
    )
    .await;
    send(
        "crm.contact.data.add",
        headers(&token, Some("fax")),
        json!({"id": person, "infoType": "Fax", "data": "1"}),
    )
    .await;
    send(
        "crm.contact.data.add",
        headers(&token, Some("email")),
        json!({"id": person, "infoType": "Email", "data": "ann@acme.io", "isPrimary": true}),
    )
    .await;
    send(DELETE, expecting(&token, "stale-delete", "1"), json!({"id": company})).await;
    let seen = rejections(&mut rejected, 6).await;
    let status = |id: &str| seen[id].1["status"].as_u64().unwrap();
    assert_eq!(status("stale"), 412);
    assert_eq!(seen["stale"].0, format!("{prefix}.rejected.{UPDATE_PERSON}"));
    assert_eq!(
        (status("blank"), seen["blank"].1["field"].as_str()),
        (400, Some("lastName"))
    );
    assert_eq!((status("no-id"), seen["no-id"].1["field"].as_str()), (400, Some("id")));
    assert_eq!(status("unknown"), 404);
    assert_eq!(status("stale-delete"), 412);
    assert!(
        t.app.get_company(&owner, company).await.is_ok(),
        "a stale delete deletes nothing"
    );
    assert_eq!(
        (status("fax"), seen["fax"].1["field"].as_str()),
        (400, Some("infoType"))
    );
    let with_data = person_when(&t, person, |p| p.common_data.len() == 1).await;
    assert_eq!(
        (with_data.about.as_str(), with_data.last_name.as_str()),
        ("met at expo", "Lee"),
        "nothing rejected changed anything"
    );
    assert_eq!(with_data.common_data[0].data, "ann@acme.io");

    send(DELETE, expecting(&token, "delete-2", "2"), json!({"id": company})).await;
    let unlinked = person_when(&t, person, |p| p.company.is_none()).await;
    assert!(unlinked.company.is_none(), "the deleted company's person is unlinked");
    // The person's row is written with the delete's events; the company's row goes with the
    // projector's next batch (NATS acks after the commit, without waiting for the read model).
    let company_gone = eventually(Duration::from_secs(20), || async {
        matches!(t.app.get_company(&owner, company).await, Err(AppError::NotFound(_))).then_some(())
    })
    .await;
    assert!(
        company_gone.is_some(),
        "the deleted company is gone from the read model"
    );
    send(DELETE, headers(&token, Some("delete-person")), json!({"id": person})).await;
    let gone = eventually(Duration::from_secs(20), || async {
        matches!(t.app.get_person(&owner, person).await, Err(AppError::NotFound(_))).then_some(())
    })
    .await;
    assert!(gone.is_some(), "the person is deleted");
    send(
        UPDATE_PERSON,
        headers(&token, Some("deleted")),
        json!({"id": person, "about": "x"}),
    )
    .await;
    send(
        "crm.contact.data.add",
        headers(&token, Some("deleted-data")),
        json!({"id": person, "infoType": "Phone", "data": "1"}),
    )
    .await;
    send(DELETE, headers(&token, Some("deleted-again")), json!({"id": company})).await;
    let seen = rejections(&mut rejected, 3).await;
    for id in ["deleted", "deleted-data", "deleted-again"] {
        assert_eq!(seen[id].1["status"], 404, "{id}: {seen:?}");
    }
}

#[tokio::test]
async fn request_reply_changes_answer_with_the_rest_envelope_in_json_and_protobuf() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let (person, company) = person_and_company(&t).await;
    let json = |v: Value| serde_json::to_vec(&v).unwrap();

    let answer = request(
        &t,
        UPDATE_PERSON,
        headers(&token, None),
        &json(json!({"id": person, "firstName": "Anne"})),
    )
    .await;
    assert_eq!(
        (answer["statusCode"].as_u64(), answer["response"]["firstName"].as_str()),
        (Some(200), Some("Anne"))
    );
    let mut stale = headers(&token, None);
    stale.insert("Rollcall-Expected-Version", "1");
    let answer = request(&t, UPDATE_PERSON, stale, &json(json!({"id": person, "about": "stale"}))).await;
    assert_eq!(answer["statusCode"], 412, "{answer}");
    let answer = request(
        &t,
        UPDATE_COMPANY,
        headers(&token, None),
        &json(json!({"id": company, "companyName": ""})),
    )
    .await;
    assert_eq!(answer["statusCode"], 400);
    assert!(
        answer["error"]["message"].as_str().unwrap().starts_with("companyName"),
        "{answer}"
    );
    let answer = request(&t, DELETE, headers(&token, None), &json(json!({"id": 999_999}))).await;
    assert_eq!(answer["statusCode"], 404);

    let owner = t.owner().await.id.to_string();
    let answer = request(
        &t,
        "crm.contact.access",
        headers(&token, None),
        &json(json!({"id": person, "isShared": false, "managerList": [owner]})),
    )
    .await;
    assert_eq!(
        (answer["statusCode"].as_u64(), answer["response"]["shareType"].as_u64()),
        (Some(200), Some(0))
    );
    let added = request(
        &t,
        "crm.contact.data.add",
        headers(&token, None),
        &json(json!({"id": person, "infoType": "Email", "data": "ann@acme.io"})),
    )
    .await;
    assert_eq!(added["statusCode"], 201, "{added}");
    let data_id = added["response"]["id"].as_i64().unwrap();
    let changed = request(
        &t,
        "crm.contact.data.update",
        headers(&token, None),
        &json(json!({"id": person, "dataid": data_id, "data": "ann@acme.com"})),
    )
    .await;
    assert_eq!(
        (changed["statusCode"].as_u64(), changed["response"]["data"].as_str()),
        (Some(200), Some("ann@acme.com"))
    );
    let removed = request(
        &t,
        "crm.contact.data.delete",
        headers(&token, None),
        &json(json!({"id": person, "dataid": data_id})),
    )
    .await;
    assert_eq!(
        (removed["statusCode"].as_u64(), removed["response"]["id"].as_i64()),
        (Some(200), Some(data_id))
    );

    // Protobuf: the gRPC request messages, rejections naming the proto field.
    let version = t.app.get_person(&t.owner().await, person).await.unwrap().version as u64;
    let update = pb::UpdatePersonRequest {
        id: person,
        about: Some("via protobuf".into()),
        expected_version: Some(version),
        ..Default::default()
    };
    let answer = request(&t, UPDATE_PERSON, protobuf(&token), &update.encode_to_vec()).await;
    assert_eq!(
        (answer["statusCode"].as_u64(), answer["response"]["about"].as_str()),
        (Some(200), Some("via protobuf"))
    );
    let answer = request(&t, UPDATE_PERSON, protobuf(&token), &update.encode_to_vec()).await;
    assert_eq!(answer["statusCode"], 412, "the version moved: {answer}");
    let clear_last = pb::UpdatePersonRequest {
        id: person,
        clear_fields: vec!["last_name".into()],
        ..Default::default()
    };
    let answer = request(&t, UPDATE_PERSON, protobuf(&token), &clear_last.encode_to_vec()).await;
    assert_eq!(answer["statusCode"], 400);
    assert!(
        answer["error"]["message"].as_str().unwrap().starts_with("last_name"),
        "{answer}"
    );
    let bad_share = pb::UpdateCompanyRequest {
        id: company,
        share_type: Some(9),
        ..Default::default()
    };
    let answer = request(&t, UPDATE_COMPANY, protobuf(&token), &bad_share.encode_to_vec()).await;
    assert!(
        answer["error"]["message"].as_str().unwrap().starts_with("share_type"),
        "{answer}"
    );
    let delete = pb::DeletePersonRequest {
        id: company,
        ..Default::default()
    };
    let answer = request(&t, DELETE, protobuf(&token), &delete.encode_to_vec()).await;
    assert_eq!(
        (answer["statusCode"].as_u64(), answer["response"]["isCompany"].as_bool()),
        (Some(200), Some(true))
    );
}
