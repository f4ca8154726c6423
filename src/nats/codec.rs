//! Subject + headers + payload → a command: JSON with the REST field names (read as a borrowed
//! `wire::json::Json` and bound by `wire::input`, `wire::changes` and `wire::people`, by REST's rules;
//! a change adds the contact's `id` or the user's `userid`), or protobuf when `Content-Type:
//! application/protobuf` is set. A change may expect a version (`Rollcall-Expected-Version`, else a
//! protobuf `expected_version`). Anything else is undecodable.

use async_nats::HeaderMap;
use prost::Message;

use super::headers;
use crate::application::Expect;
use crate::domain::company::{CompanyDraft, CompanyPatch};
use crate::domain::contact_info::ContactInfoDraft;
use crate::domain::person::{PersonDraft, PersonPatch};
use crate::domain::user::UserDraft;
use crate::proto::{self, pb};
use crate::wire::changes;
use crate::wire::input::{self, BindError};
use crate::wire::json::Json;

pub const CREATE_PERSON: &str = "crm.person.create";
pub const CREATE_USER: &str = "people.user.create";
pub const CREATE_COMPANY: &str = "crm.company.create";
pub const UPDATE_PERSON: &str = "crm.person.update";
pub const UPDATE_COMPANY: &str = "crm.company.update";
pub const DELETE_CONTACT: &str = "crm.contact.delete";
pub const SET_ACCESS: &str = "crm.contact.access";
pub const ADD_DATA: &str = "crm.contact.data.add";
pub const UPDATE_DATA: &str = "crm.contact.data.update";
pub const DELETE_DATA: &str = "crm.contact.data.delete";

mod users;
pub use users::{
    CHANGE_EMAIL, CHANGE_PASSWORD, DELETE_USER, SET_ADMINISTRATOR, SET_STATUS, SET_TYPE, UPDATE_USER, USER_COMMANDS,
    UserChange, UserTarget,
};

mod groups;
pub use groups::{GroupChange, Target};

/// Every command a subject can name.
pub const COMMANDS: [&str; 22] = [
    CREATE_PERSON,
    CREATE_COMPANY,
    CREATE_USER,
    UPDATE_PERSON,
    UPDATE_COMPANY,
    DELETE_CONTACT,
    SET_ACCESS,
    ADD_DATA,
    UPDATE_DATA,
    DELETE_DATA,
    UPDATE_USER,
    SET_STATUS,
    SET_TYPE,
    CHANGE_EMAIL,
    CHANGE_PASSWORD,
    DELETE_USER,
    SET_ADMINISTRATOR,
    groups::CREATE_GROUP,
    groups::UPDATE_GROUP,
    groups::DELETE_GROUP,
    groups::ADD_MEMBERS,
    groups::REMOVE_MEMBERS,
];

/// A decoded command, ready for the application.
#[derive(Debug)]
pub enum Command {
    CreatePerson(PersonDraft),
    CreateUser(UserDraft),
    CreateCompany(CompanyDraft),
    UpdatePerson(Change<PersonPatch>),
    UpdateCompany(Change<CompanyPatch>),
    DeleteContact(Change<()>),
    SetAccess(Change<proto::Access>),
    AddData(Change<ContactInfoDraft>),
    /// The entry's id and its new fields.
    ChangeData(Change<(i64, ContactInfoDraft)>),
    /// The entry's id.
    RemoveData(Change<i64>),
    /// `people.user.*` but the create.
    User(UserChange),
    /// `people.group.*`.
    Group(GroupChange),
}

impl Command {
    /// The streams the command changes, as keys that order the commands of one stream (`order`); none
    /// for a create, whose stream is new. A user named by user name and by GUID in two commands is
    /// two keys.
    pub fn streams(&self) -> Vec<String> {
        let contact = |id: &i64| vec![format!("contact:{id}")];
        match self {
            Command::CreatePerson(_) | Command::CreateUser(_) | Command::CreateCompany(_) => Vec::new(),
            Command::UpdatePerson(c) => contact(&c.id),
            Command::UpdateCompany(c) => contact(&c.id),
            Command::DeleteContact(c) => contact(&c.id),
            Command::SetAccess(c) => contact(&c.id),
            Command::AddData(c) => contact(&c.id),
            Command::ChangeData(c) => contact(&c.id),
            Command::RemoveData(c) => contact(&c.id),
            Command::User(change) => change.users().map(|u| format!("user:{u}")).collect(),
            Command::Group(change) => change.group().map(|g| format!("group:{g}")).into_iter().collect(),
        }
    }
}

/// A change of the contact `id`, expected at a version or not.
#[derive(Debug)]
pub struct Change<T> {
    pub id: i64,
    pub expect: Expect,
    pub content: T,
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
    #[error("unknown command {0:?}; expected one of {list}", list = COMMANDS.join(", "))]
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
    if !COMMANDS.contains(&command) {
        return Err(DecodeError::UnknownCommand(command.to_string()));
    }
    let expect = expected_version(headers)?;
    if headers::is_protobuf(headers) {
        return decode_protobuf(command, expect, payload);
    }
    // Borrowed from the payload: no `Value` (a String per key and string) is built for a command.
    let body = Json::parse(payload).map_err(|e| DecodeError::Json(e.to_string()))?;
    if USER_COMMANDS.contains(&command) {
        let change = users::json(command, expect, &body).map_err(DecodeError::Field)?;
        return Ok(Decoded {
            command: Command::User(change),
            request_id: None,
        });
    }
    let command = decode_json(command, expect.unwrap_or_default(), &body).map_err(DecodeError::Field)?;
    Ok(Decoded {
        command,
        request_id: None,
    })
}

/// A JSON payload: the REST body, plus the contact's `id` (and the entry's `dataid`) for a change.
fn decode_json(command: &str, expect: Expect, body: &Json<'_>) -> Result<Command, BindError> {
    if groups::GROUP_COMMANDS.contains(&command) {
        return groups::json(command, expect, body).map(Command::Group);
    }
    let id = || changes::contact_id(body);
    Ok(match command {
        CREATE_PERSON => Command::CreatePerson(input::person_draft(body)?),
        CREATE_COMPANY => Command::CreateCompany(input::company_draft(body)?),
        CREATE_USER => Command::CreateUser(input::user_draft(body)?),
        UPDATE_PERSON => Command::UpdatePerson(Change {
            id: id()?,
            expect,
            content: changes::person_patch(body)?,
        }),
        UPDATE_COMPANY => Command::UpdateCompany(Change {
            id: id()?,
            expect,
            content: changes::company_patch(body)?,
        }),
        DELETE_CONTACT => Command::DeleteContact(Change {
            id: id()?,
            expect,
            content: (),
        }),
        SET_ACCESS => Command::SetAccess(Change {
            id: id()?,
            expect,
            content: changes::access(body)?,
        }),
        ADD_DATA => Command::AddData(Change {
            id: id()?,
            expect,
            content: changes::contact_info(body)?,
        }),
        UPDATE_DATA => Command::ChangeData(Change {
            id: id()?,
            expect,
            content: (changes::data_id(body)?, changes::contact_info(body)?),
        }),
        _ => Command::RemoveData(Change {
            id: id()?,
            expect,
            content: changes::data_id(body)?,
        }),
    })
}

/// `Rollcall-Expected-Version: <n>` (`"3"` is read as 3 too), `None` without the header.
fn expected_version(headers: Option<&HeaderMap>) -> Result<Option<Expect>, DecodeError> {
    let Some(value) = headers::get(headers, headers::EXPECTED_VERSION) else {
        return Ok(None);
    };
    value
        .trim_matches('"')
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(|v| Some(Expect::version(Some(v))))
        .ok_or_else(|| {
            DecodeError::Field(BindError {
                field: headers::EXPECTED_VERSION.to_string(),
                message: "must be a version: 1 or more".to_string(),
            })
        })
}

fn message<M: Message + Default>(payload: &[u8], name: &'static str) -> Result<M, DecodeError> {
    M::decode(payload).map_err(|_| DecodeError::Protobuf(name))
}

/// A protobuf change: the header's version wins over the message's `expected_version`.
fn change<T>(id: i64, header: Option<Expect>, field: Option<u64>, content: T) -> Result<Change<T>, proto::Invalid> {
    let expect = match header {
        Some(expect) => expect,
        None => proto::expect(field)?,
    };
    Ok(Change { id, expect, content })
}

/// The `rollcall.v1` request messages of gRPC (`CreatePersonRequest`, `UpdatePersonRequest`, …),
/// translated by the same `proto` conversion gRPC uses. `crm.contact.delete` takes a
/// `DeletePersonRequest` (a `DeleteCompanyRequest` is the same on the wire) and deletes either kind.
fn decode_protobuf(command: &str, expect: Option<Expect>, payload: &[u8]) -> Result<Decoded, DecodeError> {
    let (command, request_id) = match command {
        user if USER_COMMANDS.contains(&user) => {
            let (change, request_id) = users::protobuf(user, expect, payload)?;
            (change.map(Command::User), request_id)
        }
        group if groups::GROUP_COMMANDS.contains(&group) => {
            let (change, request_id) = groups::protobuf(group, expect, payload)?;
            (change.map(Command::Group), request_id)
        }
        CREATE_PERSON => {
            let mut req: pb::CreatePersonRequest = message(payload, "rollcall.v1.CreatePersonRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            (proto::person_draft(req).map(Command::CreatePerson), request_id)
        }
        CREATE_COMPANY => {
            let mut req: pb::CreateCompanyRequest = message(payload, "rollcall.v1.CreateCompanyRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            (proto::company_draft(req).map(Command::CreateCompany), request_id)
        }
        CREATE_USER => {
            let mut req: pb::CreateUserRequest = message(payload, "rollcall.v1.CreateUserRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            (proto::user_draft(req).map(Command::CreateUser), request_id)
        }
        UPDATE_PERSON => {
            let mut req: pb::UpdatePersonRequest = message(payload, "rollcall.v1.UpdatePersonRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            let (id, version) = (req.id, req.expected_version);
            let command = proto::person_patch(req).and_then(|p| change(id, expect, version, p));
            (command.map(Command::UpdatePerson), request_id)
        }
        UPDATE_COMPANY => {
            let mut req: pb::UpdateCompanyRequest = message(payload, "rollcall.v1.UpdateCompanyRequest")?;
            let request_id = std::mem::take(&mut req.request_id);
            let (id, version) = (req.id, req.expected_version);
            let command = proto::company_patch(req).and_then(|p| change(id, expect, version, p));
            (command.map(Command::UpdateCompany), request_id)
        }
        DELETE_CONTACT => {
            let req: pb::DeletePersonRequest = message(payload, "rollcall.v1.DeletePersonRequest")?;
            let command = change(req.id, expect, req.expected_version, ());
            (command.map(Command::DeleteContact), req.request_id)
        }
        SET_ACCESS => {
            let req: pb::SetContactAccessRequest = message(payload, "rollcall.v1.SetContactAccessRequest")?;
            let command = proto::access(&req).and_then(|a| change(req.id, expect, req.expected_version, a));
            (command.map(Command::SetAccess), req.request_id)
        }
        ADD_DATA => {
            let req: pb::AddContactDataRequest = message(payload, "rollcall.v1.AddContactDataRequest")?;
            let command = proto::contact_data_draft(req.info_type, req.category, req.data, req.is_primary)
                .and_then(|d| change(req.id, expect, req.expected_version, d));
            (command.map(Command::AddData), req.request_id)
        }
        UPDATE_DATA => {
            let req: pb::UpdateContactDataRequest = message(payload, "rollcall.v1.UpdateContactDataRequest")?;
            let command = proto::positive("data_id", req.data_id).and_then(|data_id| {
                let draft = proto::contact_data_draft(req.info_type, req.category, req.data, req.is_primary)?;
                change(req.id, expect, req.expected_version, (data_id, draft))
            });
            (command.map(Command::ChangeData), req.request_id)
        }
        _ => {
            let req: pb::DeleteContactDataRequest = message(payload, "rollcall.v1.DeleteContactDataRequest")?;
            let command = proto::positive("data_id", req.data_id)
                .and_then(|data_id| change(req.id, expect, req.expected_version, data_id));
            (command.map(Command::RemoveData), req.request_id)
        }
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

    #[test]
    fn a_json_change_is_the_rest_body_plus_the_id_and_may_expect_a_version() {
        let mut h = HeaderMap::new();
        h.insert(headers::EXPECTED_VERSION, "3");
        let body = br#"{"id":7,"firstName":"Ann","jobTitle":null}"#;
        match decode(UPDATE_PERSON, Some(&h), body).map(|d| d.command) {
            Ok(Command::UpdatePerson(c)) => {
                assert_eq!((c.id, c.expect), (7, Expect::version(Some(3))));
                assert_eq!(c.content.job_title, crate::domain::values::Patch::Clear);
            }
            other => panic!("expected an update, got {other:?}"),
        }
        let missing = decode(DELETE_CONTACT, None, b"{}").unwrap_err();
        assert_eq!((missing.status(), missing.field()), (400, Some("id")));
        let no_entry = decode(DELETE_DATA, None, br#"{"id":7}"#).unwrap_err();
        assert_eq!(no_entry.field(), Some("dataid"));
        h.insert(headers::EXPECTED_VERSION, "soon");
        let stale = decode(DELETE_CONTACT, Some(&h), br#"{"id":7}"#).unwrap_err();
        assert_eq!(stale.field(), Some(headers::EXPECTED_VERSION));
        let info = decode(ADD_DATA, None, br#"{"id":7,"infoType":"Fax","data":"1"}"#).unwrap_err();
        assert_eq!(info.field(), Some("infoType"));
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

    #[test]
    fn a_protobuf_change_takes_its_version_from_the_header_before_the_message() {
        let req = pb::UpdateCompanyRequest {
            id: 4,
            about: Some("x".into()),
            expected_version: Some(2),
            request_id: "c-1".into(),
            ..Default::default()
        };
        let decoded = decode(UPDATE_COMPANY, Some(&protobuf()), &req.encode_to_vec()).unwrap();
        assert_eq!(decoded.request_id.as_deref(), Some("c-1"));
        assert!(matches!(decoded.command, Command::UpdateCompany(c) if c.expect == Expect::version(Some(2))));
        let mut h = protobuf();
        h.insert(headers::EXPECTED_VERSION, "5");
        let decoded = decode(UPDATE_COMPANY, Some(&h), &req.encode_to_vec()).unwrap();
        assert!(matches!(decoded.command, Command::UpdateCompany(c) if c.expect == Expect::version(Some(5))));
        let entry = pb::DeleteContactDataRequest {
            id: 4,
            data_id: 0,
            ..Default::default()
        };
        let bad = decode(DELETE_DATA, Some(&protobuf()), &entry.encode_to_vec()).unwrap_err();
        assert_eq!(bad.field(), Some("data_id"));
    }
}
