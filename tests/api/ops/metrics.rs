//! `/metrics` parses as Prometheus text, and its counters move with what the service does: a REST
//! create, a refused gRPC create, a NATS command, each under its source and outcome.

use std::time::Duration;

use async_nats::jetstream;
use rollcall::grpc::pb::CreatePersonRequest;
use serde_json::json;

use super::scrape;
use crate::grpc::{authed, clients};
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, eventually};
use crate::nats::{PERSON, headers, person_json, publish, stream_ready};

const PERSON_ROUTE: &str = "/api/2.0/crm/contact/person";

async fn rest_login(t: &TestApp) -> String {
    let res = crate::helpers::http_client()
        .post(format!("http://{}/api/2.0/authentication", t.http_addr))
        .json(&json!({"userName": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    body["response"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_with_rest_grpc_and_nats_commands() {
    let t = TestApp::spawn().await;
    let token = rest_login(&t).await;
    let created = [("source", "rest"), ("command", PERSON), ("outcome", "created")];
    let route = [("method", "POST"), ("route", PERSON_ROUTE), ("status", "201")];
    let before = scrape(t.http_addr).await;

    let res = crate::helpers::http_client()
        .post(format!("http://{}{PERSON_ROUTE}", t.http_addr))
        .header("Authorization", &token)
        .json(&json!({"firstName": "Metered", "lastName": "Person"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let after = scrape(t.http_addr).await;
    assert_eq!(
        after.count("rollcall_commands_total", &created),
        before.count("rollcall_commands_total", &created) + 1.0
    );
    assert_eq!(
        after.count("rollcall_http_requests_total", &route),
        before.count("rollcall_http_requests_total", &route) + 1.0
    );
    let latency = [("source", "rest"), ("command", PERSON)];
    assert_eq!(after.count("rollcall_command_duration_seconds_count", &latency), 1.0);
    assert!(after.count("rollcall_command_duration_seconds_sum", &latency) > 0.0);

    // A gRPC create without names: counted as a call with its status and as an invalid command.
    let mut c = clients(&t).await;
    let refused = c
        .persons
        .create_person(authed(CreatePersonRequest::default(), &token))
        .await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::InvalidArgument);
    let after = scrape(t.http_addr).await;
    let call = [
        ("method", "/rollcall.v1.PersonService/CreatePerson"),
        ("code", "InvalidArgument"),
    ];
    assert_eq!(after.count("rollcall_grpc_requests_total", &call), 1.0);
    let invalid = [("source", "grpc"), ("command", PERSON), ("outcome", "invalid")];
    assert_eq!(after.count("rollcall_commands_total", &invalid), 1.0);

    // A NATS command.
    let prefix = &t.settings.nats_prefix;
    let js = jetstream::new(t.nats.clone());
    stream_ready(&js, prefix).await;
    publish(
        &js,
        prefix,
        PERSON,
        headers(&token, Some("metrics-1")),
        &person_json("Queued"),
    )
    .await;
    let from_nats = [("source", "nats"), ("command", PERSON), ("outcome", "created")];
    let counted = eventually(Duration::from_secs(20), || async {
        (scrape(t.http_addr).await.count("rollcall_commands_total", &from_nats) == 1.0).then_some(())
    })
    .await;
    assert!(counted.is_some(), "the NATS command was never counted");

    // The sampled gauges are there, with sane values.
    let m = scrape(t.http_addr).await;
    assert_eq!(m.value("rollcall_db_pool_max_connections", &[]), Some(10.0));
    assert!(m.value("rollcall_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(
        m.value("rollcall_projector_lag_positions", &[])
            .is_some_and(|v| v >= 0.0)
    );
    assert!(m.value("rollcall_projector_lag_seconds", &[]).is_some_and(|v| v >= 0.0));
    assert_eq!(m.value("rollcall_nats_consumer_pending", &[]), Some(0.0));
    assert!(m.value("rollcall_nats_redeliveries_total", &[]).is_some());
    assert_eq!(m.value("rollcall_ready", &[("check", "database")]), Some(1.0));
}
