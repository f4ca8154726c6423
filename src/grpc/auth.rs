//! The caller of a gRPC request: metadata `authorization: Bearer <token>` (or the bare token).

use tonic::{Request, Status};

use crate::application::{Actor, App, AppError};

/// Authenticates the request's token; UNAUTHENTICATED when it is missing or not valid.
pub async fn caller<T>(app: &App, request: &Request<T>) -> Result<Actor, Status> {
    let token = request
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(token)
        .ok_or(AppError::Unauthenticated)?;
    Ok(app.authenticate(token).await?)
}

/// The token of an `authorization` value: after a case-insensitive `Bearer `, or the whole value.
fn token(value: &str) -> Option<&str> {
    let value = value.trim();
    let token = match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        None if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn bearer_and_bare_tokens_are_accepted() {
        assert_eq!(token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(token("bearer  abc "), Some("abc"));
        assert_eq!(token("abc"), Some("abc"));
        assert_eq!(token("Bearer "), None);
        assert_eq!(token(""), None);
    }
}
