//! How a group decides the commands that follow its creation: each returns the events that say exactly
//! what changed (none when nothing does), or the rule it breaks. After every command the manager, when
//! there is one, is a member.

use std::collections::{BTreeSet, HashSet};

use uuid::Uuid;

use super::commands::{self, GroupCommand, GroupPatch, MAX_MEMBERS};
use super::error::GroupError;
use super::events::{GroupEvent, GroupManagerChanged, GroupMembers, GroupRenamed};
use super::record::GroupRecord;
use crate::domain::person::Deleted;
use crate::domain::values::Patch;

/// The events of `command` on the live group `r` (`Create` is decided by the aggregate itself).
pub(super) fn decide(r: &GroupRecord, command: GroupCommand) -> Result<Vec<GroupEvent>, GroupError> {
    match command {
        GroupCommand::Create(_) => Err(GroupError::AlreadyCreated),
        GroupCommand::Update { patch, known } => update(r, &patch, &known),
        GroupCommand::AddMembers { members, known } => {
            let current = current(r);
            let named = commands::members(&members, &current, &known)?;
            let added: Vec<Uuid> = named.into_iter().filter(|id| !current.contains(id)).collect();
            if r.members.len() + added.len() > MAX_MEMBERS {
                return Err(GroupError::TooManyMembers);
            }
            Ok(joined(added).into_iter().collect())
        }
        GroupCommand::RemoveMembers { members } => {
            let named: HashSet<Uuid> = members.into_iter().collect();
            let removed: Vec<Uuid> = r.members.iter().copied().filter(|id| named.contains(id)).collect();
            let mut events = Vec::new();
            if r.manager.is_some_and(|m| named.contains(&m)) {
                events.push(GroupEvent::GroupManagerChanged(GroupManagerChanged { manager: None }));
            }
            events.extend(left(removed));
            Ok(events)
        }
        GroupCommand::Delete => Ok(vec![GroupEvent::GroupDeleted(Deleted {})]),
    }
}

fn current(r: &GroupRecord) -> HashSet<Uuid> {
    r.members.iter().copied().collect()
}

fn joined(members: Vec<Uuid>) -> Option<GroupEvent> {
    (!members.is_empty()).then_some(GroupEvent::GroupMembersAdded(GroupMembers { members }))
}

fn left(members: Vec<Uuid>) -> Option<GroupEvent> {
    (!members.is_empty()).then_some(GroupEvent::GroupMembersRemoved(GroupMembers { members }))
}

/// `PUT group/{id}`: rename, set or clear the manager, replace the members (the manager stays one).
fn update(r: &GroupRecord, p: &GroupPatch, known: &BTreeSet<Uuid>) -> Result<Vec<GroupEvent>, GroupError> {
    let mut events = Vec::new();
    if let Some(name) = &p.name {
        let name = commands::name(Some(name))?;
        if name != r.name {
            events.push(GroupEvent::GroupRenamed(GroupRenamed { name }));
        }
    }
    let manager = match p.manager {
        Patch::Keep => r.manager,
        Patch::Clear => None,
        Patch::Set(id) if r.manager == Some(id) => Some(id),
        Patch::Set(id) => Some(commands::manager(id, known)?),
    };
    let current = current(r);
    let mut members = match &p.members {
        None => r.members.clone(),
        Some(list) => commands::members(list, &current, known)?,
    };
    if let Some(m) = manager
        && !members.contains(&m)
    {
        members.insert(0, m);
    }
    if members.len() > MAX_MEMBERS {
        return Err(GroupError::TooManyMembers);
    }
    let after: HashSet<Uuid> = members.iter().copied().collect();
    let removed = r.members.iter().copied().filter(|id| !after.contains(id)).collect();
    let added = members.into_iter().filter(|id| !current.contains(id)).collect();
    events.extend(left(removed));
    events.extend(joined(added));
    if manager != r.manager {
        events.push(GroupEvent::GroupManagerChanged(GroupManagerChanged { manager }));
    }
    Ok(events)
}
