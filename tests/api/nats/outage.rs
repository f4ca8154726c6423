//! A private NATS server killed and restarted (same port, same store) in the middle of a burst: the
//! service reconnects by itself and every command is handled exactly once in effect.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use async_nats::jetstream;
use tokio::process::{Child, Command};
use uuid::Uuid;

use super::{PERSON, drained, headers, owner_token, person_json, persons_created, stream_ready};
use crate::helpers::{TestApp, eventually, test_settings};

const NATS_SERVER: &str = "/usr/sbin/nats-server";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `nats-server -js` on `port` with its store in `dir`, accepting connections.
async fn nats_server(port: u16, dir: &Path) -> Child {
    let child = Command::new(NATS_SERVER)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("nats-server starts");
    let up = eventually(Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    assert!(up.is_some(), "the private nats-server does not accept connections");
    child
}

/// Publishes through JetStream until the stream acks it (the same id makes a retry harmless).
async fn publish_until_stored(js: &jetstream::Context, subject: String, token: &str, id: &str) {
    let body: bytes::Bytes = serde_json::to_vec(&person_json(id)).unwrap().into();
    let stored = eventually(Duration::from_secs(60), || {
        let (subject, body) = (subject.clone(), body.clone());
        async move {
            let ack = js
                .publish_with_headers(subject, headers(token, Some(id)), body)
                .await
                .ok()?;
            ack.await.ok()
        }
    })
    .await;
    assert!(stored.is_some(), "{id} was never stored");
}

struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_nats_restart_mid_burst_handles_every_command_exactly_once() {
    const TOTAL: usize = 300;
    let (port, dir) = (
        free_port(),
        std::env::temp_dir().join(format!("rollcall-nats-{}", Uuid::new_v4())),
    );
    let _remove = RemoveDir(dir.clone());
    let mut server = nats_server(port, &dir).await;
    let (mut settings, _) = test_settings();
    settings.nats_url = format!("nats://127.0.0.1:{port}");
    let t = TestApp::with(settings).await;
    let prefix = t.settings.nats_prefix.clone();
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(t.nats.clone());
    stream_ready(&js, &prefix).await;
    let token = owner_token(&t).await;

    let publisher = {
        let (js, subject, token) = (js.clone(), format!("{prefix}.commands.{PERSON}"), token.clone());
        tokio::spawn(async move {
            for i in 0..TOTAL {
                publish_until_stored(&js, subject.clone(), &token, &format!("outage-{i}")).await;
            }
        })
    };
    let started = eventually(Duration::from_secs(60), || async {
        (persons_created(&t).await >= 30).then_some(())
    })
    .await;
    assert!(started.is_some(), "the burst never got going");

    // Stop the server and start it again on the same port and store.
    let pid = server.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::timeout(Duration::from_secs(20), server.wait())
        .await
        .unwrap()
        .unwrap();
    let at_outage = persons_created(&t).await;
    let _server = nats_server(port, &dir).await;

    publisher.await.unwrap();
    let all = eventually(Duration::from_secs(120), || async {
        (persons_created(&t).await >= TOTAL as i64).then_some(())
    })
    .await;
    assert!(
        all.is_some(),
        "only {} of {TOTAL} persons were created",
        persons_created(&t).await
    );
    drained(&js, &prefix, Duration::from_secs(60)).await;
    assert_eq!(persons_created(&t).await, TOTAL as i64, "nothing is created twice");
    assert!(at_outage < TOTAL as i64, "the restart happened mid-burst");
}
