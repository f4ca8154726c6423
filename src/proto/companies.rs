//! `rollcall.v1` companies ⇄ drafts and views.

use super::convert::{Invalid, guids, text, timestamp_out};
use super::pb::{self, CreateCompanyRequest};
use super::persons::{creator, custom_field, custom_fields_in, photo, share_type_in, share_type_out};
use crate::application::CompanyView;
use crate::domain::company::CompanyDraft;

/// `CreateCompanyRequest` → a draft (`request_id` is read by the caller).
pub fn company_draft(req: CreateCompanyRequest) -> Result<CompanyDraft, Invalid> {
    Ok(CompanyDraft {
        share_type: share_type_in(req.share_type)?,
        manager_list: guids("manager_list", &req.manager_list)?,
        company_name: text("company_name", req.company_name)?,
        about: text("about", req.about)?,
        custom_field_list: custom_fields_in(req.custom_fields)?,
        photo: None,
    })
}

pub fn company(v: CompanyView) -> pb::Company {
    pb::Company {
        id: v.id,
        company_name: v.company_name,
        about: v.about,
        share_type: share_type_out(v.share_type).into(),
        manager_list: v.managers.iter().map(ToString::to_string).collect(),
        custom_fields: v.custom_fields.into_iter().map(custom_field).collect(),
        photo: v.photo.map(photo),
        created_by: Some(creator(v.created_by)),
        created: Some(timestamp_out(v.created_at)),
        persons_count: v.persons_count,
        version: super::contacts::version(v.version),
        common_data: v.common_data.into_iter().map(super::contacts::contact_data).collect(),
    }
}
