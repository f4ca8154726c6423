//! Subject + headers + payload → a command: JSON with the REST field names (bound by `wire::input`),
//! or protobuf when `Content-Type: application/protobuf` is set. Anything else is undecodable.

use async_nats::HeaderMap;
use prost::Message;
use serde_json::Value;

use super::headers;
use crate::domain::company::CompanyDraft;
use crate::domain::person::PersonDraft;
use crate::domain::user::UserDraft;
use crate::proto::{self, pb};
use crate::wire::input::{self, BindError};

pub const CREATE_PERSON: &str = "crm.person.create";
pub const CREATE_USER: &str = "people.user.create";
pub const CREATE_COMPANY: &str = "crm.company.create";

/// A decoded command, ready for the application.
#[derive(Debug)]
pub enum Command {
    CreatePerson(PersonDraft),
    CreateUser(UserDraft),
    CreateCompany(CompanyDraft),
}

/// A command and, for protobuf, its non-empty `request_id` (an idempotency key when there is no
/// `Nats-Msg-Id`).
#[derive(Debug)]
pub struct Decoded {
    pub command: Command,
    pub request_id: Option<String>,
}

/// Why a message cannot be read as a command. Retrying cannot help; the messages say what is wrong
/// without echoing the payload.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {0:?}; expected {CREATE_PERSON}, {CREATE_COMPANY} or {CREATE_USER}")]
    UnknownCommand(String),
    #[error("the payload is not valid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Field(BindError),
    #[error("the payload is not a valid protobuf {0}")]
    Protobuf(&'static str),
    /// A protobuf field that cannot be translated (named as in the proto).
    #[error(transparent)]
    ProtobufField(proto::Invalid),
}

impl DecodeError {
    /// The HTTP-style status reported with the rejection.
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::UnknownCommand(_) => 404,
            DecodeError::Json(_) | DecodeError::Field(_) | DecodeError::Protobuf(_) | DecodeError::ProtobufField(_) => {
                400
            }
        }
    }

    /// The input at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Field(e) => Some(&e.field),
            DecodeError::ProtobufField(e) => Some(e.field),
            _ => None,
        }
    }
}

/// Decodes the payload of `command` (the subject after `P.commands.` or `P.rpc.`).
pub fn decode(command: &str, headers: Option<&HeaderMap>, payload: &[u8]) -> Result<Decoded, DecodeError> {
    if ![CREATE_PERSON, CREATE_USER, CREATE_COMPANY].contains(&command) {
        return Err(DecodeError::UnknownCommand(command.to_string()));
    }
    if headers::is_protobuf(headers) {
        return decode_protobuf(command, payload);
    }
    let body: Value = serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))?;
    let command = match command {
        CREATE_PERSON => input::person_draft(&body).map(Command::CreatePerson),
        CREATE_COMPANY => input::company_draft(&body).map(Command::CreateCompany),
        _ => input::user_draft(&body).map(Command::CreateUser),
    }
    .map_err(DecodeError::Field)?;
    Ok(Decoded {
        command,
        request_id: None,
    })
}

/// `rollcall.v1.CreatePersonRequest` / `CreateCompanyRequest` / `CreateUserRequest`, translated by the
/// same `proto` conversion gRPC uses.
fn decode_protobuf(command: &str, payload: &[u8]) -> Result<Decoded, DecodeError> {
    let (command, request_id) = if command == CREATE_PERSON {
        let mut req = pb::CreatePersonRequest::decode(payload)
            .map_err(|_| DecodeError::Protobuf("rollcall.v1.CreatePersonRequest"))?;
        let request_id = std::mem::take(&mut req.request_id);
        (proto::person_draft(req).map(Command::CreatePerson), request_id)
    } else if command == CREATE_COMPANY {
        let mut req = pb::CreateCompanyRequest::decode(payload)
            .map_err(|_| DecodeError::Protobuf("rollcall.v1.CreateCompanyRequest"))?;
        let request_id = std::mem::take(&mut req.request_id);
        (proto::company_draft(req).map(Command::CreateCompany), request_id)
    } else {
        let mut req = pb::CreateUserRequest::decode(payload)
            .map_err(|_| DecodeError::Protobuf("rollcall.v1.CreateUserRequest"))?;
        let request_id = std::mem::take(&mut req.request_id);
        (proto::user_draft(req).map(Command::CreateUser), request_id)
    };
    let command = command.map_err(DecodeError::ProtobufField)?;
    let request_id = Some(request_id.trim().to_string()).filter(|r| !r.is_empty());
    Ok(Decoded { command, request_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_shaped_person_decodes_with_rest_field_names() {
        let body = br#"{"firstName":"Tadjeddine","lastName":"Bachir","shareType":"readWrite"}"#;
        match decode(CREATE_PERSON, None, body).map(|d| d.command) {
            Ok(Command::CreatePerson(d)) => assert_eq!(d.first_name.as_deref(), Some("Tadjeddine")),
            other => panic!("expected a person, got {other:?}"),
        }
    }

    #[test]
    fn a_user_decodes_with_rest_field_names() {
        let body = br#"{"isVisitor":false,"email":"a@b.io","firstname":"A","lastname":"B"}"#;
        assert!(matches!(
            decode(CREATE_USER, None, body).map(|d| d.command),
            Ok(Command::CreateUser(_))
        ));
    }

    #[test]
    fn bad_json_wrong_types_and_unknown_commands_are_undecodable() {
        assert!(matches!(
            decode(CREATE_PERSON, None, b"{nope"),
            Err(DecodeError::Json(_))
        ));
        let wrong = decode(CREATE_PERSON, None, br#"{"companyId":"x"}"#).unwrap_err();
        assert_eq!((wrong.status(), wrong.field()), (400, Some("companyId")));
        let array = decode(CREATE_USER, None, b"[]").unwrap_err();
        assert_eq!(array.field(), Some("body"));
        let unknown = decode("crm.person.delete", None, b"{}").unwrap_err();
        assert_eq!(unknown.status(), 404);
    }

    fn protobuf() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("Content-Type", "application/protobuf");
        h
    }

    #[test]
    fn a_protobuf_person_decodes_with_its_request_id() {
        let req = pb::CreatePersonRequest {
            first_name: Some("Ann".into()),
            request_id: " r-1 ".into(),
            ..Default::default()
        };
        let decoded = decode(CREATE_PERSON, Some(&protobuf()), &req.encode_to_vec()).unwrap();
        assert_eq!(decoded.request_id.as_deref(), Some("r-1"));
        assert!(matches!(decoded.command, Command::CreatePerson(d) if d.first_name.as_deref() == Some("Ann")));
    }

    #[test]
    fn bad_protobuf_and_untranslatable_fields_are_undecodable() {
        let garbage = decode(CREATE_USER, Some(&protobuf()), b"\xff\xff\xff").unwrap_err();
        assert!(matches!(garbage, DecodeError::Protobuf(_)));
        let req = pb::CreatePersonRequest {
            share_type: 7,
            ..Default::default()
        };
        let bad = decode(CREATE_PERSON, Some(&protobuf()), &req.encode_to_vec()).unwrap_err();
        assert_eq!((bad.status(), bad.field()), (400, Some("share_type")));
    }
}
