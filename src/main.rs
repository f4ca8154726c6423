//! The `rollcall` binary: parse settings, start tracing, run the chosen command.
// One exception, below: the allocator tuning that keeps memory from growing under load.
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

fn main() -> ExitCode {
    // Before the runtime starts its threads: allocator parameters are process-wide.
    keep_large_blocks_out_of_the_heap();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Pins glibc's mmap threshold at its default (128 KiB), which also turns its dynamic raising off.
/// glibc otherwise raises the threshold (up to 32 MiB) the first time a large block is freed
/// (argon2id's 19 MiB, a 1 MiB request body) and then serves large blocks from its per-thread arenas,
/// which keep them once freed: a 2-minute soak took RSS from 35 MiB to 900 MiB, for good
/// (BENCHMARKS.md, "Memory over time"). Pinned, large blocks are mapped and unmapped as they come.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_large_blocks_out_of_the_heap() {
    // SAFETY: mallopt only sets an allocator parameter, and runs before any other thread exists.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    if set != 1 {
        eprintln!("warning: mallopt(M_MMAP_THRESHOLD) failed; memory may grow under load");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_blocks_out_of_the_heap() {}

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
