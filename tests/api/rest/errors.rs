//! Every error of the REST facade: its HTTP status and the ONLYOFFICE error envelope, in the negotiated
//! format. Never a 500 for bad input.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use super::{Rest, error_message, parse_xml, read, read_text, seed_person_request};
use crate::helpers::{eventually, server_url};

/// Posts `body` (JSON text) and returns the error message after checking the code.
async fn post_json(r: &Rest, path: &str, token: &str, body: &str, code: u16) -> String {
    let res = r
        .post(path, token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let (status, body) = read(res.unwrap()).await;
    error_message(status, &body, code)
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() {
    let r = Rest::spawn().await;
    let t = r.owner_token().await;
    let person = "crm/contact/person";
    assert!(
        post_json(&r, person, &t, "{\"firstName\":", 400)
            .await
            .starts_with("body: malformed JSON")
    );
    assert!(post_json(&r, person, &t, "[1]", 400).await.starts_with("body:"));
    assert!(
        post_json(&r, person, &t, r#"{"firstName": 5}"#, 400)
            .await
            .starts_with("firstName:")
    );
    assert!(
        post_json(&r, person, &t, r#"{"lastName": "x"}"#, 400)
            .await
            .contains("firstName")
    );
    assert!(
        post_json(&r, person, &t, r#"{"firstName": "a", "companyId": "x"}"#, 400)
            .await
            .starts_with("companyId:")
    );
    assert!(
        post_json(&r, person, &t, r#"{"firstName": "a", "shareType": "public"}"#, 400)
            .await
            .starts_with("shareType:")
    );
    assert!(
        post_json(&r, person, &t, r#"{"firstName": "a", "managerList": ["nope"]}"#, 400)
            .await
            .starts_with("managerList:")
    );
    let user = |extra: serde_json::Value| {
        let mut body = json!({"email": "ok@example.com", "firstname": "A", "lastname": "B"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    assert!(
        post_json(&r, "people", &t, &user(json!({"email": "abc"})), 400)
            .await
            .starts_with("email")
    );
    assert!(
        post_json(&r, "people", &t, &user(json!({"email": null})), 400)
            .await
            .starts_with("email")
    );
    assert!(
        post_json(&r, "people", &t, &user(json!({"birthday": "10/04/2008"})), 400)
            .await
            .starts_with("birthday:")
    );
    assert!(
        post_json(&r, "people", &t, &user(json!({"lead": "xyz"})), 400)
            .await
            .starts_with("lead:")
    );
    assert!(
        post_json(&r, "people", &t, &user(json!({"isVisitor": "1"})), 400)
            .await
            .starts_with("isVisitor:")
    );
    assert!(
        post_json(&r, "people", &t, &user(json!({"password": "short"})), 400)
            .await
            .starts_with("password")
    );

    let res = r
        .post("people.xml", &t)
        .header("Content-Type", "text/xml")
        .body("<request><email>x</request>")
        .send()
        .await;
    let (status, ct, text) = read_text(res.unwrap()).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::BAD_REQUEST, "text/xml; charset=utf-8")
    );
    let result = parse_xml(&text);
    assert_eq!(result.child("statusCode").text, "400");
    assert!(
        result.child("error").child("message").text.starts_with("body:"),
        "{text}"
    );

    for (path, field) in [
        ("crm/contact/abc", "id"),
        ("crm/contact/0", "id"),
        ("crm/contact/abc/photo", "id"),
        ("crm/contact/filter?count=many", "count"),
        ("crm/contact/filter?sortBy=nothing", "sortBy"),
        ("people/filter?sortBy=nothing", "sortBy"),
        ("people/filter?startIndex=-5", "startIndex"),
    ] {
        let (status, body) = read(r.get(path, &t).send().await.unwrap()).await;
        assert!(error_message(status, &body, 400).starts_with(field), "{path}: {body}");
    }
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404_and_wrong_methods_405_in_the_envelope() {
    let r = Rest::spawn().await;
    let t = r.owner_token().await;
    for path in [
        "crm/contact/999999",
        "crm/contact/999999.xml",
        "people/nobody",
        "no/such/route",
    ] {
        let (status, ct, text) = read_text(r.get(path, &t).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        // The format follows the request (its suffix), never whatever the answer happens to be.
        if path.ends_with(".xml") {
            assert_eq!(ct, "text/xml; charset=utf-8", "{path}");
            assert_eq!(parse_xml(&text).child("statusCode").text, "404");
        } else {
            assert_eq!(ct, "application/json; charset=utf-8", "{path}");
            error_message(status, &serde_json::from_str(&text).unwrap(), 404);
        }
    }
    let res = r
        .client
        .delete(r.url("crm/contact/person"))
        .header("Authorization", &t)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    error_message(status, &body, 405);
}

#[tokio::test]
async fn a_visitor_cannot_create_a_person_and_a_non_admin_cannot_add_a_user() {
    let r = Rest::spawn().await;
    let visitor = r.member_token("guest@example.com", true).await;
    let member = r.member_token("member@example.com", false).await;
    let (status, body) = read(
        r.post("crm/contact/person", &visitor)
            .json(&seed_person_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    error_message(status, &body, 403);
    let new_user = json!({"email": "new@example.com", "firstname": "N", "lastname": "U"});
    for token in [&visitor, &member] {
        let (status, body) = read(r.post("people", token).json(&new_user).send().await.unwrap()).await;
        error_message(status, &body, 403);
    }
    // A member may create persons (the seed's company is private to the owner, so without it: linking
    // to a company the caller cannot see is a 404).
    let mut request = seed_person_request();
    request.as_object_mut().unwrap().remove("companyId");
    let res = r
        .post("crm/contact/person", &member)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        r.t.count_events("User", "UserCreated").await,
        3,
        "the owner and the two members only"
    );
}

#[tokio::test]
async fn a_taken_email_and_a_reused_idempotency_key_are_409() {
    let r = Rest::spawn().await;
    let t = r.owner_token().await;
    let user = json!({"email": "dup@example.com", "firstname": "D", "lastname": "U"});
    assert_eq!(
        r.post("people", &t).json(&user).send().await.unwrap().status(),
        StatusCode::CREATED
    );
    let upper = json!({"email": "DUP@example.com", "firstname": "D", "lastname": "U"});
    let (status, body) = read(r.post("people", &t).json(&upper).send().await.unwrap()).await;
    error_message(status, &body, 409);

    let keyed = |first_name: &str| {
        r.post("crm/contact/person", &t)
            .header("Idempotency-Key", "k-1")
            .json(&json!({"firstName": first_name}))
            .send()
    };
    assert_eq!(keyed("Ann").await.unwrap().status(), StatusCode::CREATED);
    let (status, body) = read(keyed("Bob").await.unwrap()).await;
    assert!(error_message(status, &body, 409).contains("idempotency key"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_other_content_types_415() {
    let r = Rest::spawn().await;
    let t = r.owner_token().await;
    let big = format!("{{\"firstName\":\"a\",\"about\":\"{}\"}}", "x".repeat(1024 * 1024));
    let message = post_json(&r, "crm/contact/person", &t, &big, 413).await;
    assert!(message.contains("1 MiB"), "{message}");

    let part = reqwest::multipart::Part::bytes(vec![0u8; 6 * 1024 * 1024 + 10])
        .file_name("a.png")
        .mime_str("image/png");
    let form = reqwest::multipart::Form::new()
        .text("firstName", "a")
        .part("photo", part.unwrap());
    let (status, body) = read(r.post("crm/contact/person", &t).multipart(form).send().await.unwrap()).await;
    error_message(status, &body, 413);

    for ct in ["text/plain", "application/octet-stream", "image/png"] {
        let res = r
            .post("crm/contact/person", &t)
            .header("Content-Type", ct)
            .body("firstName=a")
            .send()
            .await;
        let (status, body) = read(res.unwrap()).await;
        error_message(status, &body, 415);
    }
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 0);
}

/// Runs `sql` on the server's `postgres` database (never the shared server's state otherwise).
async fn admin(sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&format!("{}/postgres", server_url()))
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_database_is_503_and_the_service_recovers() {
    let r = Rest::spawn().await;
    let t = r.owner_token().await;
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    // Only this test's database refuses connections; the shared PostgreSQL server keeps running.
    admin(&format!("ALTER DATABASE \"{db}\" WITH ALLOW_CONNECTIONS false")).await;
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ))
    .await;
    let outage = read(r.get("people/@self", &t).send().await.unwrap()).await;
    let login = read(
        r.client
            .post(r.url("authentication"))
            .json(&json!({"userName": "x@example.com", "password": "whatever-1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    admin(&format!("ALTER DATABASE \"{db}\" WITH ALLOW_CONNECTIONS true")).await;

    let message = error_message(outage.0, &outage.1, 503);
    assert!(!message.contains(&db) && !message.contains("127.0.0.1"), "{message}");
    error_message(login.0, &login.1, 503);
    let back = eventually(Duration::from_secs(10), || async {
        let res = r.get("people/@self", &t).send().await.ok()?;
        (res.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(back.is_some(), "the service answers again once the database is back");
}
