//! Postgres plumbing: the pool and migrations, the event store (its write side in `events`, its
//! commit-ordered feed in `feed`, the user changes it announces in `identity_channel`), and the tables
//! that events cannot replace (idempotency keys, email and user-name claims, the id sequence, photo bytes).

pub mod claims;
pub mod events;
pub mod feed;
pub mod idempotency;
pub mod identity_channel;
pub mod photos;
pub mod pool;

/// Whether a database error means "the database is not there right now" rather than a bug.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            // 08: connection exception; 57P0x: shutdown / cannot connect now; 53: insufficient resources;
            // 55000 at connect: the database is not accepting connections (ALLOW_CONNECTIONS false);
            // 3D000: the database is gone.
            c.starts_with("08") || c.starts_with("57P0") || c.starts_with("53") || c == "55000" || c == "3D000"
        }),
        _ => false,
    }
}

/// Allocates `n` CRM contact ids in one round trip.
pub async fn next_contact_ids(pool: &sqlx::PgPool, n: usize) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT nextval('crm_contact_id_seq') FROM generate_series(1, $1)")
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
}
