//! User events: stable `event_type` names and versions. Only a password *hash* is ever stored.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::password::PasswordHash;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, Sex, UserName};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserCreated(Box<UserCreated>),
}

/// ONLYOFFICE `EmployeeStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    Active = 1,
    Terminated = 2,
    LeaveOfAbsence = 4,
}

/// ONLYOFFICE `EmployeeActivationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivationStatus {
    NotActivated = 0,
    Activated = 1,
    Pending = 2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserContact {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserCreated {
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
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserCreated(_) => "UserCreated".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
