//! `rollcall.v1` users ⇄ drafts and views.

use secrecy::SecretString;

use super::convert::{Invalid, checked, guid, guids, invalid, text, timestamp_in, timestamp_out};
use super::pb::{self, CreateUserRequest};
use crate::application::UserView;
use crate::domain::user::{ActivationStatus, ContactInput, UserContact, UserDraft, UserStatus};
use crate::domain::values::Sex;

/// `CreateUserRequest` → a draft (`request_id` is read by the caller).
pub fn user_draft(req: CreateUserRequest) -> Result<UserDraft, Invalid> {
    let lead = match req.lead.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(lead) => Some(guid("lead", lead)?),
    };
    Ok(UserDraft {
        is_visitor: req.is_visitor,
        department: guids("department", &req.department)?,
        sex: sex_in(req.sex)?,
        birthday: timestamp_in("birthday", req.birthday)?,
        works_from: timestamp_in("works_from", req.works_from)?,
        lead,
        email: text("email", req.email)?,
        first_name: text("first_name", req.first_name)?,
        last_name: text("last_name", req.last_name)?,
        title: text("title", req.title)?,
        location: text("location", req.location)?,
        comment: text("comment", req.comment)?,
        contacts: req
            .contacts
            .into_iter()
            .map(|c| {
                Ok(ContactInput {
                    kind: checked("contacts", c.r#type)?,
                    value: checked("contacts", c.value)?,
                })
            })
            .collect::<Result<_, Invalid>>()?,
        files: text("files", req.files)?,
        password: text("password", req.password)?.map(SecretString::from),
    })
}

fn sex_in(value: i32) -> Result<Option<Sex>, Invalid> {
    match pb::Sex::try_from(value) {
        Ok(pb::Sex::Unspecified) => Ok(None),
        Ok(pb::Sex::Male) => Ok(Some(Sex::Male)),
        Ok(pb::Sex::Female) => Ok(Some(Sex::Female)),
        Err(_) => Err(invalid("sex", format!("{value} is not a Sex (0, 1 or 2)"))),
    }
}

fn sex_out(value: Option<Sex>) -> pb::Sex {
    match value {
        None => pb::Sex::Unspecified,
        Some(Sex::Male) => pb::Sex::Male,
        Some(Sex::Female) => pb::Sex::Female,
    }
}

fn status_out(value: UserStatus) -> pb::UserStatus {
    match value {
        UserStatus::Active => pb::UserStatus::Active,
        UserStatus::Terminated => pb::UserStatus::Terminated,
        UserStatus::LeaveOfAbsence => pb::UserStatus::LeaveOfAbsence,
    }
}

fn activation_out(value: ActivationStatus) -> pb::ActivationStatus {
    match value {
        ActivationStatus::NotActivated => pb::ActivationStatus::NotActivated,
        ActivationStatus::Activated => pb::ActivationStatus::Activated,
        ActivationStatus::Pending => pb::ActivationStatus::Pending,
    }
}

pub fn user(v: UserView) -> pb::User {
    pb::User {
        id: v.id.to_string(),
        display_name: v.display_name(),
        user_name: v.user_name,
        email: v.email,
        first_name: v.first_name,
        last_name: v.last_name,
        is_visitor: v.is_visitor,
        is_admin: v.is_admin,
        is_owner: v.is_owner,
        department: v.groups.iter().map(|g| g.id.to_string()).collect(),
        title: v.title,
        location: v.location,
        sex: sex_out(v.sex).into(),
        birthday: v.birthday.map(timestamp_out),
        works_from: Some(timestamp_out(v.works_from)),
        notes: v.notes,
        contacts: v.contacts.into_iter().map(contact).collect(),
        avatar_url: v.avatar_url,
        lead: v.lead.map(|l| l.to_string()),
        status: status_out(v.status).into(),
        activation_status: activation_out(v.activation_status).into(),
        created_by: v.created_by.map(|c| c.to_string()),
        created: Some(timestamp_out(v.created_at)),
        groups: v.groups.into_iter().map(super::groups::group_summary).collect(),
    }
}

fn contact(c: UserContact) -> pb::Contact {
    pb::Contact {
        r#type: c.kind,
        value: c.value,
    }
}
