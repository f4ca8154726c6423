//! Rebuilding every read model from the event store while the service keeps serving: fill shadow
//! tables (primary key only; the row of an aggregate met for the first time goes in by `COPY`, see
//! `copy`), build their indexes with more memory than a session has by default, then, once every
//! event committed when it started is past the commit-safe horizon (bounded), holding the projector's
//! checkpoint, catch up, swap them in and move the checkpoint.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::Tables;
use super::copy::Copies;
use super::projector::{self, CHECKPOINT, ProjectionError};
use crate::backoff::Backoff;
use crate::persistence::feed::{self, Cursor, PayloadRow};

/// Events read and applied per transaction while filling the shadow tables. Three batches are in
/// memory at once (one applied, one waiting, one being read). With each event's payload held as JSON
/// values the process peaked at 168 MiB at 10,000 and 88-91 MiB at 4,000; with payloads held as text,
/// at 53 MiB at 4,000 (1M events). The rate moved within the run-to-run spread (1M events, one
/// machine: 27.1k events/s at 10,000, 22.6k at 6,000, 24.7k at 4,000).
const BATCH: i64 = 4_000;
/// `maintenance_work_mem` of the index build (PostgreSQL's default is 64 MB): a trigram GIN index
/// built within memory is built in one pass.
const INDEX_BUILD_MEMORY: &str = "512MB";

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    pub events: u64,
    pub elapsed: Duration,
    /// When finished: how long the fill took, and the index build after it (the rest is the final
    /// catch-up and the swap).
    pub filled: Option<Duration>,
    pub indexed: Option<Duration>,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Applies every final event after `cursor` to the shadow tables, batch by batch. The next batch is
/// read (on a connection of its own) while the current one is applied.
async fn fill(
    pool: &PgPool,
    mut cursor: Cursor,
    done: &mut u64,
    start: Instant,
    report: &mut impl FnMut(Progress),
) -> Result<Cursor, ProjectionError> {
    let (ahead, mut batches) = tokio::sync::mpsc::channel::<Vec<PayloadRow>>(1);
    let read = async move {
        let mut conn = pool.acquire().await?;
        let mut at = cursor;
        loop {
            // Outside a transaction: every event of an older transaction is final, and visible to
            // the read that follows.
            let xmin = feed::snapshot_xmin(&mut conn).await?;
            let rows = feed::read_payloads_after(&mut conn, at, xmin, BATCH).await?;
            let Some(last) = rows.last() else {
                return Ok::<_, ProjectionError>(());
            };
            at = last.cursor();
            if ahead.send(rows).await.is_err() {
                return Ok(()); // the writer stopped (with its error)
            }
        }
    };
    let write = async {
        let mut copies = Copies::bulk();
        while let Some(rows) = batches.recv().await {
            let mut tx = pool.begin().await?;
            projector::apply_with(&mut tx, Tables::Shadow, &mut copies, &rows).await?;
            copies.flush(&mut tx).await?;
            tx.commit().await?;
            if let Some(last) = rows.last() {
                cursor = last.cursor();
            }
            *done += rows.len() as u64;
            report(Progress {
                events: *done,
                elapsed: start.elapsed(),
                ..Progress::default()
            });
        }
        Ok::<_, ProjectionError>(cursor)
    };
    let ((), cursor) = futures::try_join!(read, write)?;
    Ok(cursor)
}

/// How long the rebuild waits, before its swap, for the commit-safe horizon to pass the events that
/// were committed when it started (a transaction of any database on the server holds it back).
const HORIZON_WAIT: Duration = Duration::from_secs(5);

/// Waits (at most [`HORIZON_WAIT`]) until every transaction up to `last` (the newest writer of an
/// event committed when the rebuild started) is over, so the swap's catch-up reads all those events;
/// past the bound, the live projector applies what the rebuild did not reach.
async fn await_horizon(pool: &PgPool, last: Option<i64>) -> Result<(), ProjectionError> {
    let Some(last) = last else { return Ok(()) };
    let deadline = tokio::time::Instant::now() + HORIZON_WAIT;
    let mut conn = pool.acquire().await?;
    while feed::snapshot_xmin(&mut conn).await? <= last {
        if tokio::time::Instant::now() >= deadline {
            tracing::info!(wait = ?HORIZON_WAIT, "a long transaction holds the commit-safe horizon; \
                the live projector applies the events the rebuild did not reach");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// How long the swap waits for a table lock before it gives way to readers and tries again.
const SWAP_LOCK_TIMEOUT: &str = "250ms";

/// The final catch-up into the shadow tables and the swap, in one transaction that holds the live
/// projector off (checkpoint lock); moves the projector's checkpoint to where the rebuild ended.
async fn swap(pool: &PgPool, mut cursor: Cursor, done: &mut u64) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    let xmin = feed::snapshot_xmin(&mut tx).await?;
    feed::lock_checkpoint(&mut tx, CHECKPOINT).await?;
    let mut applied = 0;
    loop {
        let rows = feed::read_payloads_after(&mut tx, cursor, xmin, BATCH).await?;
        projector::apply(&mut tx, Tables::Shadow, &rows).await?;
        let Some(last) = rows.last() else { break };
        cursor = last.cursor();
        applied += rows.len() as u64;
    }
    sqlx::query(&format!("SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'"))
        .execute(&mut *tx)
        .await?;
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
    *done += applied;
    Ok(())
}

/// Rebuilds the read models and returns how many events were applied and how long it took.
pub async fn rebuild(pool: &PgPool, mut report: impl FnMut(Progress)) -> Result<Progress, ProjectionError> {
    let start = Instant::now();
    let mut done = 0;
    let last: Option<i64> = sqlx::query_scalar("SELECT max(transaction_id)::text::bigint FROM events")
        .fetch_one(pool)
        .await?;
    sqlx::query("SELECT rollcall_prepare_rebuild()").execute(pool).await?;
    let cursor = fill(pool, Cursor::default(), &mut done, start, &mut report).await?;
    let filled = start.elapsed();
    // Outside the final transaction, so the live projector is held off only for the catch-up.
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"))
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT rollcall_index_rebuild()").execute(&mut *tx).await?;
    tx.commit().await?;
    let indexed = start.elapsed() - filled;
    await_horizon(pool, last).await?;

    // Final catch-up and swap. The swap needs every view's table exclusively, while readers lock them
    // in other orders: it waits at most `SWAP_LOCK_TIMEOUT` for them, gives way and tries again.
    let mut attempts = Backoff::SWAP.start();
    loop {
        match swap(pool, cursor, &mut done).await {
            Err(ProjectionError::Database(sqlx::Error::Database(db)))
                if matches!(db.code().as_deref(), Some("55P03" | "40P01")) =>
            {
                let Some(delay) = attempts.next_delay() else {
                    return Err(ProjectionError::Database(sqlx::Error::Database(db)));
                };
                tracing::info!(retry_in = ?delay, "readers hold the tables; retrying the swap");
                tokio::time::sleep(delay).await;
            }
            result => break result?,
        }
    }
    let finished = Progress {
        events: done,
        elapsed: start.elapsed(),
        filled: Some(filled),
        indexed: Some(indexed),
    };
    report(finished);
    Ok(finished)
}
