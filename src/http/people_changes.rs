//! Changing portal users over REST: `PUT people/{userid}`, `PUT people/status/{status}`, `PUT
//! people/type/{type}`, `PUT people/{userid}/email`, `PUT people/{userid}/password`, `DELETE
//! people/{userid}` and `PUT settings/security/administrator`. Answers about one user carry
//! `ETag: "<version>"`; `If-Match` makes a change of one user conditional (412). Users are written
//! with XML booleans `True`/`False`, as the other people routes.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use secrecy::SecretString;
use serde::Serialize;
use uuid::Uuid;

use super::auth::Caller;
use super::body::Input;
use super::contacts::{expect, with_etag};
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{ErrorReply, UserListReply, UserReply};
use super::params;
use super::people::user_reply;
use super::xml::Booleans::Title;
use crate::application::{App, UserView};
use crate::wire::{output, people};

fn users_reply(views: &[UserView]) -> Response {
    let items: Vec<_> = views.iter().map(output::user).collect();
    list_reply(&items, 0, items.len() as i64, Title)
}

/// The user a `{userid}` path names: a GUID or a user name.
async fn user_id(app: &App, caller: &Caller, raw: &str) -> Result<Uuid, ApiError> {
    Ok(app.user_id(&caller.actor, params::user_key(raw)?).await?)
}

/// Updates a profile: a field left out or `null` keeps its value, `""` clears it; `disable: true`
/// terminates the user, `false` reactivates them. Self or an administrator; `title` and `lead` only
/// administrators.
#[utoipa::path(
    put, path = "/api/2.0/people/{id}", tag = "people",
    params(("id" = String, Path, description = "the user's GUID or user name"),
        ("If-Match" = Option<String>, Header, description = "the version the change expects")),
    request_body(content((UserUpdateRequest = "application/json"), (UserUpdateRequest = "application/x-www-form-urlencoded"), (UserUpdateRequest = "text/xml"))),
    responses(
        (status = 200, description = "the user, with its ETag", body = UserReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, description = "not self nor an administrator, or title/lead by a non-administrator", body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 409, description = "the user is terminated", body = ErrorReply),
        (status = 412, description = "If-Match is not the current version", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let patch = people::user_patch(&body.fields)?;
    let expect = expect(&headers)?;
    let id = user_id(&app, &caller, &id).await?;
    let view = app.update_user(&caller.meta, id, patch, expect).await?;
    Ok(user_reply(&view))
}

/// Terminates (`Terminated`) or reactivates (`Active`) users; the owner and the caller are skipped.
#[utoipa::path(
    put, path = "/api/2.0/people/status/{status}", tag = "people",
    params(("status" = String, Path, description = "Active or Terminated")),
    request_body(content((UserIdsRequest = "application/json"), (UserIdsRequest = "application/x-www-form-urlencoded"), (UserIdsRequest = "text/xml"))),
    responses(
        (status = 200, description = "the users set", body = UserListReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, description = "the caller is not an administrator", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn status(
    State(app): State<App>,
    caller: Caller,
    Path(status): Path<String>,
    body: Input,
) -> Result<Response, ApiError> {
    let status = people::user_status(&status)?;
    let ids = people::user_ids(&body.fields)?;
    let views = app.set_user_status(&caller.meta, &ids, status).await?;
    Ok(users_reply(&views))
}

/// Makes users full users (`User`) or visitors (`Visitor`); the owner, the caller and (for
/// `Visitor`) administrators are skipped.
#[utoipa::path(
    put, path = "/api/2.0/people/type/{type}", tag = "people",
    params(("type" = String, Path, description = "User or Visitor")),
    request_body(content((UserIdsRequest = "application/json"), (UserIdsRequest = "application/x-www-form-urlencoded"), (UserIdsRequest = "text/xml"))),
    responses(
        (status = 200, description = "the users set", body = UserListReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, description = "the caller is not an administrator", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn retype(
    State(app): State<App>,
    caller: Caller,
    Path(user_type): Path<String>,
    body: Input,
) -> Result<Response, ApiError> {
    let user_type = people::user_type(&user_type)?;
    let ids = people::user_ids(&body.fields)?;
    let views = app.set_user_type(&caller.meta, &ids, user_type).await?;
    Ok(users_reply(&views))
}

/// Changes a user's email (lower-cased); the old address is free at once.
#[utoipa::path(
    put, path = "/api/2.0/people/{id}/email", tag = "people",
    params(("id" = String, Path, description = "the user's GUID or user name"), ("If-Match" = Option<String>, Header)),
    request_body(content((EmailRequest = "application/json"), (EmailRequest = "application/x-www-form-urlencoded"), (EmailRequest = "text/xml"))),
    responses(
        (status = 200, description = "the user, with its ETag", body = UserReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply), (status = 403, body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 409, description = "the address is taken, or the user terminated", body = ErrorReply),
        (status = 412, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn email(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let email = people::required(&body.fields, "email")?;
    let expect = expect(&headers)?;
    let id = user_id(&app, &caller, &id).await?;
    let view = app.change_user_email(&caller.meta, id, &email, expect).await?;
    Ok(user_reply(&view))
}

/// Changes a user's password (8–120 printable ASCII characters); self or an administrator. The
/// user's tokens issued before are refused from then on.
#[utoipa::path(
    put, path = "/api/2.0/people/{id}/password", tag = "people",
    params(("id" = String, Path, description = "the user's GUID or user name"), ("If-Match" = Option<String>, Header)),
    request_body(content((PasswordRequest = "application/json"), (PasswordRequest = "application/x-www-form-urlencoded"), (PasswordRequest = "text/xml"))),
    responses(
        (status = 200, description = "the user, with its ETag", body = UserReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply), (status = 403, body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 409, body = ErrorReply), (status = 412, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn password(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let password = SecretString::from(people::required(&body.fields, "password")?);
    let expect = expect(&headers)?;
    let id = user_id(&app, &caller, &id).await?;
    let view = app.change_user_password(&caller.meta, id, password, expect).await?;
    Ok(user_reply(&view))
}

/// Deletes a terminated user (never the owner); their email and user name are free afterwards.
#[utoipa::path(
    delete, path = "/api/2.0/people/{id}", tag = "people",
    params(("id" = String, Path, description = "the user's GUID or user name"), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "the deleted user", body = UserReply),
        (status = 401, body = ErrorReply), (status = 403, description = "not an administrator, or the owner", body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 409, description = "the user is not terminated", body = ErrorReply),
        (status = 412, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let expect = expect(&headers)?;
    let id = user_id(&app, &caller, &id).await?;
    let view = app.delete_user(&caller.meta, id, expect).await?;
    Ok(user_reply(&view))
}

/// ONLYOFFICE's `SecurityWrapper`: `{ProductId, UserId, Administrator}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AdministratorDto {
    pub product_id: Uuid,
    pub user_id: Uuid,
    pub administrator: bool,
}

/// `{count, status, statusCode, response}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)] // described, never built
pub struct AdministratorReply {
    count: i64,
    status: i32,
    status_code: u16,
    response: AdministratorDto,
}

/// Grants or revokes administrator rights over the whole portal (`productid` empty or left out);
/// only the owner, and the owner's own rights stay.
#[utoipa::path(
    put, path = "/api/2.0/settings/security/administrator", tag = "people",
    params(("If-Match" = Option<String>, Header, description = "the version of the user the change expects")),
    request_body(content((AdministratorRequest = "application/json"), (AdministratorRequest = "application/x-www-form-urlencoded"), (AdministratorRequest = "text/xml"))),
    responses(
        (status = 200, description = "the user's rights, with the user's ETag", body = AdministratorReply),
        (status = 400, description = "userid missing, or a product id other than the empty GUID", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, description = "the caller is not the owner, or the owner's rights", body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 409, description = "visitors cannot be administrators", body = ErrorReply),
        (status = 412, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn administrator(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let change = people::administrator(&body.fields)?;
    let expect = expect(&headers)?;
    let view = app
        .set_administrator(&caller.meta, change.user_id, change.administrator, expect)
        .await?;
    let dto = AdministratorDto {
        product_id: Uuid::nil(),
        user_id: view.id,
        administrator: view.is_admin,
    };
    Ok(with_etag(single(StatusCode::OK, dto, Title), view.version))
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // described, never built
pub struct UserUpdateRequest {
    #[schema(rename = "isVisitor")]
    is_visitor: Option<bool>,
    firstname: Option<String>,
    lastname: Option<String>,
    comment: Option<String>,
    /// group GUIDs
    department: Option<Vec<Uuid>>,
    /// administrators only
    title: Option<String>,
    location: Option<String>,
    /// male or female; "" clears
    sex: Option<String>,
    /// ISO-8601 or 2008-04-10T06-30-00.000Z; "" or 1900-01-01 clears
    birthday: Option<String>,
    worksfrom: Option<String>,
    contacts: Option<Vec<output::ContactDto>>,
    /// avatar URL
    files: Option<String>,
    /// true terminates the user, false reactivates them (administrators only)
    disable: Option<bool>,
    /// administrators only
    lead: Option<Uuid>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UserIdsRequest {
    #[schema(rename = "userIds")]
    user_ids: Vec<Uuid>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EmailRequest {
    email: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PasswordRequest {
    password: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdministratorRequest {
    userid: Uuid,
    administrator: bool,
    /// the empty GUID (or left out): the whole portal
    productid: Option<Uuid>,
}
