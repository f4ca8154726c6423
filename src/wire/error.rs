//! A failure as the REST facade and NATS describe it: ONLYOFFICE's honest HTTP status (NATS's
//! `Rollcall-Error` uses the same codes), a message safe to show, and the field at fault named in the
//! caller's vocabulary. The one status table for both.

use serde::Serialize;

use super::output::ErrorEnvelope;
use crate::application::{AppError, Field};

/// What a client is told about a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Described {
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
}

impl Described {
    /// 400 for input that could not be read, naming the field when there is one.
    pub fn invalid(field: Option<&str>, problem: impl std::fmt::Display) -> Described {
        let message = match field {
            Some(f) => format!("{f}: {problem}"),
            None => problem.to_string(),
        };
        Described {
            status: 400,
            message,
            field: field.map(str::to_string),
        }
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope::new(self.status, self.message.clone())
    }
}

/// Describes `e` (logging what is not shown), with fields named by `name`.
pub fn describe(e: &AppError, name: fn(Field) -> &'static str) -> Described {
    e.log();
    let plain = |status: u16| Described {
        status,
        message: e.to_string(),
        field: None,
    };
    match e {
        AppError::Invalid(rejection) => Described::invalid(rejection.field().map(name), rejection),
        AppError::Unauthenticated => Described {
            message: "unauthorized: a valid token is required".into(),
            ..plain(401)
        },
        AppError::Forbidden(_) => plain(403),
        AppError::NotFound(_) => plain(404),
        AppError::EmailTaken | AppError::Conflict(_) | AppError::StateConflict(_) | AppError::KeyReused => plain(409),
        AppError::VersionMismatch { .. } => plain(412),
        AppError::Unavailable(_) => Described {
            message: "service unavailable, retry later".into(),
            ..plain(503)
        },
        AppError::Internal(_) => plain(500),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::RequestError;
    use crate::domain::person::PersonError;
    use crate::wire::names::rest;

    #[test]
    fn invalid_input_names_its_field_in_rest_words() {
        let d = describe(&PersonError::FirstNameRequired.into(), rest);
        assert_eq!(
            (d.status, d.message.as_str(), d.field),
            (
                400,
                "firstName: is required and must not be blank",
                Some("firstName".into())
            )
        );
        let d = describe(&RequestError::IdempotencyKeyTooLong.into(), rest);
        assert_eq!(d.message, "Idempotency-Key: must be at most 255 characters");
    }

    #[test]
    fn each_application_error_has_its_status_and_hides_internals() {
        let cases = [
            (AppError::Unauthenticated, 401),
            (AppError::Forbidden("no"), 403),
            (AppError::NotFound("person"), 404),
            (AppError::EmailTaken, 409),
            (AppError::Conflict("again"), 409),
            (AppError::StateConflict("terminated"), 409),
            (AppError::KeyReused, 409),
            (AppError::VersionMismatch { current: 3 }, 412),
            (AppError::Unavailable("postgres at 10.0.0.3 refused"), 503),
            (AppError::Internal("secret table xyz is corrupt".into()), 500),
        ];
        for (e, status) in cases {
            let d = describe(&e, rest);
            assert_eq!(d.status, status, "{e:?}");
            assert!(
                !d.message.contains("10.0.0.3") && !d.message.contains("secret"),
                "{d:?}"
            );
        }
    }
}
