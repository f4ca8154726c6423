//! `POST /api/2.0/authentication` over HTTP, and the token on protected routes.

use reqwest::StatusCode;
use serde_json::json;

use super::{Rest, error_message, parse_xml, read, read_text, response};
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD};

#[tokio::test]
async fn logging_in_with_json_or_a_form_answers_201_with_a_token_and_its_expiry() {
    let r = Rest::spawn().await;
    let (status, body) = read(
        r.client
            .post(r.url("authentication"))
            .json(&json!({"userName": OWNER_EMAIL, "password": OWNER_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = response(status, &body, 201);
    assert_eq!(super::keys(token), ["token", "expires"]);
    assert!(token["expires"].as_str().unwrap().ends_with('Z'));

    // A form, field names in any case, and the answer in XML.
    let res = r
        .client
        .post(r.url("authentication.xml"))
        .form(&[("USERNAME", OWNER_EMAIL), ("Password", OWNER_PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, _, text) = read_text(res).await;
    assert_eq!(status, StatusCode::CREATED);
    let result = parse_xml(&text);
    assert!(!result.child("response").child("token").text.is_empty());
}

#[tokio::test]
async fn the_token_works_raw_or_as_bearer_and_nothing_else_gets_in() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    for header in [token.clone(), format!("Bearer {token}")] {
        let (status, body) = read(r.get("people/@self", &header).send().await.unwrap()).await;
        assert_eq!(response(status, &body, 200)["IsOwner"], true);
    }
    for header in ["", "Bearer ", "garbage", &format!("{token}x")] {
        let (status, body) = read(r.get("people/@self", header).send().await.unwrap()).await;
        error_message(status, &body, 401);
    }
    let (status, body) = read(r.client.get(r.url("crm/contact/filter")).send().await.unwrap()).await;
    error_message(status, &body, 401);
}

#[tokio::test]
async fn wrong_credentials_are_401_without_saying_which_part_was_wrong() {
    let r = Rest::spawn().await;
    let mut messages = Vec::new();
    for (user, password) in [
        (OWNER_EMAIL, "wrong-password-1"),
        ("nobody@example.com", OWNER_PASSWORD),
    ] {
        let res = r
            .client
            .post(r.url("authentication"))
            .json(&json!({"userName": user, "password": password}));
        let (status, body) = read(res.send().await.unwrap()).await;
        messages.push(error_message(status, &body, 401));
    }
    assert_eq!(messages[0], messages[1]);
    assert!(
        !messages[0].contains("password") && !messages[0].contains("user name"),
        "{}",
        messages[0]
    );
}
