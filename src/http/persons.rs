//! CRM persons: `POST crm/contact/person`, `GET crm/contact/{id}`, `GET crm/contact/filter` and the
//! photo at `GET crm/contact/{id}/photo`. Persons are written with lowercase XML booleans.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::body::Input;
use super::contacts::with_etag;
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{ErrorReply, ListParams, PersonListReply, PersonReply, PersonRequest};
use super::params;
use super::xml::Booleans::Lower;
use crate::application::{App, PhotoUpload};
use crate::wire::{input, output};

/// Creates a person; a multipart body may carry the `photo`.
#[utoipa::path(
    post, path = "/api/2.0/crm/contact/person", tag = "crm",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    request_body(content((PersonRequest = "application/json"), (PersonRequest = "application/x-www-form-urlencoded"), (PersonRequest = "multipart/form-data"), (PersonRequest = "text/xml"))),
    responses(
        (status = 201, description = "the person", body = PersonReply),
        (status = 400, description = "invalid input, naming the field", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, description = "visitors cannot create persons", body = ErrorReply),
        (status = 409, description = "idempotency key reused for another request", body = ErrorReply),
        (status = 413, body = ErrorReply), (status = 415, body = ErrorReply), (status = 503, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn create(State(app): State<App>, caller: Caller, body: Input) -> Result<Response, ApiError> {
    let draft = input::person_draft(&body.fields)?;
    let photo = body.photo.map(|p| PhotoUpload {
        content_type: p.content_type,
        bytes: p.bytes.into(),
    });
    let view = app.create_person(&caller.meta, draft, photo).await?;
    let version = view.version;
    Ok(with_etag(
        single(StatusCode::CREATED, output::person(&view, &caller.actor), Lower),
        version,
    ))
}

/// A contact by id: a person or a company (they share one id space).
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/{id}", tag = "crm",
    params(("id" = i64, Path, description = "the contact's id")),
    responses(
        (status = 200, description = "the person or company", body = PersonReply),
        (status = 400, description = "id is not a positive integer", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 404, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn get(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let contact = app.get_contact(&caller.actor, params::contact_id(&id)?).await?;
    let version = contact.version();
    Ok(with_etag(
        single(StatusCode::OK, output::contact(&contact, &caller.actor), Lower),
        version,
    ))
}

/// Persons filtered, sorted and paged, with `total`.
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/filter", tag = "crm", params(ListParams),
    responses(
        (status = 200, description = "a page of persons", body = PersonListReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn filter(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let page = app
        .list_persons(&caller.actor, &params::list_query(q.as_deref())?)
        .await?;
    let items: Vec<_> = page.items.iter().map(|v| output::person(v, &caller.actor)).collect();
    Ok(list_reply(&items, page.start_index, page.total, Lower))
}

/// The person's photo, byte for byte with its content type.
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/{id}/photo", tag = "crm",
    params(("id" = i64, Path, description = "the person's id")),
    responses(
        (status = 200, description = "the image", content_type = "image/*"),
        (status = 401, body = ErrorReply), (status = 404, description = "no such person, or no photo", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn photo(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let photo = app.photo(&caller.actor, params::contact_id(&id)?).await?;
    let headers = [
        (CONTENT_TYPE, photo.content_type),
        (CACHE_CONTROL, "private, max-age=86400".to_string()),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    Ok((headers, photo.bytes).into_response())
}
