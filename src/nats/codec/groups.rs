//! Group subjects (`people.group.*`): JSON payloads are the REST body plus the group's `id`; protobuf
//! payloads are GroupService's request messages.

use uuid::Uuid;

use super::{DecodeError, message};
use crate::application::Expect;
use crate::domain::group::{GroupDraft, GroupPatch};
use crate::domain::values::parse_guid;
use crate::proto::{self, pb};
use crate::wire::groups as wire;
use crate::wire::input::{BindError, Fields};
use crate::wire::node::Node;

pub const CREATE_GROUP: &str = "people.group.create";
pub const UPDATE_GROUP: &str = "people.group.update";
pub const DELETE_GROUP: &str = "people.group.delete";
pub const ADD_MEMBERS: &str = "people.group.members.add";
pub const REMOVE_MEMBERS: &str = "people.group.members.remove";

/// Every group subject.
pub const GROUP_COMMANDS: [&str; 5] = [CREATE_GROUP, UPDATE_GROUP, DELETE_GROUP, ADD_MEMBERS, REMOVE_MEMBERS];

/// A decoded group command.
#[derive(Debug)]
pub enum GroupChange {
    Create(GroupDraft),
    Update(Target<GroupPatch>),
    Delete(Target<()>),
    AddMembers(Target<Vec<Uuid>>),
    RemoveMembers(Target<Vec<Uuid>>),
}

impl GroupChange {
    /// The group it changes; `None` for a create.
    pub fn group(&self) -> Option<Uuid> {
        match self {
            GroupChange::Create(_) => None,
            GroupChange::Update(t) => Some(t.id),
            GroupChange::Delete(t) => Some(t.id),
            GroupChange::AddMembers(t) | GroupChange::RemoveMembers(t) => Some(t.id),
        }
    }
}

/// A change of the group `id`, expected at a version or not.
#[derive(Debug)]
pub struct Target<T> {
    pub id: Uuid,
    pub expect: Expect,
    pub content: T,
}

/// The group's `id` in a JSON payload.
fn group_id<N: Node>(body: &N) -> Result<Uuid, BindError> {
    let f = Fields::new(body)?;
    let missing = || BindError {
        field: "id".into(),
        message: "is required: the group's GUID".into(),
    };
    let id = f.string("id")?.ok_or_else(missing)?;
    parse_guid(id.trim()).ok_or_else(|| BindError {
        field: "id".into(),
        message: "must be a GUID".into(),
    })
}

/// A JSON payload of the group subject `command`.
pub fn json<N: Node>(command: &str, expect: Expect, body: &N) -> Result<GroupChange, BindError> {
    if command == CREATE_GROUP {
        return Ok(GroupChange::Create(wire::group_draft(body)?));
    }
    let id = group_id(body)?;
    let target = |content| Target { id, expect, content };
    Ok(match command {
        UPDATE_GROUP => GroupChange::Update(Target {
            id,
            expect,
            content: wire::group_patch(body)?,
        }),
        DELETE_GROUP => GroupChange::Delete(Target {
            id,
            expect,
            content: (),
        }),
        ADD_MEMBERS => GroupChange::AddMembers(target(wire::members(body)?)),
        _ => GroupChange::RemoveMembers(target(wire::members(body)?)),
    })
}

/// A protobuf change: the header's version wins over the message's `expected_version`.
fn target<T>(id: &str, header: Option<Expect>, field: Option<u64>, content: T) -> Result<Target<T>, proto::Invalid> {
    let expect = match header {
        Some(expect) => expect,
        None => proto::expect(field)?,
    };
    Ok(Target {
        id: proto::group_id(id)?,
        expect,
        content,
    })
}

/// A protobuf payload of the group subject `command`, and its `request_id`.
pub fn protobuf(
    command: &str,
    expect: Option<Expect>,
    payload: &[u8],
) -> Result<(Result<GroupChange, proto::Invalid>, String), DecodeError> {
    Ok(match command {
        CREATE_GROUP => {
            let mut req: pb::CreateGroupRequest = message(payload, "rollcall.v1.CreateGroupRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            (proto::group_draft(req).map(GroupChange::Create), request_id)
        }
        UPDATE_GROUP => {
            let req: pb::UpdateGroupRequest = message(payload, "rollcall.v1.UpdateGroupRequest")?;
            let change = proto::group_patch(&req).and_then(|p| target(&req.id, expect, req.expected_version, p));
            (change.map(GroupChange::Update), req.request_id)
        }
        DELETE_GROUP => {
            let req: pb::DeleteGroupRequest = message(payload, "rollcall.v1.DeleteGroupRequest")?;
            let change = target(&req.id, expect, req.expected_version, ());
            (change.map(GroupChange::Delete), req.request_id)
        }
        _ => {
            let req: pb::GroupMembersRequest = message(payload, "rollcall.v1.GroupMembersRequest")?;
            let change = proto::members(&req.members).and_then(|m| target(&req.id, expect, req.expected_version, m));
            let change = change.map(|t| match command {
                ADD_MEMBERS => GroupChange::AddMembers(t),
                _ => GroupChange::RemoveMembers(t),
            });
            (change, req.request_id)
        }
    })
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn a_json_group_change_is_the_rest_body_plus_the_id() {
        let id = Uuid::from_u128(5);
        let body = serde_json::json!({"id": id, "groupName": "Sales", "members": [Uuid::from_u128(2)]});
        match json(UPDATE_GROUP, Expect::version(Some(2)), &body) {
            Ok(GroupChange::Update(t)) => {
                assert_eq!((t.id, t.expect), (id, Expect::version(Some(2))));
                assert_eq!(t.content.members, Some(vec![Uuid::from_u128(2)]));
            }
            other => panic!("expected an update, got {other:?}"),
        }
        let missing = json(DELETE_GROUP, Expect::default(), &serde_json::json!({})).unwrap_err();
        assert_eq!(missing.field, "id");
        let members = json(ADD_MEMBERS, Expect::default(), &serde_json::json!({"id": id})).unwrap_err();
        assert_eq!(members.field, "members");
    }

    #[test]
    fn a_protobuf_group_change_names_proto_fields() {
        let req = pb::GroupMembersRequest {
            id: "nope".into(),
            members: vec![],
            request_id: "r-1".into(),
            ..Default::default()
        };
        let (change, request_id) = protobuf(REMOVE_MEMBERS, None, &req.encode_to_vec()).unwrap();
        assert_eq!((change.unwrap_err().field, request_id.as_str()), ("id", "r-1"));
        let garbage = protobuf(CREATE_GROUP, None, b"\xff\xff").unwrap_err();
        assert!(matches!(garbage, DecodeError::Protobuf(_)));
    }
}
