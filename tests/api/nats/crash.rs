//! The real binary killed with SIGKILL in the middle of a burst and restarted: nothing is lost and
//! nothing is created twice (what was in flight comes back after ack_wait and is handled idempotently).

use std::process::Stdio;
use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use secrecy::ExposeSecret;
use tokio::process::{Child, Command};

use super::{PERSON, drained, headers, owner_token, person_json, persons_created, precreate};
use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_rollcall");

/// `rollcall serve` on the test's database, consuming under `prefix`; logs go to a file (a pipe
/// nobody reads would block the child).
fn serve(t: &TestApp, prefix: &str, run: u32) -> Child {
    let log = log_path(prefix, run);
    Command::new(BIN)
        .env_clear()
        .env("DATABASE_URL", t.settings.database.url.expose_secret())
        .env("NATS_URL", &t.settings.nats_url)
        .env("ROLLCALL_NATS_PREFIX", prefix)
        .env("ROLLCALL_AUTH_SECRET", t.settings.auth.secret.expose_secret())
        .env("ROLLCALL_HTTP_ADDR", "127.0.0.1:0")
        .env("ROLLCALL_GRPC_ADDR", "127.0.0.1:0")
        .env("ROLLCALL_ADMIN_EMAIL", OWNER_EMAIL)
        .env("ROLLCALL_ADMIN_PASSWORD", OWNER_PASSWORD)
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

fn cleanup(t: &TestApp, prefix: &str) -> Cleanup {
    Cleanup {
        nats_url: t.settings.nats_url.clone(),
        prefix: prefix.to_string(),
    }
}

fn log_path(prefix: &str, run: u32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{run}.log"))
}

fn signal(child: &Child, signal: &str) {
    let pid = child.id().expect("running").to_string();
    assert!(
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// When the test ends: deletes the binary's stream (the TestApp only deletes its own), on a thread and
/// connection of its own since the test's runtime is blocked meanwhile, and the binary's logs unless
/// the test failed.
struct Cleanup {
    nats_url: String,
    prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for run in 1..=2 {
            let log = log_path(&self.prefix, run);
            if std::thread::panicking() {
                eprintln!("the service's log: {}", log.display());
            } else {
                let _ = std::fs::remove_file(log);
            }
        }
        let (url, name) = (self.nats_url.clone(), format!("{}-commands", self.prefix));
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(client) = async_nats::connect(&url).await {
                    let js = jetstream::new(client);
                    let _ = tokio::time::timeout(Duration::from_secs(5), js.delete_stream(name)).await;
                }
            });
        })
        .join();
    }
}

#[tokio::test]
async fn a_service_killed_mid_burst_and_restarted_loses_and_duplicates_nothing() {
    const TOTAL: usize = 600;
    let t = TestApp::spawn().await;
    // The binary consumes under a prefix of its own, so the TestApp's ingestion cannot help it.
    let prefix = format!("{}k", t.settings.nats_prefix);
    let js = jetstream::new(t.nats.clone());
    // An operator's consumer with a short ack_wait, so what the killed process held comes back soon.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(2))).await;
    let _cleanup = cleanup(&t, &prefix);
    let token = owner_token(&t).await;
    let publish = |range: std::ops::Range<usize>| {
        let (js, prefix, token) = (js.clone(), prefix.clone(), token.clone());
        async move {
            for i in range {
                let id = format!("burst-{i}");
                super::publish(&js, &prefix, PERSON, headers(&token, Some(&id)), &person_json(&id)).await;
            }
        }
    };
    publish(0..TOTAL / 2).await;

    let mut first = serve(&t, &prefix, 1);
    // The second half arrives while the service works, is killed, and comes back.
    let rest = tokio::spawn(publish(TOTAL / 2..TOTAL));
    let started = eventually(Duration::from_secs(60), || async {
        (persons_created(&t).await >= 60).then_some(())
    })
    .await;
    assert!(started.is_some(), "the service never got going");
    signal(&first, "-KILL");
    first.wait().await.unwrap();
    let at_kill = persons_created(&t).await;
    assert!(
        at_kill < TOTAL as i64,
        "killed mid-burst (all {at_kill} were done already)"
    );

    let mut second = serve(&t, &prefix, 2);
    rest.await.unwrap();
    let all = eventually(Duration::from_secs(120), || async {
        (persons_created(&t).await >= TOTAL as i64).then_some(())
    })
    .await;
    assert!(
        all.is_some(),
        "only {} of {TOTAL} persons were created",
        persons_created(&t).await
    );
    let info = drained(&js, &prefix, Duration::from_secs(60)).await;
    assert_eq!(persons_created(&t).await, TOTAL as i64, "nothing is created twice");
    assert!(info.num_redelivered > 0 || at_kill > 0, "{info:?}");

    signal(&second, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), second.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "a graceful stop after the restart");
}

#[tokio::test]
async fn sigterm_mid_burst_settles_every_message_in_flight_and_exits_cleanly() {
    // Enough that batched ingestion is still busy when the signal comes.
    const TOTAL: usize = 5_000;
    let t = TestApp::spawn().await;
    let prefix = format!("{}k", t.settings.nats_prefix);
    let js = jetstream::new(t.nats.clone());
    // The default ack_wait (30 s): anything left unsettled would still be pending when we look.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(30))).await;
    let _cleanup = cleanup(&t, &prefix);
    let token = owner_token(&t).await;
    futures::stream::iter(0..TOTAL)
        .for_each_concurrent(100, |i| {
            let (js, prefix, token) = (&js, &prefix, &token);
            async move {
                let id = format!("term-{i}");
                super::publish(js, prefix, PERSON, headers(token, Some(&id)), &person_json(&id)).await;
            }
        })
        .await;

    let mut first = serve(&t, &prefix, 1);
    let started = eventually(Duration::from_secs(60), || async {
        (persons_created(&t).await >= 30).then_some(())
    })
    .await;
    assert!(started.is_some(), "the service never got going");
    signal(&first, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), first.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let at_stop = persons_created(&t).await;
    let info = super::consumer_info(&js, &prefix).await.unwrap();
    assert!(
        at_stop < TOTAL as i64,
        "stopped mid-burst (all {at_stop} were done already)"
    );
    assert_eq!(
        info.ack_floor.stream_sequence as i64, at_stop,
        "every command started was acked: {info:?}"
    );

    // What was pulled but not started was handed back (nak'd), so a restart gets it well before the
    // 30 s ack_wait would have released it.
    let _second = serve(&t, &prefix, 2);
    drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(persons_created(&t).await, TOTAL as i64);
}
