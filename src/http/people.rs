//! People: `POST people` (admins only), `GET people/{id or user name}`, `GET people/email?email=`,
//! `GET people/@self`, `GET people` and `GET people/filter`. Users are written with XML booleans
//! `True`/`False`, as seed 003 shows them; an answer about one user carries its `ETag`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Caller;
use super::body::Input;
use super::contacts::with_etag;
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{ErrorReply, ListParams, UserListReply, UserReply, UserRequest};
use super::params;
use super::xml::Booleans::Title;
use crate::application::{App, UserFilter, UserView};
use crate::domain::values::parse_guid;
use crate::wire::{input, output};

/// 200 with a user and its `ETag: "<version>"`.
pub(super) fn user_reply(view: &UserView) -> Response {
    with_etag(single(StatusCode::OK, output::user(view), Title), view.version)
}

/// Adds a portal user.
#[utoipa::path(
    post, path = "/api/2.0/people", tag = "people",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    request_body(content((UserRequest = "application/json"), (UserRequest = "application/x-www-form-urlencoded"), (UserRequest = "multipart/form-data"), (UserRequest = "text/xml"))),
    responses(
        (status = 201, description = "the new user", body = UserReply),
        (status = 400, description = "invalid input, naming the field", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, description = "the caller is not an admin", body = ErrorReply),
        (status = 409, description = "email taken, or idempotency key reused", body = ErrorReply),
        (status = 413, body = ErrorReply), (status = 415, body = ErrorReply), (status = 503, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn create(State(app): State<App>, caller: Caller, body: Input) -> Result<Response, ApiError> {
    if body.photo.is_some() {
        return Err(ApiError::invalid(
            "files",
            "uploads are not accepted here; send the avatar URL in files",
        ));
    }
    let draft = input::user_draft(&body.fields)?;
    let view = app.create_user(&caller.meta, draft).await?;
    Ok(with_etag(
        single(StatusCode::CREATED, output::user(&view), Title),
        view.version,
    ))
}

/// A user by GUID, else by user name.
#[utoipa::path(
    get, path = "/api/2.0/people/{id}", tag = "people",
    params(("id" = String, Path, description = "the user's GUID or user name")),
    responses((status = 200, body = UserReply), (status = 401, body = ErrorReply), (status = 404, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn get(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let view = app.find_user(&caller.actor, params::user_key(&id)?).await?;
    Ok(user_reply(&view))
}

/// A user by email.
#[utoipa::path(
    get, path = "/api/2.0/people/email", tag = "people",
    params(("email" = String, Query, description = "the user's email, in any case")),
    responses(
        (status = 200, body = UserReply), (status = 400, description = "email missing", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 404, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn by_email(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let pairs = params::pairs(q.as_deref())?;
    let email = params::value(&pairs, "email").ok_or_else(|| ApiError::invalid("email", "is required"))?;
    let view = app.get_user_by_email(&caller.actor, email).await?;
    Ok(user_reply(&view))
}

/// The caller.
#[utoipa::path(
    get, path = "/api/2.0/people/@self", tag = "people",
    responses((status = 200, body = UserReply), (status = 401, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn me(State(app): State<App>, caller: Caller) -> Result<Response, ApiError> {
    let view = app.get_user(&caller.actor, caller.actor.id).await?;
    Ok(user_reply(&view))
}

/// Active users filtered, sorted and paged, with `total` (`GET people` and `GET people/filter`).
#[utoipa::path(
    get, path = "/api/2.0/people/filter", tag = "people",
    params(ListParams, ("groupId" = Option<uuid::Uuid>, Query, description = "only the members of this group")),
    responses((status = 200, body = UserListReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn filter(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let group = params::value(&params::pairs(q.as_deref())?, "groupId")
        .filter(|g| !g.trim().is_empty())
        .map(|g| parse_guid(g.trim()).ok_or_else(|| ApiError::invalid("groupId", "must be a GUID")))
        .transpose()?;
    let page = app
        .list_users(&caller.actor, &params::list_query(q.as_deref())?, &UserFilter { group })
        .await?;
    let items: Vec<_> = page.items.iter().map(output::user).collect();
    Ok(list_reply(&items, page.start_index, page.total, Title))
}

/// `GET people`: the same list as `people/filter`.
#[utoipa::path(
    get, path = "/api/2.0/people", tag = "people",
    params(ListParams, ("groupId" = Option<uuid::Uuid>, Query, description = "only the members of this group")),
    responses((status = 200, body = UserListReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn all(state: State<App>, caller: Caller, query: RawQuery) -> Result<Response, ApiError> {
    filter(state, caller, query).await
}
