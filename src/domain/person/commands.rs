//! Person commands, and the rules that turn a client's draft into validated fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::PersonError;
use super::events::{CustomField, PersonFields};
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{MAX_LINE, MAX_LIST, MAX_TEXT, PhotoRef, ShareType, char_len, non_blank};

/// What a client sent, as typed as the wire allows; business rules are applied by `validate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonDraft {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub company_id: Option<i64>,
    pub about: Option<String>,
    pub share_type: ShareType,
    pub manager_list: Vec<Uuid>,
    pub custom_field_list: Vec<CustomFieldInput>,
    pub photo: Option<PhotoRef>,
}

/// One `customFieldList` entry: `{Key: int, Value: string|null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldInput {
    pub key: i64,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PersonCommand {
    Create(CreatePerson),
}

/// Create the person `id` (allocated by the application) on behalf of `created_by` at `created_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePerson {
    pub id: i64,
    pub draft: PersonDraft,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

fn line(value: Option<&str>, too_long: PersonError) -> Result<Option<String>, PersonError> {
    match value.and_then(non_blank) {
        Some(v) if char_len(v) > MAX_LINE => Err(too_long),
        v => Ok(v.map(str::to_string)),
    }
}

impl PersonDraft {
    /// Applies every rule of ONLYOFFICE's `POST crm/contact/person`, plus bounds on every field.
    pub fn validate(&self) -> Result<PersonFields, PersonError> {
        let first_name = self
            .first_name
            .as_deref()
            .filter(|s| non_blank(s).is_some())
            .ok_or(PersonError::FirstNameRequired)?;
        if char_len(first_name) > MAX_LINE {
            return Err(PersonError::FirstNameTooLong);
        }
        let last_name = self.last_name.clone().unwrap_or_default();
        if char_len(&last_name) > MAX_LINE {
            return Err(PersonError::LastNameTooLong);
        }
        let title = line(self.job_title.as_deref(), PersonError::JobTitleTooLong)?;
        let about = self.about.as_deref().map(str::trim).unwrap_or_default();
        if char_len(about) > MAX_TEXT {
            return Err(PersonError::AboutTooLong);
        }
        if self.manager_list.len() > MAX_LIST {
            return Err(PersonError::TooManyManagers);
        }
        let mut managers = Vec::with_capacity(self.manager_list.len());
        for m in &self.manager_list {
            if !managers.contains(m) {
                managers.push(*m);
            }
        }
        if self.custom_field_list.len() > MAX_LIST {
            return Err(PersonError::TooManyCustomFields);
        }
        let mut custom_fields = Vec::new();
        for field in &self.custom_field_list {
            // As in ONLYOFFICE, only entries with a value are stored.
            let Some(value) = field.value.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            let key = i32::try_from(field.key)
                .ok()
                .filter(|k| *k > 0)
                .ok_or(PersonError::CustomFieldKeyInvalid)?;
            if char_len(value) > MAX_TEXT {
                return Err(PersonError::CustomFieldValueTooLong);
            }
            custom_fields.push(CustomField {
                key,
                value: value.to_string(),
            });
        }
        Ok(PersonFields {
            first_name: first_name.to_string(),
            last_name,
            title,
            company_id: self.company_id.filter(|id| *id > 0),
            about: about.to_string(),
            share_type: self.share_type,
            managers,
            custom_fields,
            photo: self.photo.clone(),
        })
    }
}
