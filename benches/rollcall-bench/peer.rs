//! The peer scenario: runs `benches/cqrs-peer` (stock cqrs-es + postgres-es, a database of its own on
//! the same server) at the ceiling's client counts and turns its `PEER {…}` lines into rows that gRPC
//! and REST are compared with.

use std::time::Duration;

use serde_json::Value;

use crate::args::Args;
use crate::stats::{Ceiling, Outcome, Percentiles, plural};

pub async fn run(args: &Args, tag: &str) -> Vec<Outcome> {
    let Some(bin) = &args.peer_bin else {
        return vec![Outcome::failed(
            "peer: cqrs-es + postgres-es",
            "no --peer-bin (scripts/bench.sh builds and passes it)",
        )];
    };
    let clients: Vec<String> = args.ceiling_clients().iter().map(|n| n.to_string()).collect();
    let out = tokio::process::Command::new(bin)
        .args(["--pg-server", &args.pg_server, "--tag", tag])
        .args(["--clients", &clients.join(",")])
        .args(["--secs", &args.duration().as_secs().max(1).to_string()])
        .args(["--pool", &args.peer_pool.to_string()])
        .output()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => return vec![Outcome::failed("peer", format!("run {}: {e}", bin.display()))],
    };
    if !out.status.success() {
        let why = format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
        return vec![Outcome::failed("peer: cqrs-es + postgres-es", why)];
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("PEER "))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| row(&v))
        .collect()
}

fn row(v: &Value) -> Outcome {
    let clients = v["clients"].as_u64().unwrap_or(0) as usize;
    let ms = |k: &str| Duration::from_secs_f64(v[k].as_f64().unwrap_or(0.0) / 1000.0);
    let mut o = Outcome::new(
        format!(
            "peer: cqrs-es + postgres-es execute, {clients} client{}",
            plural(clients)
        ),
        "creates/s",
    );
    o.rate = v["rate"].as_f64().unwrap_or(0.0);
    o.ok = v["ok"].as_u64().unwrap_or(0);
    o.errors = v["errors"].as_u64().unwrap_or(0);
    o.latency = Some(Percentiles {
        p50: ms("p50_ms"),
        p95: ms("p95_ms"),
        p99: ms("p99_ms"),
        max: ms("max_ms"),
    });
    o.is_ceiling = Some(Ceiling::Peer(clients));
    o.compare = Some(Ceiling::Single(clients));
    o.note = format!(
        "load, append, then the GenericQuery view (load, update, save); pool of {} connections{}",
        v["pool"].as_u64().unwrap_or(0),
        v["first_error"]
            .as_str()
            .map_or(String::new(), |e| format!("; first error: {e}"))
    );
    o
}
