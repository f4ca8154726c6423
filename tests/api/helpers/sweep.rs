//! Test databases and NATS streams carry their age, and a sweep removes those older than an hour: what
//! a killed run left behind goes, while the resources of a suite running next to this one stay.
//! `scripts/test.sh` runs the sweep (an ignored test) before the suite.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

use super::server_url;

const DATABASE_PREFIX: &str = "rollcall_test_";
/// Leftovers younger than this may belong to a suite still running.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// `rollcall_test_<unix seconds>_<uuid>`.
pub fn database_name() -> String {
    format!("{DATABASE_PREFIX}{}_{}", now(), Uuid::new_v4().simple())
}

/// When a test database was made, read from its name (`None`: not a test database, or an older name
/// without the time).
fn database_created(name: &str) -> Option<u64> {
    let (secs, id) = name.strip_prefix(DATABASE_PREFIX)?.split_once('_')?;
    (id.len() == 32).then_some(())?;
    secs.parse().ok()
}

/// Whether a JetStream stream is a test's: `t<32 hex>` (the prefix of `test_settings`, maybe with a
/// suffix of letters) and `-commands` or `-events`.
fn is_test_stream(name: &str) -> bool {
    let Some((prefix, kind)) = name.rsplit_once('-') else {
        return false;
    };
    let Some(rest) = prefix.strip_prefix('t') else {
        return false;
    };
    let hex = rest.get(..32).unwrap_or_default();
    hex.len() == 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && rest[32..].bytes().all(|b| b.is_ascii_lowercase())
        && matches!(kind, "commands" | "events")
}

/// Drops the test databases older than [`STALE_AFTER`]: by the time in their name, or, for names
/// without one, by the age of their directory. Returns how many were dropped.
pub async fn stale_databases() -> usize {
    let mut admin = PgConnection::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("admin connection");
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
        .bind(DATABASE_PREFIX)
        .fetch_all(&mut admin)
        .await
        .unwrap();
    let cutoff = now().saturating_sub(STALE_AFTER.as_secs());
    let mut dropped = 0;
    for name in names {
        let stale = match database_created(&name) {
            Some(created) => created < cutoff,
            None => sqlx::query_scalar(
                "SELECT (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - $2::interval
                   FROM pg_database WHERE datname = $1",
            )
            .bind(&name)
            .bind(format!("{} seconds", STALE_AFTER.as_secs()))
            .fetch_one(&mut admin)
            .await
            .unwrap_or(false),
        };
        if stale
            && admin
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await
                .is_ok()
        {
            dropped += 1;
        }
    }
    dropped
}

/// Deletes the test streams created more than [`STALE_AFTER`] ago. Returns how many were deleted.
pub async fn stale_streams(nats_url: &str) -> usize {
    use futures::TryStreamExt;
    let client = async_nats::connect(nats_url).await.expect("NATS connection");
    let js = async_nats::jetstream::new(client);
    let names: Vec<String> = js.stream_names().try_collect().await.unwrap();
    let cutoff = now().saturating_sub(STALE_AFTER.as_secs()) as i64;
    let mut deleted = 0;
    for name in names.into_iter().filter(|n| is_test_stream(n)) {
        let Ok(mut stream) = js.get_stream(&name).await else {
            continue;
        };
        let stale = stream.info().await.is_ok_and(|i| i.created.unix_timestamp() < cutoff);
        if stale && js.delete_stream(&name).await.is_ok() {
            deleted += 1;
        }
    }
    deleted
}

#[tokio::test]
#[ignore = "run by scripts/test.sh before the suite"]
async fn stale_test_databases_and_streams_are_swept() {
    let databases = stale_databases().await;
    let (settings, _) = super::test_settings();
    let streams = stale_streams(&settings.nats_url).await;
    println!("swept {databases} test database(s) and {streams} test stream(s) older than an hour");
}

#[test]
fn test_names_tell_their_age_and_nothing_else_is_taken_for_a_test_resource() {
    let name = database_name();
    let created = database_created(&name).expect("a dated name");
    assert!(now() - created < 5, "{name}");
    assert_eq!(database_created("rollcall_test_0123456789abcdef0123456789abcdef"), None);
    assert_eq!(database_created("rollcall"), None);
    assert_eq!(database_created("rollcall_test_12_short"), None);

    let (settings, _) = super::test_settings();
    assert!(is_test_stream(&format!("{}-commands", settings.nats_prefix)));
    assert!(is_test_stream(&format!("{}k-events", settings.nats_prefix)));
    assert!(!is_test_stream("rollcall-commands"));
    assert!(!is_test_stream("rollcall-events"));
    assert!(!is_test_stream("tasks-commands"));
    assert!(!is_test_stream(&format!("{}-other", settings.nats_prefix)));
}

#[tokio::test]
async fn the_sweep_drops_a_database_older_than_an_hour_and_keeps_a_fresh_one() {
    let id = || Uuid::new_v4().simple().to_string();
    let stale = format!("{DATABASE_PREFIX}{}_{}", now() - 2 * STALE_AFTER.as_secs(), id());
    let fresh = database_name();
    let mut admin = PgConnection::connect(&format!("{}/postgres", server_url()))
        .await
        .unwrap();
    for name in [&stale, &fresh] {
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
    }
    assert!(stale_databases().await >= 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname IN ($1, $2)")
        .bind(&stale)
        .bind(&fresh)
        .fetch_all(&mut admin)
        .await
        .unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{fresh}\"").as_str())
        .await
        .unwrap();
    assert_eq!(left, vec![fresh]);
}
