//! The gRPC API (tonic): the rollcall.v1 services, health and reflection.

mod auth;
pub mod codec;
mod companies;
mod convert;
mod groups;
mod health;
mod observe;
mod persons;
pub mod status;
mod users;

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;

use crate::application::App;
use crate::ops::Ops;
/// The generated `rollcall.v1` messages, clients and servers (defined in `crate::proto`).
pub use crate::proto::pb;
use crate::shutdown::TaskError;

use pb::company_service_server::CompanyServiceServer;
use pb::group_service_server::GroupServiceServer;
use pb::person_service_server::PersonServiceServer;
use pb::user_service_server::UserServiceServer;

/// Largest request message accepted (an encoded create request is a few KiB at most).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// How often health re-checks readiness.
const HEALTH_INTERVAL: Duration = Duration::from_secs(1);
/// An HTTP/2 connection silent this long is pinged; one that does not answer within
/// [`PING_TIMEOUT`] is closed, so a client that vanished (no FIN) does not hold it forever.
const PING_AFTER: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(20);
/// TCP keepalive of accepted sockets: probes after this long idle, every [`PROBE_EVERY`], at most
/// [`PROBES`] times.
const PROBE_AFTER: Duration = Duration::from_secs(60);
const PROBE_EVERY: Duration = Duration::from_secs(10);
const PROBES: u32 = 3;

/// Serves the gRPC services on `listener` until `shutdown`, letting in-flight calls finish.
pub async fn serve(listener: TcpListener, app: App, ops: Ops, shutdown: CancellationToken) -> Result<(), TaskError> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let persons =
        PersonServiceServer::new(persons::Persons::new(app.clone())).max_decoding_message_size(MAX_REQUEST_BYTES);
    let users = UserServiceServer::new(users::Users::new(app.clone())).max_decoding_message_size(MAX_REQUEST_BYTES);
    let companies =
        CompanyServiceServer::new(companies::Companies::new(app.clone())).max_decoding_message_size(MAX_REQUEST_BYTES);
    let groups = GroupServiceServer::new(groups::Groups::new(app.clone())).max_decoding_message_size(MAX_REQUEST_BYTES);
    let metrics = app.metrics();
    let monitor = tokio::spawn(health::monitor(ops, reporter, HEALTH_INTERVAL, shutdown.clone()));
    let incoming = TcpIncoming::from(listener)
        // TCP_NODELAY: without it, every small answer waits for the client's delayed ACK (~40 ms).
        .with_nodelay(Some(true))
        .with_keepalive(Some(PROBE_AFTER))
        .with_keepalive_interval(Some(PROBE_EVERY))
        .with_keepalive_retries(Some(PROBES));
    let served = tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(PING_AFTER))
        .http2_keepalive_timeout(Some(PING_TIMEOUT))
        .layer(observe::ObserveLayer(metrics))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(persons)
        .add_service(users)
        .add_service(companies)
        .add_service(groups)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
        .map_err(TaskError::Grpc);
    monitor.abort();
    served
}

/// Reflection over rollcall.v1 and grpc.health.v1 (the reflection service describes itself).
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}
