//! A user as their events make them: the fold behind every decision, login and token check, and the
//! read model.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{ActivationStatus, UserChanges, UserContact, UserCreated, UserEvent, UserStatus, UserType};
use super::password::PasswordHash;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, Sex, UserName};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: Uuid,
    pub user_name: UserName,
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub is_visitor: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    pub department: Vec<Uuid>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub sex: Option<Sex>,
    pub birthday: Option<ApiDateTime>,
    pub works_from: ApiDateTime,
    pub notes: Option<String>,
    pub contacts: Vec<UserContact>,
    pub avatar_url: Option<String>,
    pub lead: Option<Uuid>,
    pub status: UserStatus,
    pub activation_status: ActivationStatus,
    pub password_hash: Option<PasswordHash>,
    pub created_by: Option<Uuid>,
    pub created_at: ApiDateTime,
    /// When the user was terminated; `None` while active.
    pub terminated: Option<ApiDateTime>,
    /// Which sessions are valid: bumped by every termination and password change. A token records the
    /// generation it was issued in and is refused once the user's has moved on, so reactivating a
    /// user never revives a token issued before their termination.
    pub session_generation: u32,
    pub deleted: bool,
}

impl UserRecord {
    pub fn created(e: UserCreated) -> Self {
        UserRecord {
            id: e.id,
            user_name: e.user_name,
            email: e.email,
            first_name: e.first_name,
            last_name: e.last_name,
            is_visitor: e.is_visitor,
            is_admin: e.is_admin,
            is_owner: e.is_owner,
            department: e.department,
            title: e.title,
            location: e.location,
            sex: e.sex,
            birthday: e.birthday,
            works_from: e.works_from,
            notes: e.notes,
            contacts: e.contacts,
            avatar_url: e.avatar_url,
            lead: e.lead,
            status: e.status,
            activation_status: e.activation_status,
            password_hash: e.password_hash,
            created_by: e.created_by,
            created_at: e.created_at,
            terminated: None,
            session_generation: 0,
            deleted: false,
        }
    }

    /// Whether the user may log in and use their tokens.
    pub fn is_active(&self) -> bool {
        !self.deleted && self.status == UserStatus::Active
    }

    pub fn user_type(&self) -> UserType {
        if self.is_visitor {
            UserType::Visitor
        } else {
            UserType::User
        }
    }

    /// Folds one event that follows the creation.
    pub fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::UserCreated(e) => *self = UserRecord::created(*e),
            UserEvent::UserUpdated(changes) => self.apply_changes(*changes),
            UserEvent::UserTerminated(t) => {
                self.status = UserStatus::Terminated;
                self.terminated = Some(t.at);
                self.session_generation += 1;
            }
            UserEvent::UserReactivated(_) => {
                self.status = UserStatus::Active;
                self.terminated = None;
            }
            UserEvent::UserTypeChanged(t) => self.is_visitor = t.user_type.is_visitor(),
            UserEvent::UserEmailChanged(e) => self.email = e.to,
            UserEvent::UserPasswordChanged(p) => {
                self.password_hash = Some(p.password_hash);
                self.session_generation += 1;
            }
            UserEvent::UserAdministratorGranted(_) => self.is_admin = true,
            UserEvent::UserAdministratorRevoked(_) => self.is_admin = false,
            UserEvent::UserDeleted(_) => self.deleted = true,
        }
    }

    fn apply_changes(&mut self, c: UserChanges) {
        if let Some(v) = c.first_name {
            self.first_name = v;
        }
        if let Some(v) = c.last_name {
            self.last_name = v;
        }
        if let Some(v) = c.title {
            self.title = v;
        }
        if let Some(v) = c.location {
            self.location = v;
        }
        if let Some(v) = c.sex {
            self.sex = v;
        }
        if let Some(v) = c.birthday {
            self.birthday = v;
        }
        if let Some(v) = c.works_from {
            self.works_from = v;
        }
        if let Some(v) = c.notes {
            self.notes = v;
        }
        if let Some(v) = c.department {
            self.department = v;
        }
        if let Some(v) = c.contacts {
            self.contacts = v;
        }
        if let Some(v) = c.avatar_url {
            self.avatar_url = v;
        }
        if let Some(v) = c.lead {
            self.lead = v;
        }
    }
}
