//! `AppError`: what adapters map, exhaustively, to their protocol's error form.

use cqrs_es::AggregateError;

use crate::domain::company::CompanyError;
use crate::domain::person::PersonError;
use crate::domain::user::UserError;
use crate::persistence::is_unavailable;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request breaks a rule; `field` names the input at fault when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
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
    Conflict(String),
    /// An idempotency key reused for a different request: final, retrying cannot help.
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    /// A dependency (Postgres) cannot be reached right now; retrying later can succeed.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure: logged with its chain, never shown to clients.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }

    /// A short, stable name for metrics labels and logs.
    pub fn outcome(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::EmailTaken => "email_taken",
            AppError::Conflict(_) => "conflict",
            AppError::KeyReused => "key_reused",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            AppError::Unavailable("database unreachable".into())
        } else {
            AppError::internal(e)
        }
    }
}

impl From<PersonError> for AppError {
    fn from(e: PersonError) -> Self {
        AppError::Invalid {
            field: e.field(),
            message: e.to_string(),
        }
    }
}

impl From<CompanyError> for AppError {
    fn from(e: CompanyError) -> Self {
        AppError::Invalid {
            field: e.field(),
            message: e.to_string(),
        }
    }
}

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::PasswordHashFailed | UserError::UserNameMismatch => AppError::internal(e),
            e => AppError::Invalid {
                field: e.field(),
                message: e.to_string(),
            },
        }
    }
}

/// The SQLSTATE our claim trigger raises when a user's email or name claim was lost.
pub const CLAIM_LOST: &str = "RC409";

/// Maps a framework error that is not a domain rejection or a conflict (those are handled by callers).
pub fn from_store_error<E: std::error::Error>(e: AggregateError<E>) -> AppError {
    match e {
        AggregateError::UserError(e) => AppError::Internal(e.to_string().into()),
        AggregateError::AggregateConflict => AppError::Conflict("concurrent update, retry".into()),
        AggregateError::DatabaseConnectionError(e) => {
            tracing::warn!(error = %e, "database connection error");
            AppError::Unavailable("database unreachable".into())
        }
        AggregateError::DeserializationError(e) => AppError::Internal(e),
        AggregateError::UnexpectedError(e) => match e.downcast::<sqlx::Error>() {
            Ok(sql) => match *sql {
                sqlx::Error::Database(ref db) if db.code().as_deref() == Some(CLAIM_LOST) => AppError::EmailTaken,
                other => AppError::from(other),
            },
            Err(e) => AppError::Internal(e),
        },
    }
}
