//! Negotiation without sockets: suffix, `Accept`, rendering, and errors axum makes itself.

use axum::Router;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::middleware::from_fn;
use axum::routing::get;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use super::*;

fn accept(v: &str) -> Format {
    let mut h = HeaderMap::new();
    h.insert(ACCEPT, v.parse().unwrap());
    from_accept(&h)
}

#[test]
fn accept_picks_xml_only_when_xml_is_preferred() {
    assert_eq!(from_accept(&HeaderMap::new()), Format::Json);
    assert_eq!(accept("application/xml"), Format::Xml);
    assert_eq!(accept("text/xml"), Format::Xml);
    assert_eq!(accept("text/html, application/xml;q=0.9, */*;q=0.8"), Format::Xml);
    assert_eq!(accept("application/json, text/xml"), Format::Json);
    assert_eq!(accept("text/xml;q=0.5, application/json"), Format::Json);
    assert_eq!(accept("application/xml;q=0"), Format::Json);
    assert_eq!(accept("*/*"), Format::Json);
}

#[test]
fn suffixes_are_stripped_from_api_paths_which_match_in_any_case() {
    let cases = [
        ("/api/2.0/people/@self.xml", "/api/2.0/people/@self", Some(Format::Xml)),
        (
            "/API/2.0/People/@Self.JSON?x=A",
            "/api/2.0/people/@self?x=A",
            Some(Format::Json),
        ),
        (
            "/api/2.0/crm/contact/5.xml",
            "/api/2.0/crm/contact/5",
            Some(Format::Xml),
        ),
        ("/api/2.0/crm/contact/filter", "/api/2.0/crm/contact/filter", None),
        ("/api/2.0/openapi.json", "/api/2.0/openapi.json", None),
        ("/healthz", "/healthz", None),
    ];
    for (from, to, format) in cases {
        let mut uri: Uri = from.parse().unwrap();
        assert_eq!(rewrite(&mut uri), format, "{from}");
        assert_eq!(uri.to_string(), to);
    }
}

async fn call(uri: &str, accept: Option<&str>) -> (StatusCode, String, String) {
    let routes = Router::new()
        .route(
            "/api/2.0/people/@self",
            get(|| async { single(StatusCode::OK, json!({"IsAdmin": true, "Groups": []}), Booleans::Title) }),
        )
        .route(
            "/api/2.0/crm/contact/filter",
            get(|| async { list(&[json!({"isCompany": false})], 0, 1, Booleans::Lower) }),
        );
    let app = Router::new().fallback_service(routes).layer(from_fn(negotiate));
    let mut req = Request::get(uri);
    if let Some(a) = accept {
        req = req.header(ACCEPT, a);
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, ct, body)
}

#[tokio::test]
async fn the_suffix_wins_over_accept_and_accept_over_the_default() {
    let (_, ct, body) = call("/api/2.0/people/@self.xml", Some("application/json")).await;
    assert_eq!(ct, XML);
    assert_eq!(
        body,
        "<result><count>1</count><status>0</status><statusCode>200</statusCode><response><IsAdmin>True</IsAdmin></response></result>"
    );
    let (_, ct, body) = call("/api/2.0/people/@self.json", Some("text/xml")).await;
    assert_eq!(
        (ct.as_str(), body.as_str()),
        (
            JSON,
            r#"{"count":1,"status":0,"statusCode":200,"response":{"IsAdmin":true,"Groups":[]}}"#
        )
    );
    let (_, ct, _) = call("/api/2.0/people/@self", Some("text/xml")).await;
    assert_eq!(ct, XML);
    let (_, ct, _) = call("/api/2.0/people/@self", None).await;
    assert_eq!(ct, JSON);
}

#[tokio::test]
async fn lists_are_repeated_response_elements_with_lowercase_booleans() {
    let (_, _, body) = call("/api/2.0/crm/contact/filter.xml", None).await;
    assert_eq!(
        body,
        "<result><count>1</count><total>1</total><status>0</status><statusCode>200</statusCode>\
         <response><isCompany>false</isCompany></response></result>"
    );
}

#[tokio::test]
async fn errors_axum_makes_itself_get_the_envelope_in_the_negotiated_format() {
    let (status, ct, body) = call("/api/2.0/nowhere.xml", None).await;
    assert_eq!((status, ct.as_str()), (StatusCode::NOT_FOUND, XML));
    assert!(
        body.starts_with("<result><status>1</status><statusCode>404</statusCode><error><message>"),
        "{body}"
    );
}
