//! What every gRPC service shares: the command metadata of a call.

use crate::application::{Actor, RequestMeta, Source};

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
