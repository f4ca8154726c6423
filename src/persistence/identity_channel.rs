//! The identity channel: every append of user events notifies [`CHANNEL`] with each user's id (in the
//! append's own statement, so the notification is delivered at commit and only if it commits), and
//! every instance listens here to evict those users from its identity cache (docs/DESIGN-NOTES.md §11).
//!
//! The listener owns one connection of its own (not one of the pool's). While it is not listening (before
//! the first LISTEN, after a lost connection) the cache is told so and bypassed; each new LISTEN starts
//! it empty, as notifications may have been missed in between.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backoff::{self, Attempts, Backoff};

/// The channel user changes are announced on; the payload is the user's id.
pub const CHANNEL: &str = "rollcall_identity";

/// The aggregate type whose appends notify [`CHANNEL`] (`domain::user::User`'s).
pub const AGGREGATE_TYPE: &str = "User";

/// What the listener tells the cache.
pub trait Evictions: Send + Sync + 'static {
    /// LISTEN succeeded: start empty and trust what is loaded from now on.
    fn listening(&self);
    /// The connection is gone: trust nothing until `listening` again.
    fn lost(&self);
    /// `user` changed.
    fn evict(&self, user: Uuid);
    /// Something changed that cannot be told apart: forget everyone.
    fn evict_everyone(&self);
}

/// Listens until `shutdown`, reconnecting after a failure with `Backoff::IDENTITY_CHANNEL`.
pub async fn run(pool: PgPool, cache: std::sync::Arc<dyn Evictions>, shutdown: CancellationToken) {
    let options = (*pool.connect_options()).clone().application_name("rollcall-identity");
    let own = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let mut attempts = Backoff::IDENTITY_CHANNEL.start();
    while !shutdown.is_cancelled() {
        match listen(&own, cache.as_ref(), &mut attempts, &shutdown).await {
            Ok(()) => break,
            Err(e) => {
                cache.lost();
                tracing::warn!(error = %e, "identity channel lost; the identity cache is bypassed until it listens again");
            }
        }
        let delay = attempts.next_delay().unwrap_or(Backoff::IDENTITY_CHANNEL.max);
        if !backoff::sleep(delay, &shutdown).await {
            break;
        }
    }
    cache.lost();
    own.close().await;
}

/// One connection's life: LISTEN, then evict what is announced; `Ok` only at shutdown.
/// A LISTEN that succeeds resets `attempts`: the next loss waits from the first delay again.
async fn listen(
    own: &PgPool,
    cache: &dyn Evictions,
    attempts: &mut Attempts,
    shutdown: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(own).await?;
    // A lost connection is reported, never silently re-established: notifications may be lost with it.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    cache.listening();
    attempts.reset();
    tracing::info!("identity channel listening; the identity cache is trusted");
    loop {
        let received = tokio::select! {
            received = listener.try_recv() => received?,
            () = shutdown.cancelled() => return Ok(()),
        };
        let Some(notification) = received else {
            return Err(sqlx::Error::Io(std::io::ErrorKind::ConnectionAborted.into()));
        };
        match Uuid::parse_str(notification.payload()) {
            Ok(user) => cache.evict(user),
            Err(_) => {
                tracing::warn!("an identity notification without a user id; the identity cache is cleared");
                cache.evict_everyone();
            }
        }
    }
}
