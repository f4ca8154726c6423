//! The raw-Postgres ceiling: pgbench running the SQL of one create (and of 100 creates per transaction)
//! against a scratch database migrated with the real schema, on the server the service uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::stats::{self, Ceiling, Outcome, plural};

pub const SINGLE: &str = "create_one.sql";
pub const BATCHED: &str = "create_batch100.sql";
pub const MINIMAL: &str = "create_minimal.sql";
pub const UPDATE: &str = "update_one.sql";
/// Persons each client of `UPDATE` updates (its own, so clients never race for a stream), as in the
/// gRPC update scenario.
pub const UPDATE_PER_CLIENT: usize = 20;
/// Seeds the persons `UPDATE` changes: ids 1,000,000,001 to 1,000,000,000 + $1, each with its
/// PersonCreated event and its row (far above the contact sequence the create ceilings draw from).
pub const UPDATE_SEED: &str = "
    WITH created AS (
        INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
        SELECT 'Person', (1000000000 + g)::text, 1, 'PersonCreated', '1',
               jsonb_build_object('PersonCreated', jsonb_build_object(
                   'id', 1000000000 + g, 'first_name', 'Bench', 'last_name', 'update-' || (1000000000 + g),
                   'title', 'Programmer', 'company_id', NULL,
                   'about', 'Benchmark contact created by rollcall-bench; about as long as a short CRM note.',
                   'share_type', 'None', 'managers', '[]'::jsonb, 'custom_fields', '[]'::jsonb, 'photo', NULL,
                   'created_by', '00000000-0000-4000-8000-00000000b0b0',
                   'created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))),
               jsonb_build_object('source', 'grpc', 'actor_id', '00000000-0000-4000-8000-00000000b0b0')
          FROM generate_series(1, $1::int) g
        RETURNING aggregate_id, global_position)
    INSERT INTO persons (id, first_name, last_name, title, company_id, about, share_type, managers,
                         custom_fields, photo, created_by, created_at, search, position, version, common_data)
    SELECT aggregate_id::bigint, 'Bench', 'update-' || aggregate_id, 'Programmer', NULL,
           'Benchmark contact created by rollcall-bench; about as long as a short CRM note.', 0, '{}', '[]', NULL,
           '00000000-0000-4000-8000-00000000b0b0', now(), 'bench update-' || aggregate_id || ' programmer',
           global_position, 1, '[]'
      FROM created";
/// The tables of `MINIMAL`: one event row and one typed row, each with its primary key only.
pub const MINIMAL_SCHEMA: [&str; 2] = [
    "CREATE TABLE minimal_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_type text NOT NULL,
        payload json NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE minimal_persons (id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
        title text, about text NOT NULL, share_type smallint NOT NULL, created_by uuid NOT NULL,
        created_at timestamptz NOT NULL)",
];
/// Creates per transaction in `BATCHED`.
const BATCH_ROWS: f64 = 100.0;

pub struct Pgbench<'a> {
    pub bin: &'a Path,
    pub scripts: &'a Path,
    pub db_url: &'a str,
    pub duration: Duration,
    /// Where pgbench writes its per-transaction logs.
    pub log_dir: PathBuf,
}

impl Pgbench<'_> {
    /// One create per transaction at `clients` clients: creates/s.
    pub async fn single(&self, clients: usize) -> Outcome {
        let mut o = Outcome::new(
            format!("ceiling: pgbench 1 create/tx, {clients} client{}", plural(clients)),
            "creates/s",
        );
        o.is_ceiling = Some(Ceiling::Single(clients));
        self.run(SINGLE, clients, 1.0, o).await
    }

    /// The minimal create (one event row, one typed row, one prepared statement) at `clients` clients.
    pub async fn minimal(&self, clients: usize) -> Outcome {
        let mut o = Outcome::new(
            format!(
                "ceiling: minimal SQL (1 event + 1 row, prepared), {clients} client{}",
                plural(clients)
            ),
            "creates/s",
        );
        o.is_ceiling = Some(Ceiling::Minimal(clients));
        o.compare = Some(Ceiling::Single(clients));
        o.note = "ratio = this schema-free create against rollcall's schema's ceiling (above 1: what the schema costs)"
            .into();
        self.run(MINIMAL, clients, 1.0, o).await
    }

    /// One update per transaction at `clients` clients (each on its own `UPDATE_PER_CLIENT` persons,
    /// seeded with `UPDATE_SEED` for at least this many clients): updates/s.
    pub async fn update(&self, clients: usize) -> Outcome {
        let mut o = Outcome::new(
            format!("ceiling: pgbench 1 update/tx, {clients} client{}", plural(clients)),
            "updates/s",
        );
        o.is_ceiling = Some(Ceiling::Update(clients));
        self.run(UPDATE, clients, 1.0, o).await
    }

    /// 100 creates per transaction at `clients` clients: rows/s.
    pub async fn batched(&self, clients: usize) -> Outcome {
        let mut o = Outcome::new(
            format!("ceiling: pgbench 100 creates/tx, {clients} client{}", plural(clients)),
            "rows/s",
        );
        o.is_ceiling = Some(Ceiling::Batched);
        o.note = "latency is per 100-row transaction".into();
        self.run(BATCHED, clients, BATCH_ROWS, o).await
    }

    async fn run(&self, script: &str, clients: usize, rows_per_tx: f64, mut o: Outcome) -> Outcome {
        let prefix = self
            .log_dir
            .join(format!("{}-c{clients}", script.trim_end_matches(".sql")));
        let protocol = if script == MINIMAL { "prepared" } else { "simple" };
        let out = tokio::process::Command::new(self.bin)
            .args(["-n", "-M", protocol, "-D"])
            .arg(format!("per={UPDATE_PER_CLIENT}"))
            .arg("-f")
            .arg(self.scripts.join(script))
            .args(["-c", &clients.to_string(), "-j", &clients.to_string()])
            .args(["-T", &self.duration.as_secs().max(1).to_string(), "-l"])
            .arg(format!("--log-prefix={}", prefix.display()))
            .arg(self.db_url)
            .output()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => return Outcome::failed(o.name, format!("run {}: {e}", self.bin.display())),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let why = format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
            return Outcome::failed(o.name, why);
        }
        let field = |label: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(label))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        let tps = field("tps = ").unwrap_or(0.0);
        o.rate = tps * rows_per_tx;
        o.ok = (field("number of transactions actually processed: ").unwrap_or(0.0) * rows_per_tx) as u64;
        o.errors = (field("number of failed transactions: ").unwrap_or(0.0) * rows_per_tx) as u64;
        let mut latencies = read_logs(&prefix);
        o.latency = stats::percentiles(&mut latencies);
        o
    }
}

/// Transaction latencies from pgbench's `-l` logs (`<prefix>.<pid>[.<thread>]`, third column in µs).
fn read_logs(prefix: &Path) -> Vec<Duration> {
    let (Some(dir), Some(stem)) = (prefix.parent(), prefix.file_name().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut latencies = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.starts_with(&format!("{stem}."))) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        latencies.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                .map(Duration::from_micros),
        );
    }
    latencies
}
