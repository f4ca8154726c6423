//! The application: the whole interface the REST, gRPC and NATS adapters use. It authenticates and
//! authorizes, allocates ids, handles idempotency keys and unique-email claims, runs commands through
//! the aggregates, and answers with the views, pages and typed rejections re-exported here.

pub mod auth;
mod batch;
mod commands;
mod companies;
mod contacts;
mod error;
mod gather;
mod gather_changes;
mod groups;
mod identities;
mod ids;
mod kept;
mod metadata;
mod observe;
mod people;
mod people_bulk;
mod persons;
mod photos;
mod sessions;
mod store;
mod users;
mod visibility;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

pub use companies::Contact;
pub use contacts::Expect;
pub use error::{AppError, CLAIM_LOST, Rejection, RequestError};
pub use identities::Identities;
pub use metadata::{Actor, MAX_IDEMPOTENCY_KEY, RequestMeta, Source};
pub use photos::PhotoUpload;
pub use sessions::{Actors, IssuedToken};

// What the adapters read: the views, pages and queries the application answers with. Adapters import
// them from here, never from the read model, so the read model can change behind this interface.
pub use crate::domain::field::Field;
pub use crate::persistence::photos::Photo;
pub use crate::read_model::companies::CompanyView;
pub use crate::read_model::groups::{GroupRef, GroupView};
pub use crate::read_model::persons::{CompanyRef, Creator, PersonView};
pub use crate::read_model::users::{UserFilter, UserView};
pub use crate::read_model::{DEFAULT_COUNT, ListQuery, MAX_COUNT, Page, Signals, SortOrder, signals};

use crate::config::Settings;
use crate::domain::user::PasswordHasher;
use crate::metrics::Metrics;
use auth::{Argon2Hasher, Tokens};

/// Cheap to clone; every clone shares the same pool and frameworks.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    /// The users' aggregate service (hashing), also used to verify passwords at login.
    hasher: Arc<Argon2Hasher>,
    /// The same hasher as the User aggregate's services.
    user_services: Arc<dyn PasswordHasher>,
    tokens: Tokens,
    claim_grace: Duration,
    read_your_writes: Duration,
    signals: Signals,
    metrics: Arc<Metrics>,
    /// Commands on one stream queue here rather than race each other to the append (striped by
    /// stream, a fixed number of locks); other instances' writers are met by the version check.
    stripes: Vec<tokio::sync::Mutex<()>>,
    contact_ids: ids::ContactIds,
    /// Single person creates waiting to be committed together (`gather`).
    gather: gather::Gather,
    /// Changes of persons and of companies waiting to be committed together (`gather_changes`).
    person_changes: gather_changes::Changes<crate::domain::person::Person>,
    company_changes: gather_changes::Changes<crate::domain::company::Company>,
    /// Who each token's user is, kept exact by the user lifecycle (`identities`).
    identities: Arc<Identities>,
    /// Streams this instance changed lately, as their events make them (`kept`).
    kept: kept::Kept,
}

/// How many stream locks an instance keeps.
const STRIPES: usize = 256;

impl App {
    /// Builds the application on an open, migrated pool.
    pub fn new(pool: PgPool, settings: &Settings, signals: Signals) -> App {
        let hasher = Arc::new(Argon2Hasher::default());
        App {
            inner: Arc::new(Inner {
                user_services: hasher.clone(),
                hasher,
                tokens: Tokens::new(settings.auth.secret.clone(), settings.auth.token_ttl),
                claim_grace: settings.claim_grace,
                read_your_writes: settings.read_your_writes,
                signals,
                metrics: Arc::new(Metrics::new()),
                stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
                contact_ids: ids::ContactIds::default(),
                gather: gather::Gather::default(),
                person_changes: gather_changes::Changes::default(),
                company_changes: gather_changes::Changes::default(),
                identities: Arc::new(Identities::default()),
                kept: kept::Kept::default(),
                pool,
            }),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The identity cache, for the channel that keeps it exact (`startup`) and for tests.
    pub fn identities(&self) -> Arc<Identities> {
        self.inner.identities.clone()
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
