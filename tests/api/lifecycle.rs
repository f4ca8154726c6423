//! The binary: `--help`, `migrate`, and `serve` started and stopped with SIGTERM, repeatedly.

use std::process::Stdio;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, test_settings};

const BIN: &str = env!("CARGO_BIN_EXE_rollcall");

fn rollcall(database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("DATABASE_URL", database_url)
        .env("ROLLCALL_ADMIN_EMAIL", OWNER_EMAIL)
        .env("ROLLCALL_ADMIN_PASSWORD", OWNER_PASSWORD)
        .env("ROLLCALL_AUTH_SECRET", "z".repeat(40))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads the child's log until `needle` appears (bounded), returning what was read.
async fn wait_for_log(child: &mut Child, needle: &str) -> String {
    let stderr = child.stderr.as_mut().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(needle) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "never logged {needle:?}; log so far:\n{seen}"
    );
    seen
}

async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap()
}

#[tokio::test]
async fn serve_creates_its_database_and_the_owner_exactly_once_across_three_restarts() {
    let (settings, _) = test_settings();
    let url = settings.database.url.expose_secret().to_string();
    for run in 0..3 {
        let mut child = rollcall(&url).arg("serve").spawn().unwrap();
        let log = wait_for_log(&mut child, "rollcall is serving").await;
        assert!(!log.contains(OWNER_PASSWORD), "the password never reaches the log");
        let status = terminate(&mut child).await;
        assert_eq!(status.code(), Some(0), "run {run} exits cleanly");
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
    let url = settings.database.url.expose_secret().to_string();
    let status = rollcall(&url)
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
    let status = rollcall("postgres://postgres@127.0.0.1:5432/never_created")
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
