//! `grpc.health.v1` statuses that follow the database: SERVING while Postgres answers, NOT_SERVING
//! while it does not, for the whole server ("") and for each rollcall service.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::companies::Companies;
use super::pb::company_service_server::CompanyServiceServer;
use super::pb::person_service_server::PersonServiceServer;
use super::pb::user_service_server::UserServiceServer;
use super::persons::Persons;
use super::users::Users;
use crate::application::App;

/// The names health answers for.
const SERVICES: [&str; 4] = [
    "",
    <PersonServiceServer<Persons> as NamedService>::NAME,
    <UserServiceServer<Users> as NamedService>::NAME,
    <CompanyServiceServer<Companies> as NamedService>::NAME,
];

/// Polls `app.database_ready()` every `interval` until `shutdown`, and reports each change.
pub async fn monitor(app: App, reporter: HealthReporter, interval: Duration, shutdown: CancellationToken) {
    let mut last = None;
    loop {
        let ready = tokio::select! {
            ready = app.database_ready() => ready,
            () = shutdown.cancelled() => return,
        };
        if last != Some(ready) {
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            tracing::info!(serving = ready, "gRPC health changed");
            for name in SERVICES {
                reporter.set_service_status(name, status).await;
            }
            last = Some(ready);
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
