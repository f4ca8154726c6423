//! Stored photo bytes, addressed by their SHA-256 (the `photos` table).

use sqlx::PgPool;

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub async fn get(pool: &PgPool, sha256: &str) -> Result<Option<Photo>, sqlx::Error> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as("SELECT content_type, bytes FROM photos WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(content_type, bytes)| Photo { content_type, bytes }))
}
