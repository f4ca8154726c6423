//! Group commands, what a client sends for them, and the rules on names and member lists.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::GroupError;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Patch, char_len, non_blank};

/// Longest group name, as ONLYOFFICE's `core_group.name varchar(128)`.
pub const MAX_GROUP_NAME: usize = 128;
/// Most members a group holds (and a command names): the record stays well within one event's bound
/// (`size::MAX_RECORD_BYTES`, 512 KiB; a member costs 39 bytes of JSON).
pub const MAX_MEMBERS: usize = 10_000;

/// What a client sent for `POST group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDraft {
    pub name: Option<String>,
    /// The group's head; also made a member.
    pub manager: Option<Uuid>,
    pub members: Vec<Uuid>,
}

/// `PUT group/{id}`: what is left out keeps its value; `members` replaces the members (the manager
/// stays one); `manager: Clear` leaves the group without a head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub manager: Patch<Uuid>,
    pub members: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupCommand {
    Create(CreateGroup),
    /// Rename, set or clear the manager, replace the members. `known`: the users among those the patch
    /// names that exist (looked up by the application).
    Update {
        patch: GroupPatch,
        known: BTreeSet<Uuid>,
    },
    /// Adds whoever is not a member yet; each must be a user (`known`).
    AddMembers {
        members: Vec<Uuid>,
        known: BTreeSet<Uuid>,
    },
    /// Removes whoever is a member (anyone else is ignored, as ONLYOFFICE does); a removed manager
    /// stops being the manager.
    RemoveMembers {
        members: Vec<Uuid>,
    },
    Delete,
}

/// Create the group `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateGroup {
    pub id: Uuid,
    pub draft: GroupDraft,
    /// The users among those the draft names that exist (looked up by the application).
    pub known: BTreeSet<Uuid>,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

/// A group name: trimmed, not blank, at most [`MAX_GROUP_NAME`] characters.
pub(super) fn name(value: Option<&str>) -> Result<String, GroupError> {
    let name = value.and_then(non_blank).ok_or(GroupError::NameRequired)?;
    if char_len(name) > MAX_GROUP_NAME {
        return Err(GroupError::NameTooLong);
    }
    Ok(name.to_string())
}

/// `ids` without repeats, in the order first named, at most [`MAX_MEMBERS`]; each one that is not a
/// member already (`current`) must be a user (`known`): a member whose user was deleted since may stay.
pub(super) fn members(ids: &[Uuid], current: &HashSet<Uuid>, known: &BTreeSet<Uuid>) -> Result<Vec<Uuid>, GroupError> {
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len().min(MAX_MEMBERS));
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(*id) {
            continue;
        }
        if out.len() == MAX_MEMBERS {
            return Err(GroupError::TooManyMembers);
        }
        if !known.contains(id) && !current.contains(id) {
            return Err(GroupError::MemberUnknown(*id));
        }
        out.push(*id);
    }
    Ok(out)
}

/// A manager the command names, which must be a user (`known`).
pub(super) fn manager(id: Uuid, known: &BTreeSet<Uuid>) -> Result<Uuid, GroupError> {
    known.contains(&id).then_some(id).ok_or(GroupError::ManagerUnknown(id))
}
