//! The composition root: database, migrations, the application, the projector, the owner, and every
//! server, all run under one cancellation token.

use std::future::Future;

use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::application::{App, AppError};
use crate::config::Settings;
use crate::persistence::pool;
use crate::read_model::{self, projector::Projector};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot reach or prepare the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the portal owner: {0}")]
    Owner(#[source] AppError),
}

/// Creates the database if missing, connects and migrates.
pub async fn prepare_database(settings: &Settings) -> Result<PgPool, StartupError> {
    pool::ensure_database(&settings.database).await?;
    let pool = pool::connect(&settings.database).await?;
    pool::migrate(&pool).await?;
    Ok(pool)
}

/// A started service: the application and the tasks that serve it.
pub struct Running {
    pub app: App,
    pool: PgPool,
    shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, Result<(), String>)>,
}

/// Starts everything; the tasks stop when `shutdown` is cancelled.
pub async fn start(
    settings: &Settings,
    shutdown: CancellationToken,
) -> Result<Running, StartupError> {
    let pool = prepare_database(settings).await?;
    let (signals, sources) = read_model::signals();
    let app = App::new(pool.clone(), settings, signals);
    let mut running = Running {
        app,
        pool: pool.clone(),
        shutdown: shutdown.clone(),
        tasks: JoinSet::new(),
    };

    let projector = Projector::new(pool, sources);
    running.spawn("projector", async move {
        projector.run(shutdown).await;
        Ok(())
    });

    match &settings.admin {
        Some(admin) => {
            if let Err(e) = running.app.ensure_owner(admin).await {
                running.shutdown.cancel();
                return Err(StartupError::Owner(e));
            }
        }
        None => tracing::warn!(
            "ROLLCALL_ADMIN_EMAIL/ROLLCALL_ADMIN_PASSWORD are not set: no owner is created"
        ),
    }
    tracing::info!("rollcall is serving");
    Ok(running)
}

impl Running {
    fn spawn(
        &mut self,
        name: &'static str,
        task: impl Future<Output = Result<(), String>> + Send + 'static,
    ) {
        self.tasks.spawn(async move { (name, task.await) });
    }

    /// Waits until every task has stopped. A task that ends before shutdown was asked for stops the
    /// others; the result says whether everything ended cleanly.
    pub async fn stopped(mut self) -> Result<(), String> {
        let mut failure = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (name, result) = joined.unwrap_or(("task", Err("panicked".into())));
            if let Err(e) = &result {
                tracing::error!(task = name, error = %e, "task failed");
            }
            if !self.shutdown.is_cancelled() {
                tracing::error!(
                    task = name,
                    "task ended before shutdown; stopping the service"
                );
                failure.get_or_insert(format!("{name} ended unexpectedly"));
                self.shutdown.cancel();
            } else if let Err(e) = result {
                failure.get_or_insert(format!("{name}: {e}"));
            }
        }
        self.pool.close().await;
        tracing::info!("rollcall stopped");
        failure.map_or(Ok(()), Err)
    }
}
