//! Body forms → the JSON value `wire::input` binds, through a real extractor (`Router::oneshot`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;
use crate::wire::input::{person_draft, user_draft};

fn pairs(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(s).unwrap()
}

#[test]
fn bracket_notation_builds_nested_objects_and_lists() {
    let v = tree(pairs(
        "contacts[0][Type]=GTalk&contacts[0][Value]=my%40gmail.com&contacts[1][Type]=skype&managerList[]=a\
         &managerList[]=b&department=x&department=y&firstname=Ann",
    ))
    .unwrap();
    assert_eq!(
        v,
        json!({"contacts": {"0": {"Type": "GTalk", "Value": "my@gmail.com"}, "1": {"Type": "skype"}},
               "managerList": ["a", "b"], "department": ["x", "y"], "firstname": "Ann"})
    );
}

#[test]
fn names_merge_in_any_case_and_odd_brackets_are_plain_names() {
    let v = tree(pairs("Contacts[0][Type]=a&contacts[0][Value]=b&x[=1&[y]=2")).unwrap();
    assert_eq!(
        v,
        json!({"Contacts": {"0": {"Type": "a", "Value": "b"}}, "x[": "1", "[y]": "2"})
    );
}

#[test]
fn a_name_sent_as_value_and_as_fields_is_refused_with_its_name() {
    let e = tree(pairs("contacts=a&contacts[0][Type]=b")).unwrap_err();
    assert_eq!(e.status, StatusCode::BAD_REQUEST);
    assert!(e.message.starts_with("contacts:"), "{}", e.message);
}

#[test]
fn the_seed_user_form_binds_to_a_draft_with_its_contact() {
    let v = tree(pairs(
        "isVisitor=true&email=mike%40example.com&firstname=Mike&lastname=Z&contacts[0][Type]=GTalk&contacts[0][Value]=my@gmail.com&birthday=2008-04-10T06-30-00.000Z",
    ))
    .unwrap();
    let draft = user_draft(&v).unwrap();
    assert!(draft.is_visitor);
    assert_eq!(draft.contacts.len(), 1);
    assert_eq!(
        (draft.contacts[0].kind.as_str(), draft.contacts[0].value.as_str()),
        ("GTalk", "my@gmail.com")
    );
    let v = tree(pairs("firstName=A&managerList=00000000-0000-0000-0000-000000000000&customFieldList[0][Key]=3&customFieldList[0][Value]=v")).unwrap();
    let draft = person_draft(&v).unwrap();
    assert_eq!((draft.manager_list.len(), draft.custom_field_list[0].key), (1, 3));
}

/// A router that answers with the parsed fields (and the photo's size), or the error.
async fn parse(content_type: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value) {
    let app = Router::new()
        .route(
            "/",
            post(|input: Input| async move {
                axum::Json(
                    json!({"fields": input.fields, "photo": input.photo.map(|p| (p.content_type, p.bytes.len()))}),
                )
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MULTIPART_LIMIT));
    let mut req = Request::post("/");
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = app.oneshot(req.body(body.into()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = match status {
        StatusCode::OK => serde_json::from_slice(&bytes).unwrap(),
        _ => Value::Null,
    };
    (status, value)
}

#[tokio::test]
async fn json_form_and_xml_bodies_give_the_same_fields() {
    let json_body = parse(
        Some("application/json; charset=utf-8"),
        r#"{"firstName":"A","managerList":["g"]}"#,
    )
    .await;
    let form_body = parse(Some("application/x-www-form-urlencoded"), "firstName=A&managerList[]=g").await;
    let xml_body = parse(
        Some("text/xml"),
        "<request><firstName>A</firstName><managerList>g</managerList></request>",
    )
    .await;
    assert_eq!(json_body.1["fields"], json!({"firstName": "A", "managerList": ["g"]}));
    assert_eq!(form_body.1["fields"], json!({"firstName": "A", "managerList": ["g"]}));
    assert_eq!(xml_body.1["fields"], json!({"firstName": "A", "managerList": "g"}));
}

#[tokio::test]
async fn unknown_content_types_are_415_and_oversized_bodies_413() {
    assert_eq!(
        parse(Some("text/plain"), "hi").await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(parse(None, "hi").await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(parse(None, "").await.1["fields"], json!({}));
    let big = format!("{{\"about\":\"{}\"}}", "x".repeat(BODY_LIMIT));
    assert_eq!(
        parse(Some("application/json"), big).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Without a Content-Length (a stream), the limit holds while reading.
    let chunks = futures::stream::iter((0..300).map(|_| Ok::<_, std::io::Error>(vec![b' '; 4096])));
    assert_eq!(
        parse(Some("application/json"), Body::from_stream(chunks)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    assert_eq!(
        parse(Some("application/json"), "{\"a\":").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(parse(Some("text/xml"), "<a><b></a>").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        parse(Some("application/x-www-form-urlencoded"), "a[0]=1&a=2&a[1][x]=3")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}

/// A part: field name, optional (file name, content type), bytes.
type PartSpec<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

fn multipart_body(parts: &[PartSpec<'_>]) -> (String, Vec<u8>) {
    let boundary = "XyZboundary";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, ct)) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn multipart_text_fields_use_brackets_and_the_file_is_the_photo() {
    let (ct, body) = multipart_body(&[
        ("firstName", None, b"Ann"),
        ("managerList[]", None, b"g"),
        ("photo", Some(("a.png", "image/png")), b"\x89PNG\r\n\x1a\nrest"),
        ("empty", Some(("", "application/octet-stream")), b""),
    ]);
    let (status, v) = parse(Some(&ct), body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["fields"], json!({"firstName": "Ann", "managerList": ["g"]}));
    assert_eq!(v["photo"], json!(["image/png", 12]));
}

#[tokio::test]
async fn a_photo_over_5_mib_or_a_second_file_is_refused() {
    let big = vec![0u8; PHOTO_LIMIT + 1];
    let (ct, body) = multipart_body(&[("photo", Some(("a.png", "image/png")), &big)]);
    assert_eq!(parse(Some(&ct), body).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let (ct, body) = multipart_body(&[
        ("a", Some(("a.png", "image/png")), b"1"),
        ("b", Some(("b.png", "image/png")), b"2"),
    ]);
    assert_eq!(parse(Some(&ct), body).await.0, StatusCode::BAD_REQUEST);
}
