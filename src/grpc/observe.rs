//! A tower layer around every gRPC call: a span carrying the call's correlation id (from
//! `x-correlation-id`/`x-request-id` metadata, else fresh), handed to commands through the request's
//! extensions, and the call counted and timed in the metrics by method and status code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::Code;
use tonic::codegen::http;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::Metrics;

/// The call's correlation id (a request extension).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// The correlation id the layer gave this call (a fresh one if the layer did not run).
pub fn correlation<T>(request: &tonic::Request<T>) -> String {
    request
        .extensions()
        .get::<CorrelationId>()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), |c| c.0.clone())
}

#[derive(Clone)]
pub struct ObserveLayer(pub Arc<Metrics>);

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let id = crate::telemetry::correlation_id(req.headers());
        req.extensions_mut().insert(CorrelationId(id.clone()));
        let method = req.uri().path().to_string();
        let span = tracing::info_span!("grpc", method = %method, correlation_id = %id);
        let metrics = self.metrics.clone();
        let call = self.inner.call(req);
        Box::pin(
            async move {
                let started = Instant::now();
                let result = call.await;
                let elapsed = started.elapsed();
                let code = match &result {
                    Ok(res) => status_of(res.headers()),
                    Err(_) => Code::Internal,
                };
                // Unknown methods are not labelled by their path: clients choose it.
                let label = if code == Code::Unimplemented {
                    "unimplemented"
                } else {
                    method.as_str()
                };
                metrics.grpc(label, &format!("{code:?}"), elapsed);
                tracing::info!(code = ?code, elapsed_ms = elapsed.as_millis() as u64, "call");
                result
            }
            .instrument(span),
        )
    }
}

/// A unary error is answered "trailers-only", with `grpc-status` in the headers; a success carries
/// it in the trailers, so no status header means OK.
fn status_of(headers: &http::HeaderMap) -> Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_comes_from_the_header_and_its_absence_means_ok() {
        let mut h = http::HeaderMap::new();
        assert_eq!(status_of(&h), Code::Ok);
        h.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert_eq!(status_of(&h), Code::InvalidArgument);
    }
}
