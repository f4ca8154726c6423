//! Groups on the wire (ONLYOFFICE `api/2.0/group`, People-style PascalCase): binding `groupName`,
//! `groupManager`, `members` and `userid`, and writing `GroupWrapperFull` with its `EmployeeWraper`s.
//! The summary (`{Id, Name, Manager}`, also a user's `Groups`) is `output::GroupDto`.

use serde::Serialize;
use uuid::Uuid;

use super::input::{BindError, Fields, err};
use super::node::Node;
use super::output::{AVATAR_SMALL, profile_url};
use crate::application::{Creator, GroupView};
use crate::domain::group::{GroupDraft, GroupPatch};
use crate::domain::values::Patch;

/// A GUID where the nil GUID (what ONLYOFFICE sends for "none") counts as absent.
fn someone<N: Node>(f: &Fields<'_, N>, name: &str) -> Result<Option<Uuid>, BindError> {
    Ok(f.guid(name)?.filter(|id| !id.is_nil()))
}

/// Binds `POST group`.
pub fn group_draft<N: Node>(body: &N) -> Result<GroupDraft, BindError> {
    let f = Fields::new(body)?;
    Ok(GroupDraft {
        name: f.string("groupName")?,
        manager: someone(&f, "groupManager")?,
        members: f.guids("members")?,
    })
}

/// Binds `PUT group/{id}`: a field left out (or `null`) keeps its value, except `groupManager`, which
/// `null`, `""` or the nil GUID clears; `members` replaces the members.
pub fn group_patch<N: Node>(body: &N) -> Result<GroupPatch, BindError> {
    let f = Fields::new(body)?;
    let manager = match f.raw("groupManager") {
        None => Patch::Keep,
        Some(_) => someone(&f, "groupManager")?.map_or(Patch::Clear, Patch::Set),
    };
    let members = match f.raw("members") {
        Some(v) if !v.is_null() => Some(f.guids("members")?),
        _ => None,
    };
    Ok(GroupPatch {
        name: f.string("groupName")?,
        manager,
        members,
    })
}

/// Binds the `members` of `PUT`, `POST` and `DELETE group/{id}/members` (required, may be empty).
pub fn members<N: Node>(body: &N) -> Result<Vec<Uuid>, BindError> {
    let f = Fields::new(body)?;
    match f.raw("members") {
        Some(v) if !v.is_null() => f.guids("members"),
        _ => Err(err("members", "is required: the users' GUIDs")),
    }
}

/// Binds the `userid` of `PUT group/{id}/manager` (required).
pub fn manager<N: Node>(body: &N) -> Result<Uuid, BindError> {
    someone(&Fields::new(body)?, "userid")?.ok_or_else(|| err("userid", "is required: the manager's GUID"))
}

/// ONLYOFFICE's `EmployeeWraper` in People's PascalCase: a group's manager or member.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EmployeeDto {
    pub id: Uuid,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub avatar_small: &'static str,
    pub profile_url: String,
}

fn employee(c: &Creator) -> EmployeeDto {
    EmployeeDto {
        id: c.id,
        display_name: c.display_name.clone(),
        title: c.title.clone(),
        avatar_small: AVATAR_SMALL,
        profile_url: c.user_name.as_deref().map(profile_url).unwrap_or_default(),
    }
}

/// ONLYOFFICE's `GroupWrapperFull`, in its `DataMember` order. Departments have no parent and the
/// default category (both the nil GUID) and no description.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GroupFullDto {
    pub id: Uuid,
    pub name: String,
    pub category: Uuid,
    pub parent: Uuid,
    pub description: Option<String>,
    #[serde(rename = "IsLDAP")]
    pub is_ldap: bool,
    /// `null` when the group has no manager.
    pub manager: Option<EmployeeDto>,
    /// Left out of a deleted group's answer, as ONLYOFFICE does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<EmployeeDto>>,
}

/// The full group; `with_members: false` leaves the members out (a delete's answer).
pub fn group(v: &GroupView, with_members: bool) -> GroupFullDto {
    GroupFullDto {
        id: v.id,
        name: v.name.clone(),
        category: Uuid::nil(),
        parent: Uuid::nil(),
        description: None,
        is_ldap: false,
        manager: v.manager.as_ref().map(employee),
        members: with_members.then(|| v.members.iter().map(employee).collect()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_patch_keeps_what_is_left_out_and_clears_the_manager_only_when_asked() {
        let keep = group_patch(&json!({})).unwrap();
        assert_eq!(keep, GroupPatch::default());
        let null_name = group_patch(&json!({"groupName": null, "members": null})).unwrap();
        assert_eq!((null_name.name, null_name.members), (None, None));
        for cleared in [json!(null), json!(""), json!(Uuid::nil())] {
            let patch = group_patch(&json!({ "groupManager": cleared })).unwrap();
            assert_eq!(patch.manager, Patch::Clear);
        }
        let id = Uuid::from_u128(7);
        let patch = group_patch(&json!({"GROUPMANAGER": id, "members": []})).unwrap();
        assert_eq!((patch.manager, patch.members), (Patch::Set(id), Some(vec![])));
        assert_eq!(group_patch(&json!({"members": ["x"]})).unwrap_err().field, "members");
    }

    #[test]
    fn members_and_userid_are_required_guids() {
        assert_eq!(members(&json!({})).unwrap_err().field, "members");
        assert_eq!(members(&json!({"members": []})).unwrap(), Vec::<Uuid>::new());
        assert_eq!(manager(&json!({})).unwrap_err().field, "userid");
        assert_eq!(manager(&json!({"userid": "nope"})).unwrap_err().field, "userid");
        let draft = group_draft(&json!({"groupName": "Sales", "groupManager": Uuid::nil()})).unwrap();
        assert_eq!((draft.name.as_deref(), draft.manager), (Some("Sales"), None));
    }

    #[test]
    fn a_full_group_has_onlyoffice_s_keys_in_order() {
        let v = GroupView {
            id: Uuid::from_u128(1),
            name: "Sales".into(),
            manager: None,
            members: vec![Creator {
                id: Uuid::from_u128(2),
                user_name: Some("ann".into()),
                display_name: Some("Ann Lee".into()),
                title: None,
            }],
            created_by: Uuid::nil(),
            created_at: crate::domain::datetime::ApiDateTime::parse("2025-01-10").unwrap(),
            version: 1,
        };
        let got = serde_json::to_value(group(&v, true)).unwrap();
        let keys: Vec<&str> = got.as_object().unwrap().keys().map(String::as_str).collect();
        let expected = [
            "Id",
            "Name",
            "Category",
            "Parent",
            "Description",
            "IsLDAP",
            "Manager",
            "Members",
        ];
        assert_eq!(keys, expected);
        assert_eq!(got["Manager"], Value::Null);
        assert_eq!(
            got["Members"][0]["ProfileUrl"],
            "/Products/People/Profile.aspx?user=ann"
        );
        assert!(serde_json::to_value(group(&v, false)).unwrap().get("Members").is_none());
    }
}
