//! The composition root: database, migrations, the application, the projector, the identity channel,
//! the owner, and every server, all run under one cancellation token.

use std::future::Future;
use std::net::SocketAddr;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::application::{App, AppError};
use crate::config::Settings;
use crate::nats::events::Publisher;
use crate::nats::names::Names;
use crate::ops::Ops;
use crate::persistence::{identity_channel, pool};
use crate::read_model::{self, projector::Projector};
use crate::shutdown::TaskError;
use crate::{grpc, http, nats};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot reach or prepare the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the portal owner: {0}")]
    Owner(#[source] AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot connect to NATS: {0}")]
    Nats(#[from] async_nats::ConnectError),
}

/// Why a started service stopped with a failure: the first task that ended unasked, or failed while
/// stopping. `Display` is the one line `main` prints.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    /// A task ended before shutdown was asked for (with its error, if it returned one).
    #[error("{task} ended unexpectedly")]
    Unexpected {
        task: &'static str,
        #[source]
        source: Option<TaskError>,
    },
    /// A task failed while the service was stopping.
    #[error("{task}: {source}")]
    Failed {
        task: &'static str,
        #[source]
        source: TaskError,
    },
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })
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
    /// Where the servers actually listen (the configured port may be 0).
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub nats: async_nats::Client,
    pool: PgPool,
    shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, Result<(), TaskError>)>,
}

/// Starts everything; the tasks stop when `shutdown` is cancelled.
pub async fn start(settings: &Settings, shutdown: CancellationToken) -> Result<Running, StartupError> {
    let pool = prepare_database(settings).await?;
    let http_listener = bind(settings.http_addr).await?;
    let grpc_listener = bind(settings.grpc_addr).await?;
    let nats = nats::connect(&settings.nats_url).await?;
    let (signals, sources) = read_model::signals();
    let progress = signals.progress.clone();
    let app = App::new(pool.clone(), settings, signals);
    let mut running = Running {
        app,
        http_addr: local_addr(&http_listener)?,
        grpc_addr: local_addr(&grpc_listener)?,
        nats,
        pool: pool.clone(),
        shutdown: shutdown.clone(),
        tasks: JoinSet::new(),
    };

    let publisher = Publisher::new(
        pool.clone(),
        running.nats.clone(),
        settings.nats_prefix.clone(),
        progress,
        running.app.metrics(),
    );
    let token = shutdown.clone();
    running.spawn("event publisher", async move {
        publisher.run(token).await;
        Ok::<_, TaskError>(())
    });
    // Until it listens, the identity cache is bypassed: requests read the user's stream.
    let (identities, token, pool_for_identities) = (running.app.identities(), shutdown.clone(), pool.clone());
    running.spawn("identity channel", async move {
        identity_channel::run(pool_for_identities, identities, token).await;
        Ok::<_, TaskError>(())
    });
    let projector = Projector::new(pool.clone(), sources);
    let token = shutdown.clone();
    running.spawn("projector", async move {
        projector.run(token).await;
        Ok::<_, TaskError>(())
    });

    match &settings.admin {
        Some(admin) => {
            if let Err(e) = running.app.ensure_owner(admin).await {
                running.shutdown.cancel();
                return Err(StartupError::Owner(e));
            }
        }
        // Extra instances usually leave them unset; warn only when nobody could ever log in.
        None if running.app.owner_exists().await.unwrap_or(false) => {}
        None => tracing::warn!(
            "ROLLCALL_ADMIN_EMAIL/ROLLCALL_ADMIN_PASSWORD are not set and no owner exists: nobody can log in"
        ),
    }

    let ops = Ops::new(
        pool.clone(),
        running.nats.clone(),
        Names::new(settings.nats_prefix.clone()),
        running.app.metrics(),
        settings.projector_stall,
    );
    let (app, token) = (running.app.clone(), shutdown.clone());
    let read_timeout = settings.http_read_timeout;
    running.spawn(
        "http",
        http::serve(http_listener, app, ops.clone(), read_timeout, token),
    );
    let (app, token) = (running.app.clone(), shutdown.clone());
    running.spawn("grpc", grpc::serve(grpc_listener, app, ops, token));
    let (app, token) = (running.app.clone(), shutdown.clone());
    running.spawn(
        "nats",
        nats::run(running.nats.clone(), settings.nats_prefix.clone(), app, token),
    );
    tracing::info!(http = %running.http_addr, grpc = %running.grpc_addr, "rollcall is serving");
    Ok(running)
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, StartupError> {
    listener.local_addr().map_err(|source| StartupError::Bind {
        addr: "0.0.0.0:0".parse().expect("valid"),
        source,
    })
}

impl Running {
    fn spawn<E: Into<TaskError>>(
        &mut self,
        name: &'static str,
        task: impl Future<Output = Result<(), E>> + Send + 'static,
    ) {
        self.tasks.spawn(async move { (name, task.await.map_err(Into::into)) });
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until every task has stopped. A task that ends before shutdown was asked for stops the
    /// others; the result says whether everything ended cleanly.
    pub async fn stopped(mut self) -> Result<(), StopError> {
        let mut failure = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (name, result) = joined.unwrap_or_else(|e| ("task", Err(TaskError::Panicked(e))));
            if let Err(e) = &result {
                tracing::error!(task = name, error = %e, "task failed");
            }
            if !self.shutdown.is_cancelled() {
                tracing::error!(task = name, "task ended before shutdown; stopping the service");
                failure.get_or_insert(StopError::Unexpected {
                    task: name,
                    source: result.err(),
                });
                self.shutdown.cancel();
            } else if let Err(source) = result {
                failure.get_or_insert(StopError::Failed { task: name, source });
            }
        }
        self.pool.close().await;
        tracing::info!("rollcall stopped");
        failure.map_or(Ok(()), Err)
    }
}
