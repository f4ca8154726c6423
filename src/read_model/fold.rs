//! The state each aggregate touched by a batch of events reaches at the batch's end: its stored
//! history before the batch (loaded only when the batch does not start the stream) folded with the
//! batch's events. Views are written from these states, so every event kind projects the same way.

use std::collections::BTreeMap;

use cqrs_es::Aggregate;
use sqlx::PgConnection;

use super::projector::ProjectionError;
use crate::persistence::events;
use crate::persistence::feed::PayloadRow;

/// An aggregate as of the batch's last event of it.
pub struct Folded<A> {
    pub aggregate: A,
    /// The global position of its last event in the batch.
    pub position: i64,
    /// Its stream's version: the sequence of that event.
    pub version: i64,
}

/// Folds the batch `rows` (all of aggregate type `A`, in commit order) onto each aggregate's history.
pub async fn fold<A: Aggregate>(
    conn: &mut PgConnection,
    rows: &[&PayloadRow],
) -> Result<Vec<Folded<A>>, ProjectionError> {
    let mut batch: BTreeMap<&str, Vec<&PayloadRow>> = BTreeMap::new();
    for row in rows {
        batch.entry(row.aggregate_id.as_str()).or_default().push(row);
    }
    let mut before: Vec<(String, i64)> = Vec::new();
    for (id, events) in &batch {
        let first = events.iter().map(|e| e.sequence).min().unwrap_or(1);
        if first > 1 {
            before.push((id.to_string(), first));
        }
    }
    let mut history: BTreeMap<String, A> = BTreeMap::new();
    for stored in events::load_before(&mut *conn, A::TYPE, &before).await? {
        let event = decode::<A>(&stored.payload, stored.sequence, &stored.aggregate_id)?;
        history.entry(stored.aggregate_id).or_default().apply(event);
    }
    let mut folded = Vec::with_capacity(batch.len());
    for (id, events) in batch {
        let mut aggregate = history.remove(id).unwrap_or_default();
        let (mut position, mut version) = (0, 0);
        for row in events {
            aggregate.apply(decode::<A>(&row.payload, row.global_position, id)?);
            position = position.max(row.global_position);
            version = version.max(row.sequence);
        }
        folded.push(Folded {
            aggregate,
            position,
            version,
        });
    }
    Ok(folded)
}

/// `rows` (of one aggregate type, whose view `table` keys rows by the numeric aggregate id) without
/// the events of aggregates whose row `table` already holds at their last position in `rows` or a
/// later one: mostly rows written with their events (`inline`). Folding those (and loading their
/// history first, for a change) would only build a row that the upsert then leaves out. One probe of
/// the primary key; an aggregate without a row, or with an older one, keeps all its events.
pub async fn unwritten<'r>(
    conn: &mut PgConnection,
    table: &str,
    rows: Vec<&'r PayloadRow>,
) -> Result<Vec<&'r PayloadRow>, sqlx::Error> {
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    for row in &rows {
        if let Ok(id) = row.aggregate_id.parse::<i64>() {
            let at = last.entry(id).or_default();
            *at = (*at).max(row.global_position);
        }
    }
    if last.is_empty() {
        return Ok(rows);
    }
    let ids: Vec<i64> = last.keys().copied().collect();
    let sql = format!("SELECT id, position FROM {table} WHERE id = ANY($1)");
    let written: Vec<(i64, i64)> = sqlx::query_as(&sql).bind(&ids).fetch_all(&mut *conn).await?;
    for (id, position) in written {
        if last.get(&id).is_some_and(|at| position >= *at) {
            last.remove(&id);
        }
    }
    Ok(rows
        .into_iter()
        .filter(|r| r.aggregate_id.parse::<i64>().map_or(true, |id| last.contains_key(&id)))
        .collect())
}

/// The event from its stored JSON text, in one pass (no `serde_json::Value` in between).
fn decode<A: Aggregate>(payload: &str, at: i64, id: &str) -> Result<A::Event, ProjectionError> {
    serde_json::from_str(payload).map_err(|source| ProjectionError::Decode {
        position: at,
        kind: format!("{}/{id}", A::TYPE),
        source,
    })
}
