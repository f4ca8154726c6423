//! Content negotiation. Before routing, a `.json`/`.xml` suffix on the last path segment is stripped
//! (and API paths are lower-cased, so routes match in any case); after the handler, the response's
//! [`Payload`] is written as JSON or XML: the suffix wins, else `Accept: application/xml|text/xml`
//! means XML, else JSON. Error responses axum makes itself (404, 405, 413, …) get the envelope too.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::xml::{self, Booleans};
use crate::wire::output::{Envelope, ErrorEnvelope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

pub const JSON: &str = "application/json; charset=utf-8";
pub const XML: &str = "text/xml; charset=utf-8";

/// A response body waiting to be written in the negotiated format.
#[derive(Debug, Clone)]
pub struct Payload {
    pub value: Value,
    pub booleans: Booleans,
}

/// A response whose body is `value`, rendered later by [`negotiate`].
pub fn reply(status: StatusCode, value: Value, booleans: Booleans) -> Response {
    let mut res = status.into_response();
    res.extensions_mut().insert(Payload { value, booleans });
    res
}

/// One object in the success envelope (201 for creations, 200 for reads).
pub fn single(status: StatusCode, dto: impl Serialize, booleans: Booleans) -> Response {
    let envelope = Envelope::single(status.as_u16(), dto);
    reply(status, serde_json::to_value(envelope).unwrap_or(Value::Null), booleans)
}

/// A page of a list, with `total`.
pub fn list<T: Serialize>(items: &[T], start_index: i64, total: i64, booleans: Booleans) -> Response {
    let items = items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap_or(Value::Null))
        .collect();
    let envelope = Envelope::list(StatusCode::OK.as_u16(), items, start_index, total);
    reply(
        StatusCode::OK,
        serde_json::to_value(envelope).unwrap_or(Value::Null),
        booleans,
    )
}

/// The middleware: rewrite the path, run the router, render the payload.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let suffix = rewrite(req.uri_mut());
    let format = suffix.unwrap_or_else(|| from_accept(req.headers()));
    let res = next.run(req).await;
    render(format, res)
}

/// Strips a `.json`/`.xml` suffix from an API path (lower-casing it) and says which one it was.
fn rewrite(uri: &mut Uri) -> Option<Format> {
    let path = uri.path();
    if !path.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("/api/")) {
        return None;
    }
    let mut lower = path.to_ascii_lowercase();
    let format = if lower == "/api/2.0/openapi.json" {
        None
    } else if let Some(stripped) = lower.strip_suffix(".json") {
        lower = stripped.to_string();
        Some(Format::Json)
    } else if let Some(stripped) = lower.strip_suffix(".xml") {
        lower = stripped.to_string();
        Some(Format::Xml)
    } else {
        None
    };
    if lower != uri.path() {
        let rebuilt = match uri.query() {
            Some(q) => format!("{lower}?{q}"),
            None => lower,
        };
        let mut parts = uri.clone().into_parts();
        if let Ok(pq) = PathAndQuery::try_from(rebuilt) {
            parts.path_and_query = Some(pq);
            if let Ok(new) = Uri::from_parts(parts) {
                *uri = new;
            }
        }
    }
    format
}

/// The format an `Accept` header prefers: the highest-weighted of JSON and XML, JSON when neither.
pub fn from_accept(headers: &HeaderMap) -> Format {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Format::Json;
    };
    let mut best: Option<(f32, Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let format = match media.as_str() {
            "application/xml" | "text/xml" => Format::Xml,
            "application/json" => Format::Json,
            _ => continue,
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(top, _)| q > top) {
            best = Some((q, format));
        }
    }
    best.map_or(Format::Json, |(_, f)| f)
}

/// Writes the payload; an error response without one (from axum itself) gets the error envelope.
fn render(format: Format, mut res: Response) -> Response {
    let payload = match res.extensions_mut().remove::<Payload>() {
        Some(p) => p,
        None if res.status().is_client_error() || res.status().is_server_error() => {
            let status = res.status();
            let envelope = ErrorEnvelope::new(status.as_u16(), default_message(status));
            Payload {
                value: serde_json::to_value(envelope).unwrap_or(Value::Null),
                booleans: Booleans::Lower,
            }
        }
        None => return res,
    };
    let (body, content_type) = match format {
        Format::Json => (payload.value.to_string(), JSON),
        Format::Xml => (xml::document(&payload.value, payload.booleans), XML),
    };
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.remove(CONTENT_LENGTH);
    *res.body_mut() = Body::from(body);
    res
}

fn default_message(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "not found: no such route".into(),
        // The one 400 axum makes itself: a path segment that is not percent-encoded UTF-8.
        StatusCode::BAD_REQUEST => "id: the path must be percent-encoded UTF-8".into(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this route".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type".into(),
        s => s.canonical_reason().unwrap_or("error").to_lowercase(),
    }
}

#[cfg(test)]
mod tests;
