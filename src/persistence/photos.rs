//! Stored photo bytes, addressed by their SHA-256 (the `photos` table).

use sqlx::PgPool;

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Stores the bytes under their hash; storing the same bytes again changes nothing.
pub async fn insert(pool: &PgPool, sha256: &str, content_type: &str, bytes: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO photos (sha256, content_type, size, bytes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(bytes)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, sha256: &str) -> Result<Option<Photo>, sqlx::Error> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as("SELECT content_type, bytes FROM photos WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(content_type, bytes)| Photo { content_type, bytes }))
}
