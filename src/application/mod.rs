//! The application: the one API that the REST, gRPC and NATS adapters call. It authenticates and
//! authorizes, allocates ids, handles idempotency keys and unique-email claims, and runs commands
//! through the cqrs-es frameworks with bounded retries on conflicts.

pub mod auth;
mod batch;
mod commands;
mod companies;
mod error;
mod metadata;
mod observe;
mod persons;
mod photos;
mod retry;
mod sessions;
mod users;

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use sqlx::PgPool;

pub use companies::Contact;
pub use error::{AppError, CLAIM_LOST};
pub use metadata::{Actor, MAX_IDEMPOTENCY_KEY, RequestMeta, Source};
pub use sessions::{Actors, IssuedToken};

use crate::config::Settings;
use crate::domain::company::Company;
use crate::domain::person::Person;
use crate::domain::user::User;
use crate::metrics::Metrics;
use crate::read_model::Signals;
use auth::{Argon2Hasher, Tokens};

/// Cheap to clone; every clone shares the same pool and frameworks.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    persons: PostgresCqrs<Person>,
    companies: PostgresCqrs<Company>,
    users: PostgresCqrs<User>,
    person_store: PersistedEventStore<PostgresEventRepository, Person>,
    company_store: PersistedEventStore<PostgresEventRepository, Company>,
    user_store: PersistedEventStore<PostgresEventRepository, User>,
    hasher: Arc<Argon2Hasher>,
    tokens: Tokens,
    claim_grace: Duration,
    read_your_writes: Duration,
    signals: Signals,
    metrics: Arc<Metrics>,
}

impl App {
    /// Builds the application on an open, migrated pool.
    pub fn new(pool: PgPool, settings: &Settings, signals: Signals) -> App {
        let hasher = Arc::new(Argon2Hasher::default());
        let store = || PostgresEventRepository::new(pool.clone());
        App {
            inner: Arc::new(Inner {
                persons: postgres_es::postgres_cqrs(pool.clone(), vec![], ()),
                companies: postgres_es::postgres_cqrs(pool.clone(), vec![], ()),
                users: postgres_es::postgres_cqrs(pool.clone(), vec![], hasher.clone()),
                person_store: PersistedEventStore::new_event_store(store()),
                company_store: PersistedEventStore::new_event_store(store()),
                user_store: PersistedEventStore::new_event_store(store()),
                hasher,
                tokens: Tokens::new(settings.auth.secret.clone(), settings.auth.token_ttl),
                claim_grace: settings.claim_grace,
                read_your_writes: settings.read_your_writes,
                signals,
                metrics: Arc::new(Metrics::new()),
                pool,
            }),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Polls `fetch` until the projector has written what it looks for, waking the projector and
    /// waiting for its progress in between; `None` after the read-your-writes bound.
    async fn projected<T, F, Fut>(&self, mut fetch: F) -> Result<Option<T>, AppError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, sqlx::Error>>,
    {
        let deadline = tokio::time::Instant::now() + self.inner.read_your_writes;
        let mut progress = self.inner.signals.progress.clone();
        loop {
            if let Some(found) = fetch().await? {
                return Ok(Some(found));
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!("the read model did not catch up in time; answering from the event");
                return Ok(None);
            }
            self.inner.signals.wake.notify_one();
            // Woken by this process's projector as soon as a batch commits, or a short poll for
            // another instance's (or when the projector has stopped).
            let poll = Duration::from_millis(20);
            if let Ok(Err(_)) = tokio::time::timeout(poll, progress.changed()).await {
                tokio::time::sleep(poll).await;
            }
        }
    }
}
