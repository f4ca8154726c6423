//! Company commands, and the rules that turn a client's draft into validated fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::CompanyError;
use super::events::CompanyFields;
use crate::domain::contact::{self, CustomFieldInput};
use crate::domain::contact_info::ContactInfoDraft;
use crate::domain::datetime::ApiDateTime;
use crate::domain::field::Field;
use crate::domain::size::{self, json_len};
use crate::domain::values::{MAX_LINE, MAX_TEXT, Patch, PhotoRef, ShareType, char_len, non_blank};

/// What a client sent for `POST crm/contact/company`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyDraft {
    pub company_name: Option<String>,
    pub about: Option<String>,
    pub share_type: ShareType,
    pub manager_list: Vec<Uuid>,
    pub custom_field_list: Vec<CustomFieldInput>,
    pub photo: Option<PhotoRef>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompanyCommand {
    Create(CreateCompany),
    /// `PUT crm/contact/company/{id}`: what the patch leaves out keeps its value.
    Update(CompanyPatch),
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
pub struct CompanyPatch {
    pub company_name: Patch<String>,
    pub about: Patch<String>,
    pub share_type: Option<ShareType>,
    pub manager_list: Option<Vec<Uuid>>,
    pub custom_field_list: Option<Vec<CustomFieldInput>>,
    pub photo: Option<PhotoRef>,
}

/// Create the company `id` (from the contact id sequence persons use too).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCompany {
    pub id: i64,
    pub draft: CompanyDraft,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

impl CompanyDraft {
    /// ONLYOFFICE's rules for `POST crm/contact/company`, plus bounds on every field.
    pub fn validate(&self) -> Result<CompanyFields, CompanyError> {
        let name = self
            .company_name
            .as_deref()
            .and_then(non_blank)
            .ok_or(CompanyError::CompanyNameRequired)?;
        if char_len(name) > MAX_LINE {
            return Err(CompanyError::CompanyNameTooLong);
        }
        let about = self.about.as_deref().map(str::trim).unwrap_or_default();
        if char_len(about) > MAX_TEXT {
            return Err(CompanyError::AboutTooLong);
        }
        let fields = CompanyFields {
            company_name: name.to_string(),
            about: about.to_string(),
            share_type: self.share_type,
            managers: contact::managers(&self.manager_list)?,
            custom_fields: contact::custom_fields(&self.custom_field_list)?,
            photo: self.photo.clone(),
        };
        fields.check_size()?;
        Ok(fields)
    }
}

impl CompanyFields {
    /// Refuses a company heavier than [`size::MAX_RECORD_BYTES`] as JSON, naming its heaviest field.
    pub(super) fn check_size(&self) -> Result<(), CompanyError> {
        let parts = [
            (Field::CompanyName, json_len(&self.company_name)),
            (Field::About, json_len(&self.about)),
            (Field::ManagerList, json_len(&self.managers)),
            (Field::CustomFields, json_len(&self.custom_fields)),
            (Field::Photo, json_len(&self.photo)),
        ];
        size::too_large(&parts).map_or(Ok(()), |field| Err(CompanyError::TooLarge(field)))
    }
}
