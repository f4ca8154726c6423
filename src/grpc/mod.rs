//! The gRPC API (tonic): the rollcall.v1 services, health and reflection.

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;

use crate::application::App;

/// Serves the gRPC services on `listener` until `shutdown`, letting in-flight calls finish.
pub async fn serve(listener: TcpListener, _app: App, shutdown: CancellationToken) -> Result<(), String> {
    let (_reporter, health) = tonic_health::server::health_reporter();
    tonic::transport::Server::builder()
        .add_service(health)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled_owned())
        .await
        .map_err(|e| e.to_string())
}
