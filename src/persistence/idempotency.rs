//! Idempotency keys: the first request with a key records the aggregate id it creates; a retry
//! finds it and re-runs the create for that same id (which heals a crash between any two steps).

use sqlx::PgPool;

/// What a key means for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The key is new: create `aggregate_id`.
    Fresh(String),
    /// The same request came before: it made (or was making) `aggregate_id`.
    Replay(String),
    /// The key was used for a different request.
    Mismatch,
}

/// Records `key` for `candidate_id`, or returns what an earlier request with the key recorded.
pub async fn begin(
    pool: &PgPool,
    key: &str,
    command: &str,
    fingerprint: &str,
    candidate_id: &str,
) -> Result<KeyOutcome, sqlx::Error> {
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys (key, command, fingerprint, aggregate_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING RETURNING aggregate_id",
    )
    .bind(key)
    .bind(command)
    .bind(fingerprint)
    .bind(candidate_id)
    .fetch_optional(pool)
    .await?;
    if let Some(id) = inserted {
        return Ok(KeyOutcome::Fresh(id));
    }
    let (stored_command, stored_fingerprint, id): (String, String, String) =
        sqlx::query_as("SELECT command, fingerprint, aggregate_id FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?;
    Ok(if stored_command == command && stored_fingerprint == fingerprint {
        KeyOutcome::Replay(id)
    } else {
        KeyOutcome::Mismatch
    })
}
