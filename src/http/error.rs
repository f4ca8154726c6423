//! `ApiError`: every failure of the REST facade as an ONLYOFFICE error envelope with an honest HTTP
//! status. `AppError` is described by `wire::error` (the status table REST and NATS share).

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::negotiate::reply;
use super::xml::Booleans;
use crate::application::AppError;
use crate::wire::error::describe;
use crate::wire::input::BindError;
use crate::wire::names;
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
        let described = describe(&e, names::rest);
        ApiError {
            status: StatusCode::from_u16(described.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: described.message,
        }
    }
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
    use crate::application::RequestError;

    #[test]
    fn application_errors_keep_their_status_and_message() {
        let e = ApiError::from(AppError::from(RequestError::SortByUnknown("id")));
        assert_eq!(
            (e.status, e.message.as_str()),
            (StatusCode::BAD_REQUEST, "sortBy: must be one of id")
        );
        let e = ApiError::from(AppError::Internal("secret table xyz is corrupt".into()));
        assert_eq!(
            (e.status, e.message.as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        );
    }
}
