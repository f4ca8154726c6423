//! `/readyz` follows the test's own dependencies (the shared servers are never stopped): unready while
//! its database refuses connections, while its private NATS server is down, or while its read models
//! stall behind a pinned transaction, ready again afterwards; `/healthz` stays up throughout, and gRPC
//! health says the same as `/readyz`.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::readyz;
use crate::grpc::channel;
use crate::helpers::nats_server::PrivateNats;
use crate::helpers::{TestApp, allow_connections, eventually, test_settings};

const FLIP_WITHIN: Duration = Duration::from_secs(30);

async fn grpc_serving(t: &TestApp) -> ServingStatus {
    let mut health = HealthClient::new(channel(t.grpc_addr).await);
    health
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("health answers")
        .into_inner()
        .status()
}

/// Polls until `/readyz` answers `status` and gRPC health agrees; returns `/readyz`'s body.
async fn await_readiness(t: &TestApp, status: StatusCode) -> serde_json::Value {
    let grpc = if status == StatusCode::OK {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    let found = eventually(FLIP_WITHIN, || async {
        let (got, body) = readyz(t.http_addr).await;
        (got == status && grpc_serving(t).await == grpc).then_some(body)
    })
    .await;
    found.unwrap_or_else(|| panic!("/readyz and gRPC health never became {status}"))
}

async fn healthz(t: &TestApp) -> StatusCode {
    crate::helpers::http_client()
        .get(format!("http://{}/healthz", t.http_addr))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn readyz_is_unready_while_the_database_refuses_connections_and_ready_again_after() {
    let t = TestApp::spawn().await;
    let body = await_readiness(&t, StatusCode::OK).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["checks"],
        serde_json::json!({"database": true, "nats": true, "projector": true, "publisher": true})
    );

    allow_connections(&t.database(), false).await;
    let body = await_readiness(&t, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["status"], "unready");
    assert_eq!(body["checks"]["database"], false);
    assert_eq!(body["checks"]["nats"], true);
    assert_eq!(healthz(&t).await, StatusCode::OK, "the process is alive all along");

    allow_connections(&t.database(), true).await;
    await_readiness(&t, StatusCode::OK).await;
}

#[tokio::test]
async fn readyz_is_unready_while_the_read_models_stall_and_ready_once_they_catch_up() {
    let (mut settings, _) = test_settings();
    settings.projector_stall = Duration::from_secs(1);
    settings.read_your_writes = Duration::from_millis(100);
    let t = TestApp::with(settings).await;
    await_readiness(&t, StatusCode::OK).await;

    // A transaction holding an xid keeps every later commit out of the projector's reach.
    let mut pin = PgConnection::connect(t.settings.database.url.expose_secret())
        .await
        .unwrap();
    pin.execute("BEGIN").await.unwrap();
    pin.execute("SELECT pg_current_xact_id()").await.unwrap();
    let draft = rollcall::domain::person::PersonDraft {
        first_name: Some("Stalled".into()),
        last_name: Some("Projection".into()),
        ..Default::default()
    };
    t.app.create_person(&t.owner_meta().await, draft, None).await.unwrap();

    let body = await_readiness(&t, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["checks"]["projector"], false, "{body}");
    assert_eq!(body["checks"]["database"], true, "{body}");
    assert!(body["projectorLagSeconds"].as_f64().unwrap() > 1.0, "{body}");

    pin.execute("COMMIT").await.unwrap();
    let body = await_readiness(&t, StatusCode::OK).await;
    assert_eq!(body["checks"]["projector"], true, "{body}");
}

#[tokio::test]
async fn readyz_is_unready_while_nats_is_down_and_ready_once_it_is_back() {
    let mut nats = PrivateNats::start().await;
    let (mut settings, _) = test_settings();
    settings.nats_url = nats.url();
    let t = TestApp::with(settings).await;
    await_readiness(&t, StatusCode::OK).await;

    nats.kill().await;
    let body = await_readiness(&t, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["checks"]["nats"], false, "{body}");
    assert_eq!(body["checks"]["database"], true, "{body}");

    nats.restart().await;
    await_readiness(&t, StatusCode::OK).await;
}

#[tokio::test]
async fn readyz_is_unready_while_the_event_publisher_falls_behind_and_ready_once_it_catches_up() {
    // An operator's `P-events` that captures no event subject: every publish finds no stream.
    let (mut settings, _) = test_settings();
    settings.projector_stall = Duration::from_secs(1);
    let prefix = settings.nats_prefix.clone();
    let js = async_nats::jetstream::new(async_nats::connect(&settings.nats_url).await.unwrap());
    let mut config = async_nats::jetstream::stream::Config {
        name: format!("{prefix}-events"),
        subjects: vec![format!("{prefix}.elsewhere")],
        ..Default::default()
    };
    js.create_stream(config.clone()).await.unwrap();
    let t = TestApp::with(settings).await;

    let body = await_readiness(&t, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["checks"]["publisher"], false, "{body}");
    assert_eq!(body["checks"]["projector"], true, "{body}");
    assert!(body["publisherLagSeconds"].as_f64().unwrap() > 1.0, "{body}");
    let metrics = super::scrape(t.http_addr).await;
    assert!(metrics.value("rollcall_publisher_lag_positions", &[]).unwrap() >= 1.0);
    assert!(metrics.value("rollcall_publisher_lag_seconds", &[]).unwrap() > 1.0);
    assert_eq!(metrics.value("rollcall_ready", &[("check", "publisher")]), Some(0.0));

    config.subjects = vec![format!("{prefix}.events.>")];
    js.update_stream(config).await.unwrap();
    let body = await_readiness(&t, StatusCode::OK).await;
    assert_eq!(body["checks"]["publisher"], true, "{body}");
    assert_eq!(body["publisherLagSeconds"], 0.0, "{body}");
}
