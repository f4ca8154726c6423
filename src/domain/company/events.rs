//! Company events: stable `event_type` names and versions.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::contact::{Access, CustomField};
use crate::domain::contact_info::ContactInfo;
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{ContactInfoRemoved, Deleted};
use crate::domain::values::{PhotoRef, ShareType};

/// Every event of a company's stream; new fields are added with serde defaults (version "1" today).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CompanyEvent {
    CompanyCreated(CompanyCreated),
    /// Only the fields that changed, with their new values (`""` for a cleared text).
    CompanyUpdated(CompanyChanges),
    CompanyAccessChanged(Access),
    CompanyContactInfoAdded(ContactInfo),
    CompanyContactInfoChanged(ContactInfo),
    CompanyContactInfoRemoved(ContactInfoRemoved),
    /// Its persons are unlinked by events of their own.
    CompanyDeleted(Deleted),
}

/// What an update changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<CustomField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoRef>,
}

impl CompanyChanges {
    pub fn is_empty(&self) -> bool {
        *self == CompanyChanges::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyCreated {
    pub id: i64,
    #[serde(flatten)]
    pub fields: CompanyFields,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

/// The validated content of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyFields {
    pub company_name: String,
    pub about: String,
    pub share_type: ShareType,
    pub managers: Vec<Uuid>,
    pub custom_fields: Vec<CustomField>,
    pub photo: Option<PhotoRef>,
}

impl DomainEvent for CompanyEvent {
    fn event_type(&self) -> String {
        match self {
            CompanyEvent::CompanyCreated(_) => "CompanyCreated".to_string(),
            CompanyEvent::CompanyUpdated(_) => "CompanyUpdated".to_string(),
            CompanyEvent::CompanyAccessChanged(_) => "CompanyAccessChanged".to_string(),
            CompanyEvent::CompanyContactInfoAdded(_) => "CompanyContactInfoAdded".to_string(),
            CompanyEvent::CompanyContactInfoChanged(_) => "CompanyContactInfoChanged".to_string(),
            CompanyEvent::CompanyContactInfoRemoved(_) => "CompanyContactInfoRemoved".to_string(),
            CompanyEvent::CompanyDeleted(_) => "CompanyDeleted".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
