//! `POST /api/2.0/authentication`: a user name or email and a password → a token (201).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::SecretString;
use serde::Serialize;

use super::body::Input;
use super::error::ApiError;
use super::negotiate::single;
use super::openapi::{AuthRequest, ErrorReply, TokenReply};
use super::xml::Booleans;
use crate::application::{App, AppError};
use crate::domain::datetime::ApiDateTime;
use crate::wire::input::Fields;

/// `{token, expires}`, as ONLYOFFICE's `AuthenticationTokenData`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenDto {
    pub token: String,
    pub expires: String,
}

/// Logs in; wrong credentials are a 401 that does not say which part was wrong.
#[utoipa::path(
    post, path = "/api/2.0/authentication", tag = "authentication",
    request_body(content((AuthRequest = "application/json"), (AuthRequest = "application/x-www-form-urlencoded"), (AuthRequest = "text/xml"))),
    responses(
        (status = 201, description = "a token", body = TokenReply),
        (status = 400, description = "userName or password missing", body = ErrorReply),
        (status = 401, description = "wrong credentials", body = ErrorReply),
    )
)]
pub async fn login(State(app): State<App>, input: Input) -> Result<Response, ApiError> {
    let fields = Fields::new(&input.fields)?;
    let user_name = fields
        .string("userName")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("userName", "is required"))?;
    let password = fields
        .string("password")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("password", "is required"))?;
    let issued = app
        .login(&user_name, &SecretString::from(password))
        .await
        .map_err(|e| match e {
            AppError::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "user authentication failed"),
            other => other.into(),
        })?;
    let dto = TokenDto {
        token: issued.token,
        expires: ApiDateTime::from_utc(issued.expires).to_api_string(),
    };
    Ok(single(StatusCode::CREATED, dto, Booleans::Lower))
}
