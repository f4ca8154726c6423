//! `rollcall.v1` persons ⇄ drafts and views.

use super::convert::{Invalid, checked, guids, invalid, text, timestamp_out};
use super::pb::{self, CreatePersonRequest};
use crate::application::{Creator, PersonView};
use crate::domain::person::{CustomField, CustomFieldInput, PersonDraft};
use crate::domain::values::{PhotoRef, ShareType};

/// `CreatePersonRequest` → a draft (`request_id` is read by the caller).
pub fn person_draft(req: CreatePersonRequest) -> Result<PersonDraft, Invalid> {
    Ok(PersonDraft {
        share_type: share_type_in(req.share_type)?,
        manager_list: guids("manager_list", &req.manager_list)?,
        first_name: text("first_name", req.first_name)?,
        last_name: text("last_name", req.last_name)?,
        job_title: text("job_title", req.job_title)?,
        company_id: req.company_id,
        about: text("about", req.about)?,
        custom_field_list: custom_fields_in(req.custom_fields)?,
        photo: None,
    })
}

pub(super) fn custom_fields_in(fields: Vec<pb::CustomField>) -> Result<Vec<CustomFieldInput>, Invalid> {
    fields
        .into_iter()
        .map(|f| {
            Ok(CustomFieldInput {
                key: f.key,
                value: Some(checked("custom_fields", f.value)?),
            })
        })
        .collect()
}

pub(super) fn share_type_in(value: i32) -> Result<ShareType, Invalid> {
    match pb::ShareType::try_from(value) {
        Ok(pb::ShareType::None) => Ok(ShareType::None),
        Ok(pb::ShareType::ReadWrite) => Ok(ShareType::ReadWrite),
        Ok(pb::ShareType::Read) => Ok(ShareType::Read),
        Err(_) => Err(invalid("share_type", format!("{value} is not a ShareType (0, 1 or 2)"))),
    }
}

pub(super) fn share_type_out(value: ShareType) -> pb::ShareType {
    match value {
        ShareType::None => pb::ShareType::None,
        ShareType::ReadWrite => pb::ShareType::ReadWrite,
        ShareType::Read => pb::ShareType::Read,
    }
}

pub fn person(v: PersonView) -> pb::Person {
    pb::Person {
        id: v.id,
        display_name: v.display_name(),
        first_name: v.first_name,
        last_name: v.last_name,
        title: v.title,
        company_id: v.company.as_ref().map(|c| c.id),
        about: v.about,
        share_type: share_type_out(v.share_type).into(),
        manager_list: v.managers.iter().map(ToString::to_string).collect(),
        custom_fields: v.custom_fields.into_iter().map(custom_field).collect(),
        photo: v.photo.map(photo),
        created_by: Some(creator(v.created_by)),
        created: Some(timestamp_out(v.created_at)),
        company: v.company.map(|c| pb::CompanySummary {
            id: c.id,
            company_name: c.name,
            share_type: share_type_out(c.share_type).into(),
        }),
        version: super::contacts::version(v.version),
        common_data: v.common_data.into_iter().map(super::contacts::contact_data).collect(),
    }
}

pub(super) fn custom_field(f: CustomField) -> pb::CustomField {
    pb::CustomField {
        key: f.key.into(),
        value: f.value,
    }
}

pub(super) fn photo(p: PhotoRef) -> pb::Photo {
    pb::Photo {
        sha256: p.sha256,
        content_type: p.content_type,
        size: p.size,
    }
}

pub(super) fn creator(c: Creator) -> pb::Creator {
    pb::Creator {
        id: c.id.to_string(),
        display_name: c.display_name,
        title: c.title,
        user_name: c.user_name,
    }
}
