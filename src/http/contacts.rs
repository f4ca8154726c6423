//! Changing CRM contacts over REST: `PUT crm/contact/person/{id}`, `PUT crm/contact/company/{id}`,
//! `DELETE crm/contact/{id}`, `POST`/`DELETE crm/contact/company/{id}/person`, `GET`/`PUT
//! crm/contact/{id}/access`, `crm/contact/{id}/data[/{dataid}]` and `GET crm/contact/bycontactinfo`.
//! Answers about one contact carry `ETag: "<version>"`; `If-Match` makes a change conditional (412).

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::auth::Caller;
use super::body::Input;
use super::error::ApiError;
use super::negotiate::{list as list_reply, single};
use super::openapi::{CompanyReply, ContactInfoListReply, ContactInfoReply, ErrorReply, PersonListReply, PersonReply};
use super::params;
use super::xml::Booleans::Lower;
use crate::application::{App, Contact, Expect, PersonView, PhotoUpload};
use crate::domain::contact_info::InfoType;
use crate::wire::{changes, output};

/// `ETag: "<version>"` on an answer about one record.
pub fn with_etag(mut res: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

/// The version `If-Match` expects: `"3"`, `W/"3"` or `3`; `*` (or no header) for any.
pub(super) fn expect(headers: &HeaderMap) -> Result<Expect, ApiError> {
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(Expect::default());
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid("If-Match", "must be a version such as \"3\""))?;
    let tag = text.trim().trim_start_matches("W/").trim_matches('"');
    if tag == "*" {
        return Ok(Expect::default());
    }
    tag.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(|v| Expect::version(Some(v)))
        .ok_or_else(|| ApiError::invalid("If-Match", "must be a version such as \"3\""))
}

fn photo(input: &mut Input) -> Option<PhotoUpload> {
    input.photo.take().map(|p| PhotoUpload {
        content_type: p.content_type,
        bytes: p.bytes.into(),
    })
}

/// 200 with a person and its ETag.
fn person_reply(view: &PersonView, caller: &Caller) -> Response {
    with_etag(
        single(StatusCode::OK, output::person(view, &caller.actor), Lower),
        view.version,
    )
}

fn contact_reply(contact: &Contact, caller: &Caller) -> Response {
    with_etag(
        single(StatusCode::OK, output::contact(contact, &caller.actor), Lower),
        contact.version(),
    )
}

/// Updates a person: a field left out keeps its value, `null` or `""` clears it.
#[utoipa::path(
    put, path = "/api/2.0/crm/contact/person/{id}", tag = "crm",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the version the change expects")),
    request_body(content((super::openapi::PersonRequest = "application/json"), (super::openapi::PersonRequest = "multipart/form-data"))),
    responses(
        (status = 200, description = "the person, with its ETag", body = PersonReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply), (status = 403, body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 412, description = "If-Match is not the current version", body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn update_person(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut body: Input,
) -> Result<Response, ApiError> {
    let id = params::contact_id(&id)?;
    let patch = changes::person_patch(&body.fields)?;
    let view = app
        .update_person(&caller.meta, id, patch, photo(&mut body), expect(&headers)?)
        .await?;
    Ok(person_reply(&view, &caller))
}

/// Updates a company: a field left out keeps its value, `null` or `""` clears it.
#[utoipa::path(
    put, path = "/api/2.0/crm/contact/company/{id}", tag = "crm",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the version the change expects")),
    request_body(content((super::openapi::CompanyRequest = "application/json"))),
    responses(
        (status = 200, description = "the company, with its ETag", body = CompanyReply),
        (status = 400, body = ErrorReply), (status = 401, body = ErrorReply), (status = 403, body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 412, body = ErrorReply),
    ),
    security(("token" = []))
)]
pub async fn update_company(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut body: Input,
) -> Result<Response, ApiError> {
    let id = params::contact_id(&id)?;
    let patch = changes::company_patch(&body.fields)?;
    let view = app
        .update_company(&caller.meta, id, patch, photo(&mut body), expect(&headers)?)
        .await?;
    Ok(with_etag(
        single(StatusCode::OK, output::company(&view, &caller.actor), Lower),
        view.version,
    ))
}

/// Deletes a contact; a deleted company's persons are unlinked.
#[utoipa::path(
    delete, path = "/api/2.0/crm/contact/{id}", tag = "crm",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "the deleted contact", body = PersonReply),
        (status = 401, body = ErrorReply), (status = 403, body = ErrorReply), (status = 404, body = ErrorReply),
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
    let contact = app
        .delete_contact(&caller.meta, params::contact_id(&id)?, expect(&headers)?)
        .await?;
    Ok(contact_reply(&contact, &caller))
}

/// The `personid` of a link: in the body, else in the query.
fn person_id(body: &Input, query: Option<&str>) -> Result<i64, ApiError> {
    match changes::person_id(&body.fields) {
        Ok(id) => Ok(id),
        Err(e) => {
            let pairs = params::pairs(query)?;
            match params::value(&pairs, "personid") {
                Some(_) => {
                    let fields: serde_json::Map<String, Value> =
                        pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                    Ok(changes::person_id(&Value::Object(fields))?)
                }
                None => Err(e.into()),
            }
        }
    }
}

/// Links a person to the company (moving it from any other).
#[utoipa::path(
    post, path = "/api/2.0/crm/contact/company/{id}/person", tag = "crm",
    params(("id" = i64, Path, description = "the company's id"), ("personid" = i64, Query)),
    responses((status = 200, body = PersonReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn link(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let company = params::contact_id(&id)?;
    let person = person_id(&body, query.as_deref())?;
    let view = app
        .link_person(&caller.meta, company, person, expect(&headers)?)
        .await?;
    Ok(person_reply(&view, &caller))
}

/// Unlinks a person from the company (a person not in it is left as it is).
#[utoipa::path(
    delete, path = "/api/2.0/crm/contact/company/{id}/person", tag = "crm",
    params(("id" = i64, Path, description = "the company's id"), ("personid" = i64, Query)),
    responses((status = 200, body = PersonReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn unlink(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let company = params::contact_id(&id)?;
    let person = person_id(&body, query.as_deref())?;
    let view = app
        .unlink_person(&caller.meta, company, person, expect(&headers)?)
        .await?;
    Ok(person_reply(&view, &caller))
}

/// A private contact's managers (empty for a shared one).
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/{id}/access", tag = "crm", params(("id" = i64, Path)),
    responses((status = 200, description = "the managers", body = Vec<output::CreatorDto>), (status = 401, body = ErrorReply),
        (status = 404, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn access(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let managers = app.contact_access(&caller.actor, params::contact_id(&id)?).await?;
    let items: Vec<_> = managers.iter().map(output::employee).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Lower))
}

/// Sets who may see and change a contact: `isShared` (or `shareType`) and `managerList`.
#[utoipa::path(
    put, path = "/api/2.0/crm/contact/{id}/access", tag = "crm",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "the contact", body = PersonReply), (status = 400, body = ErrorReply),
        (status = 401, body = ErrorReply), (status = 403, body = ErrorReply), (status = 404, body = ErrorReply),
        (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn set_access(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let (share, managers) = changes::access(&body.fields)?;
    let contact = app
        .set_contact_access(
            &caller.meta,
            params::contact_id(&id)?,
            share,
            managers,
            expect(&headers)?,
        )
        .await?;
    Ok(contact_reply(&contact, &caller))
}

/// The contact's data.
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/{id}/data", tag = "crm", params(("id" = i64, Path)),
    responses((status = 200, body = ContactInfoListReply), (status = 401, body = ErrorReply), (status = 404, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn data(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let data = app.contact_data(&caller.actor, params::contact_id(&id)?).await?;
    let items: Vec<_> = data.iter().map(output::contact_info).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Lower))
}

/// Adds an entry: `infoType` (name or number), `data`, `category`, `isPrimary`.
#[utoipa::path(
    post, path = "/api/2.0/crm/contact/{id}/data", tag = "crm", params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 201, body = ContactInfoReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn add_data(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let draft = changes::contact_info(&body.fields)?;
    let (info, version) = app
        .add_contact_data(&caller.meta, params::contact_id(&id)?, draft, expect(&headers)?)
        .await?;
    Ok(with_etag(
        single(StatusCode::CREATED, output::contact_info(&info), Lower),
        version,
    ))
}

/// Changes an entry; what the body leaves out keeps its value.
#[utoipa::path(
    put, path = "/api/2.0/crm/contact/{id}/data/{dataid}", tag = "crm",
    params(("id" = i64, Path), ("dataid" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ContactInfoReply), (status = 400, body = ErrorReply), (status = 401, body = ErrorReply),
        (status = 403, body = ErrorReply), (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn change_data(
    State(app): State<App>,
    caller: Caller,
    Path((id, data_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Input,
) -> Result<Response, ApiError> {
    let draft = changes::contact_info(&body.fields)?;
    let (id, data_id) = (params::contact_id(&id)?, params::positive("dataid", &data_id)?);
    let (info, version) = app
        .change_contact_data(&caller.meta, id, data_id, draft, expect(&headers)?)
        .await?;
    Ok(with_etag(
        single(StatusCode::OK, output::contact_info(&info), Lower),
        version,
    ))
}

/// Removes an entry; answers with it.
#[utoipa::path(
    delete, path = "/api/2.0/crm/contact/{id}/data/{dataid}", tag = "crm",
    params(("id" = i64, Path), ("dataid" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ContactInfoReply), (status = 401, body = ErrorReply), (status = 403, body = ErrorReply),
        (status = 404, body = ErrorReply), (status = 412, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn remove_data(
    State(app): State<App>,
    caller: Caller,
    Path((id, data_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, data_id) = (params::contact_id(&id)?, params::positive("dataid", &data_id)?);
    let (info, version) = app
        .remove_contact_data(&caller.meta, id, data_id, expect(&headers)?)
        .await?;
    Ok(with_etag(
        single(StatusCode::OK, output::contact_info(&info), Lower),
        version,
    ))
}

/// The contacts holding a value: `infoType` (required), `data`, `category` (name or number), `isPrimary`.
#[utoipa::path(
    get, path = "/api/2.0/crm/contact/bycontactinfo", tag = "crm",
    params(("infoType" = String, Query), ("data" = Option<String>, Query), ("category" = Option<String>, Query),
        ("isPrimary" = Option<bool>, Query)),
    responses((status = 200, description = "persons and companies", body = PersonListReply), (status = 400, body = ErrorReply),
        (status = 401, body = ErrorReply)),
    security(("token" = []))
)]
pub async fn by_contact_info(
    State(app): State<App>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = params::pairs(query.as_deref())?;
    let info_type = params::value(&pairs, "infoType")
        .ok_or_else(|| ApiError::invalid("infoType", "is required"))
        .and_then(|t| {
            InfoType::parse(t).ok_or_else(|| ApiError::invalid("infoType", format!("{t:?} is not an infoType")))
        })?;
    let category = params::value(&pairs, "category")
        .map(|c| {
            info_type.category_code(c).ok_or_else(|| {
                ApiError::invalid("category", format!("{c:?} is not a category of {}", info_type.name()))
            })
        })
        .transpose()?;
    let is_primary = params::value(&pairs, "isPrimary")
        .map(|p| match p.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ApiError::invalid("isPrimary", "must be true or false")),
        })
        .transpose()?;
    let found = app
        .contacts_by_info(
            &caller.actor,
            info_type,
            params::value(&pairs, "data"),
            category,
            is_primary,
        )
        .await?;
    let items: Vec<Value> = found.iter().map(|c| output::contact(c, &caller.actor)).collect();
    Ok(list_reply(&items, 0, items.len() as i64, Lower))
}
