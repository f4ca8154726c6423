//! What every gRPC service shares: the command metadata of a call.

use tonic::{Request, Status};

use super::auth::caller;
use super::observe::correlation;
use crate::application::{Actor, App, RequestMeta, Source};

/// The command metadata of a gRPC call; a non-empty `request_id` is the idempotency key.
pub fn meta(actor: Actor, request_id: String, correlation_id: String) -> RequestMeta {
    let mut meta = RequestMeta::new(actor, Source::Grpc);
    meta.correlation_id = correlation_id;
    if request_id.is_empty() {
        meta
    } else {
        meta.with_idempotency_key(request_id)
    }
}

/// Authenticates a command and splits it into its metadata (with the message's `request_id`, taken
/// by `request_id`, as the idempotency key) and its message.
pub async fn command<T>(
    app: &App,
    request: Request<T>,
    request_id: fn(&mut T) -> &mut String,
) -> Result<(RequestMeta, T), Status> {
    let actor = caller(app, &request).await?;
    let correlation_id = correlation(&request);
    let mut message = request.into_inner();
    let key = std::mem::take(request_id(&mut message));
    Ok((meta(actor, key, correlation_id), message))
}
