//! Person creates pulled together are created together: each message is decoded and authenticated on
//! its own (users looked up once per batch), the valid ones go to `App::create_persons` as one batch,
//! and every message is settled by its own outcome once its event committed. No read-your-writes wait
//! here: an ack after the commit is the contract.

use async_nats::jetstream;
use tracing::Instrument;

use super::{Ingest, Policy, Received, keep_alive};
use crate::application::Actors;
use crate::nats::codec::Command;
use crate::nats::dispatch::{self, Failure, Prepared};
use crate::nats::settle;

impl Ingest {
    /// Creates the persons of `messages` as one batch and settles each message.
    pub(super) async fn handle_persons(&self, messages: Vec<jetstream::Message>, policy: &Policy) {
        if messages.is_empty() {
            return;
        }
        let received: Vec<(&jetstream::Message, Received<'_>)> = messages
            .iter()
            .filter_map(|m| Received::of(m, &self.names).map(|r| (m, r)))
            .collect();
        let mut actors = Actors::default();
        let mut results: Vec<Option<Result<String, Failure>>> = Vec::with_capacity(received.len());
        let mut batch = Vec::new();
        let mut batched: Vec<(usize, dispatch::Names)> = Vec::new();
        for (i, (message, r)) in received.iter().enumerate() {
            let prepared = dispatch::prepare(&self.app, r.incoming(message), &mut actors)
                .instrument(r.span.clone())
                .await;
            results.push(match prepared {
                Ok(Prepared {
                    meta,
                    command: Command::CreatePerson(draft),
                    names,
                }) => {
                    batch.push((meta, draft));
                    batched.push((i, names));
                    None
                }
                // Not a person after all (cannot happen for this subject): run it on its own.
                Ok(other) => Some(dispatch::run(&self.app, other).await.map(|c| c.describe())),
                Err(failure) => Some(Err(failure)),
            });
        }
        let all: Vec<&jetstream::Message> = received.iter().map(|(m, _)| *m).collect();
        let created = keep_alive(&all, policy.keepalive, self.app.create_persons(batch)).await;
        for ((i, names), outcome) in batched.into_iter().zip(created) {
            results[i] = Some(
                outcome
                    .map(|id| format!("person {id}"))
                    .map_err(|e| Failure::App(e, names)),
            );
        }
        let settling = received.iter().zip(results).map(|((message, r), result)| {
            let result = result.unwrap_or_else(|| {
                Err(Failure::App(
                    crate::application::AppError::Internal("a batched command was never settled".into()),
                    dispatch::names_of(r.incoming(message).headers),
                ))
            });
            let settle = settle::decide(result, r.delivered, policy.give_up_after);
            self.settle(message, r.command, settle, r.delivered, true)
                .instrument(r.span.clone())
        });
        futures::future::join_all(settling).await;
    }
}
