//! Subject + headers + payload → a command: JSON with the REST field names (bound by `wire::input`),
//! or protobuf when `Content-Type: application/protobuf` is set. Anything else is undecodable.

use async_nats::HeaderMap;
use serde_json::Value;

use super::headers;
use crate::domain::person::PersonDraft;
use crate::domain::user::UserDraft;
use crate::wire::input::{self, BindError};

pub const CREATE_PERSON: &str = "crm.person.create";
pub const CREATE_USER: &str = "people.user.create";

/// A decoded command, ready for the application.
#[derive(Debug)]
pub enum Command {
    CreatePerson(PersonDraft),
    CreateUser(UserDraft),
}

/// Why a message cannot be read as a command. Retrying cannot help; the messages say what is wrong
/// without echoing the payload.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {0:?}; expected {CREATE_PERSON} or {CREATE_USER}")]
    UnknownCommand(String),
    #[error("the payload is not valid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Field(BindError),
    #[error("application/protobuf decoding arrives with the gRPC API")]
    ProtobufUnsupported,
}

impl DecodeError {
    /// The HTTP-style status reported with the rejection.
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::UnknownCommand(_) => 404,
            DecodeError::Json(_) | DecodeError::Field(_) => 400,
            DecodeError::ProtobufUnsupported => 415,
        }
    }

    /// The input at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Field(e) => Some(&e.field),
            _ => None,
        }
    }
}

/// Decodes the payload of `command` (the subject after `P.commands.` or `P.rpc.`).
pub fn decode(command: &str, headers: Option<&HeaderMap>, payload: &[u8]) -> Result<Command, DecodeError> {
    if command != CREATE_PERSON && command != CREATE_USER {
        return Err(DecodeError::UnknownCommand(command.to_string()));
    }
    if headers::is_protobuf(headers) {
        return Err(DecodeError::ProtobufUnsupported);
    }
    let body: Value = serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))?;
    if command == CREATE_PERSON {
        input::person_draft(&body).map(Command::CreatePerson)
    } else {
        input::user_draft(&body).map(Command::CreateUser)
    }
    .map_err(DecodeError::Field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_shaped_person_decodes_with_rest_field_names() {
        let body = br#"{"firstName":"Tadjeddine","lastName":"Bachir","shareType":"readWrite"}"#;
        match decode(CREATE_PERSON, None, body) {
            Ok(Command::CreatePerson(d)) => assert_eq!(d.first_name.as_deref(), Some("Tadjeddine")),
            other => panic!("expected a person, got {other:?}"),
        }
    }

    #[test]
    fn a_user_decodes_with_rest_field_names() {
        let body = br#"{"isVisitor":false,"email":"a@b.io","firstname":"A","lastname":"B"}"#;
        assert!(matches!(decode(CREATE_USER, None, body), Ok(Command::CreateUser(_))));
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
}
