//! The REST facade (ONLYOFFICE API 2.0 shape) and the operational endpoints, served by axum.

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::application::App;

/// Every HTTP route of the service.
pub fn router(app: App) -> Router {
    Router::new().route("/healthz", get(|| async { "ok" })).with_state(app)
}

/// Serves `router(app)` on `listener` until `shutdown`, letting in-flight requests finish.
pub async fn serve(listener: TcpListener, app: App, shutdown: CancellationToken) -> Result<(), String> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| e.to_string())
}
