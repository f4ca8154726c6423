//! One span per request, carrying a correlation id: the client's `X-Correlation-Id` or `X-Request-Id`
//! when it is sane, else a fresh UUID. The id is echoed in `X-Correlation-Id` and handed to commands.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

/// The request's correlation id (a request extension).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

pub const HEADER: &str = "x-correlation-id";

pub async fn correlate(mut req: Request, next: Next) -> Response {
    let id = [HEADER, "x-request-id"]
        .iter()
        .find_map(|h| req.headers().get(*h).and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_string);
    req.extensions_mut().insert(CorrelationId(id.clone()));
    let span = tracing::info_span!(
        "http",
        method = %req.method(),
        path = %req.uri().path(),
        correlation_id = %id,
    );
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let status = res.status().as_u16();
    span.in_scope(|| tracing::info!(status, elapsed_ms = started.elapsed().as_millis() as u64, "request"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    res
}
