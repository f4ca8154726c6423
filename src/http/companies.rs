//! CRM companies: `POST crm/contact/company` and `GET crm/contact/company/{id}/person`. Companies
//! are written with lowercase XML booleans, like every CRM contact.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Caller;
use super::body::Input;
use super::contacts::with_etag;
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{CompanyReply, CompanyRequest, ErrorReply, PersonListReply};
use super::params;
use super::xml::Booleans::Lower;
use crate::application::{App, PhotoUpload};
use crate::wire::{input, output};

/// Creates a company; a multipart body may carry the `photo`.
#[utoipa::path(
    post, path = "/api/2.0/crm/contact/company", tag = "crm",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    request_body(content((CompanyRequest = "application/json"), (CompanyRequest = "application/x-www-form-urlencoded"), (CompanyRequest = "multipart/form-data"), (CompanyRequest = "text/xml"))),
    responses(
        (status = 201, description = "the company", body = CompanyReply),
        (status = 400, description = "invalid input, naming the field", body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, description = "visitors cannot create companies", body = ErrorReply),
        (status = 409, body = ErrorReply), (status = 413, body = ErrorReply), (status = 415, body = ErrorReply),
        (status = 503, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn create(State(app): State<App>, caller: Caller, body: Input) -> Result<Response, ApiError> {
    let draft = input::company_draft(&body.fields)?;
    let photo = body.photo.map(|p| PhotoUpload {
        content_type: p.content_type,
        bytes: p.bytes.into(),
    });
    let view = app.create_company(&caller.meta, draft, photo).await?;
    let version = view.version;
    Ok(with_etag(
        single(StatusCode::CREATED, output::company(&view, &caller.actor), Lower),
        version,
    ))
}

/// The persons linked to a company.
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/company/{id}/person", tag = "crm",
    params(("id" = i64, Path, description = "the company's id")),
    responses(
        (status = 200, description = "the company's persons", body = PersonListReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 404, description = "no such company", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn persons(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let persons = app.company_persons(&caller.actor, params::contact_id(&id)?).await?;
    let items: Vec<_> = persons.iter().map(|v| output::person(v, &caller.actor)).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Lower))
}
