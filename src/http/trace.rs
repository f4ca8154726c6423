//! One span per request, carrying a correlation id: the client's `X-Correlation-Id` or `X-Request-Id`
//! when it is sane, else a fresh UUID. The id is echoed in `X-Correlation-Id` and handed to commands.
//! Each request is also counted and timed in the metrics under its route template (never the raw
//! path, which would carry ids).

use std::sync::Arc;
use std::time::Instant;

use crate::metrics::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The request's correlation id (a request extension).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

pub const HEADER: &str = "x-correlation-id";

/// The route a request matched, passed from the inner router to [`correlate`] on the response.
#[derive(Debug, Clone)]
struct Route(String);

/// Inside the router: tells the outer layer which route template answered.
pub async fn matched_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(route) = route {
        res.extensions_mut().insert(Route(route));
    }
    res
}

pub async fn correlate(State(metrics): State<Arc<Metrics>>, mut req: Request, next: Next) -> Response {
    let id = crate::telemetry::correlation_id(req.headers());
    req.extensions_mut().insert(CorrelationId(id.clone()));
    // The method as a bounded name: clients choose it, and it lands in logs and metric labels.
    let method = crate::metrics::http_method(req.method().as_str());
    let span = tracing::info_span!("http", method, correlation_id = %id);
    span.in_scope(|| tracing::debug!(path = %req.uri().path(), "request received"));
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let route = res.extensions().get::<Route>().map_or("unmatched", |r| r.0.as_str());
    metrics.http(method, route, status, elapsed);
    // The raw path can hold a user name (`people/{id}`), so only the route template is logged at info.
    span.in_scope(|| tracing::info!(route, status, elapsed_ms = elapsed.as_millis() as u64, "request"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    res
}
