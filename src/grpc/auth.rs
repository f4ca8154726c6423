//! The caller of a gRPC request: metadata `authorization`, checked by the application.

use tonic::{Request, Status};

use crate::application::{Actor, App};

/// Authenticates the request's token; UNAUTHENTICATED when it is missing or not valid.
pub async fn caller<T>(app: &App, request: &Request<T>) -> Result<Actor, Status> {
    let authorization = request
        .metadata()
        .get("authorization")
        .map(|v| v.to_str().unwrap_or_default());
    Ok(app.authenticate(authorization).await?)
}
