//! `ApiError`: every failure of the REST facade as an ONLYOFFICE error envelope with an honest HTTP
//! status. `AppError` is mapped exhaustively; internal errors are logged with their chain and answered
//! with "internal error" only.

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::negotiate::reply;
use super::xml::Booleans;
use crate::application::AppError;
use crate::wire::input::BindError;
use crate::wire::output::ErrorEnvelope;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400 naming the field at fault.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
    }

    /// 400 for a body that cannot be read as its content type says.
    pub fn body(message: impl std::fmt::Display) -> ApiError {
        ApiError::invalid("body", message)
    }
}

impl From<BindError> for ApiError {
    fn from(e: BindError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { field, message } => match field {
                Some(f) if !message.starts_with(f) => ApiError::invalid(f, message),
                _ => ApiError::new(StatusCode::BAD_REQUEST, message),
            },
            AppError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized: a valid token is required")
            }
            AppError::Forbidden(why) => ApiError::new(StatusCode::FORBIDDEN, why),
            AppError::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            e @ AppError::EmailTaken => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            AppError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message),
            e @ AppError::KeyReused => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            AppError::Unavailable(why) => {
                tracing::warn!(reason = %why, "a dependency is unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service unavailable, retry later")
            }
            AppError::Internal(source) => {
                tracing::error!(error = %chain(source.as_ref()), "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

/// An error and its sources, `a: b: c`.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope = ErrorEnvelope::new(self.status.as_u16(), self.message);
        let value = serde_json::to_value(envelope).unwrap_or(Value::Null);
        let mut res = reply(self.status, value, Booleans::Lower);
        match self.status {
            StatusCode::UNAUTHORIZED => {
                res.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                res.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_its_field_once() {
        let e = ApiError::from(AppError::invalid("email", "email is not a valid address"));
        assert_eq!(
            (e.status, e.message.as_str()),
            (StatusCode::BAD_REQUEST, "email is not a valid address")
        );
        let e = ApiError::from(AppError::invalid("sortBy", "must be one of id"));
        assert_eq!(e.message, "sortBy: must be one of id");
    }

    #[test]
    fn internal_errors_never_reach_the_client() {
        let e = ApiError::from(AppError::Internal("secret table xyz is corrupt".into()));
        assert_eq!(
            (e.status, e.message.as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        );
    }

    #[test]
    fn each_application_error_has_its_status() {
        let cases = [
            (AppError::Unauthenticated, 401),
            (AppError::Forbidden("no"), 403),
            (AppError::NotFound("person"), 404),
            (AppError::EmailTaken, 409),
            (AppError::Conflict("key reused".into()), 409),
            (AppError::Unavailable("db down".into()), 503),
        ];
        for (e, code) in cases {
            assert_eq!(ApiError::from(e).status.as_u16(), code);
        }
        let e = ApiError::from(AppError::Unavailable("postgres at 10.0.0.3 refused".into()));
        assert!(!e.message.contains("10.0.0.3"));
    }
}
