//! cqrs-peer: the peer rollcall is compared with (issue 18). Stock cqrs-es 0.5 + postgres-es 0.5, used
//! as their documentation shows: an aggregate, `postgres_cqrs` over a `PostgresEventRepository`, and a
//! `GenericQuery` view in a `PostgresViewRepository`; the tables of postgres-es's `db/init.sql`. Each
//! create is `CqrsFramework::execute` (load the stream, decide, append in a transaction, then load,
//! update and save the view). Closed loop at each client count against a database of its own on the
//! same PostgreSQL server; one JSON line per client count on stdout (`PEER {…}`), read by
//! rollcall-bench's `peer` scenario. The database is dropped at the end.
//!
//! Usage: cqrs-peer --pg-server postgres://postgres@127.0.0.1:5432 --tag T [--clients 1,8,32]
//!        [--secs 10] [--pool 16]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cqrs_es::persist::GenericQuery;
use cqrs_es::{Aggregate, DomainEvent, EventEnvelope, View};
use postgres_es::{PostgresViewRepository, postgres_cqrs};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Person {
    created: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct CreatePerson {
    first_name: String,
    last_name: String,
    title: String,
    about: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum PersonEvent {
    PersonCreated {
        first_name: String,
        last_name: String,
        title: String,
        about: String,
    },
}

impl DomainEvent for PersonEvent {
    fn event_type(&self) -> String {
        "PersonCreated".into()
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct PersonError(&'static str);

impl Aggregate for Person {
    const TYPE: &'static str = "Person";
    type Command = CreatePerson;
    type Event = PersonEvent;
    type Error = PersonError;
    type Services = ();

    async fn handle(
        &mut self,
        c: Self::Command,
        _: &Self::Services,
        sink: &cqrs_es::event_sink::EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if self.created {
            return Err(PersonError("already created"));
        }
        if c.first_name.trim().is_empty() {
            return Err(PersonError("first name required"));
        }
        let event = PersonEvent::PersonCreated {
            first_name: c.first_name,
            last_name: c.last_name,
            title: c.title,
            about: c.about,
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, _: Self::Event) {
        self.created = true;
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PersonView {
    id: String,
    first_name: String,
    last_name: String,
    title: String,
    about: String,
}

impl View<Person> for PersonView {
    fn update(&mut self, e: &EventEnvelope<Person>) {
        let PersonEvent::PersonCreated {
            first_name,
            last_name,
            title,
            about,
        } = &e.payload;
        self.id = e.aggregate_id.clone();
        self.first_name = first_name.clone();
        self.last_name = last_name.clone();
        self.title = title.clone();
        self.about = about.clone();
    }
}

/// postgres-es's `db/init.sql` (events and snapshots) and one view table.
const SCHEMA: [&str; 3] = [
    "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
        sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, event_version text NOT NULL,
        payload json NOT NULL, metadata json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    "CREATE TABLE snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
        last_sequence bigint CHECK (last_sequence >= 0) NOT NULL,
        current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, payload json NOT NULL,
        PRIMARY KEY (aggregate_type, aggregate_id, last_sequence))",
    "CREATE TABLE person_view (view_id text NOT NULL, version bigint CHECK (version >= 0) NOT NULL,
        payload json NOT NULL, PRIMARY KEY (view_id))",
];

struct Args {
    server: String,
    tag: String,
    clients: Vec<usize>,
    secs: u64,
    pool: u32,
}

fn args() -> Result<Args, String> {
    let mut a: HashMap<String, String> = HashMap::new();
    let mut it = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
        a.insert(k.trim_start_matches("--").to_string(), v);
    }
    let num = |k: &str, d: u64| a.get(k).map_or(Ok(d), |v| v.parse().map_err(|e| format!("--{k}: {e}")));
    Ok(Args {
        server: a
            .get("pg-server")
            .cloned()
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into()),
        tag: a.get("tag").cloned().ok_or("--tag is required")?,
        clients: a
            .get("clients")
            .map_or("1,8,32", String::as_str)
            .split(',')
            .map(|c| c.trim().parse().map_err(|e| format!("--clients: {e}")))
            .collect::<Result<_, _>>()?,
        secs: num("secs", 10)?,
        pool: num("pool", 16)? as u32,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if std::env::args().skip(1).all(|a| a == "--bench") {
        println!("cqrs-peer: nothing to do without arguments; run scripts/bench.sh (see BENCHMARKS.md)");
        return std::process::ExitCode::SUCCESS;
    }
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cqrs-peer: ERROR: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = args()?;
    let server = args.server.trim_end_matches('/').to_string();
    let tag: String = args
        .tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let name = format!("rollcall_bench_peer_{}", tag.to_lowercase());
    let mut admin = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .map_err(|e| format!("connect {server}: {e}"))?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .map_err(|e| format!("create database {name}: {e}"))?;
    let result = measure(&args, &format!("{server}/{name}")).await;
    if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
    {
        eprintln!("cqrs-peer: could not drop database {name}: {e}");
    }
    result
}

async fn measure(args: &Args, url: &str) -> Result<(), String> {
    let pool = PgPoolOptions::new()
        .max_connections(args.pool)
        .connect(url)
        .await
        .map_err(|e| format!("connect {url}: {e}"))?;
    for statement in SCHEMA {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .map_err(|e| format!("schema: {e}"))?;
    }
    let view_repo = Arc::new(PostgresViewRepository::<PersonView, Person>::new(
        "person_view",
        pool.clone(),
    ));
    let query = GenericQuery::new(view_repo);
    let cqrs = Arc::new(postgres_cqrs(pool.clone(), vec![Box::new(query)], ()));
    for &clients in &args.clients {
        let deadline = Instant::now() + Duration::from_secs(args.secs);
        let start = Instant::now();
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let cqrs = cqrs.clone();
                tokio::spawn(async move {
                    let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0u64, None);
                    let mut i = 0u64;
                    while Instant::now() < deadline {
                        let id = uuid::Uuid::new_v4().to_string();
                        let command = CreatePerson {
                            first_name: "Bench".into(),
                            last_name: format!("peer-{clients}-{c}-{i}"),
                            title: "Programmer".into(),
                            about: "Benchmark contact created by rollcall-bench; about as long as a short CRM note."
                                .into(),
                        };
                        let t = Instant::now();
                        match cqrs.execute(&id, command).await {
                            Ok(()) => latencies.push(t.elapsed()),
                            Err(e) => {
                                errors += 1;
                                first_error.get_or_insert(e.to_string());
                            }
                        }
                        i += 1;
                    }
                    (latencies, errors, first_error)
                })
            })
            .collect();
        let (mut all, mut errors, mut first_error) = (Vec::new(), 0u64, None);
        for w in workers {
            let (l, e, f) = w.await.map_err(|e| e.to_string())?;
            all.extend(l);
            errors += e;
            first_error = first_error.or(f);
        }
        let elapsed = start.elapsed().as_secs_f64();
        all.sort_unstable();
        let at = |p: f64| {
            let rank = ((p * all.len() as f64).ceil() as usize).clamp(1, all.len().max(1));
            all.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let line = serde_json::json!({
            "clients": clients,
            "rate": all.len() as f64 / elapsed,
            "ok": all.len(),
            "errors": errors,
            "p50_ms": at(0.50),
            "p95_ms": at(0.95),
            "p99_ms": at(0.99),
            "max_ms": at(1.0),
            "first_error": first_error,
            "pool": args.pool,
        });
        println!("PEER {line}");
    }
    Ok(())
}
