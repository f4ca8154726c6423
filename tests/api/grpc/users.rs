//! UserService: create, get (by GUID and by user name) and list over the wire, and idempotent retries.

use futures::future::join_all;
use prost_types::Timestamp;
use rollcall::grpc::pb::{
    ActivationStatus, Contact, CreateUserRequest, GetUserRequest, ListUsersRequest, Sex, SortOrder, UserStatus,
};

use super::{authed, clients};
use crate::helpers::TestApp;

const DEPARTMENT: &str = "98777e9c-f2a7-4e97-b314-ba9f92c2e882";
const LEAD: &str = "055312f1-1d71-4786-bb5b-d5910316e53c";
/// 2008-04-10T06:30:00Z, the seed's birthday.
const BIRTHDAY: i64 = 1_207_809_000;

fn seed(email: &str) -> CreateUserRequest {
    CreateUserRequest {
        is_visitor: false,
        email: Some(email.into()),
        first_name: Some("Mike".into()),
        last_name: Some("Zanyatski".into()),
        department: vec![DEPARTMENT.to_uppercase()],
        title: Some("Manager".into()),
        location: Some("Palo Alto".into()),
        sex: Sex::Male.into(),
        birthday: Some(Timestamp {
            seconds: BIRTHDAY,
            nanos: 0,
        }),
        works_from: Some(Timestamp {
            seconds: BIRTHDAY + 86_400,
            nanos: 500_000_000,
        }),
        comment: Some("Notes to worker".into()),
        contacts: vec![Contact {
            r#type: "GTalk".into(),
            value: "my@gmail.com".into(),
        }],
        files: Some("https://example.com/avatar.png".into()),
        password: Some("pass-word-123".into()),
        lead: Some(LEAD.into()),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn a_user_created_over_grpc_carries_every_field_and_reads_back_by_guid_and_by_user_name() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let owner = t.owner().await;
    let created = c
        .users
        .create_user(authed(seed("Mike.Zanyatski@domain.com"), &token))
        .await
        .unwrap();
    let created = created.into_inner();
    assert!(uuid::Uuid::parse_str(&created.id).is_ok());
    assert_eq!(created.user_name, "Mike.Zanyatski");
    assert_eq!(created.email, "Mike.Zanyatski@domain.com");
    assert_eq!(created.display_name, "Mike Zanyatski");
    assert_eq!(
        (created.is_visitor, created.is_admin, created.is_owner),
        (false, false, false)
    );
    // The GUID names no group: ignored (department and groups list real groups only).
    assert!(
        created.department.is_empty() && created.groups.is_empty(),
        "{created:?}"
    );
    assert_eq!(created.title.as_deref(), Some("Manager"));
    assert_eq!(created.location.as_deref(), Some("Palo Alto"));
    assert_eq!(created.sex(), Sex::Male);
    assert_eq!(created.birthday.map(|b| b.seconds), Some(BIRTHDAY));
    assert_eq!(
        created.works_from.map(|w| (w.seconds, w.nanos)),
        Some((BIRTHDAY + 86_400, 500_000_000))
    );
    assert_eq!(created.notes.as_deref(), Some("Notes to worker"));
    assert_eq!(created.contacts.len(), 1);
    assert_eq!(created.avatar_url.as_deref(), Some("https://example.com/avatar.png"));
    assert_eq!(created.lead.as_deref(), Some(LEAD));
    assert_eq!(created.status(), UserStatus::Active);
    assert_eq!(created.activation_status(), ActivationStatus::Pending);
    assert_eq!(created.created_by, Some(owner.id.to_string()));
    assert!(created.created.is_some());

    let by_id = GetUserRequest { id: created.id.clone() };
    let read = c.users.get_user(authed(by_id, &token)).await.unwrap().into_inner();
    assert_eq!(read, created);
    let by_name = GetUserRequest {
        id: "mike.zanyatski".into(),
    };
    let read = c.users.get_user(authed(by_name, &token)).await.unwrap().into_inner();
    assert_eq!(read, created);
    // The new user's password works.
    t.token("Mike.Zanyatski@domain.com", "pass-word-123").await;
}

#[tokio::test]
async fn listing_users_pages_by_start_index_and_count_and_reports_the_total() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    for (email, first) in [("a@x.io", "Ann"), ("b@x.io", "Zoe")] {
        let request = CreateUserRequest {
            first_name: Some(first.into()),
            ..seed(email)
        };
        c.users.create_user(authed(request, &token)).await.unwrap();
    }
    let page = |start_index, count| ListUsersRequest {
        start_index,
        count: Some(count),
        filter_value: None,
        sort_by: Some("first_name".into()),
        sort_order: SortOrder::Descending.into(),
        group_id: None,
    };
    // The owner ("Portal") is listed too.
    let first = c
        .users
        .list_users(authed(page(0, 2), &token))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = first.items.iter().map(|u| u.first_name.as_str()).collect();
    assert_eq!((names, first.total, first.start_index), (vec!["Zoe", "Portal"], 3, 0));
    let rest = c
        .users
        .list_users(authed(page(2, 2), &token))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = rest.items.iter().map(|u| u.first_name.as_str()).collect();
    assert_eq!((names, rest.total), (vec!["Ann"], 3));

    let filtered = ListUsersRequest {
        filter_value: Some("b@x".into()),
        ..ListUsersRequest::default()
    };
    let found = c.users.list_users(authed(filtered, &token)).await.unwrap().into_inner();
    assert_eq!((found.items[0].first_name.as_str(), found.total), ("Zoe", 1));
}

#[tokio::test]
async fn retrying_create_user_with_the_same_request_id_returns_the_first_user_and_creates_one() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let request = CreateUserRequest {
        request_id: "retry-1".into(),
        ..seed("ann@x.io")
    };
    let first = c
        .users
        .create_user(authed(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    let again = c.users.create_user(authed(request, &token)).await.unwrap().into_inner();
    assert_eq!(again, first);
    // The owner's and this one.
    assert_eq!(t.count_events("User", "UserCreated").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_create_user_calls_with_one_request_id_create_one_user() {
    let t = TestApp::spawn().await;
    let (c, token) = (clients(&t).await, t.owner_token().await);
    let request = CreateUserRequest {
        request_id: "concurrent-1".into(),
        ..seed("ann@x.io")
    };
    let calls = (0..10).map(|_| {
        let mut client = c.users.clone();
        let request = authed(request.clone(), &token);
        tokio::spawn(async move { client.create_user(request).await })
    });
    let results: Vec<_> = join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();
    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every retry succeeds").into_inner().id)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(t.count_events("User", "UserCreated").await, 2);
}
