//! Given/when/then for every rule of a group's life.

use std::collections::BTreeSet;

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::domain::datetime::ApiDateTime;
use crate::domain::field::Field;
use crate::domain::person::Deleted;
use crate::domain::values::Patch;

type Given = TestFramework<Group>;

fn user(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn known(ids: &[u128]) -> BTreeSet<Uuid> {
    ids.iter().copied().map(user).collect()
}

fn create(draft: GroupDraft, users: &[u128]) -> GroupCommand {
    GroupCommand::Create(CreateGroup {
        id: user(100),
        draft,
        known: known(users),
        created_by: user(1),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    })
}

/// "Sales", headed by user 2, with users 2 and 3.
fn created() -> GroupEvent {
    GroupEvent::GroupCreated(GroupCreated {
        id: user(100),
        name: "Sales".into(),
        manager: Some(user(2)),
        members: vec![user(2), user(3)],
        created_by: user(1),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    })
}

fn members(ids: &[u128]) -> GroupMembers {
    GroupMembers {
        members: ids.iter().copied().map(user).collect(),
    }
}

fn manager(id: Option<u128>) -> GroupEvent {
    GroupEvent::GroupManagerChanged(GroupManagerChanged { manager: id.map(user) })
}

fn update(patch: GroupPatch, users: &[u128]) -> GroupCommand {
    GroupCommand::Update {
        patch,
        known: known(users),
    }
}

async fn then(given: Vec<GroupEvent>, when: GroupCommand) -> Result<Vec<GroupEvent>, GroupError> {
    Given::with(()).given(given).when_async(when).await.inspect_result()
}

#[tokio::test]
async fn a_group_is_created_with_its_manager_first_among_its_members_without_repeats() {
    let draft = GroupDraft {
        name: Some("  Sales ".into()),
        manager: Some(user(2)),
        members: vec![user(3), user(2), user(3)],
    };
    assert_eq!(then(vec![], create(draft, &[2, 3])).await, Ok(vec![created()]));
    let alone = GroupDraft {
        name: Some("Empty".into()),
        ..GroupDraft::default()
    };
    let events = then(vec![], create(alone, &[])).await.unwrap();
    assert!(matches!(events.as_slice(), [GroupEvent::GroupCreated(e)] if e.manager.is_none() && e.members.is_empty()));
}

#[tokio::test]
async fn creating_an_existing_group_is_refused() {
    let draft = GroupDraft {
        name: Some("Sales".into()),
        ..GroupDraft::default()
    };
    assert_eq!(
        then(vec![created()], create(draft, &[])).await,
        Err(GroupError::AlreadyCreated)
    );
}

#[tokio::test]
async fn the_name_is_required_and_at_most_128_characters_on_create_and_rename() {
    for (name, error) in [
        (None, GroupError::NameRequired),
        (Some("  "), GroupError::NameRequired),
        (Some(&*"x".repeat(129)), GroupError::NameTooLong),
    ] {
        let draft = GroupDraft {
            name: name.map(str::to_string),
            ..GroupDraft::default()
        };
        assert_eq!(then(vec![], create(draft, &[])).await, Err(error.clone()));
        if let Some(name) = name {
            let patch = GroupPatch {
                name: Some(name.to_string()),
                ..GroupPatch::default()
            };
            assert_eq!(then(vec![created()], update(patch, &[])).await, Err(error));
        }
    }
    assert_eq!(GroupError::NameTooLong.field(), Some(Field::GroupName));
    let exactly = GroupDraft {
        name: Some("語".repeat(128)),
        ..GroupDraft::default()
    };
    assert!(then(vec![], create(exactly, &[])).await.is_ok());
}

#[tokio::test]
async fn a_manager_or_member_who_is_not_a_user_is_refused_naming_them() {
    let draft = GroupDraft {
        name: Some("Sales".into()),
        manager: Some(user(9)),
        members: vec![],
    };
    let refused = then(vec![], create(draft, &[2])).await;
    assert_eq!(refused, Err(GroupError::ManagerUnknown(user(9))));
    assert_eq!(refused.unwrap_err().field(), Some(Field::GroupManager));
    let draft = GroupDraft {
        name: Some("Sales".into()),
        manager: None,
        members: vec![user(2), user(8)],
    };
    assert_eq!(
        then(vec![], create(draft, &[2])).await,
        Err(GroupError::MemberUnknown(user(8)))
    );
    let add = GroupCommand::AddMembers {
        members: vec![user(4), user(7)],
        known: known(&[4]),
    };
    let refused = then(vec![created()], add).await;
    assert_eq!(refused, Err(GroupError::MemberUnknown(user(7))));
    assert_eq!(refused.unwrap_err().field(), Some(Field::Members));
    let head = GroupPatch {
        manager: Patch::Set(user(6)),
        ..GroupPatch::default()
    };
    assert_eq!(
        then(vec![created()], update(head, &[])).await,
        Err(GroupError::ManagerUnknown(user(6)))
    );
}

#[tokio::test]
async fn a_rename_says_only_what_changed() {
    let same = GroupPatch {
        name: Some(" Sales ".into()),
        ..GroupPatch::default()
    };
    assert_eq!(then(vec![created()], update(same, &[])).await, Ok(vec![]));
    let renamed = GroupPatch {
        name: Some("Sales EMEA".into()),
        ..GroupPatch::default()
    };
    assert_eq!(
        then(vec![created()], update(renamed, &[])).await,
        Ok(vec![GroupEvent::GroupRenamed(GroupRenamed {
            name: "Sales EMEA".into()
        })])
    );
}

#[tokio::test]
async fn adding_members_names_only_the_newcomers_and_members_already_in_need_not_be_users() {
    let add = GroupCommand::AddMembers {
        members: vec![user(3), user(4), user(4), user(5)],
        known: known(&[4, 5]),
    };
    assert_eq!(
        then(vec![created()], add).await,
        Ok(vec![GroupEvent::GroupMembersAdded(members(&[4, 5]))])
    );
    let again = GroupCommand::AddMembers {
        members: vec![user(2), user(3)],
        known: known(&[]),
    };
    assert_eq!(then(vec![created()], again).await, Ok(vec![]));
}

#[tokio::test]
async fn removing_members_ignores_non_members_and_a_removed_manager_stops_being_the_manager() {
    let remove = GroupCommand::RemoveMembers {
        members: vec![user(3), user(9)],
    };
    assert_eq!(
        then(vec![created()], remove).await,
        Ok(vec![GroupEvent::GroupMembersRemoved(members(&[3]))])
    );
    let head = GroupCommand::RemoveMembers { members: vec![user(2)] };
    assert_eq!(
        then(vec![created()], head).await,
        Ok(vec![manager(None), GroupEvent::GroupMembersRemoved(members(&[2]))])
    );
    let nobody = GroupCommand::RemoveMembers { members: vec![user(9)] };
    assert_eq!(then(vec![created()], nobody).await, Ok(vec![]));
}

#[tokio::test]
async fn replacing_the_members_keeps_the_manager_and_says_who_left_and_who_joined() {
    let patch = GroupPatch {
        members: Some(vec![user(4)]),
        ..GroupPatch::default()
    };
    assert_eq!(
        then(vec![created()], update(patch, &[4])).await,
        Ok(vec![
            GroupEvent::GroupMembersRemoved(members(&[3])),
            GroupEvent::GroupMembersAdded(members(&[4])),
        ])
    );
    let mut group = Group::default();
    for e in [
        created(),
        GroupEvent::GroupMembersRemoved(members(&[3])),
        GroupEvent::GroupMembersAdded(members(&[4])),
    ] {
        cqrs_es::Aggregate::apply(&mut group, e);
    }
    assert_eq!(group.live().unwrap().members, vec![user(2), user(4)]);
}

#[tokio::test]
async fn a_new_manager_becomes_a_member_and_a_cleared_one_stays_a_member() {
    let patch = GroupPatch {
        manager: Patch::Set(user(5)),
        ..GroupPatch::default()
    };
    assert_eq!(
        then(vec![created()], update(patch, &[5])).await,
        Ok(vec![GroupEvent::GroupMembersAdded(members(&[5])), manager(Some(5))])
    );
    let clear = GroupPatch {
        manager: Patch::Clear,
        ..GroupPatch::default()
    };
    assert_eq!(then(vec![created()], update(clear, &[])).await, Ok(vec![manager(None)]));
    let member = GroupPatch {
        manager: Patch::Set(user(3)),
        ..GroupPatch::default()
    };
    assert_eq!(
        then(vec![created()], update(member, &[3])).await,
        Ok(vec![manager(Some(3))])
    );
}

#[tokio::test]
async fn a_group_holds_at_most_ten_thousand_members() {
    let many: Vec<Uuid> = (1000..1000 + MAX_MEMBERS as u128 - 2).map(user).collect();
    let all: BTreeSet<Uuid> = many.iter().copied().chain([user(7), user(8)]).collect();
    let fill = GroupCommand::AddMembers {
        members: many,
        known: all.clone(),
    };
    let filled = then(vec![created()], fill).await.unwrap();
    let mut given = vec![created()];
    given.extend(filled);
    let over = GroupCommand::AddMembers {
        members: vec![user(7), user(8)],
        known: all,
    };
    assert_eq!(then(given, over).await, Err(GroupError::TooManyMembers));
}

#[tokio::test]
async fn a_deleted_group_refuses_every_command() {
    let given = || vec![created(), GroupEvent::GroupDeleted(Deleted {})];
    assert_eq!(
        then(vec![created()], GroupCommand::Delete).await,
        Ok(vec![GroupEvent::GroupDeleted(Deleted {})])
    );
    for command in [
        GroupCommand::Delete,
        update(GroupPatch::default(), &[]),
        GroupCommand::AddMembers {
            members: vec![user(4)],
            known: known(&[4]),
        },
        GroupCommand::RemoveMembers { members: vec![user(2)] },
    ] {
        assert_eq!(then(given(), command).await, Err(GroupError::NotFound));
    }
}

#[test]
fn events_have_stable_names_and_payloads_of_version_1_still_load() {
    let names: Vec<String> = [
        created(),
        GroupEvent::GroupRenamed(GroupRenamed { name: "x".into() }),
        manager(None),
        GroupEvent::GroupMembersAdded(members(&[1])),
        GroupEvent::GroupMembersRemoved(members(&[1])),
        GroupEvent::GroupDeleted(Deleted {}),
    ]
    .iter()
    .map(|e| format!("{}/{}", e.event_type(), e.event_version()))
    .collect();
    assert_eq!(
        names,
        [
            "GroupCreated/1",
            "GroupRenamed/1",
            "GroupManagerChanged/1",
            "GroupMembersAdded/1",
            "GroupMembersRemoved/1",
            "GroupDeleted/1"
        ]
    );
    let stored = [
        r#"{"GroupCreated":{"id":"00000000-0000-0000-0000-000000000064","name":"Sales",
            "created_by":"00000000-0000-0000-0000-000000000001","created_at":"2025-01-10T10:00:00.0000000Z"}}"#,
        r#"{"GroupMembersAdded":{"members":["00000000-0000-0000-0000-000000000003"]}}"#,
        r#"{"GroupManagerChanged":{}}"#,
    ];
    let mut group = Group::default();
    for payload in stored {
        let event: GroupEvent = serde_json::from_str(payload).unwrap_or_else(|e| panic!("{payload}: {e}"));
        cqrs_es::Aggregate::apply(&mut group, event);
    }
    let r = group.live().unwrap();
    assert_eq!(
        (r.name.as_str(), r.manager, r.members.clone()),
        ("Sales", None, vec![user(3)])
    );
}
