//! The thin adapter shared by ingestion and request-reply: decode, authenticate, call the App, and
//! describe the result (a REST envelope, or a rejection with the REST status codes).

mod groups;
mod users;

use async_nats::HeaderMap;

use super::codec::{self, Change, Command, DecodeError};
use super::headers;
use crate::application::{
    Actor, Actors, App, AppError, CompanyView, Contact, Field, GroupView, PersonView, RequestMeta, Source, UserView,
};
use crate::domain::contact_info::ContactInfo;
use crate::proto;
use crate::wire::error::{Described, describe};
use crate::wire::output::{self, Envelope};
use crate::wire::{self};

/// One command as it arrived.
pub struct Incoming<'a> {
    /// The subject after `P.commands.` / `P.rpc.`.
    pub command: &'a str,
    pub headers: Option<&'a HeaderMap>,
    pub payload: &'a [u8],
    /// `Nats-Msg-Id`; else a protobuf `request_id`; else `fallback_key`.
    pub idempotency_key: Option<String>,
    pub fallback_key: Option<String>,
    pub correlation_id: String,
}

/// What a command created or changed, with the caller (a person's `canEdit` depends on the viewer).
pub enum Created {
    Person(Box<PersonView>, Box<Actor>),
    Company(Box<CompanyView>, Box<Actor>),
    User(Box<UserView>),
    /// A contact as a change (or its delete) left it.
    Changed(Box<Contact>, Box<Actor>),
    /// An entry of contact `contact`'s data: added (201), changed or removed (200).
    Data {
        contact: i64,
        info: Box<ContactInfo>,
        status: u16,
    },
    /// A user (or many) as a `people.user.*` change left them.
    UserChanged(users::Answer),
    /// A group created (201), changed or deleted (200; a deleted one without its members).
    Group {
        view: Box<GroupView>,
        status: u16,
        members: bool,
    },
}

impl Created {
    /// The REST answer: the status REST answers with and the seed-shaped object.
    pub fn envelope(&self) -> Envelope {
        match self {
            Created::Person(view, actor) => Envelope::single(201, output::person(view, actor)),
            Created::Company(view, actor) => Envelope::single(201, output::company(view, actor)),
            Created::User(view) => Envelope::single(201, output::user(view)),
            Created::Changed(contact, actor) => Envelope::single(200, output::contact(contact, actor)),
            Created::Data { info, status, .. } => Envelope::single(*status, output::contact_info(info)),
            Created::UserChanged(answer) => answer.envelope(),
            Created::Group { view, status, members } => Envelope::single(*status, wire::groups::group(view, *members)),
        }
    }

    /// For the log: which aggregate the command made or changed (or had, on a retry).
    pub fn describe(&self) -> String {
        match self {
            Created::Person(view, _) => format!("person {}", view.id),
            Created::Company(view, _) => format!("company {}", view.id),
            Created::User(view) => format!("user {}", view.id),
            Created::Changed(contact, _) => match contact.as_ref() {
                Contact::Person(p) => format!("person {} at version {}", p.id, p.version),
                Contact::Company(c) => format!("company {} at version {}", c.id, c.version),
            },
            Created::Data { contact, info, .. } => format!("contact data {} of contact {contact}", info.id),
            Created::UserChanged(answer) => answer.describe(),
            Created::Group { view, .. } => format!("group {} at version {}", view.id, view.version),
        }
    }
}

/// How a rejection names fields: as the payload did (REST names for JSON, proto names for protobuf).
pub type Names = fn(Field) -> &'static str;

/// The vocabulary of a message's payload; with a `Nats-Msg-Id`, the idempotency key is that header.
pub fn names_of(headers: Option<&HeaderMap>) -> Names {
    let msg_id = headers::get(headers, headers::MSG_ID).is_some();
    match (headers::is_protobuf(headers), msg_id) {
        (true, false) => proto::names::proto,
        (true, true) => |f| match f {
            Field::IdempotencyKey => headers::MSG_ID,
            f => proto::names::proto(f),
        },
        (false, false) => wire::names::rest,
        (false, true) => |f| match f {
            Field::IdempotencyKey => headers::MSG_ID,
            f => wire::names::rest(f),
        },
    }
}

/// Why a command did not create anything.
#[derive(Debug)]
pub enum Failure {
    Undecodable(DecodeError),
    App(AppError, Names),
}

/// The `Rollcall-Error` header and the error envelope's content.
pub type Rejection = Described;

/// The `Rollcall-Error` header value: `{"status":N,"message":…,"field":…}`.
pub fn header_value(rejection: &Rejection) -> String {
    serde_json::to_string(rejection).unwrap_or_else(|_| format!(r#"{{"status":{}}}"#, rejection.status))
}

impl Failure {
    /// Whether another delivery can succeed: an outage, an unexpected failure, or a lost race.
    /// Everything else (bad input, no rights, a taken email, a reused key) fails again alike.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Undecodable(_) => false,
            Failure::App(e, _) => match e {
                AppError::Unavailable(_) | AppError::Internal(_) => true,
                AppError::Conflict(_) => true,
                AppError::Invalid(_)
                | AppError::Unauthenticated
                | AppError::Forbidden(_)
                | AppError::NotFound(_)
                | AppError::EmailTaken
                | AppError::KeyReused
                | AppError::StateConflict(_)
                | AppError::VersionMismatch { .. } => false,
            },
        }
    }

    /// The status and message REST would answer with, the field named as the payload names it.
    pub fn rejection(&self) -> Rejection {
        match self {
            Failure::Undecodable(e) => Rejection {
                status: e.status(),
                message: e.to_string(),
                field: e.field().map(str::to_string),
            },
            Failure::App(e, names) => describe(e, *names),
        }
    }
}

/// A command decoded and authenticated, with the metadata it runs under.
pub struct Prepared {
    pub meta: RequestMeta,
    pub command: Command,
    /// How its rejections name fields.
    pub names: Names,
}

/// Decodes and authenticates one command; `actors` remembers users already looked up (one batch).
pub async fn prepare(app: &App, incoming: Incoming<'_>, actors: &mut Actors) -> Result<Prepared, Failure> {
    let decoded = codec::decode(incoming.command, incoming.headers, incoming.payload);
    prepare_decoded(app, incoming, decoded, actors).await
}

/// [`prepare`] of a command decoded already.
pub async fn prepare_decoded(
    app: &App,
    incoming: Incoming<'_>,
    decoded: Result<codec::Decoded, DecodeError>,
    actors: &mut Actors,
) -> Result<Prepared, Failure> {
    let decoded = decoded.map_err(Failure::Undecodable)?;
    let names = names_of(incoming.headers);
    let authorization = headers::get(incoming.headers, headers::AUTHORIZATION);
    let actor = app
        .authenticate_cached(authorization, actors)
        .await
        .map_err(|e| Failure::App(e, names))?;
    let mut meta = RequestMeta::new(actor, Source::Nats);
    meta.correlation_id = incoming.correlation_id;
    let key = incoming
        .idempotency_key
        .or(decoded.request_id)
        .or(incoming.fallback_key);
    if let Some(key) = key {
        meta = meta.with_idempotency_key(key);
    }
    Ok(Prepared {
        meta,
        command: decoded.command,
        names,
    })
}

/// Decodes, authenticates and runs one command.
pub async fn execute(app: &App, incoming: Incoming<'_>) -> Result<Created, Failure> {
    let prepared = prepare(app, incoming, &mut Actors::default()).await?;
    run(app, prepared).await
}

/// Authenticates and runs one command decoded already.
pub async fn execute_decoded(
    app: &App,
    incoming: Incoming<'_>,
    decoded: Result<codec::Decoded, DecodeError>,
) -> Result<Created, Failure> {
    let prepared = prepare_decoded(app, incoming, decoded, &mut Actors::default()).await?;
    run(app, prepared).await
}

/// Runs a prepared command and answers with what it created or changed (once the read model shows it).
pub async fn run(app: &App, Prepared { meta, command, names }: Prepared) -> Result<Created, Failure> {
    let actor = || Box::new(meta.actor.clone());
    let changed = |contact| Created::Changed(Box::new(contact), actor());
    let data = |contact, status| {
        move |(info, _version)| Created::Data {
            contact,
            info: Box::new(info),
            status,
        }
    };
    match command {
        Command::CreatePerson(draft) => app
            .create_person(&meta, draft, None)
            .await
            .map(|view| Created::Person(Box::new(view), actor())),
        Command::CreateCompany(draft) => app
            .create_company(&meta, draft, None)
            .await
            .map(|view| Created::Company(Box::new(view), actor())),
        Command::CreateUser(draft) => app.create_user(&meta, draft).await.map(|v| Created::User(Box::new(v))),
        Command::UpdatePerson(Change { id, expect, content }) => app
            .update_person(&meta, id, content, None, expect)
            .await
            .map(|view| changed(Contact::Person(view))),
        Command::UpdateCompany(Change { id, expect, content }) => app
            .update_company(&meta, id, content, None, expect)
            .await
            .map(|view| changed(Contact::Company(view))),
        Command::DeleteContact(Change { id, expect, .. }) => app.delete_contact(&meta, id, expect).await.map(changed),
        Command::SetAccess(Change { id, expect, content }) => app
            .set_contact_access(&meta, id, content.0, content.1, expect)
            .await
            .map(changed),
        Command::AddData(Change { id, expect, content }) => app
            .add_contact_data(&meta, id, content, expect)
            .await
            .map(data(id, 201)),
        Command::ChangeData(Change { id, expect, content }) => app
            .change_contact_data(&meta, id, content.0, content.1, expect)
            .await
            .map(data(id, 200)),
        Command::RemoveData(Change { id, expect, content }) => app
            .remove_contact_data(&meta, id, content, expect)
            .await
            .map(data(id, 200)),
        Command::User(change) => users::run(app, &meta, change).await,
        Command::Group(change) => groups::run(app, &meta, change).await,
    }
    .map_err(|e| Failure::App(e, names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::RequestError;
    use crate::domain::person::PersonError;

    fn app(e: AppError) -> Failure {
        Failure::App(e, wire::names::rest)
    }

    #[test]
    fn final_rejections_and_transient_failures_are_told_apart() {
        let finals = [
            AppError::from(PersonError::FirstNameRequired),
            AppError::Unauthenticated,
            AppError::Forbidden("no"),
            AppError::NotFound("user"),
            AppError::EmailTaken,
            AppError::KeyReused,
            AppError::StateConflict("only a terminated user can be deleted"),
        ];
        for e in finals {
            assert!(!app(e).is_transient());
        }
        let transients = [
            AppError::Unavailable("db"),
            AppError::Internal("boom".into()),
            AppError::Conflict("concurrent update, retry"),
        ];
        for e in transients {
            assert!(app(e).is_transient());
        }
        assert!(!Failure::Undecodable(DecodeError::Json("x".into())).is_transient());
    }

    #[test]
    fn a_rejection_carries_the_rest_status_and_the_field_in_the_payload_words() {
        let r = app(PersonError::FirstNameRequired.into()).rejection();
        assert_eq!(
            header_value(&r),
            r#"{"status":400,"message":"firstName: is required and must not be blank","field":"firstName"}"#
        );
        let r = Failure::App(RequestError::IdempotencyKeyTooLong.into(), proto::names::proto).rejection();
        assert_eq!((r.status, r.field.as_deref()), (400, Some("request_id")));
        let r = app(AppError::Internal("secret detail".into())).rejection();
        assert_eq!((r.status, r.message.as_str(), r.field), (500, "internal error", None));
    }
}
