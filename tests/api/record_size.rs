//! What one record may weigh (issue 14): a create whose every field is within its bounds but whose
//! event would not fit in a NATS message is refused naming the heaviest field, on every transport.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use reqwest::multipart::Form;
use rollcall::grpc::pb::{CreatePersonRequest, CustomField};
use serde_json::{Value, json};
use tonic::Code;

use crate::helpers::TestApp;
use crate::nats::{PERSON, drained, headers, persons_created, publish, stream_ready};
use crate::rest::{Rest, error_message, read};

/// 100 custom field values of `chars` CJK characters: 2,000 make 600 KB, under every transport's body
/// limit (1 MiB) and over what a record may weigh (512 KiB).
fn value(chars: usize) -> String {
    "語".repeat(chars)
}

fn custom_fields(chars: usize) -> Value {
    (1..=100).map(|k| json!({"Key": k, "Value": value(chars)})).collect()
}

#[tokio::test]
async fn rest_a_person_or_company_heavier_than_a_record_may_be_is_a_400_naming_the_field() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    for (path, body) in [
        (
            "crm/contact/person",
            json!({"firstName": "Ann", "customFieldList": custom_fields(2_000)}),
        ),
        (
            "crm/contact/company",
            json!({"companyName": "Acme", "customFieldList": custom_fields(2_000)}),
        ),
    ] {
        let (status, body) = read(r.post(path, &token).json(&body).send().await.unwrap()).await;
        let message = error_message(status, &body, 400);
        assert!(message.starts_with("customFieldList: "), "{path}: {message}");
    }
    // The probe's request: 100 values of 8,000 characters in a form (2.4 MB, under the 6 MiB limit).
    let mut form = Form::new().text("firstName", "Ann");
    for k in 0..100 {
        form = form
            .text(format!("customFieldList[{k}][Key]"), (k + 1).to_string())
            .text(format!("customFieldList[{k}][Value]"), value(8_000));
    }
    let res = r
        .post("crm/contact/person", &token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    let message = error_message(status, &body, 400);
    assert!(message.starts_with("customFieldList: "), "{message}");
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn grpc_a_person_heavier_than_a_record_may_be_is_invalid_argument_naming_custom_fields() {
    let t = TestApp::spawn().await;
    let mut c = crate::grpc::clients(&t).await;
    let token = t.owner_token().await;
    let request = CreatePersonRequest {
        first_name: Some("Ann".into()),
        custom_fields: (1..=100)
            .map(|key| CustomField {
                key,
                value: value(2_000),
            })
            .collect(),
        ..Default::default()
    };
    let status = c
        .persons
        .create_person(crate::grpc::authed(request, &token))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("custom_fields: "), "{status:?}");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn nats_a_person_heavier_than_a_record_may_be_is_rejected_naming_the_field() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    t.nats.flush().await.unwrap();
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let body = json!({"firstName": "Ann", "customFieldList": custom_fields(2_000)});
    publish(&js, &prefix, PERSON, headers(&token, Some("heavy")), &body).await;
    let message = tokio::time::timeout(Duration::from_secs(20), rejected.next())
        .await
        .expect("reported on rejected")
        .unwrap();
    let error: Value = serde_json::from_str(message.headers.unwrap().get("Rollcall-Error").unwrap().as_str()).unwrap();
    assert_eq!(
        (error["status"].as_u64(), error["field"].as_str()),
        (Some(400), Some("customFieldList"))
    );
    drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(persons_created(&t).await, 0);
}
