//! Request-reply on core NATS: `P.rpc.<command>` in the queue group `P-rpc`, answered with the REST
//! JSON envelope (success or error). Not durable: a request nobody answers times out at the caller.

use async_nats::Message;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::dispatch::{self, Incoming};
use super::headers;
use super::ingest::CONCURRENCY;
use super::names::Names;
use crate::application::App;
use crate::shutdown::TaskError;
use crate::telemetry::sane_correlation_id;

pub struct Responder {
    app: App,
    client: async_nats::Client,
    names: Names,
}

impl Responder {
    pub fn new(client: async_nats::Client, app: App, names: Names) -> Responder {
        Responder { app, client, names }
    }

    /// Answers requests until `shutdown`, then unsubscribes and answers what had already arrived.
    /// The subscription survives reconnects (the client re-subscribes); it ends only if the client
    /// is closed, which is an error.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), TaskError> {
        let mut requests = self
            .client
            .queue_subscribe(self.names.rpc(), self.names.rpc_group())
            .await
            .map_err(|source| TaskError::Subscribe {
                subject: self.names.rpc(),
                source,
            })?;
        tracing::info!(subject = %self.names.rpc(), group = %self.names.rpc_group(), "answering requests");
        (&mut requests)
            .take_until(shutdown.cancelled())
            .for_each_concurrent(CONCURRENCY, |request| self.answer(request))
            .await;
        if !shutdown.is_cancelled() {
            return Err(TaskError::NatsClosed);
        }
        if let Err(e) = requests.unsubscribe().await {
            tracing::debug!(error = %e, "could not unsubscribe");
        }
        while let Some(Some(request)) = requests.next().now_or_never() {
            self.answer(request).await;
        }
        tracing::info!("request-reply stopped");
        Ok(())
    }

    async fn answer(&self, request: Message) {
        let h = request.headers.as_ref();
        let key = headers::get(h, headers::MSG_ID).map(str::to_string);
        let correlation_id = headers::correlation_id(h)
            .or(key.as_deref().and_then(sane_correlation_id))
            .map_or_else(|| Uuid::new_v4().to_string(), str::to_string);
        let span = tracing::info_span!("nats_request", subject = %request.subject, correlation_id = %correlation_id);
        async {
            let Some(reply) = request.reply.clone() else {
                tracing::warn!("a request without a reply subject; nothing to answer, ignored");
                return;
            };
            let incoming = Incoming {
                command: self.names.rpc_command_of(&request.subject).unwrap_or_default(),
                headers: h,
                payload: &request.payload,
                idempotency_key: key,
                fallback_key: None,
                correlation_id: correlation_id.clone(),
            };
            let body = match dispatch::execute(&self.app, incoming).await {
                Ok(created) => {
                    tracing::info!(outcome = "done", done = %created.describe(), "request answered");
                    serde_json::to_vec(&created.envelope())
                }
                Err(failure) => {
                    let rejection = failure.rejection();
                    tracing::warn!(outcome = "error", status = rejection.status, reason = %rejection.message,
                        field = rejection.field.as_deref(), "request answered with an error");
                    serde_json::to_vec(&rejection.envelope())
                }
            };
            let body = match body {
                Ok(body) => Bytes::from(body),
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialise the answer");
                    Bytes::from_static(br#"{"status":1,"statusCode":500,"error":{"message":"internal error"}}"#)
                }
            };
            if let Err(e) = self.client.publish(reply, body).await {
                tracing::warn!(error = %e, "cannot send the answer");
            }
        }
        .instrument(span)
        .await;
    }
}
