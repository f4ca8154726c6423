//! The User aggregate: decides user commands and folds user events.

use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::commands::{CreateUser, UserCommand, UserRole};
use super::decide::{decide, password_rules};
use super::error::UserError;
use super::events::{ActivationStatus, PasswordChanged, UserCreated, UserEvent, UserStatus};
use super::password::{PasswordHash, PasswordHasher};
use super::record::UserRecord;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    record: Option<UserRecord>,
}

impl User {
    /// The user as their events make them, `None` before they exist (also once deleted: see `deleted`).
    pub fn record(&self) -> Option<&UserRecord> {
        self.record.as_ref()
    }

    /// The user unless they do not exist or were deleted.
    pub fn live(&self) -> Option<&UserRecord> {
        self.record.as_ref().filter(|r| !r.deleted)
    }
}

async fn hash(hasher: &Arc<dyn PasswordHasher>, password: &SecretString) -> Result<PasswordHash, UserError> {
    hasher.hash(password).await.map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        UserError::PasswordHashFailed
    })
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = Arc<dyn PasswordHasher>;

    async fn handle(
        &mut self,
        command: Self::Command,
        hasher: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            UserCommand::Create(cmd) => {
                if self.record.is_some() {
                    return Err(UserError::AlreadyCreated);
                }
                let event = created(*cmd, hasher).await?;
                sink.write(UserEvent::UserCreated(Box::new(event)), self).await;
            }
            UserCommand::ChangePassword { password, by } => {
                let r = self.live().ok_or(UserError::NotFound)?;
                let password = password_rules(r, &password, by)?;
                let password_hash = hash(hasher, &password).await?;
                let event = UserEvent::UserPasswordChanged(PasswordChanged { password_hash });
                sink.write(event, self).await;
            }
            command => {
                let events = decide(self.live().ok_or(UserError::NotFound)?, command)?;
                for event in events {
                    sink.write(event, self).await;
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match (&mut self.record, event) {
            (_, UserEvent::UserCreated(created)) => self.record = Some(UserRecord::created(*created)),
            (Some(record), event) => record.apply(event),
            (None, event) => tracing::warn!(event = %cqrs_es::DomainEvent::event_type(&event),
                "a user event before the user was created; ignored"),
        }
    }
}

/// The `UserCreated` of a create command: every rule of `POST people`, the password hashed.
async fn created(cmd: CreateUser, hasher: &Arc<dyn PasswordHasher>) -> Result<UserCreated, UserError> {
    let valid = cmd.draft.validate(cmd.created_at)?;
    if !cmd.user_name.derives_from(&valid.email) {
        return Err(UserError::UserNameMismatch);
    }
    let password_hash = match &valid.password {
        Some(p) => Some(hash(hasher, p).await?),
        None => None,
    };
    let owner = cmd.role == UserRole::Owner;
    Ok(UserCreated {
        id: cmd.id,
        user_name: cmd.user_name,
        email: valid.email,
        first_name: valid.first_name,
        last_name: valid.last_name,
        is_visitor: valid.is_visitor && !owner,
        is_admin: owner,
        is_owner: owner,
        department: valid.department,
        title: valid.title,
        location: valid.location,
        sex: valid.sex,
        birthday: valid.birthday,
        works_from: valid.works_from,
        notes: valid.notes,
        contacts: valid.contacts,
        avatar_url: valid.avatar_url,
        lead: valid.lead,
        status: UserStatus::Active,
        activation_status: if owner {
            ActivationStatus::Activated
        } else {
            ActivationStatus::Pending
        },
        password_hash,
        created_by: cmd.created_by,
        created_at: cmd.created_at,
    })
}

#[cfg(test)]
mod tests;
