//! A person as its events make it: the fold behind every decision, the read model and `asOf` reads.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{PersonChanges, PersonCreated, PersonEvent, PersonFields};
use crate::domain::contact::Access;
use crate::domain::contact_info::{self, ContactInfo};
use crate::domain::datetime::ApiDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub id: i64,
    pub fields: PersonFields,
    /// Contact data, in the order it was added.
    pub info: Vec<ContactInfo>,
    /// The highest contact-data id ever given, so a removed id is never reused.
    pub last_info_id: i32,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
    pub deleted: bool,
}

impl PersonRecord {
    pub fn created(e: PersonCreated) -> Self {
        PersonRecord {
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
    pub fn apply(&mut self, event: PersonEvent) {
        match event {
            PersonEvent::PersonCreated(e) => *self = PersonRecord::created(e),
            PersonEvent::PersonUpdated(changes) => self.apply_changes(changes),
            PersonEvent::PersonLinkedToCompany(link) => self.fields.company_id = Some(link.company_id),
            PersonEvent::PersonUnlinkedFromCompany(_) => self.fields.company_id = None,
            PersonEvent::PersonAccessChanged(access) => {
                self.fields.share_type = access.share_type;
                self.fields.managers = access.managers;
            }
            PersonEvent::PersonContactInfoAdded(info) | PersonEvent::PersonContactInfoChanged(info) => {
                contact_info::fold_put(&mut self.info, &mut self.last_info_id, info)
            }
            PersonEvent::PersonContactInfoRemoved(removed) => self.info.retain(|i| i.id != removed.id),
            PersonEvent::PersonDeleted(_) => self.deleted = true,
        }
    }

    fn apply_changes(&mut self, c: PersonChanges) {
        let f = &mut self.fields;
        if let Some(v) = c.first_name {
            f.first_name = v;
        }
        if let Some(v) = c.last_name {
            f.last_name = v;
        }
        if let Some(v) = c.title {
            f.title = (!v.is_empty()).then_some(v);
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
