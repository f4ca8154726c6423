//! The thin adapter shared by ingestion and request-reply: decode, authenticate, call the App, and
//! describe the result (a REST envelope, or a rejection with the REST status codes).

use async_nats::HeaderMap;
use serde::Serialize;

use super::codec::{self, Command, DecodeError};
use super::headers;
use crate::application::{Actor, Actors, App, AppError, RequestMeta, Source};
use crate::read_model::companies::CompanyView;
use crate::read_model::persons::PersonView;
use crate::read_model::users::UserView;
use crate::wire::output::{self, Envelope, ErrorEnvelope};

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

/// What a command created, with the caller (a person's `canEdit` depends on the viewer).
pub enum Created {
    Person(Box<PersonView>, Box<Actor>),
    Company(Box<CompanyView>, Box<Actor>),
    User(Box<UserView>),
}

impl Created {
    /// The REST answer: `201` and the seed-shaped object.
    pub fn envelope(&self) -> Envelope {
        match self {
            Created::Person(view, actor) => Envelope::single(201, output::person(view, actor)),
            Created::Company(view, actor) => Envelope::single(201, output::company(view, actor)),
            Created::User(view) => Envelope::single(201, output::user(view)),
        }
    }

    /// For the log: which aggregate the command made (or had made, on a retry).
    pub fn describe(&self) -> String {
        match self {
            Created::Person(view, _) => format!("person {}", view.id),
            Created::Company(view, _) => format!("company {}", view.id),
            Created::User(view) => format!("user {}", view.id),
        }
    }
}

/// Why a command did not create anything.
#[derive(Debug)]
pub enum Failure {
    Undecodable(DecodeError),
    App(AppError),
}

/// The `Rollcall-Error` header and the error envelope's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
}

impl Rejection {
    pub fn header_value(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!(r#"{{"status":{}}}"#, self.status))
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope::new(self.status, self.message.clone())
    }
}

impl Failure {
    /// Whether another delivery can succeed: an outage, an unexpected failure, or a lost race.
    /// Everything else (bad input, no rights, a taken email, a reused key) fails again alike.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Undecodable(_) => false,
            Failure::App(e) => match e {
                AppError::Unavailable(_) | AppError::Internal(_) => true,
                AppError::Conflict(_) => true,
                AppError::Invalid { .. }
                | AppError::Unauthenticated
                | AppError::Forbidden(_)
                | AppError::NotFound(_)
                | AppError::EmailTaken
                | AppError::KeyReused => false,
            },
        }
    }

    /// The status and message REST would answer with.
    pub fn rejection(&self) -> Rejection {
        match self {
            Failure::Undecodable(e) => Rejection {
                status: e.status(),
                message: e.to_string(),
                field: e.field().map(str::to_string),
            },
            Failure::App(e) => Rejection {
                status: status_of(e),
                message: e.to_string(),
                field: match e {
                    AppError::Invalid { field, .. } => field.map(str::to_string),
                    _ => None,
                },
            },
        }
    }
}

/// REST's status code for each error (the same mapping as the REST facade and gRPC).
pub fn status_of(e: &AppError) -> u16 {
    match e {
        AppError::Invalid { .. } => 400,
        AppError::Unauthenticated => 401,
        AppError::Forbidden(_) => 403,
        AppError::NotFound(_) => 404,
        AppError::EmailTaken | AppError::Conflict(_) | AppError::KeyReused => 409,
        AppError::Unavailable(_) => 503,
        AppError::Internal(_) => 500,
    }
}

/// A command decoded and authenticated, with the metadata it runs under.
pub struct Prepared {
    pub meta: RequestMeta,
    pub command: Command,
}

/// Decodes and authenticates one command; `actors` remembers users already looked up (one batch).
pub async fn prepare(app: &App, incoming: Incoming<'_>, actors: &mut Actors) -> Result<Prepared, Failure> {
    let decoded = codec::decode(incoming.command, incoming.headers, incoming.payload).map_err(Failure::Undecodable)?;
    let token = headers::bearer_token(incoming.headers).ok_or(Failure::App(AppError::Unauthenticated))?;
    let actor = app.authenticate_cached(token, actors).await.map_err(failed)?;
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
    })
}

/// Decodes, authenticates and runs one command.
pub async fn execute(app: &App, incoming: Incoming<'_>) -> Result<Created, Failure> {
    let prepared = prepare(app, incoming, &mut Actors::default()).await?;
    run(app, prepared).await
}

/// Runs a prepared command and answers with what it created (once the read model shows it).
pub async fn run(app: &App, Prepared { meta, command }: Prepared) -> Result<Created, Failure> {
    match command {
        Command::CreatePerson(draft) => app
            .create_person(&meta, draft)
            .await
            .map(|view| Created::Person(Box::new(view), Box::new(meta.actor.clone()))),
        Command::CreateCompany(draft) => app
            .create_company(&meta, draft)
            .await
            .map(|view| Created::Company(Box::new(view), Box::new(meta.actor.clone()))),
        Command::CreateUser(draft) => app.create_user(&meta, draft).await.map(|v| Created::User(Box::new(v))),
    }
    .map_err(failed)
}

/// Logs an internal error with its chain (it is never shown to clients).
pub fn failed(e: AppError) -> Failure {
    if let AppError::Internal(source) = &e {
        let mut chain = source.to_string();
        let mut next = source.source();
        while let Some(cause) = next {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            next = cause.source();
        }
        tracing::error!(error = %chain, "internal error");
    }
    Failure::App(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_rejections_and_transient_failures_are_told_apart() {
        let finals = [
            AppError::invalid("firstName", "firstName is required"),
            AppError::Unauthenticated,
            AppError::Forbidden("no"),
            AppError::NotFound("user"),
            AppError::EmailTaken,
            AppError::KeyReused,
        ];
        for e in finals {
            assert!(!Failure::App(e).is_transient());
        }
        let transients = [
            AppError::Unavailable("db".into()),
            AppError::Internal("boom".into()),
            AppError::Conflict("concurrent update, retry".into()),
        ];
        for e in transients {
            assert!(Failure::App(e).is_transient());
        }
        assert!(!Failure::Undecodable(DecodeError::Json("x".into())).is_transient());
    }

    #[test]
    fn a_rejection_carries_the_rest_status_and_the_field() {
        let r = Failure::App(AppError::invalid("firstName", "firstName is required")).rejection();
        assert_eq!(
            r.header_value(),
            r#"{"status":400,"message":"firstName is required","field":"firstName"}"#
        );
        let r = Failure::App(AppError::Internal("secret detail".into())).rejection();
        assert_eq!((r.status, r.message.as_str(), r.field), (500, "internal error", None));
    }
}
