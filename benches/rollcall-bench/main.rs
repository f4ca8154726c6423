//! rollcall-bench: drives a running `rollcall serve` (gRPC, REST, NATS, read-model visibility) and the
//! real `rollcall projections rebuild`, measures the raw-Postgres ceiling with pgbench on the same
//! server, and prints one table of rates, latency percentiles, errors, peak RSS and ratios to the
//! ceilings. `scripts/bench.sh` starts everything it needs; see BENCHMARKS.md.

mod args;
mod bursts;
mod ceiling;
mod chart;
mod cpu;
mod gaps;
mod grpc;
mod nats;
mod peer;
mod rebuild;
mod report;
mod rest;
mod scratch;
mod session;
mod soak;
mod stats;
mod update;
mod visibility;
mod visible;

use std::process::ExitCode;
use std::time::Duration;

use sqlx::PgPool;

use args::{Args, Scenario};
use scratch::ScratchDb;
use stats::Outcome;

#[tokio::main]
async fn main() -> ExitCode {
    // A bare `cargo bench` must not load whatever service happens to listen on the default ports.
    if std::env::args().skip(1).all(|a| a == "--bench") {
        println!("rollcall-bench: nothing to do without arguments; run scripts/bench.sh (see BENCHMARKS.md)");
        return ExitCode::SUCCESS;
    }
    let args = Args::load();
    let result = if args.cleanup_only {
        nats::cleanup(&args.nats_url, &args.nats_prefix).await
    } else {
        run(&args).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: ERROR: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The running service and what talking to it needs.
struct Service {
    pool: PgPool,
    token: String,
}

async fn run(args: &Args) -> Result<(), String> {
    let tag = tag(args);
    let scenarios = args.selected();
    // The ceiling and the visibility scenario make databases (and the latter a service) of their own.
    let service = if scenarios
        .iter()
        .any(|s| !matches!(s, Scenario::Ceiling | Scenario::Peer | Scenario::Visibility))
    {
        let pool = PgPool::connect(&args.database_url)
            .await
            .map_err(|e| format!("connect DATABASE_URL: {e}"))?;
        let token = session::login(&args.http_url, &args.admin_email, &args.admin_password).await?;
        Some(Service { pool, token })
    } else {
        None
    };
    let machine = describe(args, &tag).await;
    println!("bench: run {tag}, scenarios {scenarios:?}");
    let mut rows: Vec<Outcome> = Vec::new();
    for scenario in scenarios {
        if service.is_some() {
            match session::quiet(&args.http_url).await {
                Ok(waited) if waited.as_millis() >= 200 => {
                    println!("bench: waited {waited:.1?} for the service to apply what came before")
                }
                Ok(_) => {}
                Err(e) => println!("bench: the service did not catch up before {scenario:?}: {e}"),
            }
        }
        let new = match (&service, scenario) {
            (_, Scenario::Ceiling) => ceilings(args, &tag).await,
            (_, Scenario::Peer) => peer::run(args, &tag).await,
            (_, Scenario::Visibility) => visibility::run(visibility::Visibility { args, tag: &tag }).await,
            (Some(svc), s) => service_scenario(args, &tag, svc, s).await,
            (None, _) => unreachable!("a service scenario without a service"),
        };
        for r in new {
            println!("{}", report::progress(&r));
            rows.push(r);
        }
    }
    let title = format!(
        "rollcall-bench {} run {}",
        if args.quick { "quick" } else { "full" },
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let md = report::markdown(&title, &machine, &rows);
    println!("\n{md}");
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, md).map_err(|e| format!("write {}: {e}", args.out.display()))?;
    println!("bench: summary written to {}", args.out.display());
    let svg = chart::svg(&title, &rows);
    std::fs::write(&args.chart, svg).map_err(|e| format!("write {}: {e}", args.chart.display()))?;
    println!("bench: chart written to {}", args.chart.display());
    Ok(())
}

async fn service_scenario(args: &Args, tag: &str, svc: &Service, scenario: Scenario) -> Vec<Outcome> {
    let (token, pid, secs) = (svc.token.as_str(), args.pid, args.duration());
    match scenario {
        Scenario::Ceiling | Scenario::Peer | Scenario::Visibility => Vec::new(),
        Scenario::Grpc => {
            let mut rows = Vec::new();
            for &n in &args.grpc_clients {
                let r = grpc::run(&args.grpc_url, token, n, secs, tag, pid).await;
                rows.push(r.unwrap_or_else(|e| Outcome::failed(format!("gRPC CreatePerson, {n} clients"), e)));
            }
            rows
        }
        Scenario::Rest => {
            let mut rows = Vec::new();
            for &n in &args.rest_clients {
                let r = rest::run(&args.http_url, token, n, secs, tag, pid).await;
                rows.push(r.unwrap_or_else(|e| Outcome::failed(format!("REST POST person, {n} connections"), e)));
            }
            rows
        }
        Scenario::Update => {
            let mut rows = Vec::new();
            for &n in &args.update_clients {
                let r = update::run(&args.grpc_url, token, n, secs, tag, pid).await;
                rows.push(r.unwrap_or_else(|e| Outcome::failed(format!("gRPC UpdatePerson, {n} clients"), e)));
            }
            rows
        }
        Scenario::Nats => {
            let cfg = nats::Ingest {
                nats_url: &args.nats_url,
                prefix: &args.nats_prefix,
                token,
                tag,
                count: args.nats_count(),
                inflight: args.nats_inflight,
                timeout: Duration::from_secs(args.nats_timeout),
                pid,
            };
            let r = nats::run_ingest(cfg, &svc.pool).await;
            vec![r.unwrap_or_else(|e| Outcome::failed("NATS ingest", e))]
        }
        Scenario::Bursts => {
            let cfg = bursts::Bursts {
                nats_url: &args.nats_url,
                prefix: &args.nats_prefix,
                token,
                tag,
                bursts: args.bursts(),
                size: args.burst_size,
                idle: Duration::from_millis(args.burst_idle_ms),
                inflight: args.nats_inflight,
                pid,
            };
            let r = bursts::run(cfg, &svc.pool).await;
            vec![r.unwrap_or_else(|e| Outcome::failed("NATS bursts", e))]
        }
        Scenario::Visible => {
            let mut rates = args.rate.clone();
            rates.sort_unstable();
            let mut rows = Vec::new();
            for (n, rate) in rates.into_iter().enumerate() {
                let cfg = visible::Visible {
                    nats_url: &args.nats_url,
                    prefix: &args.nats_prefix,
                    token,
                    tag: &format!("{tag}{n}"),
                    rate,
                    duration: args.visible_duration(),
                    pid,
                };
                let r = visible::run(cfg, &svc.pool).await;
                rows.push(r.unwrap_or_else(|e| Outcome::failed(format!("command → visible at {rate}/s"), e)));
            }
            rows
        }
        Scenario::Soak => {
            let cfg = soak::Soak {
                http_url: &args.http_url,
                grpc_url: &args.grpc_url,
                nats_url: &args.nats_url,
                prefix: &args.nats_prefix,
                token,
                tag,
                duration: args.soak_duration(),
                clients: args.soak_clients,
                pid,
            };
            vec![
                soak::run(cfg, &svc.pool)
                    .await
                    .unwrap_or_else(|e| Outcome::failed("soak", e)),
            ]
        }
        Scenario::Rebuild => rebuild(args, tag, svc)
            .await
            .unwrap_or_else(|e| vec![Outcome::failed("projections rebuild", e)]),
    }
}

/// pgbench at every ceiling client count, single and batched, on a scratch database.
async fn ceilings(args: &Args, tag: &str) -> Vec<Outcome> {
    let name = format!("rollcall_bench_ceiling_{tag}");
    let db = match ScratchDb::create(&args.pg_server, &name, &args.rollcall_bin).await {
        Ok(db) => db,
        Err(e) => return vec![Outcome::failed("ceiling", e)],
    };
    let log_dir = std::env::temp_dir().join(format!("rollcall-bench-{tag}"));
    let mut rows = Vec::new();
    if let Err(e) = std::fs::create_dir_all(&log_dir) {
        rows.push(Outcome::failed("ceiling", format!("create {}: {e}", log_dir.display())));
    } else {
        let pgbench = ceiling::Pgbench {
            bin: &args.pgbench,
            scripts: &args.pgbench_dir,
            db_url: &db.url,
            duration: args.duration(),
            log_dir: log_dir.clone(),
        };
        for n in args.ceiling_clients() {
            rows.push(pgbench.single(n).await);
        }
        match minimal_tables(&db).await {
            Ok(()) => {
                for n in args.ceiling_clients() {
                    rows.push(pgbench.minimal(n).await);
                }
            }
            Err(e) => rows.push(Outcome::failed("ceiling: minimal SQL", e)),
        }
        let most = args.update_clients.iter().copied().max().unwrap_or(0);
        match seed_updates(&db, most * ceiling::UPDATE_PER_CLIENT).await {
            Ok(()) => {
                for &n in &args.update_clients {
                    rows.push(pgbench.update(n).await);
                }
            }
            Err(e) => rows.push(Outcome::failed("ceiling: 1 update/tx", e)),
        }
        for &n in &args.batch_clients {
            rows.push(pgbench.batched(n).await);
        }
        let _ = std::fs::remove_dir_all(&log_dir);
    }
    db.drop_now().await;
    rows
}

/// The tables of the minimal ceiling, beside rollcall's in the ceiling's scratch database.
async fn minimal_tables(db: &ScratchDb) -> Result<(), String> {
    let pool = db.pool().await?;
    for statement in ceiling::MINIMAL_SCHEMA {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .map_err(|e| format!("minimal tables: {e}"))?;
    }
    pool.close().await;
    Ok(())
}

/// The persons the update ceiling changes, each with its create event and its row.
async fn seed_updates(db: &ScratchDb, persons: usize) -> Result<(), String> {
    let pool = db.pool().await?;
    sqlx::query(ceiling::UPDATE_SEED)
        .bind(persons as i32)
        .execute(&pool)
        .await
        .map_err(|e| format!("seed the update ceiling's persons: {e}"))?;
    pool.close().await;
    Ok(())
}

async fn rebuild(args: &Args, tag: &str, svc: &Service) -> Result<Vec<Outcome>, String> {
    let template = match rebuild::template(&svc.pool).await? {
        Some(t) => t,
        None => {
            // A fresh service: create one person so there is a real event to copy.
            session::create_person_rest(&args.http_url, &svc.token, &format!("{tag}-template")).await?;
            rebuild::template(&svc.pool)
                .await?
                .ok_or("no PersonCreated after creating one")?
        }
    };
    let name = format!("rollcall_bench_rebuild_{tag}");
    let db = ScratchDb::create(&args.pg_server, &name, &args.rollcall_bin).await?;
    let result = rebuild::run(&db, &args.rollcall_bin, args.rebuild_events(), template).await;
    db.drop_now().await;
    result
}

/// This run's tag: lower-case letters, digits and `_` only (it is part of database names).
fn tag(args: &Args) -> String {
    let raw = args
        .tag
        .clone()
        .unwrap_or_else(|| format!("r{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase()
}

async fn describe(args: &Args, tag: &str) -> report::Machine {
    let server = args.pg_server.trim_end_matches('/');
    let (version, fsync, sync) = match PgPool::connect(&format!("{server}/postgres")).await {
        Ok(pool) => (
            scratch::show(&pool, "server_version").await,
            scratch::show(&pool, "fsync").await,
            scratch::show(&pool, "synchronous_commit").await,
        ),
        Err(e) => (format!("? ({e})"), "?".into(), "?".into()),
    };
    let commit = std::env::var("BENCH_COMMIT").unwrap_or_else(|_| "?".into());
    let mut extra = vec![format!(
        "rollcall commit {commit}; run tag {tag}; {} s per closed-loop scenario",
        args.duration().as_secs()
    )];
    match args.pid {
        Some(pid) if stats::reset_peak_rss(pid) => {}
        Some(_) => extra.push("peak RSS could not be reset per scenario: it spans the run so far".into()),
        None => extra.push("no service pid given: no RSS figures".into()),
    }
    report::Machine::describe(version, fsync, sync, extra)
}
