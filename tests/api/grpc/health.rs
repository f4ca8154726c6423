//! grpc.health.v1 follows the test's own database: NOT_SERVING (and calls UNAVAILABLE) while it refuses
//! connections, SERVING again once it accepts them. The shared PostgreSQL server is never stopped.

use std::time::Duration;

use prost::Message;
use prost_types::FileDescriptorSet;
use rollcall::grpc::pb::ListPersonsRequest;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::{authed, channel, clients};
use crate::helpers::{TestApp, allow_connections};

/// The whole server ("") and every service the proto defines (so a new one must report health too).
fn services() -> Vec<String> {
    let descriptors = FileDescriptorSet::decode(rollcall::grpc::pb::FILE_DESCRIPTOR_SET).unwrap();
    let defined = descriptors
        .file
        .iter()
        .flat_map(|f| f.service.iter().map(move |s| format!("{}.{}", f.package(), s.name())));
    std::iter::once(String::new()).chain(defined).collect()
}

/// Long enough for the 1 s health poll plus the 2 s readiness bound, several times over.
const FLIP_WITHIN: Duration = Duration::from_secs(30);

async fn status(client: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let request = HealthCheckRequest {
        service: service.into(),
    };
    client
        .check(request)
        .await
        .expect("health answers")
        .into_inner()
        .status()
}

/// Polls until every service reports `wanted`, failing after `FLIP_WITHIN`.
async fn await_status(client: &mut HealthClient<Channel>, wanted: ServingStatus) {
    let polled = tokio::time::timeout(FLIP_WITHIN, async {
        loop {
            let mut all = true;
            for service in services() {
                all &= status(client, &service).await == wanted;
            }
            if all {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    polled
        .await
        .unwrap_or_else(|_| panic!("health did not become {wanted:?} within {FLIP_WITHIN:?}"));
}

#[tokio::test]
async fn health_reports_not_serving_while_the_database_refuses_connections_and_serving_after() {
    let t = TestApp::spawn().await;
    let database = t.database();
    let token = t.owner_token().await;
    let mut health = HealthClient::new(channel(t.grpc_addr).await);
    assert!(services().contains(&"rollcall.v1.CompanyService".to_string()));
    await_status(&mut health, ServingStatus::Serving).await;

    allow_connections(&database, false).await;
    await_status(&mut health, ServingStatus::NotServing).await;
    let mut c = clients(&t).await;
    let refused = c
        .persons
        .list_persons(authed(ListPersonsRequest::default(), &token))
        .await;
    let code = refused.map(drop).unwrap_err().code();

    allow_connections(&database, true).await;
    await_status(&mut health, ServingStatus::Serving).await;
    assert_eq!(code, Code::Unavailable);
    let listed = c
        .persons
        .list_persons(authed(ListPersonsRequest::default(), &token))
        .await;
    assert!(listed.is_ok(), "{listed:?}");
}
