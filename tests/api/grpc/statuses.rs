//! Every status code the gRPC API answers with, and the field named by INVALID_ARGUMENT.

use prost::Message;
use prost_types::Timestamp;
use rollcall::grpc::pb::{
    CreatePersonRequest, CreateUserRequest, GetPersonRequest, GetUserRequest, ListPersonsRequest, ListUsersRequest,
};
use rollcall::grpc::status::{BadRequest, RpcStatus};
use tonic::{Code, Request, Status};

use super::{Clients, authed, clients, member_token};
use crate::helpers::TestApp;

fn person(first_name: &str) -> CreatePersonRequest {
    CreatePersonRequest {
        first_name: Some(first_name.into()),
        ..CreatePersonRequest::default()
    }
}

fn user(email: &str) -> CreateUserRequest {
    CreateUserRequest {
        email: Some(email.into()),
        first_name: Some("Mike".into()),
        last_name: Some("Zanyatski".into()),
        ..CreateUserRequest::default()
    }
}

#[track_caller]
pub fn assert_invalid(status: Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with(&format!("{field}: ")), "{status:?}");
    let details = RpcStatus::decode(status.details()).expect("google.rpc.Status details");
    let bad_request = BadRequest::decode(details.details[0].value.as_slice()).expect("a BadRequest");
    assert_eq!(bad_request.field_violations[0].field, field);
}

async fn create_person(c: &mut Clients, request: CreatePersonRequest, token: &str) -> Status {
    c.persons
        .create_person(authed(request, token))
        .await
        .expect_err("refused")
}

async fn create_user(c: &mut Clients, request: CreateUserRequest, token: &str) -> Status {
    c.users.create_user(authed(request, token)).await.expect_err("refused")
}

#[tokio::test]
async fn invalid_input_is_invalid_argument_naming_the_proto_field() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    assert_invalid(create_person(&mut c, person("  "), &token).await, "first_name");
    let bad_manager = CreatePersonRequest {
        manager_list: vec!["not-a-guid".into()],
        ..person("Ann")
    };
    assert_invalid(create_person(&mut c, bad_manager, &token).await, "manager_list");
    let bad_share = CreatePersonRequest {
        share_type: 7,
        ..person("Ann")
    };
    assert_invalid(create_person(&mut c, bad_share, &token).await, "share_type");
    let long_key = CreatePersonRequest {
        request_id: "k".repeat(256),
        ..person("Ann")
    };
    assert_invalid(create_person(&mut c, long_key, &token).await, "request_id");

    let cases = [
        (
            CreateUserRequest {
                email: Some("nope".into()),
                ..user("a@x.io")
            },
            "email",
        ),
        (
            CreateUserRequest {
                department: vec!["x".into()],
                ..user("a@x.io")
            },
            "department",
        ),
        (
            CreateUserRequest {
                lead: Some("{123}".into()),
                ..user("a@x.io")
            },
            "lead",
        ),
        (
            CreateUserRequest {
                sex: 3,
                ..user("a@x.io")
            },
            "sex",
        ),
        (
            CreateUserRequest {
                password: Some("short".into()),
                ..user("a@x.io")
            },
            "password",
        ),
        (
            CreateUserRequest {
                birthday: Some(Timestamp {
                    seconds: 253_402_300_800,
                    nanos: 0,
                }),
                ..user("a@x.io")
            },
            "birthday",
        ),
        (
            CreateUserRequest {
                works_from: Some(Timestamp { seconds: 0, nanos: -5 }),
                ..user("a@x.io")
            },
            "works_from",
        ),
    ];
    for (request, field) in cases {
        assert_invalid(create_user(&mut c, request, &token).await, field);
    }
    let bad_sort = ListPersonsRequest {
        sort_by: Some("shoe_size".into()),
        ..ListPersonsRequest::default()
    };
    assert_invalid(
        c.persons.list_persons(authed(bad_sort, &token)).await.unwrap_err(),
        "sort_by",
    );
    let bad_id = GetPersonRequest { id: 0 };
    assert_invalid(c.persons.get_person(authed(bad_id, &token)).await.unwrap_err(), "id");
    // Nothing but the owner was created.
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
    assert_eq!(t.count_events("User", "UserCreated").await, 1);
}

#[tokio::test]
async fn every_call_without_a_token_or_with_a_bad_one_is_unauthenticated() {
    let t = TestApp::spawn().await;
    let mut c = clients(&t).await;
    let forged = format!("{}x", t.owner_token().await);
    for token in [None, Some(""), Some("garbage"), Some(forged.as_str())] {
        let statuses = [
            c.persons.create_person(authed_or(token, person("Ann"))).await.map(drop),
            c.persons
                .get_person(authed_or(token, GetPersonRequest { id: 1 }))
                .await
                .map(drop),
            c.persons
                .list_persons(authed_or(token, ListPersonsRequest::default()))
                .await
                .map(drop),
            c.users.create_user(authed_or(token, user("a@x.io"))).await.map(drop),
            c.users
                .get_user(authed_or(token, GetUserRequest { id: "x".into() }))
                .await
                .map(drop),
            c.users
                .list_users(authed_or(token, ListUsersRequest::default()))
                .await
                .map(drop),
        ];
        for status in statuses {
            assert_eq!(status.unwrap_err().code(), Code::Unauthenticated, "token {token:?}");
        }
    }
}

fn authed_or<T>(token: Option<&str>, message: T) -> Request<T> {
    match token {
        Some(token) => authed(message, token),
        None => Request::new(message),
    }
}

#[tokio::test]
async fn a_bare_token_without_the_bearer_scheme_is_accepted() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let mut request = Request::new(ListUsersRequest::default());
    request.metadata_mut().insert("authorization", token.parse().unwrap());
    assert_eq!(c.users.list_users(request).await.unwrap().into_inner().total, 1);
}

#[tokio::test]
async fn visitors_cannot_create_persons_and_members_cannot_create_users() {
    let t = TestApp::spawn().await;
    let mut c = clients(&t).await;
    let visitor = member_token(&t, "guest@x.io", true).await;
    let status = create_person(&mut c, person("Ann"), &visitor).await;
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let member = member_token(&t, "member@x.io", false).await;
    let status = create_user(&mut c, user("new@x.io"), &member).await;
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // A member may create persons.
    c.persons.create_person(authed(person("Ann"), &member)).await.unwrap();
}

#[tokio::test]
async fn unknown_persons_and_users_are_not_found() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let status = c
        .persons
        .get_person(authed(GetPersonRequest { id: 424_242 }, &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    for id in [uuid::Uuid::new_v4().to_string(), "nobody".to_string()] {
        let status = c
            .users
            .get_user(authed(GetUserRequest { id }, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
}

#[tokio::test]
async fn a_taken_email_is_already_exists_and_a_reused_request_id_is_aborted() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    c.users.create_user(authed(user("ann@x.io"), &token)).await.unwrap();
    let status = create_user(&mut c, user("ANN@x.io"), &token).await;
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let keyed = |name| CreatePersonRequest {
        request_id: "one-key".into(),
        ..person(name)
    };
    c.persons.create_person(authed(keyed("Ann"), &token)).await.unwrap();
    let status = create_person(&mut c, keyed("Bob"), &token).await;
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
}

#[tokio::test]
async fn a_request_over_one_mebibyte_is_refused_before_it_reaches_the_application() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let huge = CreatePersonRequest {
        about: Some("x".repeat(rollcall::grpc::MAX_REQUEST_BYTES + 1)),
        ..person("Ann")
    };
    let status = create_person(&mut c, huge, &token).await;
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}
