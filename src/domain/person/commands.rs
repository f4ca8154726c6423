//! Person commands, and the rules that turn a client's draft into validated fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::PersonError;
use super::events::PersonFields;
use crate::domain::contact::{self, CustomFieldInput};
use crate::domain::contact_info::ContactInfoDraft;
use crate::domain::datetime::ApiDateTime;
use crate::domain::field::Field;
use crate::domain::size::{self, json_len};
use crate::domain::values::{MAX_LINE, MAX_TEXT, Patch, PhotoRef, ShareType, char_len, non_blank};

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

#[derive(Debug, Clone, PartialEq)]
pub enum PersonCommand {
    Create(CreatePerson),
    /// `PUT crm/contact/person/{id}`: what the patch leaves out keeps its value.
    Update(PersonPatch),
    /// Link to a company (moving the person from any other one).
    LinkToCompany {
        company_id: i64,
    },
    /// Unlink from `company_id`; a person not linked to it is left as it is.
    UnlinkFromCompany {
        company_id: i64,
    },
    SetAccess {
        share_type: Option<ShareType>,
        managers: Option<Vec<Uuid>>,
    },
    AddInfo(ContactInfoDraft),
    ChangeInfo {
        id: i64,
        draft: ContactInfoDraft,
    },
    RemoveInfo {
        id: i64,
    },
    Delete,
}

/// An update as a client sent it: `Keep` leaves a field as it is, `Clear` empties it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonPatch {
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub job_title: Patch<String>,
    pub company_id: Patch<i64>,
    pub about: Patch<String>,
    pub share_type: Option<ShareType>,
    pub manager_list: Option<Vec<Uuid>>,
    pub custom_field_list: Option<Vec<CustomFieldInput>>,
    pub photo: Option<PhotoRef>,
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
        // ONLYOFFICE reads `companyId <= 0` as "no company"; silently dropping what a client sent
        // hides its mistake, so only an absent (or empty) companyId means none here.
        if self.company_id.is_some_and(|id| id <= 0) {
            return Err(PersonError::CompanyIdNotPositive);
        }
        let managers = contact::managers(&self.manager_list)?;
        let custom_fields = contact::custom_fields(&self.custom_field_list)?;
        let fields = PersonFields {
            first_name: first_name.to_string(),
            last_name,
            title,
            company_id: self.company_id,
            about: about.to_string(),
            share_type: self.share_type,
            managers,
            custom_fields,
            photo: self.photo.clone(),
        };
        fields.check_size()?;
        Ok(fields)
    }
}

impl PersonFields {
    /// Refuses a person heavier than [`size::MAX_RECORD_BYTES`] as JSON, naming its heaviest field.
    pub(super) fn check_size(&self) -> Result<(), PersonError> {
        let parts = [
            (Field::FirstName, json_len(&self.first_name)),
            (Field::LastName, json_len(&self.last_name)),
            (Field::JobTitle, json_len(&self.title)),
            (Field::About, json_len(&self.about)),
            (Field::ManagerList, json_len(&self.managers)),
            (Field::CustomFields, json_len(&self.custom_fields)),
            (Field::Photo, json_len(&self.photo)),
        ];
        size::too_large(&parts).map_or(Ok(()), |field| Err(PersonError::TooLarge(field)))
    }
}
