//! What every create shares: an id bound to the idempotency key, and the answer read back from the
//! read model once the projector has applied it (read-your-writes), else built from the decided event.

use std::future::Future;

use chrono::Utc;

use super::store::{KeyCheck, KeyClaim, Stream};
use super::{Actor, App, AppError, RequestError, RequestMeta};
use crate::domain::company::{Company, CompanyCommand, CompanyError, CreateCompany};
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonError};
use crate::domain::user::{User, UserError};
use crate::domain::values::ShareType;
use crate::persistence::idempotency::{self, KeyOutcome};
use crate::read_model::inline::{self, InlineRow};
use crate::read_model::persons::Creator;

/// "Now", at the precision the read models keep (microseconds, as every `ApiDateTime`).
pub(super) fn now() -> ApiDateTime {
    ApiDateTime::from_utc(Utc::now())
}

impl Stream for Person {
    fn already_created(e: &PersonError) -> bool {
        *e == PersonError::AlreadyCreated
    }

    fn permits(&self, actor: &Actor) -> Result<(), AppError> {
        let r = self.live().ok_or(AppError::NotFound("person"))?;
        contact_rights(actor, r.fields.share_type, &r.fields.managers, "person")
    }

    fn inline_row(&self, version: i64) -> Option<InlineRow> {
        inline::person(self, version)
    }

    fn retarget(command: &PersonCommand, id: &str) -> Option<PersonCommand> {
        match command {
            PersonCommand::Create(create) => Some(PersonCommand::Create(CreatePerson {
                id: id.parse().ok()?,
                ..create.clone()
            })),
            _ => None,
        }
    }
}

impl Stream for Company {
    fn already_created(e: &CompanyError) -> bool {
        *e == CompanyError::AlreadyCreated
    }

    fn permits(&self, actor: &Actor) -> Result<(), AppError> {
        let r = self.live().ok_or(AppError::NotFound("company"))?;
        contact_rights(actor, r.fields.share_type, &r.fields.managers, "company")
    }

    fn inline_row(&self, version: i64) -> Option<InlineRow> {
        inline::company(self, version)
    }

    fn retarget(command: &CompanyCommand, id: &str) -> Option<CompanyCommand> {
        match command {
            CompanyCommand::Create(create) => Some(CompanyCommand::Create(CreateCompany {
                id: id.parse().ok()?,
                ..create.clone()
            })),
            _ => None,
        }
    }
}

impl Stream for User {
    fn already_created(e: &UserError) -> bool {
        *e == UserError::AlreadyCreated
    }

    /// A user that does not exist (any more) is not found; who may change whom is decided by the
    /// user's own rules with each command (`domain/user/decide.rs`), on this same state.
    fn permits(&self, _actor: &Actor) -> Result<(), AppError> {
        self.live().map(|_| ()).ok_or(AppError::NotFound("user"))
    }
}

/// The creator of what `actor` creates, as the views show it (`createBy`): the actor's user, or no
/// details for the service itself (no user behind it, as the users view would say).
pub(super) fn creator(actor: &Actor) -> Creator {
    let known = !actor.id.is_nil();
    Creator {
        id: actor.id,
        user_name: known.then(|| actor.user_name.clone()),
        display_name: known.then(|| actor.display_name.clone()),
        title: actor.title.clone().filter(|_| known),
    }
}

/// A CRM contact change: visitors have no CRM access, a contact the caller may not see does not exist
/// for them, and one they may see but not edit is forbidden.
pub(super) fn contact_rights(
    actor: &Actor,
    share: ShareType,
    managers: &[uuid::Uuid],
    what: &'static str,
) -> Result<(), AppError> {
    if actor.is_visitor {
        return Err(AppError::Forbidden("visitors have no access to the CRM"));
    }
    if !actor.may_see(share, managers) {
        return Err(AppError::NotFound(what));
    }
    if !actor.may_edit(share, managers) {
        return Err(AppError::Forbidden("you may not change this contact"));
    }
    Ok(())
}

/// The id to create, and whether it is bound to an idempotency key.
pub(super) struct Target {
    pub id: String,
    /// Whoever created this id did so for this very request: "already created" means success.
    pub keyed: bool,
    /// The key was used before: an earlier request may have created the aggregate already.
    pub replay: bool,
}

impl App {
    /// `candidate`, or the id an earlier request of the same actor with the same key and content
    /// recorded. Keys are scoped to their actor: another user's key never collides.
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
                replay: false,
            });
        };
        let fingerprint = self.fingerprint(command, meta, content);
        match idempotency::begin(self.pool(), meta.actor.id, key, command, &fingerprint, &candidate).await? {
            KeyOutcome::Fresh(id) => Ok(Target {
                id,
                keyed: true,
                replay: false,
            }),
            KeyOutcome::Replay(id) => Ok(Target {
                id,
                keyed: true,
                replay: true,
            }),
            KeyOutcome::Mismatch => Err(AppError::KeyReused),
        }
    }

    /// The key a create records with its event (`Order::claim`): `None` without a key; otherwise the key,
    /// `command` and the fingerprint of the request (`content` is only built then), as [`App::target`]
    /// records them, so a retry meets either's record.
    pub(super) fn key_claim(
        &self,
        meta: &RequestMeta,
        command: &'static str,
        content: impl FnOnce() -> Result<Vec<u8>, AppError>,
    ) -> Result<Option<KeyClaim>, AppError> {
        let Some(key) = self.idempotency_key(meta)? else {
            return Ok(None);
        };
        let body = content()?;
        Ok(Some(KeyClaim {
            key: key.to_string(),
            command,
            fingerprint: self.fingerprint(command, meta, &[&body]),
        }))
    }

    /// The request's idempotency key, checked for length and control characters (a NATS header or a
    /// protobuf `request_id` can carry them; PostgreSQL cannot store U+0000).
    pub(super) fn idempotency_key<'m>(&self, meta: &'m RequestMeta) -> Result<Option<&'m str>, AppError> {
        match meta.idempotency_key.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(k) if k.len() > super::MAX_IDEMPOTENCY_KEY => Err(RequestError::IdempotencyKeyTooLong.into()),
            Some(k) if crate::domain::text::check(k).is_err() => Err(RequestError::IdempotencyKeyControl.into()),
            Some(k) => Ok(Some(k)),
        }
    }

    /// The idempotency check of a change to the stream `subject` by command `name`: `None` without a
    /// key; otherwise the key and the fingerprint of the request (`content` is only built then).
    pub(super) fn key_check(
        &self,
        meta: &RequestMeta,
        name: &str,
        subject: &str,
        content: impl FnOnce() -> Result<Vec<u8>, AppError>,
    ) -> Result<Option<KeyCheck>, AppError> {
        let Some(key) = self.idempotency_key(meta)? else {
            return Ok(None);
        };
        let body = content()?;
        Ok(Some(KeyCheck {
            key: key.to_string(),
            fingerprint: self.fingerprint(name, meta, &[subject.as_bytes(), &body]),
        }))
    }

    /// A keyed hash of the command name, the actor and the content.
    pub(super) fn fingerprint(&self, command: &str, meta: &RequestMeta, content: &[&[u8]]) -> String {
        let actor = meta.actor.id.to_string();
        let mut parts: Vec<&[u8]> = vec![command.as_bytes(), actor.as_bytes()];
        parts.extend_from_slice(content);
        self.inner.tokens.fingerprint(&parts)
    }

    /// The view of an aggregate just created: from the read model once it has applied the aggregate's
    /// event, or else (after the read-your-writes bound) `from_event`, built from the decided event.
    /// Every aggregate here has exactly one event, so its row existing means the view has applied it.
    pub(super) async fn created_view<V, F, Fut>(
        &self,
        fetch: F,
        from_event: impl FnOnce() -> Option<V>,
    ) -> Result<V, AppError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<V>, sqlx::Error>>,
    {
        if let Some(view) = self.projected(&fetch).await? {
            return Ok(view);
        }
        from_event().ok_or_else(|| AppError::Internal("a created aggregate without its record".into()))
    }
}
