//! What the one application interface guarantees on every transport: one reading of the
//! `Authorization` value, rejected creates that leave nothing behind, and event rows in the format
//! postgres-es itself loads.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use cqrs_es::persist::PersistedEventRepository;
use futures::StreamExt;
use reqwest::multipart::{Form, Part};
use rollcall::domain::company::{Company, CompanyDraft};
use rollcall::domain::person::{Person, PersonDraft, PersonEvent};
use rollcall::grpc::pb::CreatePersonRequest;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use serde_json::Value;

use crate::grpc::channel;
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, eventually, secret};
use crate::nats::{PERSON, person_json, stream_ready};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\x01\0\x18\xdd\x8d\xb0\0\0\0\0IEND\xaeB`\x82";

fn bare_bearer() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Authorization", "Bearer");
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_scheme_without_a_token_is_refused_on_every_transport() {
    let t = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let url = format!("http://{}/api/2.0/crm/contact/person", t.http_addr);
    for value in ["Bearer", "Bearer   ", "bearer"] {
        let res = http
            .post(&url)
            .header("Authorization", value)
            .json(&person_json("Anon"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED, "REST with {value:?}");
    }

    let mut grpc = PersonServiceClient::new(channel(t.grpc_addr).await);
    let mut request = tonic::Request::new(CreatePersonRequest {
        first_name: Some("Anon".into()),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("authorization", "Bearer".parse().unwrap());
    let status = grpc.create_person(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");

    let prefix = t.settings.nats_prefix.clone();
    let answer = eventually(Duration::from_secs(20), || {
        let subject = format!("{prefix}.rpc.{PERSON}");
        let body = serde_json::to_vec(&person_json("Anon")).unwrap();
        async {
            t.nats
                .request_with_headers(subject, bare_bearer(), body.into())
                .await
                .ok()
        }
    })
    .await
    .expect("the rpc request is answered");
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(answer["statusCode"], 401, "NATS rpc: {answer}");

    let js = jetstream::new(t.nats.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let body = serde_json::to_vec(&person_json("Anon")).unwrap();
    js.publish_with_headers(format!("{prefix}.commands.{PERSON}"), bare_bearer(), body.into())
        .await
        .unwrap()
        .await
        .unwrap();
    let copy = tokio::time::timeout(Duration::from_secs(20), rejected.next())
        .await
        .expect("the command is rejected in time")
        .unwrap();
    let error: Value =
        serde_json::from_str(copy.headers.as_ref().unwrap().get("Rollcall-Error").unwrap().as_str()).unwrap();
    assert_eq!(error["status"], 401, "NATS command: {error}");
    assert_eq!(
        t.count_events("Person", "PersonCreated").await,
        0,
        "nothing was created"
    );
}

async fn photos(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM photos")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_create_with_a_photo_stores_no_photo_and_an_accepted_one_stores_it() {
    let t = TestApp::spawn().await;
    let token = t.app.login(OWNER_EMAIL, &secret(OWNER_PASSWORD)).await.unwrap().token;
    let http = reqwest::Client::new();
    let post = |path: &str, form: Form| {
        http.post(format!("http://{}/api/2.0/crm/contact/{path}", t.http_addr))
            .header("Authorization", &token)
            .multipart(form)
            .send()
    };
    let png = || Part::bytes(PNG).file_name("me.png").mime_str("image/png").unwrap();
    // A blank first name, a company that does not exist, a blank company name: all refused.
    let refused = [
        ("person", Form::new().text("firstName", " ").part("photo", png())),
        (
            "person",
            Form::new()
                .text("firstName", "Ann")
                .text("companyId", "999999")
                .part("photo", png()),
        ),
        ("company", Form::new().text("companyName", " ").part("photo", png())),
    ];
    for (path, form) in refused {
        let res = post(path, form).await.unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        assert_eq!(photos(&t).await, 0, "a refused {path} create left its photo behind");
    }
    let res = post("person", Form::new().text("firstName", "Ann").part("photo", png()))
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    assert_eq!(photos(&t).await, 1, "an accepted create stores its photo");
}

#[tokio::test]
async fn events_written_by_the_write_path_load_with_postgres_es_own_repository() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let company = CompanyDraft {
        company_name: Some("Acme".into()),
        ..Default::default()
    };
    let company = t.app.create_company(&meta, company, None).await.unwrap();
    let person = PersonDraft {
        first_name: Some("Ann".into()),
        company_id: Some(company.id),
        ..Default::default()
    };
    let person = t.app.create_person(&meta, person, None).await.unwrap();

    let repo = postgres_es::PostgresEventRepository::new(t.pool.clone());
    let events = repo.get_events::<Person>(&person.id.to_string()).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.aggregate_type.as_str(), e.sequence, e.event_type.as_str()),
        ("Person", 1, "PersonCreated")
    );
    assert_eq!(e.event_version, "1");
    let Ok(PersonEvent::PersonCreated(created)) = serde_json::from_value(e.payload.clone()) else {
        panic!("not a PersonCreated: {}", e.payload)
    };
    assert_eq!((created.id, created.fields.company_id), (person.id, Some(company.id)));
    assert_eq!(e.metadata["source"], "test");
    let companies = repo.get_events::<Company>(&company.id.to_string()).await.unwrap();
    assert_eq!(companies.len(), 1);
    assert!(
        repo.get_last_events::<Person>(&person.id.to_string(), 0)
            .await
            .unwrap()
            .len()
            == 1
    );
}
