//! `rollcall projections rebuild` over synthetic events in a database of its own. The events copy the
//! payload and metadata of a real PersonCreated the service wrote, varying the id and names.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::scratch::{self, ScratchDb};
use crate::stats::{self, Ceiling, Outcome};

/// Events inserted per transaction while filling the store.
const FILL_CHUNK: u64 = 100_000;

/// Payload, metadata and sequence of the newest PersonCreated in the service's store.
pub async fn template(service: &PgPool) -> Result<Option<(Value, Value, i64)>, String> {
    sqlx::query_as(
        "SELECT payload, metadata, sequence FROM events
          WHERE aggregate_type = 'Person' AND event_type = 'PersonCreated'
          ORDER BY global_position DESC LIMIT 1",
    )
    .fetch_optional(service)
    .await
    .map_err(|e| format!("read a PersonCreated template: {e}"))
}

pub async fn run(
    db: &ScratchDb,
    rollcall: &Path,
    events: u64,
    (payload, metadata, sequence): (Value, Value, i64),
) -> Result<Vec<Outcome>, String> {
    let pool = db.pool().await?;
    let fill_start = Instant::now();
    let mut from = 1;
    while from <= events {
        let to = (from + FILL_CHUNK - 1).min(events);
        fill(&pool, &payload, &metadata, sequence, from, to).await?;
        from = to + 1;
    }
    // A store that has lived has statistics; a freshly bulk-loaded one has none yet.
    sqlx::query("ANALYZE events")
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
    let filled = fill_start.elapsed();
    pool.close().await;

    let Rebuilt { wall, peak, last_line } = rebuild_process(&db.url, rollcall).await?;
    let ceiling = copy_ceiling(db, events).await;

    let mut o = Outcome::new(format!("projections rebuild, {events} events"), "events/s");
    o.ok = reported_events(&last_line).unwrap_or(events);
    o.rate = o.ok as f64 / wall.as_secs_f64();
    o.peak_rss_kib = peak;
    o.compare = Some(Ceiling::Copy);
    o.also = vec![Ceiling::Batched];
    o.target = "≥ 100,000 events/s";
    o.note = format!(
        "rate = events / wall time of the process ({:.1} s, migrations and connect included); \
         peak RSS is the rebuild process's; it printed: \"{last_line}\"; store filled in {:.1} s",
        wall.as_secs_f64(),
        filled.as_secs_f64()
    );
    Ok(vec![ceiling, o])
}

/// `maintenance_work_mem` of the ceiling's index build: the rebuild's own (src/read_model/rebuild.rs).
const INDEX_BUILD_MEMORY: &str = "512MB";

/// The rebuild's COPY ceiling, on the rebuilt database: read every event as the rebuild reads them
/// (`COPY (SELECT …) TO STDOUT`, drained by the client), `COPY` the persons rows the rebuild made into
/// an empty table with only its primary key, then build the same secondary indexes with the same
/// memory. No decoding or folding: what PostgreSQL needs for the rebuild's reads and writes.
async fn copy_ceiling(db: &ScratchDb, events: u64) -> Outcome {
    let mut o = Outcome::new(format!("ceiling: COPY rebuild, {events} events"), "events/s");
    o.is_ceiling = Some(Ceiling::Copy);
    match measure_copy(db).await {
        Ok((read, copied, indexed, rows)) => {
            let total = read + copied + indexed;
            o.ok = events;
            o.rate = events as f64 / total.as_secs_f64();
            o.note = format!(
                "read {events} events {:.2} s, COPY {rows} rows in {:.2} s, indexes {:.2} s (maintenance_work_mem {INDEX_BUILD_MEMORY})",
                read.as_secs_f64(),
                copied.as_secs_f64(),
                indexed.as_secs_f64()
            );
            o
        }
        Err(e) => Outcome::failed(o.name, e),
    }
}

async fn measure_copy(db: &ScratchDb) -> Result<(Duration, Duration, Duration, u64), String> {
    use futures::StreamExt;
    use sqlx::Connection;
    let err = |what: &'static str| move |e: sqlx::Error| format!("COPY ceiling, {what}: {e}");
    let mut writer = sqlx::PgConnection::connect(&db.url).await.map_err(err("connect"))?;
    let mut reader = sqlx::PgConnection::connect(&db.url).await.map_err(err("connect"))?;
    for statement in [
        "DROP TABLE IF EXISTS persons_ceiling".to_string(),
        "CREATE TABLE persons_ceiling (LIKE persons INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"
            .to_string(),
        "ALTER TABLE persons_ceiling ADD PRIMARY KEY (id)".to_string(),
        format!("SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'"),
    ] {
        sqlx::query(&statement)
            .execute(&mut writer)
            .await
            .map_err(err("prepare"))?;
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
          WHERE i.indrelid = 'persons'::regclass AND NOT i.indisprimary",
    )
    .fetch_all(&mut writer)
    .await
    .map_err(err("indexes"))?;

    let start = Instant::now();
    {
        let mut events = reader
            .copy_out_raw(
                "COPY (SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                              global_position, transaction_id FROM events ORDER BY transaction_id, global_position)
                 TO STDOUT",
            )
            .await
            .map_err(err("read events"))?;
        while let Some(chunk) = events.next().await {
            chunk.map_err(err("read events"))?;
        }
    }
    let read = start.elapsed();

    let start = Instant::now();
    let rows = {
        let mut source = reader
            .copy_out_raw("COPY persons TO STDOUT")
            .await
            .map_err(err("read persons"))?;
        let mut sink = writer
            .copy_in_raw("COPY persons_ceiling FROM STDIN")
            .await
            .map_err(err("copy in"))?;
        while let Some(chunk) = source.next().await {
            sink.send(chunk.map_err(err("read persons"))?)
                .await
                .map_err(err("copy in"))?;
        }
        sink.finish().await.map_err(err("copy in"))?
    };
    let copied = start.elapsed();

    let start = Instant::now();
    for (i, def) in indexes.iter().enumerate() {
        // "CREATE INDEX persons_by_x ON public.persons USING …" → "… persons_ceiling_i ON public.persons_ceiling …"
        let Some((_, rest)) = def.split_once(" ON ") else {
            continue;
        };
        let Some((_, using)) = rest.split_once(' ') else {
            continue;
        };
        let statement = format!("CREATE INDEX persons_ceiling_{i} ON persons_ceiling {using}");
        sqlx::query(&statement)
            .execute(&mut writer)
            .await
            .map_err(err("index"))?;
    }
    let indexed = start.elapsed();
    sqlx::query("DROP TABLE persons_ceiling")
        .execute(&mut writer)
        .await
        .map_err(err("drop"))?;
    Ok((read, copied, indexed, rows))
}

/// What one run of `rollcall projections rebuild` took.
pub struct Rebuilt {
    pub wall: Duration,
    /// The process's peak RSS, KiB.
    pub peak: Option<u64>,
    /// Its last line of output ("rebuild: done, N events in …").
    pub last_line: String,
}

/// Runs the real `rollcall projections rebuild` on database `url` and waits for it.
pub async fn rebuild_process(url: &str, rollcall: &Path) -> Result<Rebuilt, String> {
    let mut child = scratch::rollcall_command(rollcall, url)
        .args(["projections", "rebuild"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run {} projections rebuild: {e}", rollcall.display()))?;
    let start = Instant::now();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let (mut peak, mut last_line) = (None, String::new());
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(l)) => last_line = l,
                _ => break,
            },
            _ = tick.tick() => peak = pid.and_then(stats::peak_rss_kib).or(peak),
        }
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    if !status.success() {
        return Err(format!("projections rebuild: {status}; last output: {last_line}"));
    }
    Ok(Rebuilt { wall, peak, last_line })
}

/// Appends events `from..=to` in one transaction: the template with id and names varied.
async fn fill(
    pool: &PgPool,
    payload: &Value,
    metadata: &Value,
    sequence: i64,
    from: u64,
    to: u64,
) -> Result<(), String> {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'Person', g::text, $3, 'PersonCreated', '1',
                jsonb_set(jsonb_set(jsonb_set($1::jsonb,
                    '{PersonCreated,id}', to_jsonb(g)),
                    '{PersonCreated,first_name}', to_jsonb('Rebuild' || (g % 1000))),
                    '{PersonCreated,last_name}', to_jsonb('person-' || g)),
                jsonb_set($2::jsonb, '{correlation_id}', to_jsonb(gen_random_uuid()::text))
           FROM generate_series($4::bigint, $5::bigint) AS g",
    )
    .bind(payload)
    .bind(metadata)
    .bind(sequence)
    .bind(from as i64)
    .bind(to as i64)
    .execute(pool)
    .await
    .map_err(|e| format!("fill events {from}..={to}: {e}"))?;
    Ok(())
}

/// N from "rebuild: done, N events in …".
fn reported_events(line: &str) -> Option<u64> {
    line.strip_prefix("rebuild: done, ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
