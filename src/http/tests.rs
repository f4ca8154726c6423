//! The whole router without sockets (`Router::oneshot`) on an application whose database is never
//! reached: what is decided before any query (routing, negotiation, authentication, OpenAPI).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;

use super::*;
use crate::config::{AuthSettings, DatabaseSettings, Settings};

fn app() -> App {
    let settings = Settings {
        database: DatabaseSettings {
            url: SecretString::from("postgres://nobody@127.0.0.1:9/none".to_string()),
            max_connections: 1,
            acquire_timeout_secs: 1,
        },
        nats_url: "nats://127.0.0.1:9".into(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        nats_prefix: "t".into(),
        admin: None,
        auth: AuthSettings {
            secret: SecretString::from("s".repeat(40)),
            token_ttl: Duration::from_secs(60),
        },
        claim_grace: Duration::from_secs(1),
        read_your_writes: Duration::from_secs(1),
        projector_stall: Duration::from_secs(60),
        http_read_timeout: Duration::from_secs(30),
    };
    let pool = sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:9/none").unwrap();
    App::new(pool, &settings, crate::application::signals().0)
}

async fn send(req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = router(app()).oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn protected_routes_without_a_valid_token_are_401_envelopes() {
    for uri in [
        "/api/2.0/people/@self",
        "/api/2.0/crm/contact/1",
        "/api/2.0/people",
        "/API/2.0/CRM/Contact/Filter.json",
    ] {
        let (status, headers, body) = send(get(uri)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(headers["content-type"], negotiate::JSON);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((v["status"].as_i64(), v["statusCode"].as_i64()), (Some(1), Some(401)));
    }
    let req = Request::get("/api/2.0/people/@self.xml")
        .header("authorization", "Bearer forged")
        .body(Body::empty());
    let (status, headers, body) = send(req.unwrap()).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::UNAUTHORIZED, negotiate::XML)
    );
    assert!(
        body.starts_with("<result><status>1</status><statusCode>401</statusCode>"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_in_the_envelope() {
    let (status, _, body) = send(get("/api/2.0/nothing/here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["statusCode"], 404);
    let (status, _, body) = send(Request::delete("/api/2.0/people.xml").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("<statusCode>405</statusCode>"), "{body}");
}

#[tokio::test]
async fn the_correlation_id_is_taken_from_the_client_or_made_up_and_echoed() {
    let req = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(req).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(headers["x-correlation-id"], "abc-123");
    let (_, headers, _) = send(get("/healthz")).await;
    assert_eq!(headers["x-correlation-id"].len(), 36);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_without_a_token() {
    let (status, headers, body) = send(get("/api/2.0/openapi.json")).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::OK, negotiate::JSON)
    );
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/2.0/authentication",
        "/api/2.0/crm/contact/person",
        "/api/2.0/crm/contact/{id}",
        "/api/2.0/crm/contact/filter",
        "/api/2.0/crm/contact/{id}/photo",
        "/api/2.0/people",
        "/api/2.0/people/{id}",
        "/api/2.0/people/email",
        "/api/2.0/people/@self",
        "/api/2.0/people/filter",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["PersonDto"]["properties"]["shareType"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
}

#[tokio::test]
async fn posts_with_another_content_type_are_415_once_authenticated_only() {
    // The token is checked first: without one, the content type does not matter.
    let req = Request::post("/api/2.0/crm/contact/person")
        .header("content-type", "text/plain")
        .body(Body::from("x"));
    assert_eq!(send(req.unwrap()).await.0, StatusCode::UNAUTHORIZED);
    // Authentication itself needs no token.
    let req = Request::post("/api/2.0/authentication")
        .header("content-type", "text/plain")
        .body(Body::from("x"));
    assert_eq!(send(req.unwrap()).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let req = Request::post("/api/2.0/authentication.xml")
        .header("content-type", "application/json")
        .body(Body::from("{"));
    let (status, _, body) = send(req.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<message>body: malformed JSON"), "{body}");
    let req = Request::post("/api/2.0/authentication")
        .header("content-type", "application/json")
        .body(Body::from("{}"));
    let (status, _, body) = send(req.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("userName: is required"), "{body}");
}
