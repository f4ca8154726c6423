//! Group events: stable `event_type` names and versions ("1"); new fields come with serde defaults.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::datetime::ApiDateTime;
use crate::domain::person::Deleted;

/// Every event of a group's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GroupEvent {
    GroupCreated(GroupCreated),
    GroupRenamed(GroupRenamed),
    /// A new head, or none (`manager: null`).
    GroupManagerChanged(GroupManagerChanged),
    /// Users who joined, in the order they joined.
    GroupMembersAdded(GroupMembers),
    /// Users who left.
    GroupMembersRemoved(GroupMembers),
    /// The end of the stream: the group and every membership in it are gone.
    GroupDeleted(Deleted),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCreated {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub manager: Option<Uuid>,
    /// The manager first (when there is one), then the members named, without repeats.
    #[serde(default)]
    pub members: Vec<Uuid>,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRenamed {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupManagerChanged {
    #[serde(default)]
    pub manager: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembers {
    pub members: Vec<Uuid>,
}

impl DomainEvent for GroupEvent {
    fn event_type(&self) -> String {
        match self {
            GroupEvent::GroupCreated(_) => "GroupCreated",
            GroupEvent::GroupRenamed(_) => "GroupRenamed",
            GroupEvent::GroupManagerChanged(_) => "GroupManagerChanged",
            GroupEvent::GroupMembersAdded(_) => "GroupMembersAdded",
            GroupEvent::GroupMembersRemoved(_) => "GroupMembersRemoved",
            GroupEvent::GroupDeleted(_) => "GroupDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
