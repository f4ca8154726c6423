//! The group (department) aggregate: ONLYOFFICE's `api/2.0/group`. A group has a name, at most one
//! manager and its members; the manager is always one of the members.
//!
//! **Where membership lives: on the group's stream.** A user's groups are the groups whose stream
//! says they joined (`GroupCreated`, `GroupMembersAdded`) and did not leave (`GroupMembersRemoved`);
//! the User aggregate holds no membership. Why there rather than on the user:
//! - every group command decides on one stream that holds the whole group: "add these members",
//!   "replace the members", "remove the manager with the members" and the size bound are exact
//!   decisions with the version check of one stream, as `If-Match` on `PUT group/{id}` needs;
//! - a group's delete is one event, and it takes every membership with it: no user stream has to be
//!   told, so a deleted group can never linger in a user's `Groups`;
//! - `department` on `POST people` joins "the named groups that exist" (on `PUT people/{userid}` it also
//!   leaves the others): the application decides the user's command and one membership change per
//!   group on the states it loaded, and appends them all in one statement (`store::execute_with`). A
//!   GUID that names no live group decides nothing (that is how unknown GUIDs are ignored, exactly at
//!   write time), and a group deleted concurrently makes the append lose its race and be decided again:
//!   never a membership in a deleted group.
//! - The price: "which groups is this user in" is a read-model question (`groups.members`, a GIN
//!   index), never asked of the event store, and the members a command names are checked to be users
//!   by the application, which passes the users it found in the command (`known`), as it does for
//!   every fact from outside.

mod aggregate;
mod commands;
mod decide;
mod error;
mod events;
#[cfg(test)]
mod lifecycle_tests;
mod record;

pub use aggregate::Group;
pub use commands::{CreateGroup, GroupCommand, GroupDraft, GroupPatch, MAX_GROUP_NAME, MAX_MEMBERS};
pub use error::GroupError;
pub use events::{GroupCreated, GroupEvent, GroupManagerChanged, GroupMembers, GroupRenamed};
pub use record::GroupRecord;
