//! Hostile input over gRPC (issue 14): control characters, bytes that are no protobuf message,
//! non-positive company ids and timestamps finer than the store keeps. Each is INVALID_ARGUMENT
//! naming the proto field (never INTERNAL), or an answer that agrees with the event.

use bytes::{Buf, BufMut};
use prost_types::Timestamp;
use rollcall::grpc::pb::company_service_client::CompanyServiceClient;
use rollcall::grpc::pb::{
    AddContactDataRequest, Contact, CreateCompanyRequest, CreatePersonRequest, CreateUserRequest, CustomField,
    GetUserRequest, ListPersonsRequest, ListUsersRequest, UpdateCompanyRequest, UpdatePersonRequest,
};
use rollcall::grpc::status::{BadRequest, RpcStatus};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::{authed, channel, clients};
use crate::helpers::TestApp;
use crate::rest::hardening::stored_dates;

#[track_caller]
fn assert_invalid(status: Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
    assert!(status.message().starts_with(&format!("{field}: ")), "{status:?}");
    let details = RpcStatus::decode_from(status.details());
    let bad_request = BadRequest::decode_from(&details.details[0].value);
    assert_eq!(bad_request.field_violations[0].field, field);
}

trait DecodeFrom: prost::Message + Default {
    fn decode_from(bytes: &[u8]) -> Self {
        Self::decode(bytes).expect("a google.rpc message")
    }
}
impl DecodeFrom for RpcStatus {}
impl DecodeFrom for BadRequest {}

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

#[tokio::test]
async fn control_characters_are_invalid_argument_naming_the_proto_field() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let persons = [
        (person("A\u{0}nn"), "first_name"),
        (
            CreatePersonRequest {
                about: Some("bell \u{7}".into()),
                ..person("Ann")
            },
            "about",
        ),
        (
            CreatePersonRequest {
                custom_fields: vec![CustomField {
                    key: 1,
                    value: "x\u{0}".into(),
                }],
                ..person("Ann")
            },
            "custom_fields",
        ),
        (
            CreatePersonRequest {
                request_id: "key\u{0}".into(),
                ..person("Ann")
            },
            "request_id",
        ),
    ];
    for (request, field) in persons {
        assert_invalid(
            c.persons.create_person(authed(request, &token)).await.unwrap_err(),
            field,
        );
    }
    let users = [
        (user("a\u{0}@x.io"), "email"),
        (
            CreateUserRequest {
                contacts: vec![Contact {
                    r#type: "mail".into(),
                    value: "a\u{0}@x.io".into(),
                }],
                ..user("ann@x.io")
            },
            "contacts",
        ),
    ];
    for (request, field) in users {
        assert_invalid(c.users.create_user(authed(request, &token)).await.unwrap_err(), field);
    }
    let company = CreateCompanyRequest {
        company_name: Some("Acme\u{0}".into()),
        ..CreateCompanyRequest::default()
    };
    let mut companies = CompanyServiceClient::new(channel(t.grpc_addr).await);
    assert_invalid(
        companies.create_company(authed(company, &token)).await.unwrap_err(),
        "company_name",
    );
    let filter = Some("a\u{0}".to_string());
    let list = ListPersonsRequest {
        filter_value: filter.clone(),
        ..ListPersonsRequest::default()
    };
    assert_invalid(
        c.persons.list_persons(authed(list, &token)).await.unwrap_err(),
        "filter_value",
    );
    let list = ListUsersRequest {
        filter_value: filter,
        ..ListUsersRequest::default()
    };
    assert_invalid(
        c.users.list_users(authed(list, &token)).await.unwrap_err(),
        "filter_value",
    );
    let get = GetUserRequest { id: "ann\u{0}".into() };
    assert_invalid(c.users.get_user(authed(get, &token)).await.unwrap_err(), "id");

    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
    assert_eq!(t.count_events("User", "UserCreated").await, 1, "only the owner");

    // Changes are bound by the same rule as creates (a NUL once reached PostgreSQL: INTERNAL).
    let ann = c
        .persons
        .create_person(authed(person("Ann"), &token))
        .await
        .unwrap()
        .into_inner()
        .id;
    let updates = [
        (
            UpdatePersonRequest {
                about: Some("a\u{0}b".into()),
                ..UpdatePersonRequest::default()
            },
            "about",
        ),
        (
            UpdatePersonRequest {
                job_title: Some("\u{1b}[31m".into()),
                ..UpdatePersonRequest::default()
            },
            "job_title",
        ),
        (
            UpdatePersonRequest {
                custom_fields: vec![CustomField {
                    key: 1,
                    value: "x\u{1}".into(),
                }],
                ..UpdatePersonRequest::default()
            },
            "custom_fields",
        ),
    ];
    for (request, field) in updates {
        let request = UpdatePersonRequest { id: ann, ..request };
        assert_invalid(
            c.persons.update_person(authed(request, &token)).await.unwrap_err(),
            field,
        );
    }
    let data = AddContactDataRequest {
        id: ann,
        info_type: Some(0),
        data: Some("+1 555\u{7}".into()),
        ..AddContactDataRequest::default()
    };
    assert_invalid(
        c.persons.add_contact_data(authed(data, &token)).await.unwrap_err(),
        "data",
    );
    let acme = companies
        .create_company(authed(
            CreateCompanyRequest {
                company_name: Some("Acme".into()),
                ..CreateCompanyRequest::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    let rename = UpdateCompanyRequest {
        id: acme,
        about: Some("bell \u{7}".into()),
        ..UpdateCompanyRequest::default()
    };
    assert_invalid(
        companies.update_company(authed(rename, &token)).await.unwrap_err(),
        "about",
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT event_type FROM events WHERE aggregate_type <> 'User'")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        ["PersonCreated", "CompanyCreated"],
        "only the valid creates were stored"
    );
}

/// Sends bytes as they are, and reads the answer's bytes as they are.
#[derive(Debug, Clone, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

async fn raw_call(channel: Channel, path: &'static str, bytes: &[u8], token: &str) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the channel is ready");
    grpc.unary(authed(bytes.to_vec(), token), PathAndQuery::from_static(path), Raw)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn bytes_that_are_no_protobuf_message_are_invalid_argument() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let channel = channel(t.grpc_addr).await;
    let garbage: &[&[u8]] = &[
        b"\xff\xff\xff",
        // first_name (field 1, length 2) holding bytes that are not UTF-8.
        b"\x0a\x02\xff\xfe",
        // A length running past the end.
        b"\x0a\x7f\x41",
    ];
    for (path, bytes) in [
        "/rollcall.v1.PersonService/CreatePerson",
        "/rollcall.v1.UserService/CreateUser",
        "/rollcall.v1.PersonService/ListPersons",
    ]
    .iter()
    .flat_map(|p| garbage.iter().map(move |b| (*p, *b)))
    {
        let status = raw_call(channel.clone(), path, bytes, &token).await.unwrap_err();
        assert_invalid(status, "body");
    }
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn a_company_id_of_zero_or_less_is_invalid_argument() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    for id in [0, -1] {
        let request = CreatePersonRequest {
            company_id: Some(id),
            ..person("Ann")
        };
        assert_invalid(
            c.persons.create_person(authed(request, &token)).await.unwrap_err(),
            "company_id",
        );
    }
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn timestamps_answer_what_the_event_holds() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let request = CreateUserRequest {
        birthday: Some(Timestamp {
            seconds: 1_207_809_000, // 2008-04-10T06:30:00
            nanos: 123_456_789,
        }),
        works_from: Some(Timestamp {
            seconds: 253_402_300_799, // 9999-12-31T23:59:59
            nanos: 999_999_999,
        }),
        ..user("ann@x.io")
    };
    let created = c.users.create_user(authed(request, &token)).await.unwrap().into_inner();
    let got = c
        .users
        .get_user(authed(GetUserRequest { id: created.id.clone() }, &token))
        .await
        .unwrap()
        .into_inner();
    let at = |seconds, nanos| Some(Timestamp { seconds, nanos });
    assert_eq!(created.birthday, at(1_207_809_000, 123_456_000));
    assert_eq!(created.works_from, at(253_402_300_799, 999_999_000));
    assert_eq!(
        (&got.birthday, &got.works_from),
        (&created.birthday, &created.works_from)
    );
    let (birthday, works_from) = stored_dates(&t, &created.id).await;
    assert_eq!(
        (birthday.as_str(), works_from.as_str()),
        ("2008-04-10T06:30:00.1234560Z", "9999-12-31T23:59:59.9999990Z")
    );
}
