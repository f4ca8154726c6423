//! `AppError`: what adapters map, exhaustively, to their protocol's error form.

use crate::domain::company::CompanyError;
use crate::domain::field::Field;
use crate::domain::group::GroupError;
use crate::domain::person::PersonError;
use crate::domain::user::{Refusal, UserError};
use crate::persistence::is_unavailable;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request breaks a rule; the rejection names the rule and the input at fault.
    #[error(transparent)]
    Invalid(Rejection),
    /// No valid credentials or token.
    #[error("unauthorized")]
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The email belongs to another user.
    #[error("a user with this email is already registered")]
    EmailTaken,
    /// A concurrent change that retrying can get past.
    #[error("{0}")]
    Conflict(&'static str),
    /// The record's state does not allow the change (deleting an active user, changing a terminated
    /// one's profile): final, retrying cannot help until that state changes.
    #[error("{0}")]
    StateConflict(&'static str),
    /// The record is not at the version the request expected (`If-Match`, `expected_version`).
    #[error("the record has changed: its version is {current}")]
    VersionMismatch { current: i64 },
    /// An idempotency key reused for a different request: final, retrying cannot help.
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    /// A dependency (Postgres) cannot be reached right now; retrying later can succeed.
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    /// A bug or an unexpected failure: logged with its chain, never shown to clients.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a request was refused, typed per rule: the domain's rules per aggregate and the
/// application's own (ids, queries, keys, uploads). `Display` never names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(transparent)]
    Person(#[from] PersonError),
    #[error(transparent)]
    Company(#[from] CompanyError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Group(#[from] GroupError),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// The application's own input rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("must be a positive integer")]
    IdNotPositive,
    #[error("a GUID or user name is required")]
    UserIdRequired,
    #[error("names more than 1000 users")]
    TooManyUsers,
    #[error("must be one of {0}")]
    SortByUnknown(&'static str),
    #[error("must be at most 255 characters")]
    IdempotencyKeyTooLong,
    #[error("must not contain control characters")]
    IdempotencyKeyControl,
    #[error("the file is empty")]
    PhotoEmpty,
    #[error("is larger than 5 MiB")]
    PhotoTooLarge,
    #[error("the content type must be image/*")]
    PhotoNotAnImage,
    #[error("must be a PNG, JPEG, GIF or WebP image")]
    PhotoKindUnknown,
}

impl RequestError {
    pub fn field(&self) -> Field {
        match self {
            RequestError::IdNotPositive | RequestError::UserIdRequired | RequestError::TooManyUsers => Field::Id,
            RequestError::SortByUnknown(_) => Field::SortBy,
            RequestError::IdempotencyKeyTooLong | RequestError::IdempotencyKeyControl => Field::IdempotencyKey,
            RequestError::PhotoEmpty
            | RequestError::PhotoTooLarge
            | RequestError::PhotoNotAnImage
            | RequestError::PhotoKindUnknown => Field::Photo,
        }
    }
}

impl Rejection {
    /// The input at fault, when the rule is about one.
    pub fn field(&self) -> Option<Field> {
        match self {
            Rejection::Person(e) => e.field(),
            Rejection::Company(e) => e.field(),
            Rejection::User(e) => e.field(),
            Rejection::Group(e) => e.field(),
            Rejection::Request(e) => Some(e.field()),
        }
    }
}

impl AppError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }

    /// A short, stable name for metrics labels and logs.
    pub fn outcome(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::EmailTaken => "email_taken",
            AppError::Conflict(_) | AppError::StateConflict(_) => "conflict",
            AppError::KeyReused => "key_reused",
            AppError::VersionMismatch { .. } => "version_mismatch",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// Logs what clients are not told: an internal error with its whole chain, an outage as a warning.
    /// Every adapter calls this once per failure it answers.
    pub fn log(&self) {
        match self {
            AppError::Internal(source) => {
                let mut chain = source.to_string();
                let mut next = source.source();
                while let Some(cause) = next {
                    chain.push_str(": ");
                    chain.push_str(&cause.to_string());
                    next = cause.source();
                }
                tracing::error!(error = %chain, "internal error");
            }
            AppError::Unavailable(why) => tracing::warn!(reason = why, "a dependency is unavailable"),
            _ => {}
        }
    }
}

macro_rules! rejected_by {
    ($($rule:ty),*) => {$(
        impl From<$rule> for AppError {
            fn from(e: $rule) -> Self {
                AppError::Invalid(e.into())
            }
        }
    )*};
}
rejected_by!(RequestError);

impl From<PersonError> for AppError {
    /// A person that does not exist (or no longer) is not found, not invalid input.
    fn from(e: PersonError) -> Self {
        match e {
            PersonError::NotFound => AppError::NotFound("person"),
            PersonError::InfoNotFound => AppError::NotFound("contact data"),
            e => AppError::Invalid(e.into()),
        }
    }
}

impl From<CompanyError> for AppError {
    /// A company that does not exist (or no longer) is not found, not invalid input.
    fn from(e: CompanyError) -> Self {
        match e {
            CompanyError::NotFound => AppError::NotFound("company"),
            CompanyError::InfoNotFound => AppError::NotFound("contact data"),
            e => AppError::Invalid(e.into()),
        }
    }
}

impl From<GroupError> for AppError {
    /// A group that does not exist (or no longer) is not found, not invalid input.
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::NotFound => AppError::NotFound("group"),
            e => AppError::Invalid(e.into()),
        }
    }
}

impl From<UserError> for AppError {
    /// Each user rule by the kind of refusal it is: an unknown user is not found, a missing right is
    /// forbidden, a state that does not allow the change is a conflict, and two "errors" are failures
    /// of the service, not of the request.
    fn from(e: UserError) -> Self {
        match e.refusal() {
            Refusal::Invalid => AppError::Invalid(e.into()),
            Refusal::NotFound => AppError::NotFound("user"),
            Refusal::Forbidden(why) => AppError::Forbidden(why),
            Refusal::Conflict(why) => AppError::StateConflict(why),
            Refusal::Failure => AppError::internal(e),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            AppError::Unavailable("database unreachable")
        } else {
            AppError::internal(e)
        }
    }
}

/// The SQLSTATE our claim trigger raises when a user's email or name claim was lost.
pub const CLAIM_LOST: &str = "RC409";
