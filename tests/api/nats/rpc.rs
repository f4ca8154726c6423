//! Request-reply on `P.rpc.…` answers with the REST JSON envelope, for success and for errors.

use std::time::Duration;

use async_nats::HeaderMap;
use serde_json::{Value, json};

use super::{PERSON, USER, headers, person_json, persons_created};
use crate::helpers::{MEMBER_PASSWORD, TestApp, eventually, secret};

/// Sends a request, retrying while the responder has not subscribed yet.
pub(super) async fn request(t: &TestApp, command: &str, headers: HeaderMap, body: &[u8]) -> Value {
    let subject = format!("{}.rpc.{command}", t.settings.nats_prefix);
    let answer = eventually(Duration::from_secs(20), || {
        let (subject, headers, body) = (subject.clone(), headers.clone(), body.to_vec());
        async move { t.nats.request_with_headers(subject, headers, body.into()).await.ok() }
    })
    .await
    .expect("the request is answered");
    serde_json::from_slice(&answer.payload).expect("the answer is JSON")
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

#[tokio::test]
async fn a_person_request_is_answered_with_the_created_person_in_the_rest_envelope() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let answer = request(&t, PERSON, headers(&token, None), &body(&person_json("Tadjeddine"))).await;
    assert_eq!(answer["status"], 0);
    assert_eq!(answer["statusCode"], 201);
    let person = &answer["response"];
    assert_eq!(person["firstName"], "Tadjeddine");
    assert_eq!(person["displayName"], "Tadjeddine Bachir");
    assert_eq!(person["createBy"]["displayName"], "Portal Owner");
    let id = person["id"].as_i64().expect("an integer id");
    let owner = t.owner().await;
    assert_eq!(t.app.get_person(&owner, id).await.unwrap().first_name, "Tadjeddine");
}

#[tokio::test]
async fn a_user_request_is_answered_with_the_created_user() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let user = json!({"email": "mike@example.com", "firstname": "Mike", "lastname": "Zanyatski"});
    let answer = request(&t, USER, headers(&token, None), &body(&user)).await;
    assert_eq!(answer["statusCode"], 201);
    assert_eq!(answer["response"]["Email"], "mike@example.com");
    assert_eq!(answer["response"]["UserName"], "mike");

    let again = request(&t, USER, headers(&token, None), &body(&user)).await;
    assert_eq!(again["status"], 1);
    assert_eq!(again["statusCode"], 409);
}

#[tokio::test]
async fn request_errors_carry_the_rest_status_codes() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let blank = request(
        &t,
        PERSON,
        headers(&token, None),
        br#"{"firstName":" ","lastName":"B"}"#,
    )
    .await;
    assert_eq!(
        (blank["status"].clone(), blank["statusCode"].clone()),
        (json!(1), json!(400))
    );
    assert!(
        blank["error"]["message"].as_str().unwrap().contains("firstName"),
        "{blank}"
    );

    let poison = request(&t, PERSON, headers(&token, None), b"{nope").await;
    assert_eq!(poison["statusCode"], 400);

    let anonymous = request(&t, PERSON, HeaderMap::new(), &body(&person_json("A"))).await;
    assert_eq!(anonymous["statusCode"], 401);

    t.member("visitor@example.com", true).await;
    let visitor = t
        .app
        .login("visitor@example.com", &secret(MEMBER_PASSWORD))
        .await
        .unwrap()
        .token;
    let forbidden = request(&t, PERSON, headers(&visitor, None), &body(&person_json("A"))).await;
    assert_eq!(forbidden["statusCode"], 403);

    let unknown = request(&t, "crm.person.delete", headers(&token, None), b"{}").await;
    assert_eq!(unknown["statusCode"], 404);
    assert_eq!(persons_created(&t).await, 0);
}

#[tokio::test]
async fn a_request_repeated_with_the_same_message_id_returns_the_first_result() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let first = request(&t, PERSON, headers(&token, Some("rpc-1")), &body(&person_json("Once"))).await;
    let second = request(&t, PERSON, headers(&token, Some("rpc-1")), &body(&person_json("Once"))).await;
    assert_eq!(first["response"]["id"], second["response"]["id"]);
    assert_eq!(persons_created(&t).await, 1);

    let reused = request(&t, PERSON, headers(&token, Some("rpc-1")), &body(&person_json("Other"))).await;
    assert_eq!(reused["statusCode"], 409);
}
