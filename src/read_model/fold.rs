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

/// The event from its stored JSON text, in one pass (no `serde_json::Value` in between).
fn decode<A: Aggregate>(payload: &str, at: i64, id: &str) -> Result<A::Event, ProjectionError> {
    serde_json::from_str(payload).map_err(|source| ProjectionError::Decode {
        position: at,
        kind: format!("{}/{id}", A::TYPE),
        source,
    })
}
