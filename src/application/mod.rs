//! The application: the one API that the REST, gRPC and NATS adapters call. It authenticates and
//! authorizes, allocates ids, handles idempotency keys and unique-email claims, and runs commands
//! through the cqrs-es frameworks with bounded retries on conflicts.

pub mod auth;
mod error;
mod metadata;
mod persons;
mod retry;
mod sessions;
mod users;

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use sqlx::PgPool;

pub use error::{AppError, CLAIM_LOST};
pub use metadata::{Actor, MAX_IDEMPOTENCY_KEY, RequestMeta, Source};
pub use sessions::IssuedToken;

use crate::config::Settings;
use crate::domain::person::Person;
use crate::domain::user::User;
use auth::{Argon2Hasher, Tokens};

/// Cheap to clone; every clone shares the same pool and frameworks.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    persons: PostgresCqrs<Person>,
    users: PostgresCqrs<User>,
    person_store: PersistedEventStore<PostgresEventRepository, Person>,
    user_store: PersistedEventStore<PostgresEventRepository, User>,
    hasher: Arc<Argon2Hasher>,
    tokens: Tokens,
    claim_grace: Duration,
}

impl App {
    /// Builds the application on an open, migrated pool.
    pub fn new(pool: PgPool, settings: &Settings) -> App {
        let hasher = Arc::new(Argon2Hasher::default());
        let store = || PostgresEventRepository::new(pool.clone());
        App {
            inner: Arc::new(Inner {
                persons: postgres_es::postgres_cqrs(pool.clone(), vec![], ()),
                users: postgres_es::postgres_cqrs(pool.clone(), vec![], hasher.clone()),
                person_store: PersistedEventStore::new_event_store(store()),
                user_store: PersistedEventStore::new_event_store(store()),
                hasher,
                tokens: Tokens::new(settings.auth.secret.clone(), settings.auth.token_ttl),
                claim_grace: settings.claim_grace,
                pool,
            }),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }
}
