//! The binary: `--help`, `migrate`, and `serve` started and stopped with SIGTERM, repeatedly.

use std::process::Stdio;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::helpers::binary::{self, BIN};
use crate::helpers::{OWNER_PASSWORD, test_settings};

#[tokio::test]
async fn serve_creates_its_database_and_the_owner_exactly_once_across_three_restarts() {
    let (settings, _) = test_settings();
    let _cleanup = binary::Cleanup(settings.clone());
    let url = settings.database.url.expose_secret().to_string();
    for run in 0..3 {
        let mut served = binary::serve(&settings).await;
        let status = served.terminate().await;
        assert_eq!(status.code(), Some(0), "run {run} exits cleanly");
        let log = served.log().join("\n");
        assert!(!log.contains(OWNER_PASSWORD), "the password never reaches the log");
        assert!(log.contains("rollcall stopped"), "{log}");
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let owners: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'UserCreated'
           AND (payload->'UserCreated'->>'is_owner')::boolean",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn migrate_applies_the_schema_and_exits() {
    let (settings, _) = test_settings();
    let _cleanup = binary::Cleanup(settings.clone());
    let url = settings.database.url.expose_secret().to_string();
    let status = binary::command(&settings)
        .stderr(Stdio::null())
        .arg("migrate")
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('events', 'idempotency_keys', 'user_email_claims')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 3);
}

#[tokio::test]
async fn help_documents_every_subcommand_and_variable() {
    let out = std::process::Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "DATABASE_URL",
        "NATS_URL",
        "ROLLCALL_HTTP_ADDR",
        "ROLLCALL_GRPC_ADDR",
        "ROLLCALL_NATS_PREFIX",
        "ROLLCALL_ADMIN_EMAIL",
        "ROLLCALL_ADMIN_PASSWORD",
        "ROLLCALL_AUTH_SECRET",
        "RUST_LOG",
    ] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}

#[tokio::test]
async fn invalid_configuration_is_refused_before_touching_anything() {
    let (settings, _) = test_settings();
    let status = binary::command(&settings)
        .env("ROLLCALL_AUTH_SECRET", "short")
        .stderr(Stdio::null())
        .arg("serve")
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[tokio::test]
async fn the_servers_listen_on_their_bound_ports_and_nats_connects() {
    let t = crate::helpers::TestApp::spawn().await;
    tokio::net::TcpStream::connect(t.http_addr).await.expect("HTTP accepts");
    tokio::net::TcpStream::connect(t.grpc_addr).await.expect("gRPC accepts");
    let connected = crate::helpers::eventually(Duration::from_secs(10), || async {
        (t.nats.connection_state() == async_nats::connection::State::Connected).then_some(())
    })
    .await;
    assert!(connected.is_some(), "NATS never connected");
}
