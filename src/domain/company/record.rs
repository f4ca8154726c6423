//! A company as its events make it: the fold behind every decision, the read model and `asOf` reads.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{CompanyChanges, CompanyCreated, CompanyEvent, CompanyFields};
use crate::domain::contact::Access;
use crate::domain::contact_info::{self, ContactInfo};
use crate::domain::datetime::ApiDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyRecord {
    pub id: i64,
    pub fields: CompanyFields,
    /// Contact data, in the order it was added.
    pub info: Vec<ContactInfo>,
    /// The highest contact-data id ever given, so a removed id is never reused.
    pub last_info_id: i32,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
    pub deleted: bool,
}

impl CompanyRecord {
    pub fn created(e: CompanyCreated) -> Self {
        CompanyRecord {
            id: e.id,
            fields: e.fields,
            info: Vec::new(),
            last_info_id: 0,
            created_by: e.created_by,
            created_at: e.created_at,
            deleted: false,
        }
    }

    pub fn access(&self) -> Access {
        Access {
            share_type: self.fields.share_type,
            managers: self.fields.managers.clone(),
        }
    }

    /// Folds one event that follows the creation.
    pub fn apply(&mut self, event: CompanyEvent) {
        match event {
            CompanyEvent::CompanyCreated(e) => *self = CompanyRecord::created(e),
            CompanyEvent::CompanyUpdated(changes) => self.apply_changes(changes),
            CompanyEvent::CompanyAccessChanged(access) => {
                self.fields.share_type = access.share_type;
                self.fields.managers = access.managers;
            }
            CompanyEvent::CompanyContactInfoAdded(info) | CompanyEvent::CompanyContactInfoChanged(info) => {
                contact_info::fold_put(&mut self.info, &mut self.last_info_id, info)
            }
            CompanyEvent::CompanyContactInfoRemoved(removed) => self.info.retain(|i| i.id != removed.id),
            CompanyEvent::CompanyDeleted(_) => self.deleted = true,
        }
    }

    fn apply_changes(&mut self, c: CompanyChanges) {
        let f = &mut self.fields;
        if let Some(v) = c.company_name {
            f.company_name = v;
        }
        if let Some(v) = c.about {
            f.about = v;
        }
        if let Some(v) = c.custom_fields {
            f.custom_fields = v;
        }
        if let Some(v) = c.photo {
            f.photo = Some(v);
        }
    }
}
