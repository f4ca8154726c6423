//! Claims on emails and user names, taken before a user is decided (docs/DESIGN-NOTES.md §4). The append of
//! `UserCreated` confirms them in its own transaction (trigger in migrations/0002); a rejected
//! command releases them; an unconfirmed claim older than the grace period can be taken over.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Emails,
    UserNames,
}

impl Claim {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            Claim::Emails => ("user_email_claims", "email_key"),
            Claim::UserNames => ("user_name_claims", "name_key"),
        }
    }
}

/// Claims `key` for `user_id`. `Ok(true)` when the claim is (now or already) this user's.
pub async fn take(pool: &PgPool, claim: Claim, key: &str, user_id: Uuid, grace: Duration) -> Result<bool, sqlx::Error> {
    let (table, column) = claim.table_and_column();
    let sql = format!(
        "INSERT INTO {table} AS c ({column}, user_id) VALUES ($1, $2)
         ON CONFLICT ({column}) DO UPDATE SET user_id = EXCLUDED.user_id, claimed_at = now()
           WHERE c.user_id = EXCLUDED.user_id
              OR (NOT c.confirmed AND c.claimed_at < now() - make_interval(secs => $3))
         RETURNING user_id"
    );
    let holder: Option<Uuid> = sqlx::query_scalar(&sql)
        .bind(key)
        .bind(user_id)
        .bind(grace.as_secs_f64())
        .fetch_optional(pool)
        .await?;
    Ok(holder == Some(user_id))
}

/// Gives up this user's unconfirmed claim on `key` (after a rejected command).
pub async fn release(pool: &PgPool, claim: Claim, key: &str, user_id: Uuid) -> Result<(), sqlx::Error> {
    let (table, column) = claim.table_and_column();
    let sql = format!("DELETE FROM {table} WHERE {column} = $1 AND user_id = $2 AND NOT confirmed");
    sqlx::query(&sql).bind(key).bind(user_id).execute(pool).await?;
    Ok(())
}

/// The user whose confirmed claim holds `key`.
pub async fn holder(pool: &PgPool, claim: Claim, key: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let (table, column) = claim.table_and_column();
    let sql = format!("SELECT user_id FROM {table} WHERE {column} = $1 AND confirmed");
    sqlx::query_scalar(&sql).bind(key).fetch_optional(pool).await
}
