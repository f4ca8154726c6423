//! `rollcall.v1` groups ⇄ drafts, patches and views.

use uuid::Uuid;

use super::contacts::version;
use super::convert::{Invalid, guid, guids, invalid, text, timestamp_out};
use super::pb::{self, CreateGroupRequest, UpdateGroupRequest};
use super::persons::creator;
use crate::application::{GroupRef, GroupView};
use crate::domain::group::{GroupDraft, GroupPatch};
use crate::domain::values::Patch;

/// A GUID that may be left blank (`manager`): `None` then.
fn optional_guid(field: &'static str, value: Option<&str>) -> Result<Option<Uuid>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => guid(field, v).map(Some),
    }
}

/// The group a request names by its `id`.
pub fn group_id(id: &str) -> Result<Uuid, Invalid> {
    guid("id", id.trim())
}

/// The `members` of a request.
pub fn members(values: &[String]) -> Result<Vec<Uuid>, Invalid> {
    guids("members", values)
}

/// `CreateGroupRequest` → a draft (`request_id` is read by the caller).
pub fn group_draft(req: CreateGroupRequest) -> Result<GroupDraft, Invalid> {
    Ok(GroupDraft {
        manager: optional_guid("manager", req.manager.as_deref())?,
        members: members(&req.members)?,
        name: text("name", req.name)?,
    })
}

/// `UpdateGroupRequest` → a patch: unset fields keep their value; `clear_fields` may name `manager`.
pub fn group_patch(req: &UpdateGroupRequest) -> Result<GroupPatch, Invalid> {
    if let Some(other) = req.clear_fields.iter().find(|f| f.as_str() != "manager") {
        return Err(invalid(
            "clear_fields",
            format!("{other:?} cannot be cleared (one of: manager)"),
        ));
    }
    let cleared = !req.clear_fields.is_empty();
    let manager = match (cleared, optional_guid("manager", req.manager.as_deref())?) {
        (true, Some(_)) => return Err(invalid("clear_fields", "\"manager\" is both set and cleared")),
        (true, None) => Patch::Clear,
        (false, Some(id)) => Patch::Set(id),
        (false, None) => Patch::Keep,
    };
    Ok(GroupPatch {
        name: text("name", req.name.clone())?,
        manager,
        members: req.members.as_ref().map(|m| members(&m.ids)).transpose()?,
    })
}

pub fn group(v: GroupView) -> pb::Group {
    pb::Group {
        id: v.id.to_string(),
        name: v.name,
        manager: v.manager.map(creator),
        members: v.members.into_iter().map(creator).collect(),
        created_by: v.created_by.to_string(),
        created: Some(timestamp_out(v.created_at)),
        version: version(v.version),
    }
}

pub fn group_summary(g: GroupRef) -> pb::GroupSummary {
    pb::GroupSummary {
        id: g.id.to_string(),
        name: g.name,
        manager: g.manager,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_what_is_unset_and_clears_only_the_manager() {
        let keep = group_patch(&UpdateGroupRequest::default()).unwrap();
        assert_eq!(keep, GroupPatch::default());
        let none = UpdateGroupRequest {
            members: Some(pb::MemberList { ids: vec![] }),
            clear_fields: vec!["manager".into()],
            ..Default::default()
        };
        let patch = group_patch(&none).unwrap();
        assert_eq!((patch.manager, patch.members), (Patch::Clear, Some(vec![])));
        let both = UpdateGroupRequest {
            manager: Some(Uuid::nil().to_string()),
            clear_fields: vec!["manager".into()],
            ..Default::default()
        };
        assert_eq!(group_patch(&both).unwrap_err().field, "clear_fields");
        let name = UpdateGroupRequest {
            clear_fields: vec!["name".into()],
            ..Default::default()
        };
        assert_eq!(group_patch(&name).unwrap_err().field, "clear_fields");
        let bad = UpdateGroupRequest {
            members: Some(pb::MemberList { ids: vec!["x".into()] }),
            ..Default::default()
        };
        assert_eq!(group_patch(&bad).unwrap_err().field, "members");
    }
}
