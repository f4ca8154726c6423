//! Command line of the bench tool: where the running service is, which scenarios to run, and how long.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Scenarios, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// pgbench ceilings (single-transaction, minimal and batched) on a scratch database.
    Ceiling,
    /// The peer: stock cqrs-es + postgres-es (`benches/cqrs-peer`, --peer-bin) creating at the ceiling's
    /// client counts, in a database of its own on the same server.
    Peer,
    /// gRPC PersonService/CreatePerson at each of --grpc-clients.
    Grpc,
    /// REST POST /api/2.0/crm/contact/person at each of --rest-clients.
    Rest,
    /// gRPC PersonService/UpdatePerson at each of --update-clients (each client changes its own persons).
    Update,
    /// `rollcall projections rebuild` over --rebuild-events synthetic events, in its own database.
    Rebuild,
    /// CRM person lists (REST and gRPC) for a non-admin and an admin over --visibility-contacts persons,
    /// in a database and a service of their own. Only when asked for (it builds a large database).
    Visibility,
    /// --nats-count commands published to P.commands.crm.person.create, until all are in the read model.
    Nats,
    /// --bursts bursts of --burst-size NATS commands, --burst-idle-ms apart (each waits until the
    /// previous one is visible): the longest gap between handled commands after idle periods.
    Bursts,
    /// Command → read-model-visible latency at a steady offered rate (NATS, open loop). When the
    /// service cannot keep up, the backlog it leaves would disturb anything measured after it.
    Visible,
    /// --soak-secs of mixed creates, reads and rejected input; the service's RSS at the start, the peak
    /// and the end, and the publisher's lag. Only when asked for (it takes 10 minutes).
    Soak,
}

/// Every scenario, in the order they run.
pub const ALL: [Scenario; 11] = [
    Scenario::Ceiling,
    Scenario::Peer,
    Scenario::Grpc,
    Scenario::Rest,
    Scenario::Update,
    Scenario::Rebuild,
    Scenario::Visibility,
    Scenario::Nats,
    Scenario::Bursts,
    Scenario::Visible,
    Scenario::Soak,
];

#[derive(Debug, Parser)]
#[command(
    name = "rollcall-bench",
    about = "Drives a running `rollcall serve` and compares it with pgbench ceilings on the same server"
)]
pub struct Args {
    /// Scenarios to run (comma separated); all when unset.
    #[arg(long, env = "BENCH_SCENARIOS", value_delimiter = ',')]
    pub scenarios: Vec<Scenario>,
    /// Short durations and counts (10k NATS commands, 100k rebuild events), for development.
    #[arg(long, env = "BENCH_QUICK", value_parser = clap::builder::BoolishValueParser::new())]
    pub quick: bool,
    /// Only delete the JetStream streams of --nats-prefix (run after the service has stopped).
    #[arg(long)]
    pub cleanup_only: bool,

    /// Base URL of the REST facade.
    #[arg(long, env = "BENCH_HTTP_URL", default_value = "http://127.0.0.1:8080")]
    pub http_url: String,
    /// URL of the gRPC server.
    #[arg(long, env = "BENCH_GRPC_URL", default_value = "http://127.0.0.1:50051")]
    pub grpc_url: String,
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// ROLLCALL_NATS_PREFIX of the service under test.
    #[arg(long, env = "ROLLCALL_NATS_PREFIX", default_value = "rollcall")]
    pub nats_prefix: String,
    /// The service's database (read model polls).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/rollcall"
    )]
    pub database_url: String,
    /// Server URL (no database) where the scratch databases for the ceiling and the rebuild are made.
    #[arg(long, env = "BENCH_PG_SERVER", default_value = "postgres://postgres@127.0.0.1:5432")]
    pub pg_server: String,
    #[arg(long, env = "ROLLCALL_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    #[arg(
        long,
        env = "ROLLCALL_ADMIN_PASSWORD",
        hide_env_values = true,
        default_value = "change-me-now"
    )]
    pub admin_password: String,
    /// Pid of the service, for its peak RSS (VmHWM).
    #[arg(long, env = "BENCH_SERVICE_PID")]
    pub pid: Option<u32>,
    /// The rollcall binary (migrates the scratch databases, runs the rebuild).
    #[arg(long, env = "BENCH_ROLLCALL_BIN", default_value = "target/release/rollcall")]
    pub rollcall_bin: PathBuf,
    /// The cqrs-peer bench executable (scripts/bench.sh builds it and passes it).
    #[arg(long, env = "BENCH_PEER_BIN")]
    pub peer_bin: Option<PathBuf>,
    /// Pool size of the peer (rollcall's default ROLLCALL_DB_MAX_CONNECTIONS).
    #[arg(long, env = "BENCH_PEER_POOL", default_value_t = 16)]
    pub peer_pool: u32,
    #[arg(long, env = "BENCH_PGBENCH", default_value = "pgbench")]
    pub pgbench: PathBuf,
    /// The pgbench scripts (create_one.sql, create_batch100.sql, create_minimal.sql, update_one.sql).
    #[arg(long, env = "BENCH_PGBENCH_DIR", default_value = "benches/pgbench")]
    pub pgbench_dir: PathBuf,
    /// Where the summary table is written as Markdown.
    #[arg(long, env = "BENCH_OUT", default_value = "target/bench/latest.md")]
    pub out: PathBuf,
    /// Where the chart (SVG: throughput against ceilings, command → visible latency) is written.
    #[arg(long, env = "BENCH_CHART", default_value = "target/bench/latest.svg")]
    pub chart: PathBuf,
    /// Tag that makes names unique in this run (databases, person names).
    #[arg(long, env = "BENCH_TAG")]
    pub tag: Option<String>,

    /// Seconds per closed-loop scenario (gRPC, REST, each pgbench run) [10; quick 3].
    #[arg(long, env = "BENCH_SECS")]
    pub secs: Option<u64>,
    #[arg(long, env = "BENCH_GRPC_CLIENTS", value_delimiter = ',', default_value = "1,8,32")]
    pub grpc_clients: Vec<usize>,
    #[arg(long, env = "BENCH_REST_CLIENTS", value_delimiter = ',', default_value = "8,32")]
    pub rest_clients: Vec<usize>,
    /// Client counts of the update scenario and of its ceiling (one update per transaction).
    #[arg(long, env = "BENCH_UPDATE_CLIENTS", value_delimiter = ',', default_value = "32")]
    pub update_clients: Vec<usize>,
    /// Client counts of the single-transaction ceiling (the union of gRPC and REST counts when unset).
    #[arg(long, env = "BENCH_CEILING_CLIENTS", value_delimiter = ',')]
    pub ceiling_clients: Vec<usize>,
    /// Client counts of the batched ceiling (100 creates per transaction); the best one is the ceiling.
    #[arg(long, env = "BENCH_BATCH_CLIENTS", value_delimiter = ',', default_value = "1,8")]
    pub batch_clients: Vec<usize>,
    /// Commands published in the NATS scenario [100000; quick 10000].
    #[arg(long, env = "BENCH_NATS_COUNT")]
    pub nats_count: Option<usize>,
    /// Publish acks kept in flight in the NATS scenario.
    #[arg(long, env = "BENCH_NATS_INFLIGHT", default_value_t = 4096)]
    pub nats_inflight: usize,
    /// Seconds to wait for the read model to hold every published command.
    #[arg(long, env = "BENCH_NATS_TIMEOUT", default_value_t = 900)]
    pub nats_timeout: u64,
    /// Bursts in the bursts scenario [12; quick 4].
    #[arg(long, env = "BENCH_BURSTS")]
    pub bursts: Option<usize>,
    /// Commands per burst.
    #[arg(long, env = "BENCH_BURST_SIZE", default_value_t = 3000)]
    pub burst_size: usize,
    /// Idle milliseconds between bursts (longer than the service's pull expiry).
    #[arg(long, env = "BENCH_BURST_IDLE_MS", default_value_t = 2000)]
    pub burst_idle_ms: u64,
    /// Offered rates (commands/s) of the visibility scenario, run from the lowest up (a rate the service
    /// sustains shows the latency of the path; one above it shows only the growing backlog).
    #[arg(long, env = "BENCH_RATE", value_delimiter = ',', default_value = "5000")]
    pub rate: Vec<u32>,
    /// Seconds of offered load in the visibility scenario [10; quick 3].
    #[arg(long, env = "BENCH_VISIBLE_SECS")]
    pub visible_secs: Option<u64>,
    /// Events in the rebuild scenario [1000000; quick 100000].
    #[arg(long, env = "BENCH_REBUILD_EVENTS")]
    pub rebuild_events: Option<u64>,
    /// Seconds of load in the soak scenario [600; quick 60].
    #[arg(long, env = "BENCH_SOAK_SECS")]
    pub soak_secs: Option<u64>,
    /// Concurrent workers in the soak scenario.
    #[arg(long, env = "BENCH_SOAK_CLIENTS", default_value_t = 8)]
    pub soak_clients: usize,
    /// Persons in the visibility scenario's database (10% private) [1000000; quick 100000].
    #[arg(long, env = "BENCH_VISIBILITY_CONTACTS")]
    pub visibility_contacts: Option<u64>,
    /// Closed-loop client counts of the visibility scenario (each query and viewer at each count).
    #[arg(long, env = "BENCH_VISIBILITY_CLIENTS", value_delimiter = ',', default_value = "1,4")]
    pub visibility_clients: Vec<usize>,
    /// startIndex of the visibility scenario's deep page [a tenth of --visibility-contacts].
    #[arg(long, env = "BENCH_VISIBILITY_DEEP")]
    pub visibility_deep: Option<u64>,
    /// filterValue of the visibility scenario's search (each last name is on ~2% of the persons).
    #[arg(long, env = "BENCH_VISIBILITY_SEARCH", default_value = "kowalski")]
    pub visibility_search: String,
}

impl Args {
    /// Parses the command line, ignoring the `--bench` flag that `cargo bench` adds.
    pub fn load() -> Args {
        Args::parse_from(std::env::args().filter(|a| a != "--bench"))
    }

    /// The scenarios asked for, in run order; all but the soak and the visibility one when none are named.
    pub fn selected(&self) -> Vec<Scenario> {
        ALL.into_iter()
            .filter(|s| match self.scenarios.is_empty() {
                true => !matches!(s, Scenario::Soak | Scenario::Visibility),
                false => self.scenarios.contains(s),
            })
            .collect()
    }

    pub fn soak_duration(&self) -> Duration {
        Duration::from_secs(self.soak_secs.unwrap_or(if self.quick { 60 } else { 600 }))
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.secs.unwrap_or(if self.quick { 3 } else { 10 }))
    }

    pub fn visible_duration(&self) -> Duration {
        Duration::from_secs(self.visible_secs.unwrap_or(if self.quick { 3 } else { 10 }))
    }

    pub fn nats_count(&self) -> usize {
        self.nats_count.unwrap_or(if self.quick { 10_000 } else { 100_000 })
    }

    pub fn bursts(&self) -> usize {
        self.bursts.unwrap_or(if self.quick { 4 } else { 12 })
    }

    pub fn rebuild_events(&self) -> u64 {
        self.rebuild_events
            .unwrap_or(if self.quick { 100_000 } else { 1_000_000 })
    }

    pub fn visibility_contacts(&self) -> u64 {
        self.visibility_contacts
            .unwrap_or(if self.quick { 100_000 } else { 1_000_000 })
    }

    pub fn ceiling_clients(&self) -> Vec<usize> {
        let mut v = if self.ceiling_clients.is_empty() {
            [&self.grpc_clients[..], &self.rest_clients[..]].concat()
        } else {
            self.ceiling_clients.clone()
        };
        v.sort_unstable();
        v.dedup();
        v
    }
}
