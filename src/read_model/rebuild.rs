//! Rebuilding every read model from the event store while the service keeps serving: fill shadow
//! tables (primary key only), build their indexes, then, holding the projector's checkpoint, catch up,
//! swap them in and move the checkpoint.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::Tables;
use super::projector::{self, CHECKPOINT, ProjectionError};
use crate::persistence::feed::{self, Cursor};

/// Events read and applied per transaction while filling the shadow tables.
const BATCH: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub events: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Applies every final event after `cursor` to the shadow tables, batch by batch.
async fn fill(
    pool: &PgPool,
    mut cursor: Cursor,
    done: &mut u64,
    start: Instant,
    report: &mut impl FnMut(Progress),
) -> Result<Cursor, ProjectionError> {
    loop {
        let mut tx = pool.begin().await?;
        let xmin = feed::snapshot_xmin(&mut tx).await?;
        let rows = feed::read_after(&mut tx, cursor, xmin, BATCH).await?;
        projector::apply(&mut tx, Tables::Shadow, &rows).await?;
        tx.commit().await?;
        let Some(last) = rows.last() else {
            return Ok(cursor);
        };
        cursor = last.cursor();
        *done += rows.len() as u64;
        report(Progress {
            events: *done,
            elapsed: start.elapsed(),
        });
    }
}

/// Rebuilds the read models and returns how many events were applied and how long it took.
pub async fn rebuild(pool: &PgPool, mut report: impl FnMut(Progress)) -> Result<Progress, ProjectionError> {
    let start = Instant::now();
    let mut done = 0;
    sqlx::query("SELECT rollcall_prepare_rebuild()").execute(pool).await?;
    let cursor = fill(pool, Cursor::default(), &mut done, start, &mut report).await?;
    // Outside the final transaction, so the live projector is held off only for the catch-up.
    sqlx::query("SELECT rollcall_index_rebuild()").execute(pool).await?;

    // Final catch-up and swap, with the live projector held off by the checkpoint lock.
    let mut tx = pool.begin().await?;
    let xmin = feed::snapshot_xmin(&mut tx).await?;
    feed::lock_checkpoint(&mut tx, CHECKPOINT).await?;
    let mut cursor = cursor;
    loop {
        let rows = feed::read_after(&mut tx, cursor, xmin, BATCH).await?;
        projector::apply(&mut tx, Tables::Shadow, &rows).await?;
        let Some(last) = rows.last() else { break };
        cursor = last.cursor();
        done += rows.len() as u64;
    }
    sqlx::query("SELECT rollcall_swap_rebuild()").execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = $2::text::xid8, global_position = $3, updated_at = now()
          WHERE name = $1",
    )
    .bind(CHECKPOINT)
    .bind(cursor.tx.to_string())
    .bind(cursor.position)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let finished = Progress {
        events: done,
        elapsed: start.elapsed(),
    };
    report(finished);
    Ok(finished)
}
