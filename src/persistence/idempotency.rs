//! Idempotency keys: the first request with a key records the aggregate id it creates; a retry
//! finds it and re-runs the create for that same id (which heals a crash between any two steps).
//! A key belongs to its actor: the row is `(actor_id, key)`, so another user's key never collides.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;

/// What a key means for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The key is new: create `aggregate_id`.
    Fresh(String),
    /// The same request came before: it made (or was making) `aggregate_id`.
    Replay(String),
    /// The key was used for a different request.
    Mismatch,
}

/// Records `actor`'s `key` for `candidate_id`, or returns what the actor's earlier request with the
/// key recorded.
pub async fn begin(
    pool: &PgPool,
    actor: Uuid,
    key: &str,
    command: &str,
    fingerprint: &str,
    candidate_id: &str,
) -> Result<KeyOutcome, sqlx::Error> {
    let request = KeyRequest {
        actor,
        key,
        command,
        fingerprint,
        candidate_id,
    };
    begin_many(pool, &[request])
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// One request's key, as [`begin`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRequest<'a> {
    /// Who sent the key: keys of different actors never meet.
    pub actor: Uuid,
    pub key: &'a str,
    pub command: &'a str,
    pub fingerprint: &'a str,
    pub candidate_id: &'a str,
}

/// What a key's row holds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    pub actor_id: Uuid,
    pub key: String,
    pub command: String,
    pub fingerprint: String,
    pub aggregate_id: String,
}

/// What `actor`'s `key` recorded, if it was recorded.
pub async fn stored(pool: &PgPool, actor: Uuid, key: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT actor_id, key, command, fingerprint, aggregate_id FROM idempotency_keys
          WHERE actor_id = $1 AND key = $2",
    )
    .bind(actor)
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// An actor's key.
pub type Scoped = (Uuid, String);

/// [`begin`] for many requests in two statements; one outcome per request, in order. A key that occurs
/// several times for one actor is recorded by its first request, and the others are judged against
/// that record, exactly as if they had come one after another.
pub async fn begin_many(pool: &PgPool, requests: &[KeyRequest<'_>]) -> Result<Vec<KeyOutcome>, sqlx::Error> {
    let mut first: HashMap<(Uuid, &str), &KeyRequest<'_>> = HashMap::new();
    for r in requests {
        first.entry((r.actor, r.key)).or_insert(r);
    }
    // A fixed order, so concurrent batches wait for each other's keys without deadlocking.
    let mut rows: Vec<&KeyRequest<'_>> = first.values().copied().collect();
    rows.sort_by_key(|r| (r.actor, r.key));
    let column = |f: for<'r> fn(&KeyRequest<'r>) -> &'r str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let actors: Vec<Uuid> = rows.iter().map(|r| r.actor).collect();
    let inserted: Vec<(Uuid, String)> = sqlx::query_as(
        "INSERT INTO idempotency_keys (actor_id, key, command, fingerprint, aggregate_id)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
         ON CONFLICT (actor_id, key) DO NOTHING RETURNING actor_id, key",
    )
    .bind(&actors)
    .bind(column(|r| r.key))
    .bind(column(|r| r.command))
    .bind(column(|r| r.fingerprint))
    .bind(column(|r| r.candidate_id))
    .fetch_all(pool)
    .await?;
    let inserted: HashSet<Scoped> = inserted.into_iter().collect();
    let taken: Vec<&&KeyRequest<'_>> = rows
        .iter()
        .filter(|r| !inserted.contains(&(r.actor, r.key.to_string())))
        .collect();
    let stored: Vec<KeyRow> = if taken.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT k.actor_id, k.key, k.command, k.fingerprint, k.aggregate_id
               FROM UNNEST($1::uuid[], $2::text[]) AS t (actor_id, key)
               JOIN idempotency_keys k USING (actor_id, key)",
        )
        .bind(taken.iter().map(|r| r.actor).collect::<Vec<_>>())
        .bind(taken.iter().map(|r| r.key).collect::<Vec<_>>())
        .fetch_all(pool)
        .await?
    };
    resolve(requests, &inserted, stored).ok_or(sqlx::Error::RowNotFound)
}

/// Judges each request against its actor's key row: the rows of `inserted` keys are the first
/// requests'. `None` if a key has no row at all.
pub fn resolve(
    requests: &[KeyRequest<'_>],
    inserted: &HashSet<Scoped>,
    stored: Vec<KeyRow>,
) -> Option<Vec<KeyOutcome>> {
    let mut rows: HashMap<Scoped, KeyRow> = stored.into_iter().map(|r| ((r.actor_id, r.key.clone()), r)).collect();
    let mut outcomes = Vec::with_capacity(requests.len());
    for r in requests {
        let scoped = (r.actor, r.key.to_string());
        if inserted.contains(&scoped) && !rows.contains_key(&scoped) {
            rows.insert(
                scoped,
                KeyRow {
                    actor_id: r.actor,
                    key: r.key.to_string(),
                    command: r.command.to_string(),
                    fingerprint: r.fingerprint.to_string(),
                    aggregate_id: r.candidate_id.to_string(),
                },
            );
            outcomes.push(KeyOutcome::Fresh(r.candidate_id.to_string()));
            continue;
        }
        let row = rows.get(&scoped)?;
        outcomes.push(if row.command == r.command && row.fingerprint == r.fingerprint {
            KeyOutcome::Replay(row.aggregate_id.clone())
        } else {
            KeyOutcome::Mismatch
        });
    }
    Some(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: Uuid = Uuid::from_u128(1);
    const BOB: Uuid = Uuid::from_u128(2);

    fn req<'a>(key: &'a str, fingerprint: &'a str, candidate_id: &'a str) -> KeyRequest<'a> {
        KeyRequest {
            actor: ANN,
            key,
            command: "c",
            fingerprint,
            candidate_id,
        }
    }

    fn row(key: &str, command: &str, fingerprint: &str, id: &str) -> KeyRow {
        KeyRow {
            actor_id: ANN,
            key: key.into(),
            command: command.into(),
            fingerprint: fingerprint.into(),
            aggregate_id: id.into(),
        }
    }

    #[test]
    fn a_new_key_is_fresh_for_its_first_request_and_a_replay_or_mismatch_for_later_ones() {
        let requests = [req("k", "f", "1"), req("k", "f", "2"), req("k", "other", "3")];
        let inserted = HashSet::from([(ANN, "k".to_string())]);
        let outcomes = resolve(&requests, &inserted, vec![]).unwrap();
        assert_eq!(
            outcomes,
            [
                KeyOutcome::Fresh("1".into()),
                KeyOutcome::Replay("1".into()),
                KeyOutcome::Mismatch
            ]
        );
    }

    #[test]
    fn a_recorded_key_replays_the_same_request_and_refuses_another_command_or_content() {
        let requests = [
            req("k", "f", "1"),
            req("k", "g", "2"),
            KeyRequest {
                command: "d",
                ..req("k", "f", "3")
            },
        ];
        let stored = vec![row("k", "c", "f", "9")];
        let outcomes = resolve(&requests, &HashSet::new(), stored).unwrap();
        assert_eq!(
            outcomes,
            [
                KeyOutcome::Replay("9".into()),
                KeyOutcome::Mismatch,
                KeyOutcome::Mismatch
            ]
        );
    }

    #[test]
    fn the_same_key_of_another_actor_is_a_key_of_its_own() {
        let bob = |fingerprint, id| KeyRequest {
            actor: BOB,
            ..req("k", fingerprint, id)
        };
        let requests = [req("k", "f", "1"), bob("g", "2"), bob("g", "3")];
        let inserted = HashSet::from([(ANN, "k".to_string()), (BOB, "k".to_string())]);
        let outcomes = resolve(&requests, &inserted, vec![]).unwrap();
        assert_eq!(
            outcomes,
            [
                KeyOutcome::Fresh("1".into()),
                KeyOutcome::Fresh("2".into()),
                KeyOutcome::Replay("2".into())
            ]
        );
        // Bob's key recorded earlier says nothing about Ann's.
        let stored = vec![KeyRow {
            actor_id: BOB,
            ..row("k", "c", "g", "9")
        }];
        assert_eq!(resolve(&[req("k", "f", "1")], &HashSet::new(), stored), None);
    }

    #[test]
    fn a_key_without_any_row_is_an_error() {
        assert_eq!(resolve(&[req("gone", "f", "1")], &HashSet::new(), vec![]), None);
    }
}
