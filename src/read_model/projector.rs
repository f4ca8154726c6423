//! The catch-up projector: follows the event feed (`persistence::feed`) and writes the
//! read models and its checkpoint in one transaction. Every instance may run it: batches serialize on
//! the checkpoint row, and position guards make any replay harmless.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use super::{SignalSources, Tables, companies, persons, users};
use crate::backoff::Backoff;
use crate::domain::company::{CompanyCreated, CompanyEvent};
use crate::domain::person::{PersonCreated, PersonEvent};
use crate::domain::user::{UserCreated, UserEvent};
use crate::persistence::feed::{EventRow, lock_checkpoint, read_after, save_checkpoint, snapshot_xmin};

/// Events applied per transaction.
pub const BATCH: i64 = 2_000;
/// How often an idle projector looks for events written by other instances.
const IDLE_POLL: Duration = Duration::from_millis(250);
pub const CHECKPOINT: &str = "read_models";

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
        let mut attempts = Backoff::PROJECTOR.start();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let pause = match run_batch(&self.pool, BATCH).await {
                Ok(n) => {
                    attempts.reset();
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
                    let delay = attempts.next_delay().unwrap_or(Backoff::PROJECTOR.max);
                    tracing::error!(error = %e, retry_in = ?delay, "projection batch failed; retrying");
                    delay
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
