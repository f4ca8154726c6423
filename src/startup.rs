//! The composition root: database, migrations, the application, the owner, and every server, all
//! run under one cancellation token.

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::application::{App, AppError};
use crate::config::Settings;
use crate::persistence::pool;

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

/// A built service: the application and what it runs on.
pub struct Application {
    pub app: App,
    pool: PgPool,
}

impl Application {
    /// Prepares the database, builds the application and makes sure the owner exists.
    pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
        let pool = prepare_database(settings).await?;
        let app = App::new(pool.clone(), settings);
        match &settings.admin {
            Some(admin) => app.ensure_owner(admin).await.map_err(StartupError::Owner)?,
            None => tracing::warn!(
                "ROLLCALL_ADMIN_EMAIL/ROLLCALL_ADMIN_PASSWORD are not set: no owner is created"
            ),
        }
        Ok(Application { app, pool })
    }

    /// Runs until `shutdown` is cancelled, then closes the pool.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        tracing::info!("rollcall is serving");
        shutdown.cancelled().await;
        self.pool.close().await;
        tracing::info!("rollcall stopped");
    }
}
