//! The REST facade (ONLYOFFICE API 2.0 shape) and the operational endpoints, served by axum.
//!
//! Layers, outermost first: [`trace::correlate`] (span + correlation id), [`negotiate::negotiate`]
//! (suffix stripping before routing, JSON/XML rendering after), then the routes. Handlers only
//! translate: [`body`] turns any body into a JSON value, `wire::input` binds it, `App` decides,
//! `wire::output` shapes the answer, and [`error`] maps failures.

mod auth;
mod authentication;
mod body;
mod companies;
mod contacts;
mod error;
mod groups;
mod negotiate;
mod openapi;
mod ops;
mod params;
mod people;
mod people_changes;
mod persons;
mod serve;
mod trace;
mod xml;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::application::{App, AppError};
use crate::ops::Ops;
pub use body::{BODY_LIMIT, MULTIPART_LIMIT, PHOTO_LIMIT};

/// Every HTTP route of the service.
pub fn router(app: App) -> Router {
    let routes = Router::new()
        .route("/api/2.0/authentication", post(authentication::login))
        .route("/api/2.0/crm/contact/person", post(persons::create))
        .route("/api/2.0/crm/contact/person/{id}", put(contacts::update_person))
        .route("/api/2.0/crm/contact/filter", get(persons::filter))
        .route("/api/2.0/crm/contact/bycontactinfo", get(contacts::by_contact_info))
        .route("/api/2.0/crm/contact/company", post(companies::create))
        .route("/api/2.0/crm/contact/company/{id}", put(contacts::update_company))
        .route(
            "/api/2.0/crm/contact/company/{id}/person",
            get(companies::persons).post(contacts::link).delete(contacts::unlink),
        )
        .route("/api/2.0/crm/contact/{id}", get(persons::get).delete(contacts::delete))
        .route("/api/2.0/crm/contact/{id}/photo", get(persons::photo))
        .route(
            "/api/2.0/crm/contact/{id}/access",
            get(contacts::access).put(contacts::set_access),
        )
        .route(
            "/api/2.0/crm/contact/{id}/data",
            get(contacts::data).post(contacts::add_data),
        )
        .route(
            "/api/2.0/crm/contact/{id}/data/{dataid}",
            put(contacts::change_data).delete(contacts::remove_data),
        )
        .route("/api/2.0/people", get(people::all).post(people::create))
        .route("/api/2.0/people/filter", get(people::filter))
        .route("/api/2.0/people/email", get(people::by_email))
        .route("/api/2.0/people/@self", get(people::me))
        .route(
            "/api/2.0/people/{id}",
            get(people::get)
                .put(people_changes::update)
                .delete(people_changes::delete),
        )
        .route("/api/2.0/people/status/{status}", put(people_changes::status))
        .route("/api/2.0/people/type/{type}", put(people_changes::retype))
        .route("/api/2.0/people/{id}/email", put(people_changes::email))
        .route("/api/2.0/people/{id}/password", put(people_changes::password))
        .route(
            "/api/2.0/settings/security/administrator",
            put(people_changes::administrator),
        )
        .route("/api/2.0/group", get(groups::list).post(groups::create))
        .route(
            "/api/2.0/group/{groupid}",
            get(groups::get).put(groups::update).delete(groups::delete),
        )
        .route(
            "/api/2.0/group/{groupid}/members",
            put(groups::add_members)
                .post(groups::set_members)
                .delete(groups::remove_members),
        )
        .route("/api/2.0/group/{groupid}/manager", put(groups::set_manager))
        .route("/api/2.0/group/user/{userid}", get(groups::of_user))
        .route("/api/2.0/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route_layer(from_fn(params::checked_query))
        .route_layer(from_fn(trace::matched_route))
        .fallback(|| async { error::ApiError::from(AppError::NotFound("route")) })
        .layer(DefaultBodyLimit::max(MULTIPART_LIMIT))
        .with_state(app.clone());
    // The rewrite must run before routing, so the routes sit behind an outer router's layers.
    Router::new()
        .fallback_service(routes)
        .layer(from_fn(negotiate::negotiate))
        .layer(from_fn_with_state(app.metrics(), trace::correlate))
}

/// Serves `router(app)` and the operational endpoints on `listener` until `shutdown`, letting
/// in-flight requests finish; clients must send each request within `read_timeout` ([`serve`]).
pub async fn serve(
    listener: TcpListener,
    app: App,
    ops: Ops,
    read_timeout: Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve::serve(listener, router(app).merge(ops::routes(ops)), read_timeout, shutdown).await
}

#[cfg(test)]
mod tests;
