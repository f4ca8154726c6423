//! `rollcall.v1` changes of CRM contacts ⇄ patches, drafts and views: updates (an unset field keeps
//! its value, `clear_fields` empties fields), access, contact data and expected versions. Shared by
//! gRPC and protobuf NATS payloads.

use super::convert::{Invalid, guids, invalid, text};
use super::pb::{self, SetContactAccessRequest, UpdateCompanyRequest, UpdatePersonRequest};
use super::persons::{custom_fields_in, share_type_in};
use crate::application::{Contact, Expect};
use crate::domain::company::CompanyPatch;
use crate::domain::contact_info::{Category, ContactInfo, ContactInfoDraft, InfoType};
use crate::domain::person::PersonPatch;
use crate::domain::values::{Patch, ShareType};

const CLEAR: &str = "clear_fields";
const PERSON_CLEARABLE: &[&str] = &[
    "first_name",
    "last_name",
    "job_title",
    "company_id",
    "about",
    "manager_list",
    "custom_fields",
];
const COMPANY_CLEARABLE: &[&str] = &["company_name", "about", "manager_list", "custom_fields"];
const ACCESS_CLEARABLE: &[&str] = &["manager_list"];
/// Fields a `clear_fields` may name but that must keep a value: the domain refuses clearing them.
const NEVER_CLEARED: &[&str] = &["first_name", "last_name", "company_name", "works_from"];

/// `expected_version`: unset for any version; 0 and values past `i64::MAX` name no version.
pub fn expect(version: Option<u64>) -> Result<Expect, Invalid> {
    match version {
        None => Ok(Expect::default()),
        Some(v) => i64::try_from(v)
            .ok()
            .filter(|v| *v > 0)
            .map(|v| Expect::version(Some(v)))
            .ok_or_else(|| invalid("expected_version", "must be a version: 1 or more")),
    }
}

/// An id field that must be positive (`person_id`, `company_id`, `data_id`).
pub fn positive(field: &'static str, value: i64) -> Result<i64, Invalid> {
    if value > 0 {
        Ok(value)
    } else {
        Err(invalid(field, "must be a positive integer"))
    }
}

/// The names of `clear_fields`, each one that `clearable` allows (also for users' updates).
pub(super) struct Cleared<'a>(&'a [String]);

impl<'a> Cleared<'a> {
    /// `clearable` holds the fields the request may name; those of them that must keep a value
    /// ([`NEVER_CLEARED`]) are refused by the domain, naming the field, and are not offered here.
    pub(super) fn new(names: &'a [String], clearable: &[&str]) -> Result<Cleared<'a>, Invalid> {
        match names.iter().find(|n| !clearable.contains(&n.as_str())) {
            Some(name) => {
                let offered: Vec<&str> = clearable
                    .iter()
                    .copied()
                    .filter(|f| !NEVER_CLEARED.contains(f))
                    .collect();
                Err(invalid(
                    CLEAR,
                    format!("{name:?} cannot be cleared (one of: {})", offered.join(", ")),
                ))
            }
            None => Ok(Cleared(names)),
        }
    }

    /// Whether `field` is cleared; an error when it is also set.
    pub(super) fn has(&self, field: &str, set: bool) -> Result<bool, Invalid> {
        let cleared = self.0.iter().any(|n| n == field);
        if cleared && set {
            return Err(invalid(CLEAR, format!("{field:?} is both set and cleared")));
        }
        Ok(cleared)
    }

    /// A field with presence: cleared, set when present, else kept.
    pub(super) fn text<T>(&self, field: &str, value: Option<T>) -> Result<Patch<T>, Invalid> {
        Ok(match (self.has(field, value.is_some())?, value) {
            (true, _) => Patch::Clear,
            (false, Some(v)) => Patch::Set(v),
            (false, None) => Patch::Keep,
        })
    }

    /// A repeated field: cleared, replaced when non-empty, else kept.
    pub(super) fn list<T>(&self, field: &str, values: Vec<T>) -> Result<Option<Vec<T>>, Invalid> {
        let cleared = self.has(field, !values.is_empty())?;
        Ok(if cleared {
            Some(Vec::new())
        } else {
            Some(values).filter(|v| !v.is_empty())
        })
    }
}

fn share_type(value: Option<i32>) -> Result<Option<ShareType>, Invalid> {
    value.map(share_type_in).transpose()
}

/// `UpdatePersonRequest` → a patch (`id`, `expected_version` and `request_id` are read by the caller).
pub fn person_patch(req: UpdatePersonRequest) -> Result<PersonPatch, Invalid> {
    let clear = Cleared::new(&req.clear_fields, PERSON_CLEARABLE)?;
    let company_id = match (clear.has("company_id", req.company_id.is_some())?, req.company_id) {
        (true, _) => Patch::Clear,
        (false, Some(id)) if id < 1 => Patch::Clear,
        (false, Some(id)) => Patch::Set(id),
        (false, None) => Patch::Keep,
    };
    let managers = clear.list("manager_list", req.manager_list)?;
    Ok(PersonPatch {
        first_name: clear.text("first_name", text("first_name", req.first_name)?)?,
        last_name: clear.text("last_name", text("last_name", req.last_name)?)?,
        job_title: clear.text("job_title", text("job_title", req.job_title)?)?,
        company_id,
        about: clear.text("about", text("about", req.about)?)?,
        share_type: share_type(req.share_type)?,
        manager_list: managers.map(|m| guids("manager_list", &m)).transpose()?,
        custom_field_list: clear
            .list("custom_fields", req.custom_fields)?
            .map(custom_fields_in)
            .transpose()?,
        photo: None,
    })
}

/// `UpdateCompanyRequest` → a patch (`id`, `expected_version` and `request_id` are read by the caller).
pub fn company_patch(req: UpdateCompanyRequest) -> Result<CompanyPatch, Invalid> {
    let clear = Cleared::new(&req.clear_fields, COMPANY_CLEARABLE)?;
    let managers = clear.list("manager_list", req.manager_list)?;
    Ok(CompanyPatch {
        company_name: clear.text("company_name", text("company_name", req.company_name)?)?,
        about: clear.text("about", text("about", req.about)?)?,
        share_type: share_type(req.share_type)?,
        manager_list: managers.map(|m| guids("manager_list", &m)).transpose()?,
        custom_field_list: clear
            .list("custom_fields", req.custom_fields)?
            .map(custom_fields_in)
            .transpose()?,
        photo: None,
    })
}

/// The access a `SetContactAccessRequest` sets: what is unset keeps its value.
pub type Access = (Option<ShareType>, Option<Vec<uuid::Uuid>>);

pub fn access(req: &SetContactAccessRequest) -> Result<Access, Invalid> {
    let clear = Cleared::new(&req.clear_fields, ACCESS_CLEARABLE)?;
    let managers = clear.list("manager_list", req.manager_list.clone())?;
    Ok((
        share_type(req.share_type)?,
        managers.map(|m| guids("manager_list", &m)).transpose()?,
    ))
}

/// The fields of an entry of contact data; what is unset keeps its value (or is required, for a new
/// entry, by the domain).
pub fn contact_data_draft(
    info_type: Option<i32>,
    category: Option<i32>,
    data: Option<String>,
    is_primary: Option<bool>,
) -> Result<ContactInfoDraft, Invalid> {
    let info_type = info_type
        .map(|code| {
            u32::try_from(code)
                .ok()
                .and_then(|c| InfoType::parse(&c.to_string()))
                .ok_or_else(|| invalid("info_type", format!("{code} is not an InfoType (0 to 17)")))
        })
        .transpose()?;
    Ok(ContactInfoDraft {
        info_type,
        category: category.map(Category::Code),
        data: text("data", data)?,
        is_primary,
    })
}

pub fn contact_data(i: ContactInfo) -> pb::ContactData {
    pb::ContactData {
        id: i.id.into(),
        info_type: i.info_type.code(),
        category: i.category,
        category_name: i.info_type.category_name(i.category).unwrap_or_default().to_string(),
        data: i.data,
        is_primary: i.is_primary,
    }
}

/// A version as the proto carries it.
pub fn version(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

pub fn contact_access(c: &Contact) -> pb::ContactAccess {
    let (id, is_company, share, managers, v) = match c {
        Contact::Person(p) => (p.id, false, p.share_type, &p.managers, p.version),
        Contact::Company(c) => (c.id, true, c.share_type, &c.managers, c.version),
    };
    pb::ContactAccess {
        id,
        is_company,
        share_type: super::persons::share_type_out(share).into(),
        manager_list: managers.iter().map(ToString::to_string).collect(),
        version: version(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANAGER: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

    #[test]
    fn an_update_keeps_what_is_unset_sets_what_is_set_and_clears_what_is_named() {
        let p = person_patch(UpdatePersonRequest {
            first_name: Some("Ann".into()),
            company_id: Some(0),
            manager_list: vec![MANAGER.into()],
            clear_fields: vec!["job_title".into(), "custom_fields".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.first_name, Patch::Set("Ann".into()));
        assert_eq!((p.last_name, p.about), (Patch::Keep, Patch::Keep));
        assert_eq!((p.job_title, p.company_id), (Patch::Clear, Patch::Clear));
        assert_eq!(p.share_type, None, "unset keeps the access");
        assert_eq!(p.manager_list.map(|m| m.len()), Some(1));
        assert_eq!(p.custom_field_list, Some(vec![]));
        let kept = person_patch(UpdatePersonRequest::default()).unwrap();
        assert_eq!((kept.manager_list, kept.custom_field_list), (None, None));
        let cleared = person_patch(UpdatePersonRequest {
            clear_fields: vec!["last_name".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            cleared.last_name,
            Patch::Clear,
            "the domain refuses it, naming last_name"
        );
    }

    #[test]
    fn unknown_contradictory_and_unclearable_names_are_invalid_naming_clear_fields() {
        for clear in [vec!["share_type"], vec!["nope"]] {
            let req = UpdatePersonRequest {
                clear_fields: clear.into_iter().map(String::from).collect(),
                ..Default::default()
            };
            assert_eq!(person_patch(req).unwrap_err().field, CLEAR);
        }
        let both = UpdateCompanyRequest {
            about: Some("x".into()),
            clear_fields: vec!["about".into()],
            ..Default::default()
        };
        assert_eq!(company_patch(both).unwrap_err().field, CLEAR);
        let bad = UpdatePersonRequest {
            share_type: Some(9),
            ..Default::default()
        };
        assert_eq!(person_patch(bad).unwrap_err().field, "share_type");
    }

    #[test]
    fn versions_info_types_and_ids_name_their_field() {
        assert_eq!(expect(None).unwrap(), Expect::default());
        assert_eq!(expect(Some(3)).unwrap(), Expect::version(Some(3)));
        assert_eq!(expect(Some(0)).unwrap_err().field, "expected_version");
        assert_eq!(expect(Some(u64::MAX)).unwrap_err().field, "expected_version");
        let d = contact_data_draft(Some(1), None, Some("a@b.io".into()), None).unwrap();
        assert_eq!(d.info_type, Some(InfoType::Email));
        for code in [-1, 18] {
            let e = contact_data_draft(Some(code), None, None, None).unwrap_err();
            assert_eq!(e.field, "info_type");
        }
        assert_eq!(positive("data_id", 0).unwrap_err().field, "data_id");
    }
}
