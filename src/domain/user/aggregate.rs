//! The User aggregate: decides user commands and folds user events.

use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::{UserCommand, UserRole};
use super::error::UserError;
use super::events::{ActivationStatus, UserCreated, UserEvent, UserStatus};
use super::password::PasswordHasher;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    record: Option<UserCreated>,
}

impl User {
    /// The user as created, `None` before it exists.
    pub fn record(&self) -> Option<&UserCreated> {
        self.record.as_ref()
    }
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
                let valid = cmd.draft.validate(cmd.created_at)?;
                if !cmd.user_name.derives_from(&valid.email) {
                    return Err(UserError::UserNameMismatch);
                }
                let password_hash = match &valid.password {
                    Some(p) => Some(hasher.hash(p).await.map_err(|e| {
                        tracing::error!(error = %e, "password hashing failed");
                        UserError::PasswordHashFailed
                    })?),
                    None => None,
                };
                let owner = cmd.role == UserRole::Owner;
                let event = UserCreated {
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
                };
                sink.write(UserEvent::UserCreated(Box::new(event)), self).await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::UserCreated(created) => self.record = Some(*created),
        }
    }
}

#[cfg(test)]
mod tests;
