//! Companies over NATS: `P.commands.crm.company.create`, `P.rpc.crm.company.create`, and a person
//! command naming an unknown company ends in `P.rejected.…` with a 404.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use serde_json::json;

use super::{headers, publish, stream_ready};
use crate::helpers::{TestApp, eventually};

#[tokio::test]
async fn company_commands_create_companies_and_an_unknown_company_is_rejected_with_404() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let prefix = t.settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    let mut rejected = t.nats.subscribe(format!("{prefix}.rejected.>")).await.unwrap();
    stream_ready(&js, &prefix).await;

    publish(
        &js,
        &prefix,
        "crm.company.create",
        headers(&token, Some("co-1")),
        &json!({"companyName": "Acme"}),
    )
    .await;
    let owner = t.owner().await;
    let listed = eventually(Duration::from_secs(20), || async {
        let page = t.app.list_companies(&owner, &Default::default()).await.ok()?;
        page.items.first().cloned()
    })
    .await
    .expect("the company lands in the read model");
    assert_eq!(listed.company_name, "Acme");

    let person = json!({"firstName": "Ann", "companyId": listed.id + 1000});
    publish(&js, &prefix, "crm.person.create", headers(&token, Some("p-1")), &person).await;
    let msg = tokio::time::timeout(Duration::from_secs(20), rejected.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.subject.as_str(), format!("{prefix}.rejected.crm.person.create"));
    let error = msg.headers.unwrap().get("Rollcall-Error").unwrap().to_string();
    assert!(error.contains("404"), "{error}");

    let subject = format!("{prefix}.rpc.crm.company.create");
    let client = t.nats.clone();
    let answer = eventually(Duration::from_secs(20), || {
        let (client, subject, headers) = (client.clone(), subject.clone(), headers(&token, None));
        async move {
            client
                .request_with_headers(subject, headers, br#"{"companyName":"Beta"}"#.to_vec().into())
                .await
                .ok()
        }
    })
    .await
    .expect("the request is answered");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(
        (answer["statusCode"].clone(), answer["response"]["companyName"].clone()),
        (json!(201), json!("Beta"))
    );
}
