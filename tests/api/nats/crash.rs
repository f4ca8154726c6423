//! The real binary killed or stopped while it holds commands: a command committed but never acked comes
//! back after ack_wait and is handled idempotently (even without a key of its own); a burst survives a
//! SIGKILL and a restart; SIGTERM settles everything in flight. Where the timing matters, the test
//! holds the service in place (a lock on the event store, swallowed acks) instead of racing it.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use rollcall::config::Settings;
use secrecy::ExposeSecret;
use sqlx::{Connection, PgConnection};

use super::{PERSON, consumer_info, drained, headers, person_json, persons_created, precreate};
use crate::helpers::binary::{self, Cleanup};
use crate::helpers::proxy::NatsProxy;
use crate::helpers::{TestApp, eventually, signal};
use crate::ops::scrape;

/// The test's settings with a NATS prefix of the binary's own, so the TestApp's ingestion (on the
/// test's prefix) cannot help it.
pub(super) fn binary_settings(t: &TestApp) -> Settings {
    let mut settings = t.settings.clone();
    settings.nats_prefix = format!("{}k", t.settings.nats_prefix);
    settings
}

/// Publishes `command-<i>` for every `i` in `range`, each with its own `Nats-Msg-Id`.
async fn publish_keyed(js: &jetstream::Context, prefix: &str, token: &str, range: std::ops::Range<usize>) {
    futures::stream::iter(range)
        .for_each_concurrent(100, |i| async move {
            let id = format!("command-{i}");
            super::publish(js, prefix, PERSON, headers(token, Some(&id)), &person_json(&id)).await;
        })
        .await;
}

/// A transaction that holds `LOCK TABLE events IN EXCLUSIVE MODE`: reads go on, every append waits.
pub(super) async fn lock_event_store(settings: &Settings) -> PgConnection {
    let mut conn = PgConnection::connect(settings.database.url.expose_secret())
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

pub(super) async fn unlock_event_store(mut conn: PgConnection) {
    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyless_command_committed_but_not_acked_before_a_kill_is_redelivered_and_creates_one_person() {
    let t = TestApp::spawn().await;
    let settings = binary_settings(&t);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    // A short ack_wait, so what the killed process held comes back within the test.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(2))).await;
    let _cleanup = Cleanup(settings.clone());
    // The first instance reaches NATS through a proxy that swallows its acks: it commits the command,
    // but JetStream never hears that it did.
    let server = tokio::net::lookup_host(settings.nats_url.trim_start_matches("nats://"))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = NatsProxy::start(Some(server)).await;
    proxy.drop_acks(true);
    let mut through_proxy = settings.clone();
    through_proxy.nats_url = proxy.url();
    let mut first = binary::serve(&through_proxy).await;

    // No Nats-Msg-Id: the command's only key is its stream position.
    let token = t.owner_token().await;
    super::publish(&js, &prefix, PERSON, headers(&token, None), &person_json("Keyless")).await;
    let committed = eventually(Duration::from_secs(30), || async {
        (persons_created(&t).await == 1).then_some(())
    })
    .await;
    assert!(committed.is_some(), "the first instance never committed the command");
    let info = consumer_info(&js, &prefix).await.unwrap();
    assert_eq!(info.num_ack_pending, 1, "committed but not acked: {info:?}");
    let metrics = scrape(first.http_addr).await;
    assert_eq!(metrics.value("rollcall_nats_consumer_ack_pending", &[]), Some(1.0));
    first.kill().await;

    let second = binary::serve(&settings).await;
    let info = drained(&js, &prefix, Duration::from_secs(60)).await;
    assert_eq!(info.num_ack_pending, 0);
    assert_eq!(persons_created(&t).await, 1, "the redelivery created nothing more");
    let redelivered = scrape(second.http_addr)
        .await
        .value("rollcall_nats_redeliveries_total", &[]);
    assert!(
        redelivered.is_some_and(|n| n >= 1.0),
        "the second instance got the command as a redelivery: {redelivered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_mid_burst_and_restarted_loses_and_duplicates_nothing() {
    const TOTAL: usize = 600;
    let t = TestApp::spawn().await;
    let settings = binary_settings(&t);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(2))).await;
    let _cleanup = Cleanup(settings.clone());
    let token = t.owner_token().await;
    publish_keyed(&js, &prefix, &token, 0..TOTAL / 2).await;

    let mut first = binary::serve(&settings).await;
    let started = eventually(Duration::from_secs(60), || async {
        (persons_created(&t).await >= 60).then_some(())
    })
    .await;
    assert!(started.is_some(), "the service never got going");
    // Whatever the service pulled and has not committed yet stays in its hands until the kill.
    let lock = lock_event_store(&settings).await;
    first.kill().await;
    unlock_event_store(lock).await;

    // The second half arrives while no instance runs.
    publish_keyed(&js, &prefix, &token, TOTAL / 2..TOTAL).await;
    let mut second = binary::serve(&settings).await;
    super::drained_on_progress(&js, &prefix).await;
    assert_eq!(persons_created(&t).await, TOTAL as i64, "each command created once");
    let status = second.terminate().await;
    assert_eq!(status.code(), Some(0), "a graceful stop after the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_burst_settles_every_message_in_flight_and_exits_cleanly() {
    // More than the consumer lets one instance hold (max_ack_pending 256), so some must wait.
    const TOTAL: usize = 2_000;
    let t = TestApp::spawn().await;
    let settings = binary_settings(&t);
    let prefix = settings.nats_prefix.clone();
    let js = jetstream::new(t.nats.clone());
    // The default ack_wait (30 s): anything left unsettled would still be pending when we look.
    precreate(&js, &prefix, Duration::from_secs(120), Some(Duration::from_secs(30))).await;
    let _cleanup = Cleanup(settings.clone());
    let token = t.owner_token().await;
    publish_keyed(&js, &prefix, &token, 0..TOTAL).await;

    // The event store is locked from the start: the service pulls commands and cannot commit them, so
    // it is certainly mid-burst when SIGTERM comes, however fast the machine.
    let lock = lock_event_store(&settings).await;
    let mut first = binary::serve(&settings).await;
    let waiting = eventually(Duration::from_secs(60), || async {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'events'::regclass")
                .fetch_one(&t.pool)
                .await
                .unwrap();
        (waiting > 0).then_some(())
    })
    .await;
    assert!(waiting.is_some(), "the service never began to append a command");
    signal(first.child.id().unwrap(), "-TERM");
    first.wait_for_log("shutdown requested").await;
    unlock_event_store(lock).await;
    let status = tokio::time::timeout(Duration::from_secs(30), first.child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let at_stop = persons_created(&t).await;
    let info = consumer_info(&js, &prefix).await.unwrap();
    assert!(at_stop > 0, "what was in flight at the signal was finished");
    assert!(at_stop < TOTAL as i64, "stopped mid-burst (all {at_stop} were done)");
    assert_eq!(
        info.ack_floor.stream_sequence as i64, at_stop,
        "every command started was acked: {info:?}"
    );

    // What was pulled but not started was handed back (nak'd), so a restart gets it well before the
    // 30 s ack_wait would have released it.
    let _second = binary::serve(&settings).await;
    super::drained_on_progress(&js, &prefix).await;
    assert_eq!(persons_created(&t).await, TOTAL as i64);
}
