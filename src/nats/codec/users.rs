//! User subjects (`people.user.*` after the create): a JSON payload is the REST body plus the user
//! (`userid`, a GUID or user name, as REST's path takes it; `userIds` and `status` / `type` for the
//! changes of many users); a protobuf payload is UserService's request message of the same change.

use secrecy::SecretString;
use uuid::Uuid;

use super::{DecodeError, message};
use crate::application::Expect;
use crate::domain::user::{UserPatch, UserStatus, UserType};
use crate::proto::{self, pb};
use crate::wire::input::{BindError, Fields};
use crate::wire::node::Node;
use crate::wire::people;

pub const UPDATE_USER: &str = "people.user.update";
pub const SET_STATUS: &str = "people.user.status";
pub const SET_TYPE: &str = "people.user.type";
pub const CHANGE_EMAIL: &str = "people.user.email";
pub const CHANGE_PASSWORD: &str = "people.user.password";
pub const DELETE_USER: &str = "people.user.delete";
pub const SET_ADMINISTRATOR: &str = "people.user.administrator";

/// Every user change a subject can name.
pub const USER_COMMANDS: [&str; 7] = [
    UPDATE_USER,
    SET_STATUS,
    SET_TYPE,
    CHANGE_EMAIL,
    CHANGE_PASSWORD,
    DELETE_USER,
    SET_ADMINISTRATOR,
];

/// A change of the user `user` (a GUID or a user name), expected at a version or not.
#[derive(Debug)]
pub struct UserTarget<T> {
    pub user: String,
    pub expect: Expect,
    pub content: T,
}

/// A decoded user change.
#[derive(Debug)]
pub enum UserChange {
    Update(UserTarget<Box<UserPatch>>),
    Status(Vec<Uuid>, UserStatus),
    Type(Vec<Uuid>, UserType),
    Email(UserTarget<String>),
    /// Never logged nor serialized (`SecretString`).
    Password(UserTarget<SecretString>),
    Delete(UserTarget<()>),
    /// Grant (`true`) or revoke administrator rights.
    Administrator(UserTarget<bool>),
}

impl UserChange {
    /// The users it changes, as named (GUIDs and user names in lower case).
    pub fn users(&self) -> impl Iterator<Item = String> + '_ {
        let (one, many): (Option<&str>, &[Uuid]) = match self {
            UserChange::Update(t) => (Some(&t.user), &[]),
            UserChange::Email(t) => (Some(&t.user), &[]),
            UserChange::Password(t) => (Some(&t.user), &[]),
            UserChange::Delete(t) => (Some(&t.user), &[]),
            UserChange::Administrator(t) => (Some(&t.user), &[]),
            UserChange::Status(ids, _) | UserChange::Type(ids, _) => (None, ids),
        };
        one.map(|u| u.trim().to_lowercase())
            .into_iter()
            .chain(many.iter().map(Uuid::to_string))
    }
}

fn err(field: &str, message: &str) -> BindError {
    BindError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// The `userid` of a JSON payload (REST has it in the path).
fn user_id<N: Node>(body: &N) -> Result<String, BindError> {
    Fields::new(body)?
        .string("userid")?
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| err("userid", "is required: the user's GUID or user name"))
}

/// A change of many users names no version: a `Rollcall-Expected-Version` on one is refused rather
/// than ignored.
fn unversioned(expect: Option<Expect>) -> Result<(), BindError> {
    match expect {
        None => Ok(()),
        Some(_) => Err(err(
            super::headers::EXPECTED_VERSION,
            "a change of many users expects no version",
        )),
    }
}

/// A JSON change of the payload's `userid`.
fn json_target<N: Node, T>(body: &N, expect: Option<Expect>, content: T) -> Result<UserTarget<T>, BindError> {
    Ok(UserTarget {
        user: user_id(body)?,
        expect: expect.unwrap_or_default(),
        content,
    })
}

/// A JSON payload of the user subject `command`.
pub fn json<N: Node>(command: &str, expect: Option<Expect>, body: &N) -> Result<UserChange, BindError> {
    Ok(match command {
        UPDATE_USER => UserChange::Update(json_target(body, expect, Box::new(people::user_patch(body)?))?),
        SET_STATUS => {
            unversioned(expect)?;
            let status = people::user_status(&people::required(body, "status")?)?;
            UserChange::Status(people::user_ids(body)?, status)
        }
        SET_TYPE => {
            unversioned(expect)?;
            let user_type = people::user_type(&people::required(body, "type")?)?;
            UserChange::Type(people::user_ids(body)?, user_type)
        }
        CHANGE_EMAIL => UserChange::Email(json_target(body, expect, people::required(body, "email")?)?),
        CHANGE_PASSWORD => {
            let password = SecretString::from(people::required(body, "password")?);
            UserChange::Password(json_target(body, expect, password)?)
        }
        DELETE_USER => UserChange::Delete(json_target(body, expect, ())?),
        _ => {
            let change = people::administrator(body)?;
            UserChange::Administrator(UserTarget {
                user: change.user_id.to_string(),
                expect: expect.unwrap_or_default(),
                content: change.administrator,
            })
        }
    })
}

/// A protobuf change: the header's version wins over the message's `expected_version`.
fn target<T>(
    user: String,
    header: Option<Expect>,
    field: Option<u64>,
    content: T,
) -> Result<UserTarget<T>, proto::Invalid> {
    let expect = match header {
        Some(expect) => expect,
        None => proto::expect(field)?,
    };
    proto::user_key(&user)?;
    Ok(UserTarget { user, expect, content })
}

/// A change of many users in protobuf: no version (see [`unversioned`]).
fn many(header: Option<Expect>) -> Result<(), proto::Invalid> {
    match header {
        None => Ok(()),
        Some(_) => Err(proto::Invalid {
            field: super::headers::EXPECTED_VERSION,
            problem: "a change of many users expects no version".into(),
        }),
    }
}

/// A protobuf payload of the user subject `command`, and its `request_id` (none for the changes of
/// many users, which have no idempotency key).
pub fn protobuf(
    command: &str,
    expect: Option<Expect>,
    payload: &[u8],
) -> Result<(Result<UserChange, proto::Invalid>, String), DecodeError> {
    Ok(match command {
        UPDATE_USER => {
            let mut req: pb::UpdateUserRequest = message(payload, "rollcall.v1.UpdateUserRequest")?;
            let (user, request_id) = (std::mem::take(&mut req.id), std::mem::take(&mut req.request_id));
            let version = req.expected_version;
            let change = proto::user_patch(req).and_then(|p| target(user, expect, version, Box::new(p)));
            (change.map(UserChange::Update), request_id)
        }
        SET_STATUS => {
            let req: pb::SetUserStatusRequest = message(payload, "rollcall.v1.SetUserStatusRequest")?;
            let change = many(expect).and_then(|()| {
                Ok(UserChange::Status(
                    proto::user_ids(&req.user_ids)?,
                    proto::user_status_in(req.status)?,
                ))
            });
            (change, String::new())
        }
        SET_TYPE => {
            let req: pb::SetUserTypeRequest = message(payload, "rollcall.v1.SetUserTypeRequest")?;
            let change = many(expect).and_then(|()| {
                Ok(UserChange::Type(
                    proto::user_ids(&req.user_ids)?,
                    proto::user_type_in(req.r#type)?,
                ))
            });
            (change, String::new())
        }
        CHANGE_EMAIL => {
            let req: pb::ChangeUserEmailRequest = message(payload, "rollcall.v1.ChangeUserEmailRequest")?;
            let change = target(req.id, expect, req.expected_version, req.email);
            (change.map(UserChange::Email), req.request_id)
        }
        CHANGE_PASSWORD => {
            let req: pb::ChangeUserPasswordRequest = message(payload, "rollcall.v1.ChangeUserPasswordRequest")?;
            let password = SecretString::from(req.password);
            let change = target(req.id, expect, req.expected_version, password);
            (change.map(UserChange::Password), req.request_id)
        }
        DELETE_USER => {
            let req: pb::DeleteUserRequest = message(payload, "rollcall.v1.DeleteUserRequest")?;
            let change = target(req.id, expect, req.expected_version, ());
            (change.map(UserChange::Delete), req.request_id)
        }
        _ => {
            let req: pb::SetAdministratorRequest = message(payload, "rollcall.v1.SetAdministratorRequest")?;
            let change = proto::administrator(&req)
                .and_then(|(user, grant)| target(user.to_string(), expect, req.expected_version, grant));
            (change.map(UserChange::Administrator), req.request_id)
        }
    })
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;

    const ANN: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

    #[test]
    fn a_json_user_change_is_the_rest_body_plus_the_user() {
        let body = json!({"userid": "ann", "firstname": "Ann", "title": null});
        match json(UPDATE_USER, Some(Expect::version(Some(2))), &body) {
            Ok(UserChange::Update(t)) => {
                assert_eq!((t.user.as_str(), t.expect), ("ann", Expect::version(Some(2))));
                assert_eq!(t.content.first_name, crate::domain::values::Patch::Set("Ann".into()));
            }
            other => panic!("expected an update, got {other:?}"),
        }
        let body = json!({"userIds": [ANN], "status": "terminated"});
        assert!(matches!(
            json(SET_STATUS, None, &body),
            Ok(UserChange::Status(ids, UserStatus::Terminated)) if ids.len() == 1
        ));
        let body = json!({"userid": ANN, "password": "s3cret-pass"});
        match json(CHANGE_PASSWORD, None, &body) {
            Ok(UserChange::Password(t)) => assert_eq!(t.content.expose_secret(), "s3cret-pass"),
            other => panic!("expected a password change, got {other:?}"),
        }
        let body = json!({"userid": ANN, "administrator": true});
        assert!(matches!(json(SET_ADMINISTRATOR, None, &body), Ok(UserChange::Administrator(t)) if t.content));
    }

    #[test]
    fn a_json_user_change_names_what_is_missing_or_wrong() {
        let cases = [
            (DELETE_USER, json!({}), None, "userid"),
            (CHANGE_EMAIL, json!({"userid": "ann"}), None, "email"),
            (SET_TYPE, json!({"userIds": [ANN]}), None, "type"),
            (SET_TYPE, json!({"userIds": [ANN], "type": "boss"}), None, "type"),
            (SET_STATUS, json!({"status": "Active"}), None, "userIds"),
            (
                SET_STATUS,
                json!({"userIds": [ANN], "status": "Active"}),
                Some(Expect::version(Some(1))),
                super::super::headers::EXPECTED_VERSION,
            ),
            (SET_ADMINISTRATOR, json!({"administrator": true}), None, "userid"),
        ];
        for (command, body, expect, field) in cases {
            let e = json(command, expect, &body).unwrap_err();
            assert_eq!(e.field, field, "{command} {body}");
        }
    }

    #[test]
    fn a_protobuf_user_change_names_proto_fields_and_takes_the_headers_version_first() {
        let req = pb::DeleteUserRequest {
            id: ANN.into(),
            expected_version: Some(3),
            request_id: "d-1".into(),
        };
        let (change, request_id) = protobuf(DELETE_USER, None, &req.encode_to_vec()).unwrap();
        assert_eq!(request_id, "d-1");
        assert!(matches!(change, Ok(UserChange::Delete(t)) if t.expect == Expect::version(Some(3))));
        let header = Some(Expect::version(Some(5)));
        let (change, _) = protobuf(DELETE_USER, header, &req.encode_to_vec()).unwrap();
        assert!(matches!(change, Ok(UserChange::Delete(t)) if t.expect == Expect::version(Some(5))));
        let status = pb::SetUserStatusRequest {
            user_ids: vec![ANN.into()],
            status: pb::UserStatus::LeaveOfAbsence.into(),
        };
        let (change, _) = protobuf(SET_STATUS, None, &status.encode_to_vec()).unwrap();
        assert_eq!(change.unwrap_err().field, "status");
        let garbage = protobuf(CHANGE_PASSWORD, None, b"\xff\xff").unwrap_err();
        assert!(matches!(garbage, DecodeError::Protobuf(_)));
    }
}
