//! Changing many users at once, as ONLYOFFICE's `PUT people/status/{status}` and `PUT
//! people/type/{type}` do: administrators only; the owner and the caller are skipped (and, when
//! making visitors, administrators, who cannot be visitors), as are ids that name no user. Every
//! other named user is changed (or already was as asked) and answered, in the order given.

use std::collections::HashSet;

use tracing::instrument;
use uuid::Uuid;

use super::commands::now;
use super::people::user_order;
use super::{App, AppError, Expect, RequestError, RequestMeta};
use crate::domain::user::{User, UserCommand, UserError, UserRecord, UserStatus, UserType};
use crate::read_model::MAX_COUNT;
use crate::read_model::users::UserView;

impl App {
    /// Terminates (`Terminated`) or reactivates (`Active`) the users `ids`; answers the users set.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, users = ids.len()))]
    pub async fn set_user_status(
        &self,
        meta: &RequestMeta,
        ids: &[Uuid],
        status: UserStatus,
    ) -> Result<Vec<UserView>, AppError> {
        if status == UserStatus::LeaveOfAbsence {
            return Err(UserError::StatusNotSettable.into());
        }
        let at = now();
        let by = meta.actor.editor();
        let work = self.set_each(meta, ids, |_| true, UserCommand::SetStatus { status, by, at });
        self.observed(meta, "people.user.status", work).await
    }

    /// Makes the users `ids` full users (`User`) or visitors (`Visitor`); answers the users set.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, users = ids.len()))]
    pub async fn set_user_type(
        &self,
        meta: &RequestMeta,
        ids: &[Uuid],
        user_type: UserType,
    ) -> Result<Vec<UserView>, AppError> {
        let by = meta.actor.editor();
        let eligible = |u: &UserRecord| !(user_type == UserType::Visitor && u.is_admin);
        let work = self.set_each(meta, ids, eligible, UserCommand::SetType { user_type, by });
        self.observed(meta, "people.user.type", work).await
    }

    /// Runs `command` on every user of `ids` that exists, is neither the owner nor the caller and is
    /// `eligible`, in one append (the write path decides each on its own state); the users as set.
    async fn set_each(
        &self,
        meta: &RequestMeta,
        ids: &[Uuid],
        eligible: impl Fn(&UserRecord) -> bool,
        command: UserCommand,
    ) -> Result<Vec<UserView>, AppError> {
        if !meta.actor.editor().is_admin() {
            return Err(UserError::AdminsOnly.into());
        }
        if ids.len() > MAX_COUNT as usize {
            return Err(RequestError::TooManyUsers.into());
        }
        let mut seen = HashSet::new();
        let wanted: Vec<String> = ids.iter().filter(|id| seen.insert(**id)).map(Uuid::to_string).collect();
        let users = self.load_all::<User>(&wanted).await?;
        let orders: Vec<_> = wanted
            .iter()
            .filter_map(|id| users.get(id)?.aggregate.live())
            .filter(|u| !u.is_owner && u.id != meta.actor.id && eligible(u))
            .map(|u| user_order(meta, u.id, command.clone(), Expect::default(), None))
            .collect();
        let targets: Vec<Uuid> = orders.iter().filter_map(|o| o.id.parse().ok()).collect();
        let outcomes = self.execute_all(&self.inner.user_services, orders).await;
        let mut answers = Vec::with_capacity(targets.len());
        for (id, outcome) in targets.into_iter().zip(outcomes) {
            match outcome {
                Ok(decided) => answers.push(self.user_answer(id, decided).await?),
                // Deleted or changed by another request since it was read: no longer eligible.
                Err(AppError::NotFound(_) | AppError::Conflict(_) | AppError::StateConflict(_)) => {
                    tracing::debug!(user_id = %id, "a user of a bulk change was skipped");
                }
                Err(e) => return Err(e),
            }
        }
        tracing::info!(users = answers.len(), "users changed");
        Ok(answers)
    }
}
