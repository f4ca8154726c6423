//! The `rollcall` binary: parse settings, start tracing, run the chosen command.
#![deny(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use rollcall::config::{Cli, Command, ProjectionsCommand, Settings};
use rollcall::read_model::{projector::ProjectionError, rebuild};
use rollcall::startup::{self, StartupError, StopError, prepare_database};
use rollcall::{shutdown, telemetry};

/// Why a command failed; `Display` is the one line logged before exiting non-zero.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Stopped(#[from] StopError),
    #[error(transparent)]
    Rebuild(#[from] ProjectionError),
}

/// mimalloc, not glibc's malloc: under NATS ingestion glibc's `malloc`/`free`/`malloc_consolidate`
/// took about a third of the service's CPU (BENCHMARKS.md, session 9), and glibc kept large freed blocks
/// (argon2id's 19 MiB, 1 MiB bodies) in per-thread arenas unless its mmap threshold was pinned, which
/// then mapped and unmapped every batch buffer above 128 KiB. mimalloc frees to per-thread pages
/// without locks and returns unused memory to the system on its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.env.log_filter, cli.env.log_format);
    let (settings, generated_secret) = match Settings::from_args(&cli.env) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if generated_secret && matches!(cli.command, Command::Serve) {
        tracing::warn!(
            "ROLLCALL_AUTH_SECRET is not set: using a random one; tokens end with this process and \
             are not accepted by other instances"
        );
    }
    let result = match cli.command {
        Command::Migrate => prepare_database(&settings)
            .await
            .map(|_| tracing::info!("migrations applied"))
            .map_err(Failure::from),
        Command::Serve => match startup::start(&settings, shutdown::on_signal()).await {
            Ok(running) => running.stopped().await.map_err(Failure::from),
            Err(e) => Err(Failure::from(e)),
        },
        Command::Projections {
            command: ProjectionsCommand::Rebuild,
        } => rebuild_projections(&settings).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn rebuild_projections(settings: &Settings) -> Result<(), Failure> {
    let pool = prepare_database(settings).await?;
    let mut last_print = std::time::Instant::now();
    let done = rebuild::rebuild(&pool, |p| {
        if last_print.elapsed().as_secs() >= 1 {
            println!("rebuild: {} events, {:.0} events/s", p.events, p.rate());
            last_print = std::time::Instant::now();
        }
    })
    .await?;
    let secs = |d: Option<std::time::Duration>| d.unwrap_or_default().as_secs_f64();
    println!(
        "rebuild: done, {} events in {:.2} s ({:.0} events/s; fill {:.2} s, indexes {:.2} s); the new read models are live",
        done.events,
        done.elapsed.as_secs_f64(),
        done.rate(),
        secs(done.filled),
        secs(done.indexed),
    );
    Ok(())
}
