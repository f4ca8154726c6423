//! Person events: stable `event_type` names and versions, stored as JSON in the event store.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::contact::{Access, CustomField};
use crate::domain::contact_info::ContactInfo;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{PhotoRef, ShareType};

/// Every event of a person's stream. New fields of an event are added with serde defaults, so every
/// stored version still loads (each event's shape is version "1" today).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonEvent {
    PersonCreated(PersonCreated),
    /// Only the fields that changed, with their new values (`""` for a cleared text).
    PersonUpdated(PersonChanges),
    /// Linked to (or moved to) a company.
    PersonLinkedToCompany(CompanyLink),
    PersonUnlinkedFromCompany(CompanyLink),
    PersonAccessChanged(Access),
    PersonContactInfoAdded(ContactInfo),
    PersonContactInfoChanged(ContactInfo),
    PersonContactInfoRemoved(ContactInfoRemoved),
    PersonDeleted(Deleted),
}

/// What an update changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `""` when the title was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<CustomField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoRef>,
}

impl PersonChanges {
    pub fn is_empty(&self) -> bool {
        *self == PersonChanges::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyLink {
    pub company_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfoRemoved {
    pub id: i32,
}

/// The end of a contact's stream: afterwards it is gone from every read, and commands on it are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonCreated {
    pub id: i64,
    #[serde(flatten)]
    pub fields: PersonFields,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

/// The validated content of a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonFields {
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub company_id: Option<i64>,
    pub about: String,
    pub share_type: ShareType,
    pub managers: Vec<Uuid>,
    pub custom_fields: Vec<CustomField>,
    pub photo: Option<PhotoRef>,
}

impl DomainEvent for PersonEvent {
    fn event_type(&self) -> String {
        match self {
            PersonEvent::PersonCreated(_) => "PersonCreated",
            PersonEvent::PersonUpdated(_) => "PersonUpdated",
            PersonEvent::PersonLinkedToCompany(_) => "PersonLinkedToCompany",
            PersonEvent::PersonUnlinkedFromCompany(_) => "PersonUnlinkedFromCompany",
            PersonEvent::PersonAccessChanged(_) => "PersonAccessChanged",
            PersonEvent::PersonContactInfoAdded(_) => "PersonContactInfoAdded",
            PersonEvent::PersonContactInfoChanged(_) => "PersonContactInfoChanged",
            PersonEvent::PersonContactInfoRemoved(_) => "PersonContactInfoRemoved",
            PersonEvent::PersonDeleted(_) => "PersonDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
