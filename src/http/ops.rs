//! The operational endpoints: `/readyz` (every dependency, as JSON; 503 while not ready) and
//! `/metrics` (Prometheus text). `/healthz` (the process answers) lives with the API routes.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::metrics::CONTENT_TYPE;
use crate::ops::Ops;

pub fn routes(ops: Ops) -> Router {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ops)
}

async fn readyz(State(ops): State<Ops>) -> Response {
    let r = ops.readiness().await;
    let status = if r.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if r.ready() { "ready" } else { "unready" },
        "checks": { "database": r.database, "nats": r.nats, "projector": r.projector, "publisher": r.publisher },
        "projectorLagSeconds": r.projector_lag_seconds,
        "publisherLagSeconds": r.publisher_lag_seconds,
    });
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(ops): State<Ops>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], ops.scrape().await).into_response()
}
