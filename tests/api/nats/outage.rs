//! A private NATS server killed and restarted (same port, same store) in the middle of a burst: the
//! service reconnects by itself and every command is handled exactly once in effect.

use std::time::Duration;

use async_nats::jetstream;

use super::{PERSON, drained, headers, person_json, persons_created, stream_ready};
use crate::helpers::nats_server::PrivateNats;
use crate::helpers::{TestApp, eventually, test_settings};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_mid_burst_handles_every_command_exactly_once() {
    const TOTAL: usize = 300;
    let mut server = PrivateNats::start().await;
    let (mut settings, _) = test_settings();
    settings.nats_url = server.url();
    let t = TestApp::with(settings).await;
    let prefix = t.settings.nats_prefix.clone();
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(t.nats.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;

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

    // Stop the server and start it again on the same store, behind the same address.
    server.terminate().await;
    let at_outage = persons_created(&t).await;
    server.restart().await;

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
