//! A group as its events make it: the fold behind every decision and the read model.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{GroupCreated, GroupEvent};
use crate::domain::datetime::ApiDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub id: Uuid,
    pub name: String,
    /// The group's head, always one of `members`.
    pub manager: Option<Uuid>,
    /// In the order they joined.
    pub members: Vec<Uuid>,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
    pub deleted: bool,
}

impl GroupRecord {
    pub fn created(e: GroupCreated) -> Self {
        GroupRecord {
            id: e.id,
            name: e.name,
            manager: e.manager,
            members: e.members,
            created_by: e.created_by,
            created_at: e.created_at,
            deleted: false,
        }
    }

    pub fn is_member(&self, user: Uuid) -> bool {
        self.members.contains(&user)
    }

    /// Folds one event that follows the creation.
    pub fn apply(&mut self, event: GroupEvent) {
        match event {
            GroupEvent::GroupCreated(e) => *self = GroupRecord::created(e),
            GroupEvent::GroupRenamed(e) => self.name = e.name,
            GroupEvent::GroupManagerChanged(e) => self.manager = e.manager,
            GroupEvent::GroupMembersAdded(e) => {
                let mut present: HashSet<Uuid> = self.members.iter().copied().collect();
                self.members
                    .extend(e.members.into_iter().filter(|id| present.insert(*id)));
            }
            GroupEvent::GroupMembersRemoved(e) => {
                let gone: HashSet<Uuid> = e.members.into_iter().collect();
                self.members.retain(|id| !gone.contains(id));
            }
            GroupEvent::GroupDeleted(_) => self.deleted = true,
        }
    }
}
