//! The event feed: every committed event in commit-safe order (docs/DESIGN-NOTES.md §1), read from a
//! named checkpoint. The projector (and a rebuild) and the event publisher are its readers; each keeps
//! its own checkpoint row, a (writer transaction id, global position) pair.

use sqlx::PgConnection;

/// A stored event with its place in the global order, payload and metadata as the JSON text
/// PostgreSQL prints (what the event publisher sends on, without building JSON values), and the
/// correlation id from its metadata.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    pub correlation_id: Option<String>,
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

/// A stored event as the projections read it: its stream, place and payload, the payload as the JSON
/// text PostgreSQL prints (`jsonb`'s binary form is that same text), decoded once, straight into the
/// aggregate's event type. No metadata: no view is made from it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PayloadRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    /// Empty when `written`: nothing needs it.
    pub payload: String,
    pub global_position: i64,
    pub tx: i64,
    /// The live view already holds its aggregate's row at the aggregate's last position in the batch
    /// or a later one (mostly a row written with its event, `read_model::inline`): folding it would
    /// only build a row the upsert leaves out. Only [`read_unwritten_payloads_after`] sets it.
    #[sqlx(default)]
    pub written: bool,
}

impl PayloadRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            tx: self.tx,
            position: self.global_position,
        }
    }
}

/// The oldest transaction still running: every event written by an older one is final.
/// Must be read before the reading transaction takes an id of its own (its own id would count).
pub async fn snapshot_xmin(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        .fetch_one(conn)
        .await
}

/// Which events follow a cursor: `$1`, `$2` the cursor, `$3` the snapshot's xmin, `$4` the limit.
const AFTER: &str = "FROM events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
            AND transaction_id < $3::text::xid8
          ORDER BY transaction_id, global_position
          LIMIT $4";

/// Up to `limit` final events after `after`, in commit-safe order.
pub async fn read_after(
    conn: &mut PgConnection,
    after: Cursor,
    xmin: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    const COLUMNS: &str = "aggregate_type, aggregate_id, sequence, event_type, event_version, payload::text AS payload,
                           metadata::text AS metadata, metadata->>'correlation_id' AS correlation_id";
    fetch_after(conn, &select_after(COLUMNS), after, xmin, limit).await
}

/// [`read_after`] for the projections: the payloads as text, without metadata.
pub async fn read_payloads_after(
    conn: &mut PgConnection,
    after: Cursor,
    xmin: i64,
    limit: i64,
) -> Result<Vec<PayloadRow>, sqlx::Error> {
    const COLUMNS: &str = "aggregate_type, aggregate_id, sequence, payload::text AS payload";
    fetch_after(conn, &select_after(COLUMNS), after, xmin, limit).await
}

/// [`read_payloads_after`] for the live projector: the events of aggregates whose live view row (persons,
/// companies, keyed by the numeric aggregate id) is already at or past the aggregate's last position in
/// the batch come `written`, without their payload, so PostgreSQL neither prints nor sends it. One
/// statement: the primary-key probe goes with the read.
pub async fn read_unwritten_payloads_after(
    conn: &mut PgConnection,
    after: Cursor,
    xmin: i64,
    limit: i64,
) -> Result<Vec<PayloadRow>, sqlx::Error> {
    let sql = format!(
        "WITH batch AS (
             SELECT aggregate_type, aggregate_id, sequence, payload, global_position, transaction_id,
                    CASE WHEN aggregate_id ~ '^[0-9]{{1,18}}$' THEN aggregate_id::bigint END AS row_id {AFTER}
         ), marked AS (
             SELECT b.*, COALESCE((
                 CASE b.aggregate_type
                     WHEN 'Person' THEN (SELECT v.position FROM persons v WHERE v.id = b.row_id)
                     WHEN 'Company' THEN (SELECT v.position FROM companies v WHERE v.id = b.row_id)
                 END) >= max(b.global_position) OVER (PARTITION BY b.aggregate_type, b.aggregate_id), false) AS written
               FROM batch b
         )
         SELECT aggregate_type, aggregate_id, sequence, CASE WHEN written THEN '' ELSE payload::text END AS payload,
                global_position, transaction_id::text::bigint AS tx, written
           FROM marked
          ORDER BY transaction_id, global_position"
    );
    fetch_after(conn, &sql, after, xmin, limit).await
}

/// The read of `columns` of the final events after a cursor, with their position and transaction id.
fn select_after(columns: &str) -> String {
    format!("SELECT {columns}, global_position, transaction_id::text::bigint AS tx {AFTER}")
}

/// Up to `limit` rows of `sql`, a read built on [`AFTER`], with its four parameters.
async fn fetch_after<R>(
    conn: &mut PgConnection,
    sql: &str,
    after: Cursor,
    xmin: i64,
    limit: i64,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql)
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

/// A checkpoint's place, read without a lock (for a reader that is the only one of its name).
pub async fn checkpoint(conn: &mut PgConnection, name: &str) -> Result<Cursor, sqlx::Error> {
    let (tx, position): (i64, i64) = sqlx::query_as(
        "SELECT transaction_id::text::bigint, global_position FROM projector_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(Cursor { tx, position })
}

/// Creates a checkpoint at the start of the feed unless it exists.
pub async fn ensure_checkpoint(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO projector_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// The channel on which a projector batch announces, at its commit, that the read models moved (an
/// instance's read-your-writes waiters and its event publisher wake on it, whichever instance's
/// projector did the work). The append itself does not notify: a `NOTIFY` makes PostgreSQL serialize
/// the commits of notifying transactions (a database-wide lock held through the commit's WAL flush),
/// which cut the single-create ceiling to a half at 8 clients and a third at 32 (BENCHMARKS.md).
/// Projector batches are serialized by their checkpoint row anyway, so for them it costs nothing.
pub const PROJECTED: &str = "rollcall_projected";

/// Announces on [`PROJECTED`] when the transaction on `conn` commits.
pub async fn announce_projected(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(PROJECTED)
        .execute(conn)
        .await?;
    Ok(())
}

/// A connection listening on [`PROJECTED`]: one of its own, to the pool's database, so listening
/// never takes one of the pool's connections.
pub async fn listen_projected(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(pool.connect_options().as_ref().clone())
        .await?;
    let mut listener = sqlx::postgres::PgListener::connect_with(&own).await?;
    listener.listen(PROJECTED).await?;
    Ok(listener)
}
