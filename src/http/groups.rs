//! Groups (departments) over REST, ONLYOFFICE's `api/2.0/group`: `GET`/`POST group`, `GET`/`PUT`/`DELETE
//! group/{groupid}`, `PUT` (add) / `POST` (replace) / `DELETE` (remove) `group/{groupid}/members`, `PUT
//! group/{groupid}/manager` and `GET group/user/{userid}`. Written as People are (PascalCase, XML
//! `True`/`False`); answers about one group carry `ETag: "<version>"` and changes take `If-Match` (412).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use super::auth::Caller;
use super::body::{Input, tree};
use super::contacts::{expect, with_etag};
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{ErrorReply, GroupListReply, GroupMembersRequest, GroupReply, GroupRequest, ManagerRequest};
use super::params;
use super::xml::Booleans::Title;
use crate::application::{App, AppError, Field, GroupView};
use crate::domain::values::parse_guid;
use crate::wire::groups as wire;
use crate::wire::output;

/// A group's GUID from the path.
fn group_id(raw: &str) -> Result<Uuid, ApiError> {
    parse_guid(raw.trim()).ok_or_else(|| ApiError::invalid("id", "must be a GUID"))
}

/// 200 (or 201) with the full group and its ETag.
fn group_reply(status: StatusCode, view: &GroupView, with_members: bool) -> Response {
    with_etag(single(status, wire::group(view, with_members), Title), view.version)
}

/// The `members` of the body, else of the query (a `DELETE` body is not always possible).
fn members(body: &Input, query: Option<&str>) -> Result<Vec<Uuid>, ApiError> {
    match wire::members(&body.fields) {
        Ok(members) => Ok(members),
        Err(e) => {
            let from_query = tree(params::pairs(query)?)?;
            if from_query.get("members").is_some() {
                Ok(wire::members(&from_query)?)
            } else {
                Err(e.into())
            }
        }
    }
}

/// Every group, by name (`{Id, Name, Manager}`).
#[utoipa::path(
    get, path = "/api/2.0/group", tag = "people",
    responses((status = 200, body = GroupListReply), (status = 401, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn list(State(app): State<App>, caller: Caller) -> Result<Response, ApiError> {
    let groups = app.list_groups(&caller.actor).await?;
    let items: Vec<_> = groups.iter().map(output::group_summary).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Title))
}

/// Adds a group: `groupName`, `groupManager` (made a member too), `members`. Admins only.
#[utoipa::path(
    post, path = "/api/2.0/group", tag = "people",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    request_body(content((GroupRequest = "application/json"), (GroupRequest = "application/x-www-form-urlencoded"))),
    responses(
        (status = 201, description = "the new group, with its ETag", body = GroupReply),
        (status = 400, description = "invalid input, or a manager or member who is not a user, naming the field", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, description = "the caller is not an admin", body = ErrorReply),
        (status = 409, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn create(State(app): State<App>, caller: Caller, body: Input) -> Result<Response, ApiError> {
    let view = app.create_group(&caller.meta, wire::group_draft(&body.fields)?).await?;
    Ok(group_reply(StatusCode::CREATED, &view, true))
}

/// A group with its manager and members.
#[utoipa::path(
    get, path = "/api/2.0/group/{groupid}", tag = "people", params(("groupid" = Uuid, Path)),
    responses((status = 200, body = GroupReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 404, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn get(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let view = app.get_group(&caller.actor, group_id(&id)?).await?;
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// Renames a group, sets or clears (`null`) its manager, replaces its members: a field left out keeps
/// its value.
#[utoipa::path(
    put, path = "/api/2.0/group/{groupid}", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "the version the change expects")),
    request_body(content((GroupRequest = "application/json"))),
    responses((status = 200, description = "the group, with its ETag", body = GroupReply), (status = 400, body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, body = ErrorReply), (status = 404, body = ErrorReply),
        (status = 412, description = "If-Match is not the current version", body = ErrorReply)),
    security(("token" = []))
)]
pub async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let id = group_id(&id)?;
    let patch = wire::group_patch(&body.fields)?;
    let view = app.update_group(&caller.meta, id, patch, expect(&headers)?).await?;
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// Deletes a group: it leaves every user's groups. Answers with the group as it was, without members.
#[utoipa::path(
    delete, path = "/api/2.0/group/{groupid}", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "the deleted group", body = GroupReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = app
        .delete_group(&caller.meta, group_id(&id)?, expect(&headers)?)
        .await?;
    Ok(group_reply(StatusCode::OK, &view, false))
}

/// Adds `members` (members already in stay as they are).
#[utoipa::path(
    put, path = "/api/2.0/group/{groupid}/members", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content((GroupMembersRequest = "application/json"))),
    responses((status = 200, body = GroupReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn add_members(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let (id, members) = (group_id(&id)?, members(&body, query.as_deref())?);
    let view = app
        .add_group_members(&caller.meta, id, members, expect(&headers)?)
        .await?;
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// Replaces the members with `members` (the manager stays one).
#[utoipa::path(
    post, path = "/api/2.0/group/{groupid}/members", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content((GroupMembersRequest = "application/json"))),
    responses((status = 200, body = GroupReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn set_members(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let (id, members) = (group_id(&id)?, members(&body, query.as_deref())?);
    let view = app
        .set_group_members(&caller.meta, id, members, expect(&headers)?)
        .await?;
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// Removes `members` (in the body or the query); a removed manager stops being the manager.
#[utoipa::path(
    delete, path = "/api/2.0/group/{groupid}/members", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header),
        ("members" = Option<Vec<Uuid>>, Query, description = "when the body does not name them")),
    request_body(content((GroupMembersRequest = "application/json"))),
    responses((status = 200, body = GroupReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn remove_members(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let (id, members) = (group_id(&id)?, members(&body, query.as_deref())?);
    let view = app
        .remove_group_members(&caller.meta, id, members, expect(&headers)?)
        .await?;
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// Makes `userid` the group's manager (and a member).
#[utoipa::path(
    put, path = "/api/2.0/group/{groupid}/manager", tag = "people",
    params(("groupid" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content((ManagerRequest = "application/json"))),
    responses((status = 200, body = GroupReply), (status = 400, description = "userid missing or not a user", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, body = ErrorReply), (status = 404, body = ErrorReply),
        (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn set_manager(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let id = group_id(&id)?;
    let manager = match wire::manager(&body.fields) {
        Ok(manager) => manager,
        Err(e) => match tree(params::pairs(query.as_deref())?)? {
            q @ Value::Object(_) if q.get("userid").is_some() => wire::manager(&q)?,
            _ => return Err(e.into()),
        },
    };
    let view = match app
        .set_group_manager(&caller.meta, id, manager, expect(&headers)?)
        .await
    {
        Ok(view) => view,
        // This route names the manager `userid`.
        Err(AppError::Invalid(rejection)) if rejection.field() == Some(Field::GroupManager) => {
            return Err(ApiError::invalid("userid", rejection));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(group_reply(StatusCode::OK, &view, true))
}

/// The groups a user is in, by name.
#[utoipa::path(
    get, path = "/api/2.0/group/user/{userid}", tag = "people", params(("userid" = Uuid, Path)),
    responses((status = 200, body = GroupListReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 404, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn of_user(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let user = parse_guid(id.trim()).ok_or_else(|| ApiError::invalid("userid", "must be a GUID"))?;
    let groups = app.user_groups(&caller.actor, user).await?;
    let items: Vec<_> = groups.iter().map(output::group_summary).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Title))
}
