//! Company events: stable `event_type` names and versions.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::contact::CustomField;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{PhotoRef, ShareType};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CompanyEvent {
    CompanyCreated(CompanyCreated),
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
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
