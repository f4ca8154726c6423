//! Creating and reading portal users: admin-only, unique email and user name, idempotent. Changes
//! after the creation are in `people.rs`.

use secrecy::ExposeSecret;
use tracing::instrument;
use uuid::Uuid;

use super::commands::{Target, now};
use super::store::Order;
use super::{Actor, App, AppError, RequestError, RequestMeta};
use crate::domain::user::{CreateUser, User, UserCommand, UserDraft, UserRecord, UserRole};
use crate::domain::values::{Email, UserName, parse_guid};
use crate::persistence::claims::{self, Claim};
use crate::read_model::users::{self, UserFilter, UserKey, UserView};
use crate::read_model::{ListQuery, Page};

const COMMAND: &str = "people.user.create";
/// Most user-name candidates tried (`john`, `john1`, … `john999`).
const MAX_NAME_CANDIDATES: usize = 1_000;

impl App {
    /// Adds a portal user; the caller must be an admin or the owner.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_user(&self, meta: &RequestMeta, draft: UserDraft) -> Result<UserView, AppError> {
        self.observed(meta, COMMAND, self.user_created(meta, draft)).await
    }

    async fn user_created(&self, meta: &RequestMeta, draft: UserDraft) -> Result<UserView, AppError> {
        if !meta.actor.may_add_users() {
            return Err(AppError::Forbidden("only administrators can add users"));
        }
        self.create_user_as(meta, draft, UserRole::Member, None).await
    }

    /// The shared create path; `fixed_id` is used by the bootstrap owner.
    pub(super) async fn create_user_as(
        &self,
        meta: &RequestMeta,
        draft: UserDraft,
        role: UserRole,
        fixed_id: Option<Uuid>,
    ) -> Result<UserView, AppError> {
        let now = now();
        let email = draft.validate(now)?.email;
        let target = match fixed_id {
            Some(id) => Target {
                id: id.to_string(),
                keyed: true,
                replay: true,
            },
            None => {
                let content = serde_json::to_vec(&draft).map_err(AppError::internal)?;
                let password = draft
                    .password
                    .as_ref()
                    .map(|p| p.expose_secret().as_bytes())
                    .unwrap_or_default();
                self.target(meta, COMMAND, &[&content, password], Uuid::new_v4().to_string())
                    .await?
            }
        };
        let id: Uuid = target
            .id
            .parse()
            .map_err(|_| AppError::Internal("corrupt idempotency row".into()))?;
        let user_name = self.claim_identity(&email, id).await?;
        // The user joins the groups its `department` names, in the statement that creates it.
        let joins = self.department_orders(meta, id, &draft.department);
        let created_by = (!meta.actor.is_system()).then_some(meta.actor.id);
        let command = UserCommand::Create(Box::new(CreateUser {
            id,
            user_name: user_name.clone(),
            draft,
            role,
            created_by,
            created_at: now,
        }));
        let order: Order<User> = Order {
            id: target.id.clone(),
            command,
            meta: meta.clone(),
            keyed: target.keyed,
            fresh: !target.replay,
            photo: None,
            expected: None,
            authorize: false,
            key: None,
            claim: None,
        };
        let (decided, joined) = match self.execute_with(&self.inner.user_services, order, &(), joins).await {
            Ok(decided) => decided,
            Err(e) => {
                // Requests sharing a key share the id and its claims: only a definitive rejection (which
                // every such request gets alike) frees them; after a transient failure the claims wait
                // for the retry, or expire after the grace period.
                if !target.keyed || matches!(e, AppError::Invalid(_)) {
                    self.release_identity(&email, &user_name, id).await;
                }
                return Err(e);
            }
        };
        tracing::info!(user_id = %id, keyed = target.keyed, "user created");
        self.groups_projected(&joined).await?;
        let from_event = || {
            decided
                .aggregate
                .record()
                .map(|r| UserView::from_record(r, decided.version))
        };
        self.created_view(|| users::get(self.pool(), id), from_event).await
    }

    /// Claims the email, then the first free user name derived from it, for `id`.
    async fn claim_identity(&self, email: &Email, id: Uuid) -> Result<UserName, AppError> {
        let grace = self.inner.claim_grace;
        if !claims::take(self.pool(), Claim::Emails, &email.key(), id, grace).await? {
            return Err(AppError::EmailTaken);
        }
        for name in UserName::candidates(email).take(MAX_NAME_CANDIDATES) {
            if claims::take(self.pool(), Claim::UserNames, &name.key(), id, grace).await? {
                return Ok(name);
            }
        }
        let _ = claims::release(self.pool(), Claim::Emails, &email.key(), id).await;
        Err(AppError::Conflict("no free user name could be derived from this email"))
    }

    /// Frees the claims of a command that did not create its user (best effort: a leftover
    /// unconfirmed claim expires after the grace period anyway).
    async fn release_identity(&self, email: &Email, name: &UserName, id: Uuid) {
        for (claim, key) in [(Claim::Emails, email.key()), (Claim::UserNames, name.key())] {
            if let Err(e) = claims::release(self.pool(), claim, &key, id).await {
                tracing::warn!(error = %e, "could not release a claim; it expires after the grace period");
            }
        }
    }

    /// A user by GUID.
    pub async fn get_user(&self, _actor: &Actor, id: Uuid) -> Result<UserView, AppError> {
        users::get(self.pool(), id).await?.ok_or(AppError::NotFound("user"))
    }

    /// A user by GUID when `id_or_name` parses as one and such a user exists, else by user name
    /// (case-insensitive), as ONLYOFFICE's `people/{userid}` resolves it.
    pub async fn find_user(&self, actor: &Actor, id_or_name: &str) -> Result<UserView, AppError> {
        let key = id_or_name.trim();
        if key.is_empty() {
            return Err(RequestError::UserIdRequired.into());
        }
        if let Some(guid) = parse_guid(key) {
            match self.get_user(actor, guid).await {
                Err(AppError::NotFound(_)) => {}
                found => return found,
            }
        }
        users::find(self.pool(), UserKey::UserName(key))
            .await?
            .ok_or(AppError::NotFound("user"))
    }

    /// The user `people/{userid}` names in a change: a GUID as it is (changing a user who does not
    /// exist is a 404 of its own), else the user with that user name (case-insensitive).
    pub async fn user_id(&self, actor: &Actor, id_or_name: &str) -> Result<Uuid, AppError> {
        match parse_guid(id_or_name.trim()) {
            Some(id) => Ok(id),
            None => Ok(self.find_user(actor, id_or_name).await?.id),
        }
    }

    /// A user by email (case-insensitive).
    pub async fn get_user_by_email(&self, _actor: &Actor, email: &str) -> Result<UserView, AppError> {
        users::find(self.pool(), UserKey::Email(email))
            .await?
            .ok_or(AppError::NotFound("user"))
    }

    /// Active users filtered (`filter`: the members of a group), sorted and paged; the default order is
    /// by first name.
    pub async fn list_users(
        &self,
        _actor: &Actor,
        query: &ListQuery,
        filter: &UserFilter,
    ) -> Result<Page<UserView>, AppError> {
        if users::sort_column(query.sort_by.as_deref()).is_none() {
            return Err(
                RequestError::SortByUnknown("firstname, lastname, displayName, userName, email, created").into(),
            );
        }
        Ok(users::list(self.pool(), query, filter).await?)
    }

    /// A user as their events make them (the source of truth, not the read model), deleted or not.
    pub(super) async fn load_user(&self, id: Uuid) -> Result<Option<UserRecord>, AppError> {
        let decided = self.load::<User>(&id.to_string()).await?;
        Ok(decided.and_then(|d| d.aggregate.record().cloned()))
    }
}
