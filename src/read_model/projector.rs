//! The catch-up projector: follows every event in commit-safe order (DESIGN-NOTES §1) and writes the
//! read models and its checkpoint in one transaction. Every instance may run it: batches serialize on
//! the checkpoint row, and position guards make any replay harmless.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use super::{SignalSources, Tables, companies, persons, users};
use crate::domain::company::{CompanyCreated, CompanyEvent};
use crate::domain::person::{PersonCreated, PersonEvent};
use crate::domain::user::{UserCreated, UserEvent};

/// Events applied per transaction.
pub const BATCH: i64 = 2_000;
/// How often an idle projector looks for events written by other instances.
const IDLE_POLL: Duration = Duration::from_millis(250);
pub const CHECKPOINT: &str = "read_models";

/// A stored event with its place in the global order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: serde_json::Value,
    pub metadata: serde_json::Value,
    pub global_position: i64,
    pub tx: i64,
}

/// A place in the commit-safe order: (writer transaction id, global position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub tx: i64,
    pub position: i64,
}

impl EventRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            tx: self.tx,
            position: self.global_position,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("event {position} ({kind}) cannot be decoded: {source}")]
    Decode {
        position: i64,
        kind: String,
        source: serde_json::Error,
    },
}

/// The oldest transaction still running: every event written by an older one is final.
/// Must be read before the reading transaction takes an id of its own (its own id would count).
pub async fn snapshot_xmin(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        .fetch_one(conn)
        .await
}

/// Up to `limit` final events after `after`, in commit-safe order.
pub async fn read_after(
    conn: &mut PgConnection,
    after: Cursor,
    xmin: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                global_position, transaction_id::text::bigint AS tx
           FROM events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
            AND transaction_id < $3::text::xid8
          ORDER BY transaction_id, global_position
          LIMIT $4",
    )
    .bind(after.tx.to_string())
    .bind(after.position)
    .bind(xmin.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Locks and reads a checkpoint (waits while another instance holds it).
pub async fn lock_checkpoint(conn: &mut PgConnection, name: &str) -> Result<Cursor, sqlx::Error> {
    let (tx, position): (i64, i64) = sqlx::query_as(
        "SELECT transaction_id::text::bigint, global_position FROM projector_checkpoints WHERE name = $1 FOR UPDATE",
    )
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(Cursor { tx, position })
}

pub async fn save_checkpoint(conn: &mut PgConnection, name: &str, at: Cursor, applied: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = $2::text::xid8, global_position = $3,
                events_applied = events_applied + $4, updated_at = now()
          WHERE name = $1",
    )
    .bind(name)
    .bind(at.tx.to_string())
    .bind(at.position)
    .bind(applied)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(row: &EventRow) -> Result<T, ProjectionError> {
    T::deserialize(&row.payload).map_err(|source| ProjectionError::Decode {
        position: row.global_position,
        kind: format!("{}/{}", row.aggregate_type, row.event_type),
        source,
    })
}

/// The events of a batch, decoded, by the view they go to.
#[derive(Default)]
struct Decoded {
    persons: Vec<(PersonCreated, i64)>,
    companies: Vec<(CompanyCreated, i64)>,
    users: Vec<(UserCreated, i64)>,
}

/// Keeps, per id, only the row with the highest position (one statement may touch a row only once),
/// sorted by id so concurrent writers lock rows in the same order.
fn latest<R, K: Ord + Copy>(mut rows: Vec<R>, key: impl Fn(&R) -> (K, i64)) -> Vec<R> {
    rows.sort_by_key(|r| {
        let (id, position) = key(r);
        (id, std::cmp::Reverse(position))
    });
    rows.dedup_by_key(|r| key(r).0);
    rows
}

/// Folds a batch of events into the read models: one set-based statement per view.
pub async fn apply(conn: &mut PgConnection, tables: Tables, rows: &[EventRow]) -> Result<(), ProjectionError> {
    let mut d = Decoded::default();
    for row in rows {
        let position = row.global_position;
        match row.aggregate_type.as_str() {
            "Person" => match decode::<PersonEvent>(row)? {
                PersonEvent::PersonCreated(e) => d.persons.push((e, position)),
            },
            "Company" => match decode::<CompanyEvent>(row)? {
                CompanyEvent::CompanyCreated(e) => d.companies.push((e, position)),
            },
            "User" => match decode::<UserEvent>(row)? {
                UserEvent::UserCreated(e) => d.users.push((*e, position)),
            },
            other => tracing::warn!(
                aggregate_type = other,
                position,
                "no projection for this aggregate type"
            ),
        }
    }
    // Companies first: persons join them when read, never when written, so the order is free.
    if !d.companies.is_empty() {
        let rows = d.companies.iter().map(|(e, p)| companies::ProjectedRow::created(e, *p));
        companies::project(conn, tables, &latest(rows.collect(), |r| (r.id, r.position))).await?;
    }
    if !d.users.is_empty() {
        let rows = d.users.iter().map(|(e, p)| users::ProjectedRow::created(e, *p));
        users::project(conn, tables, &latest(rows.collect(), |r| (r.id, r.position))).await?;
    }
    if !d.persons.is_empty() {
        let rows = d.persons.iter().map(|(e, p)| persons::ProjectedRow::created(e, *p));
        persons::project(conn, tables, &latest(rows.collect(), |r| (r.id, r.position))).await?;
    }
    Ok(())
}

/// Applies the next batch to the live tables; returns how many events it applied.
pub async fn run_batch(pool: &PgPool, limit: i64) -> Result<usize, ProjectionError> {
    let mut tx = pool.begin().await?;
    let xmin = snapshot_xmin(&mut tx).await?;
    let cursor = lock_checkpoint(&mut tx, CHECKPOINT).await?;
    let rows = read_after(&mut tx, cursor, xmin, limit).await?;
    apply(&mut tx, Tables::Live, &rows).await?;
    if let Some(last) = rows.last() {
        save_checkpoint(&mut tx, CHECKPOINT, last.cursor(), rows.len() as i64).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// The long-running projector task.
pub struct Projector {
    pool: PgPool,
    signals: SignalSources,
}

impl Projector {
    pub fn new(pool: PgPool, signals: SignalSources) -> Self {
        Projector { pool, signals }
    }

    /// Projects until `shutdown`; failures are logged and retried with a growing delay.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let pause = match run_batch(&self.pool, BATCH).await {
                Ok(n) => {
                    backoff = Duration::from_millis(100);
                    if n > 0 {
                        self.signals.progress.send_modify(|v| *v += 1);
                        tracing::debug!(events = n, "projected");
                    }
                    if n as i64 == BATCH {
                        continue;
                    }
                    IDLE_POLL
                }
                Err(e) => {
                    tracing::error!(error = %e, "projection batch failed; retrying");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.signals.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("projector stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::latest;

    #[test]
    fn a_batch_keeps_each_id_once_at_its_highest_position_in_id_order() {
        let rows = vec![(7, 3), (2, 9), (7, 11), (2, 4), (5, 1)];
        assert_eq!(latest(rows, |r| *r), [(2, 9), (5, 1), (7, 11)]);
    }
}
