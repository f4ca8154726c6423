//! Connecting to Postgres: create the database when it is missing, open the pool, run migrations.

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use crate::config::DatabaseSettings;

/// Creates the database named in the URL if it does not exist (tolerating a concurrent creator).
pub async fn ensure_database(settings: &DatabaseSettings) -> Result<(), sqlx::Error> {
    let url = settings.url.expose_secret();
    if Postgres::database_exists(url).await? {
        return Ok(());
    }
    match Postgres::create_database(url).await {
        Ok(()) => {
            tracing::info!("created the database");
            Ok(())
        }
        // 42P04 duplicate_database: another instance won the race.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(e),
    }
}

/// A pooled connection idle for longer than this is pinged before it is handed out; one used more
/// recently is not (see `connect`).
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens the pool. Acquisition is bounded so an unreachable database shows as "unavailable" quickly.
///
/// sqlx pings a connection (a round trip) when it goes back to the pool, and by default again when it
/// is taken out: two round trips beside every query, one of them on the request's path. Here a
/// connection is pinged when taken only after `PING_IF_IDLE_FOR` in the pool (sqlx's documented
/// pattern). A connection that breaks is still found out: by its failing query and the ping on its
/// return, which closes it, or, when it broke while idle, by the ping before its next use.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(settings.url.expose_secret())?.application_name("rollcall");
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}

/// Applies `migrations/` (embedded at compile time).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("./migrations").run(pool).await
}
