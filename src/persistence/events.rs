//! The event store's write side: which aggregates exist, their events, and appending many events
//! (and the photo bytes they refer to) in one statement, in the row format postgres-es writes and
//! loads (pinned by a test against postgres-es's own loader).

use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use super::identity_channel;

/// One event to append, serialized as postgres-es serializes it (`payload` is the event enum as JSON
/// text, `metadata` the command's string map as JSON text): text, because PostgreSQL parses `jsonb`
/// from text either way, and a `serde_json::Value` in between only costs allocations.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

/// A stored event of one aggregate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
}

/// A stored event as the projections fold it: the payload as JSON text, decoded once into the
/// aggregate's event type; no metadata.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPayload {
    pub aggregate_id: String,
    pub sequence: i64,
    pub payload: String,
}

/// Bytes an event refers to by content address (a contact's photo), stored with the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    pub sha256: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// View rows to write with the events, in the same statement (`read_model::inline`): each row (JSON with
/// the table's column names and an `id`) gets the global position of the last event appended for its
/// aggregate, and `upsert` (an `ON CONFLICT` clause on the table aliased `t`) decides over an existing row.
/// With `answer`, the statement also returns the rows it wrote as that query makes them (an [`Answer`]):
/// the answer needs no read-back.
#[derive(Debug, Clone)]
pub struct ViewRows {
    pub aggregate_type: &'static str,
    pub table: &'static str,
    pub upsert: &'static str,
    /// Each row as a JSON object (text).
    pub rows: Vec<String>,
    pub answer: Option<Answer>,
}

/// A view's query over the rows named by its argument (a table, or the rows a statement wrote), with
/// the view's joins.
pub type Answer = fn(&str) -> String;

/// A create's idempotency key, recorded in the append statement of its events (`idempotency_keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub actor_id: uuid::Uuid,
    pub key: String,
    pub command: &'static str,
    pub fingerprint: String,
    pub aggregate_id: String,
}

/// The constraint a key recorded already breaks (SQLSTATE 23505): the whole append is undone.
pub const KEYS_CONSTRAINT: &str = "idempotency_keys_pkey";

/// Every event of the aggregates `ids`, by aggregate and sequence.
pub async fn load_many(pool: &PgPool, aggregate_type: &str, ids: &[String]) -> Result<Vec<StoredEvent>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT aggregate_id, sequence, event_type, event_version, payload, metadata FROM events
          WHERE aggregate_type = $1 AND aggregate_id = ANY($2) ORDER BY aggregate_id, sequence",
    )
    .bind(aggregate_type)
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// Every event of the aggregates `ids` before their sequence `first` (each pair is an id and the first
/// sequence not wanted), by aggregate and sequence; runs on `conn` so a projector's transaction sees it.
pub async fn load_before(
    conn: &mut sqlx::PgConnection,
    aggregate_type: &str,
    ids: &[(String, i64)],
) -> Result<Vec<StoredPayload>, sqlx::Error> {
    const COLUMNS: &str = "e.aggregate_id, e.sequence, e.payload::text AS payload";
    load_bounded(conn, COLUMNS, aggregate_type, ids, "e.sequence < b.bound").await
}

/// Every event of the aggregates `ids` after their sequence `after` (each pair is an id and the last
/// sequence not wanted, 0 for the whole stream; each id at most once), by aggregate and sequence.
pub async fn load_after(
    pool: &PgPool,
    aggregate_type: &str,
    ids: &[(String, i64)],
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    const COLUMNS: &str = "e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload, e.metadata";
    load_bounded(pool, COLUMNS, aggregate_type, ids, "e.sequence > b.bound").await
}

/// `columns` of the events of the aggregates `ids` whose sequence meets `condition` against each id's
/// bound (`b.bound`), by aggregate and sequence.
async fn load_bounded<'e, R>(
    executor: impl sqlx::PgExecutor<'e>,
    columns: &str,
    aggregate_type: &str,
    ids: &[(String, i64)],
    condition: &'static str,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (names, bounds): (Vec<&str>, Vec<i64>) = ids.iter().map(|(id, bound)| (id.as_str(), *bound)).unzip();
    let sql = format!(
        "SELECT {columns}
           FROM events e JOIN UNNEST($2::text[], $3::bigint[]) AS b(id, bound) ON e.aggregate_id = b.id
          WHERE e.aggregate_type = $1 AND {condition}
          ORDER BY e.aggregate_id, e.sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_type)
        .bind(names)
        .bind(bounds)
        .fetch_all(executor)
        .await
}

/// Appends `events` in one statement (atomic by itself, so no BEGIN/COMMIT round trips), in the given
/// order (so their global positions follow it), with the `photos` they refer to (a photo is stored
/// exactly when its event is) and the `views` rows they make. A unique violation (SQLSTATE 23505) means
/// another writer appended one of these (aggregate, sequence) pairs first: nothing of the statement is
/// kept. The `keys` of the creates among them are recorded too; one recorded already (by an earlier
/// request, or twice here) breaks [`KEYS_CONSTRAINT`] and likewise undoes everything. When users are
/// among the aggregates, each one's id is notified on [`identity_channel::CHANNEL`], delivered at commit.
/// Returns the rows the first view with an `answer` wrote, as its answer query makes them (none when
/// users are among the aggregates).
pub async fn append(
    pool: &PgPool,
    events: &[NewEvent],
    photos: &[NewPhoto],
    views: &[ViewRows],
    keys: &[NewKey],
) -> Result<Vec<PgRow>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns = Columns::default();
    for e in events {
        columns.push(e);
    }
    let users = events
        .iter()
        .any(|e| e.aggregate_type == identity_channel::AGGREGATE_TYPE);
    let answer = (!users)
        .then(|| views.iter().enumerate().find_map(|(n, v)| v.answer.map(|a| (n, a))))
        .flatten();
    let sql = statement(views, !keys.is_empty(), users, answer);
    let mut query = sqlx::query(&sql)
        .bind(columns.aggregate_types)
        .bind(columns.aggregate_ids)
        .bind(columns.sequences)
        .bind(columns.event_types)
        .bind(columns.event_versions)
        .bind(columns.payloads)
        .bind(columns.metadata)
        .bind(photos.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>())
        .bind(photos.iter().map(|p| p.content_type.as_str()).collect::<Vec<_>>())
        .bind(photos.iter().map(|p| p.bytes.as_slice()).collect::<Vec<_>>());
    if !keys.is_empty() {
        // In one order, so concurrent appends that share keys wait for each other without deadlocking.
        let mut keys: Vec<&NewKey> = keys.iter().collect();
        keys.sort_by(|a, b| (a.actor_id, &a.key).cmp(&(b.actor_id, &b.key)));
        query = query
            .bind(keys.iter().map(|k| k.actor_id).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.command).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.fingerprint.as_str()).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.aggregate_id.as_str()).collect::<Vec<_>>());
    }
    for view in views {
        // As text: `json` parses faster than `jsonb`.
        let rows = format!("[{}]", view.rows.join(","));
        query = query.bind(rows);
    }
    if answer.is_some() {
        return query.fetch_all(pool).await;
    }
    query.execute(pool).await?;
    Ok(Vec::new())
}

/// The append statement for `views` (their rows are the parameters after the events', the photos' and,
/// with `keys`, the five columns of the keys `$11`–`$15`); with `users`, it notifies each user appended
/// to (only then: the contacts' appends stay as they are). With `answer` (a view's index and its
/// answer query), the statement ends with that query over the rows that view wrote, instead of a count.
fn statement(views: &[ViewRows], keys: bool, users: bool, answer: Option<(usize, Answer)>) -> String {
    let mut sql = String::from(
        "WITH stored_photos AS (
             INSERT INTO photos (sha256, content_type, size, bytes)
             SELECT sha256, content_type, octet_length(bytes), bytes
               FROM UNNEST($8::text[], $9::text[], $10::bytea[]) AS p(sha256, content_type, bytes)
             ON CONFLICT (sha256) DO NOTHING),
         appended AS (
             INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata
               FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]::jsonb[],
                           $7::text[]::jsonb[])
                    WITH ORDINALITY AS e(aggregate_type, aggregate_id, sequence, event_type, event_version,
                                         payload, metadata, n)
              ORDER BY n
             RETURNING aggregate_type, aggregate_id, global_position),
         last AS (
             SELECT aggregate_type, aggregate_id, max(global_position) AS position
               FROM appended GROUP BY aggregate_type, aggregate_id)",
    );
    if keys {
        sql.push_str(
            ",
         recorded_keys AS (
             INSERT INTO idempotency_keys (actor_id, key, command, fingerprint, aggregate_id)
             SELECT actor_id, key, command, fingerprint, aggregate_id
               FROM UNNEST($11::uuid[], $12::text[], $13::text[], $14::text[], $15::text[])
                    WITH ORDINALITY AS k(actor_id, key, command, fingerprint, aggregate_id, n)
              ORDER BY n)",
        );
    }
    let first_view = if keys { 16 } else { 11 };
    for (n, view) in views.iter().enumerate() {
        let ViewRows {
            aggregate_type,
            table,
            upsert,
            ..
        } = view;
        let param = first_view + n;
        let returning = match answer {
            Some((a, _)) if a == n => "\n             RETURNING t.*",
            _ => "",
        };
        sql.push_str(&format!(
            ",
         view_{n} AS (
             INSERT INTO {table} AS t
             SELECT w.* FROM json_populate_recordset(NULL::{table}, ${param}::json) AS v
               JOIN last l ON l.aggregate_type = '{aggregate_type}' AND l.aggregate_id = v.id::text,
                    LATERAL json_populate_record(v, json_build_object('position', l.position)) AS w
             {upsert}{returning})"
        ));
    }
    if users {
        // A CTE without a write runs only when read: the final select reads it.
        sql.push_str(&format!(
            ",
         notified AS (
             SELECT pg_notify('{channel}', u.aggregate_id)
               FROM (SELECT DISTINCT aggregate_id FROM appended WHERE aggregate_type = '{user}') u)
         SELECT (SELECT count(*) FROM appended), (SELECT count(*) FROM notified)",
            channel = identity_channel::CHANNEL,
            user = identity_channel::AGGREGATE_TYPE,
        ));
    } else if let Some((n, answer)) = answer {
        sql.push('\n');
        sql.push_str(&answer(&format!("view_{n}")));
    } else {
        sql.push_str("\n         SELECT count(*) FROM appended");
    }
    sql
}

#[derive(Default)]
struct Columns<'a> {
    aggregate_types: Vec<&'a str>,
    aggregate_ids: Vec<&'a str>,
    sequences: Vec<i64>,
    event_types: Vec<&'a str>,
    event_versions: Vec<&'a str>,
    payloads: Vec<&'a str>,
    metadata: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, e: &'a NewEvent) {
        self.aggregate_types.push(e.aggregate_type);
        self.aggregate_ids.push(&e.aggregate_id);
        self.sequences.push(e.sequence);
        self.event_types.push(&e.event_type);
        self.event_versions.push(&e.event_version);
        self.payloads.push(&e.payload);
        self.metadata.push(&e.metadata);
    }
}
