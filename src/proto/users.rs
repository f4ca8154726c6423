//! `rollcall.v1` users ⇄ drafts, patches and views: creates, profile updates (an unset field keeps
//! its value, `clear_fields` empties fields), status and type changes, administrator rights. Shared
//! by gRPC and protobuf NATS payloads.

use secrecy::SecretString;
use uuid::Uuid;

use super::contacts::{Cleared, version};
use super::convert::{Invalid, checked, guid, guids, invalid, text, timestamp_in, timestamp_out};
use super::pb::{self, CreateUserRequest, UpdateUserRequest};
use crate::application::UserView;
use crate::domain::user::{ActivationStatus, ContactInput, UserContact, UserDraft, UserPatch, UserStatus, UserType};
use crate::domain::values::{Patch, Sex};

/// Most users one status or type change may name (as over REST).
pub const MAX_USER_IDS: usize = 1000;

/// What `clear_fields` of `UpdateUserRequest` may name (`first_name`, `last_name` and `works_from`
/// are refused by the domain, naming them).
const USER_CLEARABLE: &[&str] = &[
    "first_name",
    "last_name",
    "title",
    "location",
    "sex",
    "birthday",
    "works_from",
    "comment",
    "department",
    "contacts",
    "files",
    "lead",
];

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
        contacts: contacts_in(req.contacts)?,
        files: text("files", req.files)?,
        password: text("password", req.password)?.map(SecretString::from),
    })
}

fn contacts_in(contacts: Vec<pb::Contact>) -> Result<Vec<ContactInput>, Invalid> {
    contacts
        .into_iter()
        .map(|c| {
            Ok(ContactInput {
                kind: checked("contacts", c.r#type)?,
                value: checked("contacts", c.value)?,
            })
        })
        .collect()
}

/// `UpdateUserRequest` → a patch (`id`, `expected_version` and `request_id` are read by the caller).
pub fn user_patch(req: UpdateUserRequest) -> Result<UserPatch, Invalid> {
    let clear = Cleared::new(&req.clear_fields, USER_CLEARABLE)?;
    // `SEX_UNSPECIFIED` clears, as "no sex" reads back.
    let sex = req.sex.map(sex_in).transpose()?;
    let sex = match (clear.has("sex", matches!(sex, Some(Some(_))))?, sex) {
        (true, _) | (false, Some(None)) => Patch::Clear,
        (false, Some(Some(s))) => Patch::Set(s),
        (false, None) => Patch::Keep,
    };
    // A blank lead clears it, as over REST.
    let lead = req.lead.map(|l| l.trim().to_string());
    let lead = match (clear.has("lead", lead.as_deref().is_some_and(|l| !l.is_empty()))?, lead) {
        (true, _) => Patch::Clear,
        (false, Some(l)) if l.is_empty() => Patch::Clear,
        (false, Some(l)) => Patch::Set(guid("lead", &l)?),
        (false, None) => Patch::Keep,
    };
    let department = clear.list("department", req.department)?;
    Ok(UserPatch {
        first_name: clear.text("first_name", text("first_name", req.first_name)?)?,
        last_name: clear.text("last_name", text("last_name", req.last_name)?)?,
        title: clear.text("title", text("title", req.title)?)?,
        location: clear.text("location", text("location", req.location)?)?,
        sex,
        birthday: clear.text("birthday", timestamp_in("birthday", req.birthday)?)?,
        works_from: clear.text("works_from", timestamp_in("works_from", req.works_from)?)?,
        comment: clear.text("comment", text("comment", req.comment)?)?,
        department: department.map(|d| guids("department", &d)).transpose()?,
        contacts: clear.list("contacts", req.contacts)?.map(contacts_in).transpose()?,
        files: clear.text("files", text("files", req.files)?)?,
        lead,
        is_visitor: req.is_visitor,
        disable: req.disable,
    })
}

/// The `user_ids` of a status or type change: GUIDs, at most [`MAX_USER_IDS`].
pub fn user_ids(ids: &[String]) -> Result<Vec<Uuid>, Invalid> {
    if ids.len() > MAX_USER_IDS {
        return Err(invalid("user_ids", format!("names more than {MAX_USER_IDS} users")));
    }
    guids("user_ids", ids)
}

/// The `status` of `SetUserStatusRequest`: only Active and Terminated can be set.
pub fn user_status_in(value: i32) -> Result<UserStatus, Invalid> {
    match pb::UserStatus::try_from(value) {
        Ok(pb::UserStatus::Active) => Ok(UserStatus::Active),
        Ok(pb::UserStatus::Terminated) => Ok(UserStatus::Terminated),
        _ => Err(invalid(
            "status",
            format!("{value} cannot be set: USER_STATUS_ACTIVE (1) or USER_STATUS_TERMINATED (2)"),
        )),
    }
}

/// The `type` of `SetUserTypeRequest`.
pub fn user_type_in(value: i32) -> Result<UserType, Invalid> {
    match pb::UserType::try_from(value) {
        Ok(pb::UserType::User) => Ok(UserType::User),
        Ok(pb::UserType::Visitor) => Ok(UserType::Visitor),
        _ => Err(invalid(
            "type",
            format!("{value} is not a type: USER_TYPE_USER (1) or USER_TYPE_VISITOR (2)"),
        )),
    }
}

/// `SetAdministratorRequest`: the user and whether they are to be an administrator of the whole
/// portal (`product_id` empty or the empty GUID: there are no product administrators).
pub fn administrator(req: &pb::SetAdministratorRequest) -> Result<(Uuid, bool), Invalid> {
    let user = guid("user_id", &req.user_id)?;
    let product = req.product_id.trim();
    if !product.is_empty() && !guid("product_id", product)?.is_nil() {
        return Err(invalid(
            "product_id",
            "must be empty or the empty GUID (the whole portal): product administrators do not exist here",
        ));
    }
    Ok((user, req.administrator))
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
        version: version(v.version),
        terminated: v.terminated.map(timestamp_out),
    }
}

fn contact(c: UserContact) -> pb::Contact {
    pb::Contact {
        r#type: c.kind,
        value: c.value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAD: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

    #[test]
    fn an_update_keeps_what_is_unset_sets_what_is_set_and_clears_what_is_named() {
        let p = user_patch(UpdateUserRequest {
            first_name: Some("Ann".into()),
            location: Some(String::new()),
            sex: Some(pb::Sex::Unspecified.into()),
            lead: Some(LEAD.into()),
            department: vec![LEAD.into()],
            disable: Some(true),
            clear_fields: vec!["title".into(), "contacts".into(), "birthday".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.first_name, Patch::Set("Ann".into()));
        assert_eq!(p.location, Patch::Set(String::new()), "blank: the domain clears it");
        assert_eq!(
            (p.last_name, p.comment, p.files),
            (Patch::Keep, Patch::Keep, Patch::Keep)
        );
        assert_eq!((p.title, p.sex, p.birthday), (Patch::Clear, Patch::Clear, Patch::Clear));
        assert_eq!(p.lead, Patch::Set(LEAD.parse().unwrap()));
        assert_eq!(p.department.map(|d| d.len()), Some(1));
        assert_eq!(p.contacts, Some(vec![]));
        assert_eq!((p.disable, p.is_visitor, p.works_from), (Some(true), None, Patch::Keep));
        let kept = user_patch(UpdateUserRequest::default()).unwrap();
        assert_eq!(kept, UserPatch::default(), "an empty request changes nothing");
        let blank_lead = user_patch(UpdateUserRequest {
            lead: Some(" ".into()),
            ..Default::default()
        });
        assert_eq!(blank_lead.unwrap().lead, Patch::Clear);
    }

    #[test]
    fn bad_values_and_contradictions_name_their_field() {
        let cases = [
            (
                UpdateUserRequest {
                    sex: Some(7),
                    ..Default::default()
                },
                "sex",
            ),
            (
                UpdateUserRequest {
                    lead: Some("boss".into()),
                    ..Default::default()
                },
                "lead",
            ),
            (
                UpdateUserRequest {
                    department: vec!["x".into()],
                    ..Default::default()
                },
                "department",
            ),
            (
                UpdateUserRequest {
                    title: Some("CEO".into()),
                    clear_fields: vec!["title".into()],
                    ..Default::default()
                },
                "clear_fields",
            ),
            (
                UpdateUserRequest {
                    clear_fields: vec!["email".into()],
                    ..Default::default()
                },
                "clear_fields",
            ),
            (
                UpdateUserRequest {
                    comment: Some("a\u{0}".into()),
                    ..Default::default()
                },
                "comment",
            ),
        ];
        for (req, field) in cases {
            assert_eq!(user_patch(req).unwrap_err().field, field);
        }
    }

    #[test]
    fn status_type_ids_and_products_are_checked() {
        assert_eq!(user_status_in(2), Ok(UserStatus::Terminated));
        for bad in [0, 4, 9] {
            assert_eq!(user_status_in(bad).unwrap_err().field, "status");
        }
        assert_eq!(user_type_in(2), Ok(UserType::Visitor));
        assert_eq!(user_type_in(0).unwrap_err().field, "type");
        assert_eq!(user_ids(&["nope".into()]).unwrap_err().field, "user_ids");
        assert_eq!(user_ids(&vec![LEAD.into(); 1001]).unwrap_err().field, "user_ids");
        let mut req = pb::SetAdministratorRequest {
            user_id: LEAD.into(),
            administrator: true,
            product_id: "00000000-0000-0000-0000-000000000000".into(),
            ..Default::default()
        };
        assert_eq!(administrator(&req), Ok((LEAD.parse().unwrap(), true)));
        req.product_id = LEAD.into();
        assert_eq!(administrator(&req).unwrap_err().field, "product_id");
        req.user_id = String::new();
        assert_eq!(administrator(&req).unwrap_err().field, "user_id");
    }
}
