//! Who is calling: the `Authorization: <token>` / `Authorization: Bearer <token>` header checked by the
//! application, plus what a command needs around it (correlation id, `Idempotency-Key`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::trace::CorrelationId;
use crate::application::{Actor, App, AppError, RequestMeta, Source};

/// The authenticated caller and the metadata of their request.
pub struct Caller {
    pub actor: Actor,
    pub meta: RequestMeta,
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(token)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let actor = app.authenticate(token).await?;
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

/// The token of a raw or `Bearer` authorization value.
fn token(header: &str) -> &str {
    let header = header.trim();
    match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => header,
    }
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn raw_and_bearer_tokens_are_accepted() {
        assert_eq!(token("abc.def"), "abc.def");
        assert_eq!(token("Bearer abc.def"), "abc.def");
        assert_eq!(token("bearer  abc.def "), "abc.def");
        assert_eq!(token("Bearer"), "Bearer");
    }
}
