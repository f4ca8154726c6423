//! What operators rely on: `/readyz` and gRPC health, `/metrics`, structured logs, the compose stack,
//! and a graceful stop under load.

mod compose;
mod exposition;
mod logs;
mod metrics;
mod readiness;
mod shutdown;

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::Value;

/// `/readyz`'s status and JSON body.
pub async fn readyz(addr: SocketAddr) -> (StatusCode, Value) {
    let res = crate::helpers::http_client()
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("/readyz answers");
    let status = res.status();
    (status, res.json().await.expect("/readyz is JSON"))
}

/// `/metrics`, parsed strictly.
pub async fn scrape(addr: SocketAddr) -> exposition::Exposition {
    let res = crate::helpers::http_client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("/metrics answers");
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = res.text().await.unwrap();
    exposition::parse(&text).unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{text}"))
}
