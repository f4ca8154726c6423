//! What every create shares: an id bound to the idempotency key, a command run with bounded conflict
//! retries, and the answer read back from the read model once the projector has applied it.

use std::future::Future;

use chrono::{SubsecRound, Utc};
use cqrs_es::{Aggregate, AggregateError};
use postgres_es::PostgresCqrs;

use super::error::from_store_error;
use super::{App, AppError, RequestMeta, retry};
use crate::domain::datetime::ApiDateTime;
use crate::persistence::idempotency::{self, KeyOutcome};

/// "Now", at the precision the read models keep (microseconds), so events and views agree.
pub(super) fn now() -> ApiDateTime {
    ApiDateTime::from_utc(Utc::now().trunc_subsecs(6))
}

pub(super) fn key_reused() -> AppError {
    AppError::KeyReused
}

/// The id to create, and whether it is bound to an idempotency key.
pub(super) struct Target {
    pub id: String,
    /// Whoever created this id did so for this very request: "already created" means success.
    pub keyed: bool,
}

impl App {
    /// `candidate`, or the id an earlier request with the same key and content recorded.
    pub(super) async fn target(
        &self,
        meta: &RequestMeta,
        command: &str,
        content: &[&[u8]],
        candidate: String,
    ) -> Result<Target, AppError> {
        let Some(key) = self.idempotency_key(meta)? else {
            return Ok(Target {
                id: candidate,
                keyed: false,
            });
        };
        let fingerprint = self.fingerprint(command, meta, content);
        match idempotency::begin(self.pool(), key, command, &fingerprint, &candidate).await? {
            KeyOutcome::Fresh(id) | KeyOutcome::Replay(id) => Ok(Target { id, keyed: true }),
            KeyOutcome::Mismatch => Err(key_reused()),
        }
    }

    /// Runs a create command, retrying lost concurrency races.
    pub(super) async fn execute_create<A>(
        &self,
        cqrs: &PostgresCqrs<A>,
        meta: &RequestMeta,
        target: &Target,
        command: impl Fn() -> A::Command,
        already_created: impl Fn(&A::Error) -> bool,
    ) -> Result<(), AppError>
    where
        A: Aggregate,
        AppError: From<A::Error>,
    {
        let result =
            retry::on_conflict(|| cqrs.execute_with_metadata(&target.id, command(), meta.event_metadata())).await;
        match result {
            Ok(()) => {}
            Err(AggregateError::UserError(e)) if target.keyed && already_created(&e) => {}
            Err(AggregateError::UserError(e)) => return Err(e.into()),
            Err(e) => return Err(from_store_error(e)),
        }
        self.inner.signals.wake.notify_one();
        Ok(())
    }

    /// The view of an aggregate just created: from the read model once it has applied the aggregate's
    /// event, or else (after the read-your-writes bound) built from the event itself. Every aggregate
    /// here has exactly one event, so its row existing means the view has applied it.
    pub(super) async fn created_view<V, F, Fut, G, GFut>(
        &self,
        aggregate_type: &str,
        id: &str,
        fetch: F,
        from_events: G,
    ) -> Result<V, AppError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<V>, sqlx::Error>>,
        G: FnOnce() -> GFut,
        GFut: Future<Output = Result<Option<V>, AppError>>,
    {
        if let Some(view) = self.projected(&fetch).await? {
            return Ok(view);
        }
        from_events()
            .await?
            .ok_or_else(|| AppError::Internal(format!("created {aggregate_type} {id} not found").into()))
    }
}
