//! User events: stable `event_type` names and versions, one event per intent. Only a password *hash*
//! is ever stored, in a field named `password_hash` (the event publisher strips every such field).
//! Personal values (names, email, phone-like contacts) live only in named payload fields, never in an
//! event's type name or metadata, so an audit can diff them and a later crypto-shredding can find them.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::password::PasswordHash;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, Sex, UserName};

/// Every event of a user's stream. New fields are added with serde defaults, so every stored shape
/// still loads (each event's shape is version "1" today).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserCreated(Box<UserCreated>),
    /// Only the profile fields that changed, with their new values (`null` for a cleared one).
    UserUpdated(Box<UserChanges>),
    UserTerminated(Terminated),
    UserReactivated(Reactivated),
    UserTypeChanged(TypeChanged),
    /// The address as it was and as it is now (ONLYOFFICE lower-cases a changed address).
    UserEmailChanged(EmailChanged),
    UserPasswordChanged(PasswordChanged),
    UserAdministratorGranted(AdministratorChanged),
    UserAdministratorRevoked(AdministratorChanged),
    /// The end of the stream: the user is gone from every read, and their email and user name are free.
    UserDeleted(UserRemoved),
}

/// ONLYOFFICE `EmployeeStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    Active = 1,
    Terminated = 2,
    LeaveOfAbsence = 4,
}

/// ONLYOFFICE `EmployeeType`: a full user or a visitor (guest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserType {
    User,
    Visitor,
}

impl UserType {
    pub fn is_visitor(self) -> bool {
        self == UserType::Visitor
    }
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

/// What a profile update changed, named as in [`UserCreated`]. An absent field did not change; a
/// nullable field present as `null` was cleared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub title: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub location: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub sex: Option<Option<Sex>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub birthday: Option<Option<ApiDateTime>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub works_from: Option<ApiDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub notes: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<UserContact>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub lead: Option<Option<Uuid>>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        *self == UserChanges::default()
    }
}

/// `Option<Option<T>>` as "absent / `null` / value".
mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Terminated (suspended) at `at`: ONLYOFFICE's `terminated` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminated {
    pub at: ApiDateTime,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reactivated {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeChanged {
    pub user_type: UserType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChanged {
    pub from: Email,
    pub to: Email,
}

/// The new password's hash; never the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub password_hash: PasswordHash,
}

/// Administrator rights over the whole portal, granted or revoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministratorChanged {}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRemoved {}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserCreated(_) => "UserCreated",
            UserEvent::UserUpdated(_) => "UserUpdated",
            UserEvent::UserTerminated(_) => "UserTerminated",
            UserEvent::UserReactivated(_) => "UserReactivated",
            UserEvent::UserTypeChanged(_) => "UserTypeChanged",
            UserEvent::UserEmailChanged(_) => "UserEmailChanged",
            UserEvent::UserPasswordChanged(_) => "UserPasswordChanged",
            UserEvent::UserAdministratorGranted(_) => "UserAdministratorGranted",
            UserEvent::UserAdministratorRevoked(_) => "UserAdministratorRevoked",
            UserEvent::UserDeleted(_) => "UserDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
