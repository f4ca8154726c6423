//! Person events: stable `event_type` names and versions, stored as JSON in the event store.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::contact::CustomField;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{PhotoRef, ShareType};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonEvent {
    PersonCreated(PersonCreated),
}

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
            PersonEvent::PersonCreated(_) => "PersonCreated".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
