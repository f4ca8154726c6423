//! GroupService over the wire: every RPC, `expected_version` (ABORTED, nothing changed), the members
//! and manager rules, NOT_FOUND, INVALID_ARGUMENT naming `manager`/`members`, PERMISSION_DENIED for
//! non-admins, and a user's groups in `User.groups`, `department` and `ListUsers{group_id}`.

use rollcall::grpc::pb::group_service_client::GroupServiceClient;
use rollcall::grpc::pb::{
    CreateGroupRequest, CreateUserRequest, DeleteGroupRequest, GetGroupRequest, GetUserRequest, Group,
    GroupMembersRequest, ListGroupsRequest, ListUsersRequest, MemberList, UpdateGroupRequest,
};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use super::statuses::assert_invalid;
use super::{authed, channel, clients, member_token};
use crate::helpers::TestApp;

async fn groups(t: &TestApp) -> GroupServiceClient<Channel> {
    GroupServiceClient::new(channel(t.grpc_addr).await)
}

/// A user created over gRPC (in the groups `department` names): their GUID.
async fn user(t: &TestApp, token: &str, email: &str, department: Vec<String>) -> String {
    let request = CreateUserRequest {
        email: Some(email.into()),
        first_name: email.split('@').next().map(str::to_string),
        last_name: Some("Lee".into()),
        department,
        ..Default::default()
    };
    let mut c = clients(t).await;
    c.users
        .create_user(authed(request, token))
        .await
        .unwrap()
        .into_inner()
        .id
}

fn member_ids(g: &Group) -> Vec<&str> {
    g.members.iter().map(|m| m.id.as_str()).collect()
}

fn change(id: &str, members: Vec<String>, expected_version: Option<u64>) -> GroupMembersRequest {
    GroupMembersRequest {
        id: id.into(),
        members,
        expected_version,
        request_id: String::new(),
    }
}

#[tokio::test]
async fn every_group_rpc_works_with_versions_and_users_see_their_groups() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let mut g = groups(&t).await;
    let ann = user(&t, &token, "ann@example.com", vec![]).await;
    let bob = user(&t, &token, "bob@example.com", vec![]).await;

    let create = CreateGroupRequest {
        name: Some("Sales".into()),
        manager: Some(ann.clone()),
        members: vec![bob.clone()],
        request_id: "g-1".into(),
    };
    let created = g
        .create_group(authed(create.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((created.name.as_str(), created.version), ("Sales", 1));
    assert_eq!(created.manager.as_ref().map(|m| m.id.as_str()), Some(ann.as_str()));
    assert_eq!(member_ids(&created), [ann.as_str(), bob.as_str()]);
    let retried = g.create_group(authed(create, &token)).await.unwrap().into_inner();
    assert_eq!(
        retried.id, created.id,
        "a retry with the same request_id creates nothing new"
    );
    let id = created.id.clone();

    let got = g
        .get_group(authed(GetGroupRequest { id: id.clone() }, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);
    let all = g
        .list_groups(authed(ListGroupsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.items.len(), 1);
    assert_eq!(
        (all.items[0].name.as_str(), all.items[0].manager.as_deref()),
        ("Sales", Some("ann"))
    );

    // Rename, expected at version 1; a stale version is ABORTED and changes nothing.
    let rename = |name: &str, version| UpdateGroupRequest {
        id: id.clone(),
        name: Some(name.into()),
        expected_version: Some(version),
        ..Default::default()
    };
    let renamed = g.update_group(authed(rename("Sales EMEA", 1), &token)).await.unwrap();
    assert_eq!(renamed.get_ref().version, 2);
    let stale = g.update_group(authed(rename("Stale", 1), &token)).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");

    // Members: add, replace (an empty list keeps only the manager), remove; clear the manager.
    let cid = user(&t, &token, "cid@example.com", vec![]).await;
    let added = g
        .add_group_members(authed(change(&id, vec![cid.clone()], Some(2)), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(member_ids(&added), [ann.as_str(), bob.as_str(), cid.as_str()]);
    let replace = UpdateGroupRequest {
        id: id.clone(),
        members: Some(MemberList { ids: vec![] }),
        ..Default::default()
    };
    let replaced = g.update_group(authed(replace, &token)).await.unwrap().into_inner();
    assert_eq!(member_ids(&replaced), [ann.as_str()], "the manager stays a member");
    let head = UpdateGroupRequest {
        id: id.clone(),
        manager: Some(bob.clone()),
        ..Default::default()
    };
    let headed = g.update_group(authed(head, &token)).await.unwrap().into_inner();
    assert_eq!(headed.manager.as_ref().map(|m| m.id.as_str()), Some(bob.as_str()));
    assert_eq!(member_ids(&headed), [ann.as_str(), bob.as_str()]);
    let removed = g
        .remove_group_members(authed(change(&id, vec![bob.clone()], None), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (removed.manager.is_none(), member_ids(&removed)),
        (true, vec![ann.as_str()])
    );
    let clear = UpdateGroupRequest {
        id: id.clone(),
        clear_fields: vec!["manager".into()],
        ..Default::default()
    };
    g.update_group(authed(clear, &token)).await.unwrap();

    // A user created with the group in `department` joins it; their wrapper names it.
    let dee = user(
        &t,
        &token,
        "dee@example.com",
        vec![id.clone(), Uuid::new_v4().to_string()],
    )
    .await;
    let mut c = clients(&t).await;
    let dee_view = c
        .users
        .get_user(authed(GetUserRequest { id: dee.clone() }, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        dee_view.department,
        std::slice::from_ref(&id),
        "only the group that exists"
    );
    assert_eq!(
        (dee_view.groups[0].name.as_str(), dee_view.groups[0].manager.as_deref()),
        ("Sales EMEA", None)
    );
    let listed = ListUsersRequest {
        group_id: Some(id.clone()),
        ..Default::default()
    };
    let listed = c.users.list_users(authed(listed, &token)).await.unwrap().into_inner();
    let ids: Vec<_> = listed.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!((ids, listed.total), (vec![ann.as_str(), dee.as_str()], 2));
    let of_dee = ListGroupsRequest {
        user_id: Some(dee.clone()),
    };
    let of_dee = g.list_groups(authed(of_dee, &token)).await.unwrap().into_inner();
    assert_eq!(of_dee.items.len(), 1);

    let stale = DeleteGroupRequest {
        id: id.clone(),
        expected_version: Some(1),
        request_id: String::new(),
    };
    assert_eq!(
        g.delete_group(authed(stale, &token)).await.unwrap_err().code(),
        Code::Aborted
    );
    let delete = DeleteGroupRequest {
        id: id.clone(),
        ..Default::default()
    };
    let deleted = g.delete_group(authed(delete, &token)).await.unwrap().into_inner();
    assert_eq!(deleted.name, "Sales EMEA");
    let gone = g.get_group(authed(GetGroupRequest { id }, &token)).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let dee_view = c
        .users
        .get_user(authed(GetUserRequest { id: dee }, &token))
        .await
        .unwrap()
        .into_inner();
    assert!(
        dee_view.groups.is_empty() && dee_view.department.is_empty(),
        "{dee_view:?}"
    );
}

#[tokio::test]
async fn group_rpcs_refuse_non_admins_unknown_groups_and_users_who_do_not_exist() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let member = member_token(&t, "mem@example.com", false).await;
    let mut g = groups(&t).await;
    let ann = user(&t, &token, "ann@example.com", vec![]).await;
    let create = |manager: Option<String>, members: Vec<String>| CreateGroupRequest {
        name: Some("Sales".into()),
        manager,
        members,
        request_id: String::new(),
    };
    let id = g
        .create_group(authed(create(None, vec![ann.clone()]), &token))
        .await
        .unwrap()
        .into_inner()
        .id;

    let denied = g.create_group(authed(create(None, vec![]), &member)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = g
        .remove_group_members(authed(change(&id, vec![ann.clone()], None), &member))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let read = g.get_group(authed(GetGroupRequest { id: id.clone() }, &member)).await;
    assert_eq!(
        read.unwrap().into_inner().version,
        1,
        "members read groups; nothing changed"
    );

    let nobody = Uuid::new_v4().to_string();
    assert_invalid(
        g.create_group(authed(create(Some(nobody.clone()), vec![]), &token))
            .await
            .unwrap_err(),
        "manager",
    );
    assert_invalid(
        g.create_group(authed(create(None, vec![nobody.clone()]), &token))
            .await
            .unwrap_err(),
        "members",
    );
    assert_invalid(
        g.add_group_members(authed(change(&id, vec![nobody.clone()], None), &token))
            .await
            .unwrap_err(),
        "members",
    );
    assert_invalid(
        g.create_group(authed(create(None, vec!["x".into()]), &token))
            .await
            .unwrap_err(),
        "members",
    );
    let nameless = CreateGroupRequest::default();
    assert_invalid(g.create_group(authed(nameless, &token)).await.unwrap_err(), "name");
    let bad_id = GetGroupRequest { id: "sales".into() };
    assert_invalid(g.get_group(authed(bad_id, &token)).await.unwrap_err(), "id");
    let unknown = g
        .add_group_members(authed(change(&nobody, vec![ann], None), &token))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let unknown = g
        .get_group(authed(GetGroupRequest { id: nobody }, &token))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}
