//! Every REST route and every RPC refuses a caller without a token, by construction: the routes come
//! from the router's source and the OpenAPI document the service serves, the RPCs from the compiled
//! proto descriptors, so a route or RPC added without authentication fails here without anyone
//! remembering to add it to a list. The only public operations are named below.

use std::collections::BTreeSet;

use prost::Message;
use prost_types::FileDescriptorSet;
use reqwest::StatusCode;
use serde_json::Value;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;

use crate::grpc::{authed, channel};
use crate::helpers::{TestApp, http_client};

/// Operations anyone may call: logging in, the OpenAPI document, and the operational endpoints.
const PUBLIC: [(&str, &str); 5] = [
    ("POST", "/api/2.0/authentication"),
    ("GET", "/api/2.0/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// `(METHOD, path)` of every `.route("<path>", get(…).post(…))` in the REST adapter's source.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/http"
    ))];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        // Unit tests build routers of their own (in `tests.rs` files, or after `#[cfg(test)]`).
        if path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        // `.route("…", …)`, also as rustfmt wraps it (`.route(\n    "…",`).
        for call in source.split(".route(").skip(1) {
            let Some(call) = call.trim_start().strip_prefix('"') else {
                continue;
            };
            let (route, rest) = call.split_once('"').expect("a route path literal");
            // The call's arguments: up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let arguments = &rest[..end];
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = arguments.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !arguments[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if called {
                    routes.insert((method.to_uppercase(), route.to_string()));
                }
            }
        }
    }
    assert!(
        !routes.is_empty(),
        "no routes found under src/http: has the router moved?"
    );
    routes
}

/// `(METHOD, path, declares the token)` of every operation in the served OpenAPI document.
async fn routes_in_openapi(t: &TestApp) -> Vec<(String, String, bool)> {
    let doc: Value = http_client()
        .get(format!("http://{}/api/2.0/openapi.json", t.http_addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("token").is_some()));
            operations.push((method.to_uppercase(), path.clone(), secured));
        }
    }
    operations
}

fn is_public(method: &str, path: &str) -> bool {
    PUBLIC.iter().any(|&(m, p)| m == method && p == path)
}

#[tokio::test]
async fn every_rest_route_but_the_public_ones_is_401_without_a_valid_token() {
    let t = TestApp::spawn().await;
    let documented = routes_in_openapi(&t).await;
    let in_doc: BTreeSet<(String, String)> = documented.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    let undocumented: Vec<_> = routes_in_source()
        .into_iter()
        .filter(|(m, p)| !is_public(m, p) && !in_doc.contains(&(m.clone(), p.clone())))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document (and so from this test): {undocumented:?}"
    );

    let client = http_client();
    let mut checked = 0;
    for (method, path, secured) in &documented {
        if is_public(method, path) {
            continue;
        }
        assert!(
            secured,
            "{method} {path} does not declare the token in the OpenAPI document"
        );
        let url = format!("http://{}{}", t.http_addr, path.replace("{id}", "1"));
        for token in [None, Some("Bearer"), Some("Bearer not-a-token"), Some("not-a-token")] {
            let mut request = client.request(method.parse().unwrap(), &url);
            if let Some(token) = token {
                request = request.header("Authorization", token);
            }
            let res = request
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or_default();
            assert_eq!(
                (status, body["statusCode"].as_u64()),
                (StatusCode::UNAUTHORIZED, Some(401)),
                "{method} {path} with {token:?}: {body}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} routes were checked");
}

#[tokio::test]
async fn every_rpc_of_every_rollcall_service_is_unauthenticated_without_a_valid_token() {
    let t = TestApp::spawn().await;
    let descriptors = FileDescriptorSet::decode(rollcall::grpc::pb::FILE_DESCRIPTOR_SET).unwrap();
    let channel = channel(t.grpc_addr).await;
    let mut checked = Vec::new();
    for file in &descriptors.file {
        for service in &file.service {
            for method in &service.method {
                let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                assert!(
                    !method.client_streaming() && !method.server_streaming(),
                    "{path} streams: teach this test to call it"
                );
                for token in [None, Some(""), Some("not-a-token")] {
                    let mut grpc = tonic::client::Grpc::new(channel.clone());
                    grpc.ready().await.unwrap();
                    // An empty message is a valid request of any type (every field at its default).
                    let request = match token {
                        Some(token) => authed((), token),
                        None => tonic::Request::new(()),
                    }
                    .map(|()| ());
                    let codec = tonic_prost::ProstCodec::<(), ()>::default();
                    let answer = grpc
                        .unary(request, PathAndQuery::from_maybe_shared(path.clone()).unwrap(), codec)
                        .await;
                    let code = answer.map(drop).map_err(|s| s.code());
                    assert_eq!(code, Err(Code::Unauthenticated), "{path} with {token:?}");
                }
                checked.push(path);
            }
        }
    }
    assert!(checked.len() >= 9, "only {checked:?} were checked");
}
