//! `grpc.health.v1` statuses that follow readiness (the same checks as `/readyz`): SERVING while
//! ready, NOT_SERVING while not, for the whole server ("") and for each rollcall service.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::companies::Companies;
use super::groups::Groups;
use super::pb::company_service_server::CompanyServiceServer;
use super::pb::group_service_server::GroupServiceServer;
use super::pb::person_service_server::PersonServiceServer;
use super::pb::user_service_server::UserServiceServer;
use super::persons::Persons;
use super::users::Users;
use crate::ops::Ops;

/// The names health answers for.
const SERVICES: [&str; 5] = [
    "",
    <PersonServiceServer<Persons> as NamedService>::NAME,
    <UserServiceServer<Users> as NamedService>::NAME,
    <CompanyServiceServer<Companies> as NamedService>::NAME,
    <GroupServiceServer<Groups> as NamedService>::NAME,
];

/// Checks readiness every `interval` until `shutdown`, and reports each change.
pub async fn monitor(ops: Ops, reporter: HealthReporter, interval: Duration, shutdown: CancellationToken) {
    let mut last = None;
    loop {
        let ready = tokio::select! {
            readiness = ops.readiness() => readiness.ready(),
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
