//! Binding the bodies and path values of changes to portal users, with ONLYOFFICE's names and its
//! update rule for people: a field left out or sent as `null` keeps its value, `""` clears it (a
//! date of `1900-01-01` too, as ONLYOFFICE resets dates with it), and an unknown `sex` keeps it.

use uuid::Uuid;

use super::input::{BindError, Fields, contacts, err};
use super::node::Node;
use crate::domain::datetime::ApiDateTime;
use crate::domain::user::{UserPatch, UserStatus, UserType};
use crate::domain::values::{Patch, Sex, parse_guid};

/// Most users one status or type change may name.
pub const MAX_USER_IDS: usize = 1000;

/// A text field of a profile update.
fn text<N: Node>(f: &Fields<'_, N>, name: &str) -> Result<Patch<String>, BindError> {
    Ok(match f.string(name)? {
        None => Patch::Keep,
        Some(s) if s.is_empty() => Patch::Clear,
        Some(s) => Patch::Set(s),
    })
}

/// A date of a profile update; ONLYOFFICE's reset date `1900-01-01` clears it.
fn date<N: Node>(f: &Fields<'_, N>, name: &str) -> Result<Patch<ApiDateTime>, BindError> {
    let reset = chrono::NaiveDate::from_ymd_opt(1900, 1, 1);
    Ok(match f.string(name)? {
        None => Patch::Keep,
        Some(s) if s.trim().is_empty() => Patch::Clear,
        Some(_) => match f.date(name)? {
            Some(d) if Some(d.as_utc().date_naive()) == reset => Patch::Clear,
            Some(d) => Patch::Set(d),
            None => Patch::Keep,
        },
    })
}

/// Whether `name` is in the body with a value other than `null`.
fn given<N: Node>(f: &Fields<'_, N>, name: &str) -> bool {
    f.raw(name).is_some_and(|v| !v.is_null())
}

/// Binds `PUT people/{userid}`: the fields of `POST people` but `email` and `password` (which have
/// routes of their own and are ignored here, as ONLYOFFICE ignores them), and `disable`.
pub fn user_patch<N: Node>(body: &N) -> Result<UserPatch, BindError> {
    let f = Fields::new(body)?;
    let sex = match f.string("sex")? {
        None => Patch::Keep,
        Some(s) if s.trim().is_empty() => Patch::Clear,
        Some(s) => Sex::parse_lenient(&s).map_or(Patch::Keep, Patch::Set),
    };
    let lead = match f.string("lead")? {
        None => Patch::Keep,
        Some(s) if s.trim().is_empty() => Patch::Clear,
        Some(s) => Patch::Set(parse_guid(&s).ok_or_else(|| err("lead", "must be a GUID"))?),
    };
    Ok(UserPatch {
        first_name: text(&f, "firstname")?,
        last_name: text(&f, "lastname")?,
        title: text(&f, "title")?,
        location: text(&f, "location")?,
        sex,
        birthday: date(&f, "birthday")?,
        works_from: date(&f, "worksfrom")?,
        comment: text(&f, "comment")?,
        department: given(&f, "department").then(|| f.guids("department")).transpose()?,
        contacts: given(&f, "contacts").then(|| contacts(&f)).transpose()?,
        files: text(&f, "files")?,
        lead,
        is_visitor: given(&f, "isVisitor").then(|| f.bool("isVisitor")).transpose()?,
        disable: given(&f, "disable").then(|| f.bool("disable")).transpose()?,
    })
}

/// The `userIds` of `PUT people/status/{status}` and `PUT people/type/{type}` (required; GUIDs).
pub fn user_ids<N: Node>(body: &N) -> Result<Vec<Uuid>, BindError> {
    const F: &str = "userIds";
    let f = Fields::new(body)?;
    if !given(&f, F) {
        return Err(err(F, "is required: the GUIDs of the users to change"));
    }
    let ids = f.guids(F)?;
    if ids.len() > MAX_USER_IDS {
        return Err(err(F, format!("names more than {MAX_USER_IDS} users")));
    }
    Ok(ids)
}

/// A required string field (`email` of an email change, `password` of a password change).
pub fn required<N: Node>(body: &N, name: &str) -> Result<String, BindError> {
    Fields::new(body)?
        .string(name)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| err(name, "is required"))
}

/// The `{status}` of `PUT people/status/{status}`: `Active` or `Terminated`, by name (any case) or
/// number.
pub fn user_status(raw: &str) -> Result<UserStatus, BindError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "active" | "1" => Ok(UserStatus::Active),
        "terminated" | "2" => Ok(UserStatus::Terminated),
        _ => Err(err("status", "must be Active or Terminated")),
    }
}

/// The `{type}` of `PUT people/type/{type}`: `User` or `Visitor`, by name (any case) or number.
pub fn user_type(raw: &str) -> Result<UserType, BindError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "user" | "1" => Ok(UserType::User),
        "visitor" | "2" => Ok(UserType::Visitor),
        _ => Err(err("type", "must be User or Visitor")),
    }
}

/// `PUT settings/security/administrator`: the user, and whether they are to be an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdministratorChange {
    pub user_id: Uuid,
    pub administrator: bool,
}

/// Binds `PUT settings/security/administrator`: `userid`, `administrator` (`false` when left out,
/// as ONLYOFFICE binds a missing bool) and `productid`, which must be the empty GUID or left out:
/// only administrators of the whole portal exist here, no product (module) administrators.
pub fn administrator<N: Node>(body: &N) -> Result<AdministratorChange, BindError> {
    let f = Fields::new(body)?;
    let user_id = f.guid("userid")?.ok_or_else(|| err("userid", "is required"))?;
    if f.guid("productid")?.is_some_and(|p| !p.is_nil()) {
        return Err(err(
            "productid",
            "must be the empty GUID (the whole portal): product administrators do not exist here",
        ));
    }
    Ok(AdministratorChange {
        user_id,
        administrator: f.bool("administrator")?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn null_and_left_out_keep_a_value_empty_clears_it() {
        let p = user_patch(
            &json!({"firstname": "Ann", "title": null, "location": "", "sex": "robot",
            "birthday": "1900-01-01T00:00:00Z", "lead": "", "disable": "true"}),
        )
        .unwrap();
        assert_eq!(p.first_name, Patch::Set("Ann".into()));
        assert_eq!((p.title, p.last_name), (Patch::Keep, Patch::Keep));
        assert_eq!((p.location, p.lead), (Patch::Clear, Patch::Clear));
        assert_eq!(p.sex, Patch::Keep, "an unknown sex keeps the value, as ONLYOFFICE does");
        assert_eq!(p.birthday, Patch::Clear);
        assert_eq!((p.disable, p.is_visitor, p.department), (Some(true), None, None));
        let p = user_patch(&json!({"department": [], "contacts": null, "isVisitor": false})).unwrap();
        assert_eq!(
            (p.department, p.contacts, p.is_visitor),
            (Some(vec![]), None, Some(false))
        );
        assert_eq!(user_patch(&json!({"lead": "x"})).unwrap_err().field, "lead");
        assert_eq!(user_patch(&json!({"birthday": "soon"})).unwrap_err().field, "birthday");
    }

    #[test]
    fn bulk_changes_need_user_ids_and_a_known_status_or_type() {
        let id = "9924256a-739c-462b-af15-e652a3b1b6eb";
        assert_eq!(user_ids(&json!({"userIds": [id]})).unwrap().len(), 1);
        assert_eq!(
            user_ids(&json!({"userIds": id})).unwrap().len(),
            1,
            "a form's single value"
        );
        assert_eq!(user_ids(&json!({})).unwrap_err().field, "userIds");
        assert_eq!(user_ids(&json!({"userIds": ["x"]})).unwrap_err().field, "userIds");
        assert_eq!(user_status("terminated"), Ok(UserStatus::Terminated));
        assert_eq!(user_status("1"), Ok(UserStatus::Active));
        assert_eq!(user_status("LeaveOfAbsence").unwrap_err().field, "status");
        assert_eq!(user_type("Visitor"), Ok(UserType::Visitor));
        assert_eq!(user_type("all").unwrap_err().field, "type");
    }

    #[test]
    fn administrator_rights_are_for_the_whole_portal_only() {
        let id = "9924256a-739c-462b-af15-e652a3b1b6eb";
        let a = administrator(&json!({"userid": id, "administrator": "True"})).unwrap();
        assert!(a.administrator);
        let nil = "00000000-0000-0000-0000-000000000000";
        assert!(administrator(&json!({"userid": id, "productid": nil})).is_ok());
        let crm = "6743007c-6f95-4d20-8c88-a8601ce5e76d";
        let e = administrator(&json!({"userid": id, "productid": crm})).unwrap_err();
        assert_eq!(e.field, "productid");
        assert_eq!(administrator(&json!({})).unwrap_err().field, "userid");
    }
}
