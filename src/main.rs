//! The `rollcall` binary: parse settings, start tracing, run the chosen command.

use std::process::ExitCode;

use clap::Parser;
use rollcall::config::{Cli, Command, Settings};
use rollcall::startup::{Application, prepare_database};
use rollcall::{shutdown, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
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
            .map(|_| tracing::info!("migrations applied")),
        Command::Serve => match Application::build(&settings).await {
            Ok(app) => {
                app.run_until_stopped(shutdown::on_signal()).await;
                Ok(())
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
