//! `/metrics` parses as Prometheus text, and its counters move with what the service does: a REST
//! create, a refused gRPC create, a NATS command, each under its source and outcome; requests are
//! labelled by their route template, never the raw path; a command held unacked shows as ack-pending
//! and its redelivery is counted.

use std::time::Duration;

use async_nats::jetstream;
use rollcall::grpc::pb::CreatePersonRequest;
use serde_json::json;

use super::scrape;
use crate::grpc::{authed, clients};
use crate::helpers::proxy::NatsProxy;
use crate::helpers::{TestApp, eventually, test_settings};
use crate::nats::{PERSON, drained, headers, person_json, persons_created, precreate, publish, stream_ready};

const PERSON_ROUTE: &str = "/api/2.0/crm/contact/person";

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_with_rest_grpc_and_nats_commands() {
    let t = TestApp::spawn().await;
    let token = crate::helpers::rest_owner_token(t.http_addr).await;
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

#[tokio::test]
async fn requests_are_counted_under_their_route_template_never_the_raw_path() {
    let t = TestApp::spawn().await;
    let token = crate::helpers::rest_owner_token(t.http_addr).await;
    let client = crate::helpers::http_client();
    let created = client
        .post(format!("http://{}{PERSON_ROUTE}", t.http_addr))
        .header("Authorization", &token)
        .json(&json!({"firstName": "Labelled", "lastName": "Person"}))
        .send()
        .await
        .unwrap();
    let id = created.json::<serde_json::Value>().await.unwrap()["response"]["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("crm/contact/{id}"),
        format!("crm/contact/{id}.xml"),
        "crm/contact/999999".into(),
    ] {
        client
            .get(format!("http://{}/api/2.0/{path}", t.http_addr))
            .header("Authorization", &token)
            .send()
            .await
            .unwrap();
    }
    client
        .get(format!("http://{}/api/2.0/no/such/route", t.http_addr))
        .send()
        .await
        .unwrap();

    let m = scrape(t.http_addr).await;
    let by_id = |status| {
        [
            ("method", "GET"),
            ("route", "/api/2.0/crm/contact/{id}"),
            ("status", status),
        ]
    };
    assert_eq!(
        m.count("rollcall_http_requests_total", &by_id("200")),
        2.0,
        "with and without a suffix"
    );
    assert_eq!(m.count("rollcall_http_requests_total", &by_id("404")), 1.0);
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(m.count("rollcall_http_requests_total", &unmatched), 1.0);
    let raw: Vec<_> = m
        .samples
        .keys()
        .filter_map(|(_, labels)| labels.get("route"))
        .filter(|route| route.contains(&id.to_string()) || route.contains("999999") || route.contains("such"))
        .collect();
    assert!(raw.is_empty(), "raw paths as labels: {raw:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_left_unacked_shows_as_ack_pending_and_its_redelivery_is_counted() {
    let (mut settings, _) = test_settings();
    let prefix = settings.nats_prefix.clone();
    let direct = async_nats::connect(&settings.nats_url).await.unwrap();
    let js = jetstream::new(direct);
    // A short ack_wait, so an unacked command comes back within the test.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(1))).await;
    // The service reaches NATS through a proxy that swallows its acks for now.
    let server = tokio::net::lookup_host(settings.nats_url.trim_start_matches("nats://"))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = NatsProxy::start(Some(server)).await;
    proxy.drop_acks(true);
    settings.nats_url = proxy.url();
    let t = TestApp::with(settings).await;
    let token = t.owner_token().await;
    let before = scrape(t.http_addr).await;
    assert_eq!(before.value("rollcall_nats_consumer_ack_pending", &[]), Some(0.0));
    assert_eq!(before.value("rollcall_nats_redeliveries_total", &[]), Some(0.0));

    publish(
        &js,
        &prefix,
        PERSON,
        headers(&token, Some("unacked-1")),
        &person_json("Unacked"),
    )
    .await;
    let pending = eventually(Duration::from_secs(20), || async {
        let m = scrape(t.http_addr).await;
        (m.value("rollcall_nats_consumer_ack_pending", &[]) == Some(1.0)).then_some(())
    })
    .await;
    assert!(pending.is_some(), "the unacked command never showed as ack-pending");
    let redelivered = eventually(Duration::from_secs(20), || async {
        let m = scrape(t.http_addr).await;
        (m.count("rollcall_nats_redeliveries_total", &[]) >= 1.0).then_some(())
    })
    .await;
    assert!(redelivered.is_some(), "the redelivery was never counted");

    proxy.drop_acks(false);
    drained(&js, &prefix, Duration::from_secs(30)).await;
    assert_eq!(
        persons_created(&t).await,
        1,
        "created once however often it was delivered"
    );
    let after = scrape(t.http_addr).await;
    assert_eq!(after.value("rollcall_nats_consumer_ack_pending", &[]), Some(0.0));
}

/// Appends a copy of the event at `template` for the new person `id`, in `conn`'s transaction.
async fn copy_event(conn: &mut sqlx::PgConnection, template: i64, id: i64) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT aggregate_type, $2::text, 1, event_type, event_version,
                jsonb_set(payload, '{PersonCreated,id}', to_jsonb($2)), metadata
           FROM events WHERE global_position = $1",
    )
    .bind(template)
    .bind(id)
    .execute(conn)
    .await
    .unwrap();
}

/// Concurrent appends interleave positions: the event read last in feed order (transaction, then
/// position) need not hold the highest one. Caught up must still read as no lag.
#[tokio::test]
async fn lag_positions_read_zero_once_caught_up_even_when_appends_interleave_positions() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let draft = rollcall::domain::person::PersonDraft {
        first_name: Some("Template".into()),
        ..Default::default()
    };
    t.app.create_person(&meta, draft, None).await.unwrap();
    let template: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events WHERE aggregate_type = 'Person'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    // A takes a position, B takes the next one and commits, A takes a third and commits after B.
    let mut a = t.pool.begin().await.unwrap();
    copy_event(&mut a, template, 900_001).await;
    let mut b = t.pool.begin().await.unwrap();
    copy_event(&mut b, template, 900_002).await;
    b.commit().await.unwrap();
    copy_event(&mut a, template, 900_003).await;
    a.commit().await.unwrap();

    let caught_up = eventually(Duration::from_secs(20), || async {
        let m = scrape(t.http_addr).await;
        let seconds = |name| m.value(name, &[]).unwrap_or(f64::MAX);
        let published: i64 = sqlx::query_scalar("SELECT count(*) FROM persons WHERE id >= 900001")
            .fetch_one(&t.pool)
            .await
            .unwrap();
        (published == 3
            && seconds("rollcall_projector_lag_seconds") == 0.0
            && seconds("rollcall_publisher_lag_seconds") == 0.0)
            .then_some(m)
    })
    .await
    .expect("the projector and the publisher catch up");
    assert_eq!(caught_up.value("rollcall_projector_lag_positions", &[]), Some(0.0));
    assert_eq!(caught_up.value("rollcall_publisher_lag_positions", &[]), Some(0.0));
}
