//! Changing portal users after their creation: profile, email, password, deletion and administrator
//! rights (terminating and retyping many at once is in `people_bulk.rs`). Who may change whom is the
//! User aggregate's own rule, decided with each change on the state it changes; a change may expect a
//! version (412 otherwise) and carry an idempotency key, and its answer waits for the read model.

use secrecy::{ExposeSecret, SecretString};
use tracing::instrument;
use uuid::Uuid;

use super::commands::now;
use super::store::{Decided, KeyCheck, Order};
use super::{App, AppError, Expect, RequestMeta};
use crate::domain::user::{UpdateUser, User, UserCommand, UserError, UserPatch};
use crate::domain::values::{Email, non_blank};
use crate::persistence::claims::{self, Claim};
use crate::read_model::users::{self, UserView};

impl App {
    /// `PUT people/{userid}`: what the patch leaves out keeps its value; `disable` terminates (`true`)
    /// or reactivates (`false`) the user, `is_visitor` retypes them.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, user_id = %id))]
    pub async fn update_user(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        patch: UserPatch,
        expect: Expect,
    ) -> Result<UserView, AppError> {
        let content = serde_json::to_vec(&patch).map_err(AppError::internal)?;
        // `department` moves the user between groups, in the statement that records the change.
        let joins = match &patch.department {
            Some(department) => self.department_changes(meta, id, department).await?,
            None => Vec::new(),
        };
        let command = UserCommand::Update(Box::new(UpdateUser {
            patch,
            by: meta.actor.editor(),
            at: now(),
        }));
        let name = "people.user.update";
        let work = async {
            let order = self.user_change_order(meta, name, id, command, &[&content], expect)?;
            self.execute_with(&self.inner.user_services, order, &(), joins).await
        };
        let (decided, joined) = self.observed(meta, name, work).await?;
        self.groups_projected(&joined).await?;
        self.user_answer(id, decided).await
    }

    /// `PUT people/{userid}/email`: the user's claim moves to `email` (lower-cased, as ONLYOFFICE does)
    /// in the transaction that records the change, so the old address is free at once; an address
    /// another user holds is `EmailTaken`.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, user_id = %id))]
    pub async fn change_user_email(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        email: &str,
        expect: Expect,
    ) -> Result<UserView, AppError> {
        let decided = self
            .observed(meta, "people.user.email", self.email_changed(meta, id, email, expect))
            .await?;
        self.user_answer(id, decided).await
    }

    async fn email_changed(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        email: &str,
        expect: Expect,
    ) -> Result<Decided<User>, AppError> {
        let email = non_blank(email).ok_or(UserError::EmailRequired)?;
        let email = Email::parse(&email.to_ascii_lowercase()).ok_or(UserError::EmailInvalid)?;
        // The rights first: who may not change this user's email learns nothing about who holds it.
        let user = self.load_user(id).await?.filter(|u| !u.deleted);
        user.ok_or(AppError::NotFound("user"))?
            .may_change_credentials(meta.actor.editor())?;
        let key = email.key();
        if !claims::take(self.pool(), Claim::Emails, &key, id, self.inner.claim_grace).await? {
            return Err(AppError::EmailTaken);
        }
        let command = UserCommand::ChangeEmail {
            email,
            by: meta.actor.editor(),
        };
        let decided = self
            .user_decided(meta, "people.user.email", id, command, &[key.as_bytes()], expect)
            .await;
        if decided.is_err() {
            // Only an unconfirmed claim is released: never the address the user holds already.
            if let Err(e) = claims::release(self.pool(), Claim::Emails, &key, id).await {
                tracing::warn!(error = %e, "could not release a claim; it expires after the grace period");
            }
        }
        decided
    }

    /// `PUT people/{userid}/password`: stored as an argon2id hash only. Every token of the user issued
    /// before is refused from then on (the caller's own included).
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, user_id = %id))]
    pub async fn change_user_password(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        password: SecretString,
        expect: Expect,
    ) -> Result<UserView, AppError> {
        let content = password.expose_secret().as_bytes().to_vec();
        let command = UserCommand::ChangePassword {
            password,
            by: meta.actor.editor(),
        };
        let decided = self
            .user_change(meta, "people.user.password", id, command, &[&content], expect)
            .await?;
        self.user_answer(id, decided).await
    }

    /// `DELETE people/{userid}`: a terminated user, never the owner; answers with the user as they were.
    /// Their email and user name are free once this answers.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, user_id = %id))]
    pub async fn delete_user(&self, meta: &RequestMeta, id: Uuid, expect: Expect) -> Result<UserView, AppError> {
        let before = users::get(self.pool(), id).await?;
        let command = UserCommand::Delete {
            by: meta.actor.editor(),
        };
        let decided = self
            .user_change(meta, "people.user.delete", id, command, &[], expect)
            .await?;
        self.projected(|| async { Ok(users::get(self.pool(), id).await?.is_none().then_some(())) })
            .await?;
        tracing::info!(user_id = %id, "user deleted");
        let view = match before {
            Some(view) => view,
            None => decided
                .aggregate
                .record()
                .map(|r| UserView::from_record(r, decided.version))
                .ok_or(AppError::NotFound("user"))?,
        };
        Ok(UserView {
            version: decided.version,
            ..view
        })
    }

    /// `PUT settings/security/administrator`: grants or revokes administrator rights over the whole
    /// portal; only the owner may, and the owner's own cannot be revoked.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, user_id = %id))]
    pub async fn set_administrator(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        administrator: bool,
        expect: Expect,
    ) -> Result<UserView, AppError> {
        let command = UserCommand::SetAdministrator {
            administrator,
            by: meta.actor.editor(),
        };
        let content = [u8::from(administrator)];
        let decided = self
            .user_change(meta, "people.user.administrator", id, command, &[&content], expect)
            .await?;
        self.user_answer(id, decided).await
    }

    /// Decides and appends one change of user `id`, recording its outcome under `name`; `content` is
    /// what an idempotency key's fingerprint covers (with the name, the actor and the user).
    pub(super) async fn user_change(
        &self,
        meta: &RequestMeta,
        name: &'static str,
        id: Uuid,
        command: UserCommand,
        content: &[&[u8]],
        expect: Expect,
    ) -> Result<Decided<User>, AppError> {
        self.observed(meta, name, self.user_decided(meta, name, id, command, content, expect))
            .await
    }

    /// `user_change` without recording the outcome (for a caller that records its own).
    async fn user_decided(
        &self,
        meta: &RequestMeta,
        name: &'static str,
        id: Uuid,
        command: UserCommand,
        content: &[&[u8]],
        expect: Expect,
    ) -> Result<Decided<User>, AppError> {
        let order = self.user_change_order(meta, name, id, command, content, expect)?;
        self.execute(&self.inner.user_services, order).await
    }

    /// The write path's order for one change of user `id`, with its idempotency key checked.
    fn user_change_order(
        &self,
        meta: &RequestMeta,
        name: &'static str,
        id: Uuid,
        command: UserCommand,
        content: &[&[u8]],
        expect: Expect,
    ) -> Result<Order<User>, AppError> {
        let key = self.key_check(meta, name, &id.to_string(), || Ok(content.concat()))?;
        Ok(user_order(meta, id, command, expect, key))
    }

    /// The user once the read model shows `decided`'s version (read-your-writes), else built from the
    /// decided record.
    pub(super) async fn user_answer(&self, id: Uuid, decided: Decided<User>) -> Result<UserView, AppError> {
        let version = decided.version;
        let reached = || async { Ok(users::get(self.pool(), id).await?.filter(|v| v.version >= version)) };
        if let Some(view) = self.projected(reached).await? {
            return Ok(view);
        }
        decided
            .aggregate
            .live()
            .map(|r| UserView::from_record(r, version))
            .ok_or(AppError::NotFound("user"))
    }
}

/// One change of user `id` for the write path: on the user's current state, which must exist.
pub(super) fn user_order(
    meta: &RequestMeta,
    id: Uuid,
    command: UserCommand,
    expect: Expect,
    key: Option<KeyCheck>,
) -> Order<User> {
    Order {
        expected: expect.version,
        key,
        ..Order::change(id.to_string(), command, meta)
    }
}
