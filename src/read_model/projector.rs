//! The catch-up projector: follows the event feed (`persistence::feed`) and writes the
//! read models and its checkpoint in one transaction. Every instance may run it: batches serialize on
//! the checkpoint row, and position guards make any replay harmless.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use cqrs_es::Aggregate;

use super::copy::Copies;
use super::fold::{Folded, fold};
use super::{SignalSources, Tables, companies, groups, persons, users};
use crate::backoff::Backoff;
use crate::domain::company::Company;
use crate::domain::group::Group;
use crate::domain::person::Person;
use crate::domain::user::User;
use crate::persistence::feed::{
    PayloadRow, announce_projected, listen_projected, lock_checkpoint, read_unwritten_payloads_after, save_checkpoint,
    snapshot_xmin,
};

/// Events applied per transaction.
pub const BATCH: i64 = 2_000;
/// How long a nudged projector gathers commits before its batch (see `Signals::nudge`). Each batch is
/// a commit of its own (and the publisher's after it): one per command at low load would put two more
/// WAL flushes beside each command's own.
pub const GATHER: Duration = Duration::from_millis(20);
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

/// Folds a batch of events into the read models: the state each touched aggregate reaches (`fold`)
/// becomes its row, one set-based statement per view; a deleted contact's or user's row is removed.
pub async fn apply(conn: &mut PgConnection, tables: Tables, rows: &[PayloadRow]) -> Result<(), ProjectionError> {
    apply_with(conn, tables, &mut Copies::none(), rows).await
}

/// [`apply`], where `copies` may take the rows of aggregates not written before (a rebuild's fill:
/// they go by `COPY` when `copies` is flushed); the others are upserted here.
pub async fn apply_with(
    conn: &mut PgConnection,
    tables: Tables,
    copies: &mut Copies,
    rows: &[PayloadRow],
) -> Result<(), ProjectionError> {
    let of = |kind: &str| rows.iter().filter(|r| r.aggregate_type == kind).collect::<Vec<_>>();
    let (person_rows, company_rows, user_rows) = (of(Person::TYPE), of(Company::TYPE), of(User::TYPE));
    let group_rows = of(Group::TYPE);
    for row in rows {
        if ![Person::TYPE, Company::TYPE, User::TYPE, Group::TYPE].contains(&row.aggregate_type.as_str()) {
            tracing::warn!(aggregate_type = %row.aggregate_type, position = row.global_position,
                "no projection for this aggregate type");
        }
    }
    // Companies first: persons join them when read, never when written, so the order is free.
    let company_rows = to_write(company_rows);
    if !company_rows.is_empty() {
        let folded = fold::<Company>(conn, &company_rows).await?;
        let (live, gone) = split(&folded, |c: &Company| c.record().map(|r| (r.id, r.deleted)));
        let rows: Vec<_> = live
            .iter()
            .filter_map(|f| {
                f.aggregate
                    .record()
                    .map(|r| companies::ProjectedRow::of(r, f.position, f.version))
            })
            .collect();
        let gone_ids = gone.iter().map(|g| g.0);
        let rows = copies.take(conn, tables.companies(), rows, |r| r.id, gone_ids).await?;
        if !rows.is_empty() {
            companies::project(conn, tables, &rows).await?;
        }
        companies::remove(conn, tables, &gone).await?;
    }
    if !user_rows.is_empty() {
        let folded = fold::<User>(conn, &user_rows).await?;
        let (live, gone) = split(&folded, |u: &User| u.record().map(|r| (r.id, r.deleted)));
        let rows: Vec<_> = live
            .iter()
            .filter_map(|f| {
                f.aggregate
                    .record()
                    .map(|r| users::ProjectedRow::of(r, f.position, f.version))
            })
            .collect();
        let gone_ids = gone.iter().map(|g| g.0);
        let rows = copies.take(conn, tables.users(), rows, |r| r.id, gone_ids).await?;
        if !rows.is_empty() {
            users::project(conn, tables, &rows).await?;
        }
        users::remove(conn, tables, &gone).await?;
    }
    // Groups name their members and managers by id; users are joined when read.
    if !group_rows.is_empty() {
        let folded = fold::<Group>(conn, &group_rows).await?;
        let mut live = Vec::new();
        let mut gone = Vec::new();
        for f in &folded {
            match f.aggregate.record() {
                Some(r) if r.deleted => gone.push((r.id, f.position)),
                Some(r) => live.push(groups::ProjectedRow::of(r, f.position, f.version)),
                None => {}
            }
        }
        groups::project(conn, tables, &live).await?;
        groups::remove(conn, tables, &gone).await?;
    }
    let person_rows = to_write(person_rows);
    if !person_rows.is_empty() {
        let folded = fold::<Person>(conn, &person_rows).await?;
        let (live, gone) = split(&folded, |p: &Person| p.record().map(|r| (r.id, r.deleted)));
        let rows: Vec<_> = live
            .iter()
            .filter_map(|f| {
                f.aggregate
                    .record()
                    .map(|r| persons::ProjectedRow::of(r, f.position, f.version))
            })
            .collect();
        let gone_ids = gone.iter().map(|g| g.0);
        let rows = copies.take(conn, tables.persons(), rows, |r| r.id, gone_ids).await?;
        if !rows.is_empty() {
            persons::project(conn, tables, &rows).await?;
        }
        persons::remove(conn, tables, &gone).await?;
    }
    Ok(())
}

/// `rows` less the events whose rows were written with them (`PayloadRow::written`, marked by the
/// live projector's read; a rebuild's shadow tables start empty, so its rows never are).
fn to_write(rows: Vec<&PayloadRow>) -> Vec<&PayloadRow> {
    rows.into_iter().filter(|r| !r.written).collect()
}

/// The folded aggregates that still exist, and the (id, position) of those deleted.
fn split<A, I>(folded: &[Folded<A>], state: impl Fn(&A) -> Option<(I, bool)>) -> (Vec<&Folded<A>>, Vec<(I, i64)>) {
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for f in folded {
        match state(&f.aggregate) {
            Some((id, true)) => gone.push((id, f.position)),
            Some((_, false)) => live.push(f),
            None => {}
        }
    }
    (live, gone)
}

/// Applies the next batch to the live tables; returns how many events it applied.
pub async fn run_batch(pool: &PgPool, limit: i64) -> Result<usize, ProjectionError> {
    let mut tx = pool.begin().await?;
    let xmin = snapshot_xmin(&mut tx).await?;
    let cursor = lock_checkpoint(&mut tx, CHECKPOINT).await?;
    let rows = read_unwritten_payloads_after(&mut tx, cursor, xmin, limit).await?;
    apply(&mut tx, Tables::Live, &rows).await?;
    if let Some(last) = rows.last() {
        save_checkpoint(&mut tx, CHECKPOINT, last.cursor(), rows.len() as i64).await?;
        announce_projected(&mut tx).await?;
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

    /// Projects until `shutdown`; failures are logged and retried with a growing delay. Beside it, a
    /// listener passes on every projector commit of any instance as progress (`commits`).
    pub async fn run(self, shutdown: CancellationToken) {
        let listening = commits(self.pool.clone(), self.signals.progress.clone(), shutdown.clone());
        tokio::join!(self.project(shutdown), listening);
    }

    async fn project(&self, shutdown: CancellationToken) {
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
                () = self.signals.nudge.notified() => {
                    // What was committed is in the read models already: gather what else commits for a
                    // moment (one batch and one commit for many), unless someone waits for the projector.
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = self.signals.wake.notified() => {}
                        () = tokio::time::sleep(GATHER) => {}
                    }
                }
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("projector stopped");
    }
}

/// Turns every projector commit announced on `feed::PROJECTED` (by this instance or another) into
/// `progress`, so read-your-writes waiters and the event publisher wake when the read models move
/// rather than at their next poll, which stays the fallback while the listener is down.
async fn commits(pool: PgPool, progress: watch::Sender<u64>, shutdown: CancellationToken) {
    let mut attempts = Backoff::PROJECTOR.start();
    while !shutdown.is_cancelled() {
        let failure = match listen_projected(&pool).await {
            Ok(mut listener) => loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    received = listener.recv() => match received {
                        Ok(_) => {
                            attempts.reset();
                            // Announcements that queued up meanwhile are one piece of news.
                            while listener.next_buffered().is_some() {}
                            progress.send_modify(|v| *v += 1);
                        }
                        Err(e) => break e,
                    },
                }
            },
            Err(e) => e,
        };
        let delay = attempts.next_delay().unwrap_or(Backoff::PROJECTOR.max);
        tracing::warn!(error = %failure, retry_in = ?delay, "not listening for projector commits; polling until listening again");
        if !crate::backoff::sleep(delay, &shutdown).await {
            return;
        }
    }
}
