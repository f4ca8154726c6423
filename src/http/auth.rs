//! Who is calling: the `Authorization: <token>` / `Authorization: Bearer <token>` header checked by the
//! application, plus what a command needs around it (correlation id, `Idempotency-Key`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::trace::CorrelationId;
use crate::application::{Actor, App, RequestMeta, Source};

/// The authenticated caller and the metadata of their request.
pub struct Caller {
    pub actor: Actor,
    pub meta: RequestMeta,
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let authorization = parts.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
        let actor = app.authenticate(authorization).await?;
        let mut meta = RequestMeta::new(actor.clone(), Source::Rest);
        if let Some(CorrelationId(id)) = parts.extensions.get::<CorrelationId>() {
            meta.correlation_id = id.clone();
        }
        if let Some(key) = parts.headers.get("idempotency-key") {
            let key = key
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
            meta = meta.with_idempotency_key(key.trim());
        }
        Ok(Caller { actor, meta })
    }
}
