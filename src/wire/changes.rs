//! Binding the bodies of changes to CRM contacts: updates (a field left out keeps its value, `null` or
//! `""` clears it), access, contact data and the `personid` of a link, with ONLYOFFICE's names.

use super::input::{BindError, Fields, checked, custom_fields, err, share_type};
use super::node::{Node, View};
use crate::domain::company::CompanyPatch;
use crate::domain::contact_info::{Category, ContactInfoDraft, InfoType};
use crate::domain::person::PersonPatch;
use crate::domain::values::{Patch, ShareType};

/// A text field of an update.
fn text<N: Node>(f: &Fields<'_, N>, name: &str) -> Result<Patch<String>, BindError> {
    match f.raw(name).map(N::view) {
        None => Ok(Patch::Keep),
        Some(View::Null) => Ok(Patch::Clear),
        Some(View::Str("")) => Ok(Patch::Clear),
        Some(View::Str(s)) => checked(name, s).map(Patch::Set),
        Some(_) => Err(err(name, "must be a string")),
    }
}

/// `companyId` of a person update: `null`, `""` or `0` unlink (ONLYOFFICE: "companyId 0 unlinks").
fn company_id<N: Node>(f: &Fields<'_, N>) -> Result<Patch<i64>, BindError> {
    const F: &str = "companyId";
    match f.raw(F).map(N::view) {
        None => Ok(Patch::Keep),
        Some(View::Null) => Ok(Patch::Clear),
        Some(_) => match f.int(F)? {
            None | Some(0) => Ok(Patch::Clear),
            Some(id) if id < 0 => Err(err(F, "must be a positive contact id, or 0 to unlink")),
            Some(id) => Ok(Patch::Set(id)),
        },
    }
}

fn present<N: Node>(f: &Fields<'_, N>, name: &str) -> bool {
    f.raw(name).is_some()
}

/// Binds `PUT crm/contact/person/{id}` (the photo is bound by the adapter that receives files).
pub fn person_patch<N: Node>(body: &N) -> Result<PersonPatch, BindError> {
    let f = Fields::new(body)?;
    Ok(PersonPatch {
        first_name: text(&f, "firstName")?,
        last_name: text(&f, "lastName")?,
        job_title: text(&f, "jobTitle")?,
        company_id: company_id(&f)?,
        about: text(&f, "about")?,
        share_type: present(&f, "shareType").then(|| share_type(&f)).transpose()?,
        manager_list: present(&f, "managerList").then(|| f.guids("managerList")).transpose()?,
        custom_field_list: present(&f, "customFieldList").then(|| custom_fields(&f)).transpose()?,
        photo: None,
    })
}

/// Binds `PUT crm/contact/company/{id}`.
pub fn company_patch<N: Node>(body: &N) -> Result<CompanyPatch, BindError> {
    let f = Fields::new(body)?;
    Ok(CompanyPatch {
        company_name: text(&f, "companyName")?,
        about: text(&f, "about")?,
        share_type: present(&f, "shareType").then(|| share_type(&f)).transpose()?,
        manager_list: present(&f, "managerList").then(|| f.guids("managerList")).transpose()?,
        custom_field_list: present(&f, "customFieldList").then(|| custom_fields(&f)).transpose()?,
        photo: None,
    })
}

/// Binds `PUT crm/contact/{id}/access`: `isShared` (read/write for everyone, or private), or an exact
/// `shareType`, and `managerList`. What is left out keeps its value.
pub fn access<N: Node>(body: &N) -> Result<(Option<ShareType>, Option<Vec<uuid::Uuid>>), BindError> {
    let f = Fields::new(body)?;
    let share = if present(&f, "shareType") {
        Some(share_type(&f)?)
    } else if present(&f, "isShared") {
        Some(if f.bool("isShared")? {
            ShareType::ReadWrite
        } else {
            ShareType::None
        })
    } else {
        None
    };
    let managers = present(&f, "managerList").then(|| f.guids("managerList")).transpose()?;
    Ok((share, managers))
}

/// Binds `POST crm/contact/{id}/data` and `PUT …/data/{dataid}`: `infoType` by name or number,
/// `category` by name (of the entry's type) or number, `data`, `isPrimary`.
pub fn contact_info<N: Node>(body: &N) -> Result<ContactInfoDraft, BindError> {
    let f = Fields::new(body)?;
    let info_type = match f.raw("infoType").map(N::view) {
        None | Some(View::Null) => None,
        Some(View::Number(n)) => Some(n.to_string()),
        Some(View::Str(s)) if s.trim().is_empty() => None,
        Some(View::Str(s)) => Some(s.to_string()),
        Some(_) => return Err(err("infoType", "must be a name (Phone, Email, …) or a number")),
    }
    .map(|t| {
        InfoType::parse(&t).ok_or_else(|| {
            err(
                "infoType",
                format!("{t:?} is not an infoType (Phone, Email, Website, …)"),
            )
        })
    })
    .transpose()?;
    let category = match f.view("category") {
        Some(View::Str(s)) if !s.trim().is_empty() && s.trim().parse::<i64>().is_err() => {
            Some(Category::Name(s.trim().to_string()))
        }
        _ => f
            .int("category")
            .map_err(|_| {
                err(
                    "category",
                    "must be a category name (Home, Work, Mobile, …) or a number",
                )
            })?
            .map(|c| {
                i32::try_from(c)
                    .map(Category::Code)
                    .map_err(|_| err("category", "is out of range"))
            })
            .transpose()?,
    };
    Ok(ContactInfoDraft {
        info_type,
        category,
        data: f.string("data")?,
        is_primary: present(&f, "isPrimary").then(|| f.bool("isPrimary")).transpose()?,
    })
}

/// A required positive integer of a body.
fn required_id<N: Node>(body: &N, name: &str) -> Result<i64, BindError> {
    let f = Fields::new(body)?;
    match f.int(name)? {
        Some(id) if id > 0 => Ok(id),
        Some(_) => Err(err(name, "must be a positive integer")),
        None => Err(err(name, "is required")),
    }
}

/// The `personid` of a link or unlink body (or query).
pub fn person_id<N: Node>(body: &N) -> Result<i64, BindError> {
    required_id(body, "personid")
}

/// The `id` of the contact a NATS payload changes (REST has it in the path).
pub fn contact_id<N: Node>(body: &N) -> Result<i64, BindError> {
    required_id(body, "id")
}

/// The `dataid` of the entry of contact data a NATS payload changes (REST has it in the path).
pub fn data_id<N: Node>(body: &N) -> Result<i64, BindError> {
    required_id(body, "dataid")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_update_tells_left_out_from_cleared_and_set() {
        let p = person_patch(&json!({"firstName": "Ann", "jobTitle": null, "about": "", "companyId": 0})).unwrap();
        assert_eq!(p.first_name, Patch::Set("Ann".into()));
        assert_eq!(p.last_name, Patch::Keep);
        assert_eq!(
            (p.job_title, p.about, p.company_id),
            (Patch::Clear, Patch::Clear, Patch::Clear)
        );
        assert_eq!(
            (p.share_type, p.manager_list),
            (None, None),
            "a partial body keeps the access"
        );
        let p = person_patch(&json!({"shareType": "read", "companyId": "12"})).unwrap();
        assert_eq!((p.share_type, p.company_id), (Some(ShareType::Read), Patch::Set(12)));
        assert_eq!(person_patch(&json!({"companyId": -1})).unwrap_err().field, "companyId");
        assert_eq!(person_patch(&json!({"lastName": 5})).unwrap_err().field, "lastName");
    }

    #[test]
    fn access_reads_is_shared_or_an_exact_share_type() {
        assert_eq!(
            access(&json!({"isShared": true})).unwrap(),
            (Some(ShareType::ReadWrite), None)
        );
        assert_eq!(
            access(&json!({"isShared": "false"})).unwrap(),
            (Some(ShareType::None), None)
        );
        assert_eq!(
            access(&json!({"shareType": 2, "isShared": true})).unwrap().0,
            Some(ShareType::Read)
        );
        let (_, managers) = access(&json!({"managerList": ["9924256a-739c-462b-af15-e652a3b1b6eb"]})).unwrap();
        assert_eq!(managers.map(|m| m.len()), Some(1));
    }

    #[test]
    fn contact_data_takes_info_types_by_name_or_number_and_names_bad_fields() {
        let d = contact_info(&json!({"infoType": "email", "data": "a@b.io", "isPrimary": true})).unwrap();
        assert_eq!((d.info_type, d.is_primary), (Some(InfoType::Email), Some(true)));
        assert_eq!(
            contact_info(&json!({"infoType": 0})).unwrap().info_type,
            Some(InfoType::Phone)
        );
        assert_eq!(contact_info(&json!({"infoType": "Fax"})).unwrap_err().field, "infoType");
        assert_eq!(contact_info(&json!({"category": true})).unwrap_err().field, "category");
        assert_eq!(contact_info(&json!({"category": 1.5})).unwrap_err().field, "category");
        let by = |c: serde_json::Value| contact_info(&json!({ "category": c })).unwrap().category;
        assert_eq!(by(json!(2)), Some(Category::Code(2)));
        assert_eq!(by(json!(" 2 ")), Some(Category::Code(2)));
        assert_eq!(by(json!("Mobile")), Some(Category::Name("Mobile".into())));
        assert_eq!(by(json!("")), None);
        assert_eq!(person_id(&json!({"personid": "7"})).unwrap(), 7);
        assert_eq!(person_id(&json!({})).unwrap_err().field, "personid");
        assert_eq!(contact_id(&json!({"id": 5, "firstName": "A"})).unwrap(), 5);
        assert_eq!(contact_id(&json!({"id": "x"})).unwrap_err().field, "id");
        assert_eq!(data_id(&json!({"id": 5})).unwrap_err().field, "dataid");
    }
}
