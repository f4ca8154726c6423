//! The tracing subscriber: text or JSON lines on stderr, filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a file or a log shipper's pipe.
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Longest correlation id taken from a client, on every transport; it lands in every event's metadata.
pub const MAX_CORRELATION_ID: usize = 128;

/// `id`, trimmed, when it is sane as a correlation id: printable ASCII without spaces, at most
/// [`MAX_CORRELATION_ID`] bytes. Anything else is replaced by the caller, never stored.
pub fn sane_correlation_id(id: &str) -> Option<&str> {
    let id = id.trim();
    (!id.is_empty() && id.len() <= MAX_CORRELATION_ID && id.bytes().all(|b| b.is_ascii_graphic())).then_some(id)
}

/// The correlation id of an HTTP or gRPC request: the client's `X-Correlation-Id` or `X-Request-Id`
/// when it is sane ([`sane_correlation_id`]), else a fresh UUID.
pub fn correlation_id(headers: &axum::http::HeaderMap) -> String {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .and_then(sane_correlation_id)
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string)
}
