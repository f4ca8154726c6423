//! The consumer loop: pulls commands from `P-ingest` in batches, runs them with bounded concurrency,
//! settles each message by its outcome, and re-ensures the stream and consumer after errors.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::consumer::pull::MessagesError;
use async_nats::jetstream::{self, AckKind};
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dispatch::{self, Incoming, Rejection};
use super::names::Names;
use super::settle::{self, Settle};
use super::{backoff, headers, setup};
use crate::application::App;

/// Commands handled at once by one instance.
pub const CONCURRENCY: usize = 16;
/// Messages asked for per pull request.
const BATCH: usize = 2 * CONCURRENCY;
/// How long a rejection may take to reach the server.
const REPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// The ingestion of one service instance.
pub struct Ingest {
    app: App,
    client: async_nats::Client,
    js: jetstream::Context,
    names: Names,
}

/// What the consumer's settings mean for handling a message.
struct Policy {
    /// Deliveries after which a transient failure is given up.
    give_up_after: i64,
    /// How often a long-running command tells JetStream it is still in progress.
    keepalive: Duration,
}

impl Ingest {
    pub fn new(client: async_nats::Client, app: App, names: Names) -> Ingest {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(client.clone());
        Ingest { app, client, js, names }
    }

    /// Consumes until `shutdown`; errors (NATS down, consumer deleted, missed heartbeats) lead to the
    /// stream and consumer being ensured again, with a growing delay.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let error = match setup::ensure(&self.js, &self.names).await {
                Ok(consumer) => {
                    tracing::info!(consumer = %self.names.consumer(), "consuming commands");
                    match self.consume(&consumer, &shutdown).await {
                        Ok(()) => break,
                        Err((handled, e)) => {
                            if handled > 0 {
                                failures = 0;
                            }
                            e.to_string()
                        }
                    }
                }
                Err(e) => e.to_string(),
            };
            failures += 1;
            let delay = backoff::delay(failures);
            tracing::warn!(error = %error, retry_in = ?delay, "command ingestion interrupted; ensuring the consumer again");
            if !backoff::sleep(delay, &shutdown).await {
                break;
            }
        }
        tracing::info!("command ingestion stopped");
    }

    /// Handles messages until shutdown (`Ok`) or an error of the message stream (`Err` with how many
    /// messages were handled before it). In-flight messages are always finished and settled.
    async fn consume(&self, consumer: &PullConsumer, shutdown: &CancellationToken) -> Result<(), (u64, String)> {
        let config = &consumer.cached_info().config;
        let policy = Policy {
            give_up_after: setup::give_up_after(config),
            keepalive: (config.ack_wait / 2).max(Duration::from_secs(1)),
        };
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(BATCH)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| (0, e.to_string()))?;
        let broken: Mutex<Option<MessagesError>> = Mutex::new(None);
        let handled = std::sync::atomic::AtomicU64::new(0);
        (&mut messages)
            .take_until(shutdown.cancelled())
            .scan((), |(), item| {
                futures::future::ready(match item {
                    Ok(message) => Some(message),
                    Err(e) => {
                        *broken.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        None
                    }
                })
            })
            .for_each_concurrent(CONCURRENCY, |message| async {
                self.handle(message, &policy).await;
                handled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .await;
        // Messages already pulled but not started go back at once, instead of after ack_wait.
        let mut handed_back = 0u32;
        while let Some(Some(Ok(message))) = messages.next().now_or_never() {
            match message.ack_with(AckKind::Nak(None)).await {
                Ok(()) => handed_back += 1,
                Err(e) => {
                    tracing::debug!(error = %e, "could not hand back a pulled message; redelivered after ack_wait")
                }
            }
        }
        if handed_back > 0 {
            tracing::info!(handed_back, "messages pulled but not started were handed back");
        }
        let handled = handled.into_inner();
        match broken.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err((handled, e.to_string())),
            None if shutdown.is_cancelled() => Ok(()),
            None => Err((handled, "the message stream ended".into())),
        }
    }

    /// Runs one message's command and settles the message, in a span of its own.
    async fn handle(&self, message: jetstream::Message, policy: &Policy) {
        let (sequence, delivered) = match message.info() {
            Ok(info) => (info.stream_sequence, info.delivered),
            Err(e) => {
                tracing::error!(subject = %message.subject, error = %e, "a message without JetStream metadata; left to ack_wait");
                return;
            }
        };
        if delivered > 1 {
            self.app.metrics().nats_redeliveries.inc();
        }
        let h = message.headers.as_ref();
        let msg_id = headers::get(h, headers::MSG_ID).map(str::to_string);
        // Without a key of its own, the stream position is the key, so a redelivery is still idempotent.
        let position = format!("{}:{sequence}", self.names.stream());
        // Every delivery of one command shares its correlation id, so its log lines can be followed.
        let correlation_id = headers::get(h, headers::CORRELATION_ID)
            .or(msg_id.as_deref())
            .unwrap_or(&position)
            .to_string();
        let span = tracing::info_span!("nats_command", subject = %message.subject, stream_seq = sequence,
            delivered, correlation_id = %correlation_id);
        async {
            let command = self.names.command_of(&message.subject).unwrap_or_default();
            let incoming = Incoming {
                command,
                headers: h,
                payload: &message.payload,
                idempotency_key: msg_id,
                fallback_key: Some(position),
                correlation_id: correlation_id.clone(),
            };
            let result = keep_alive(&message, policy.keepalive, dispatch::execute(&self.app, incoming)).await;
            let settle = settle::decide(result, delivered, policy.give_up_after);
            self.settle(&message, command, settle, delivered).await;
        }
        .instrument(span)
        .await;
    }

    async fn settle(&self, message: &jetstream::Message, command: &str, settle: Settle, delivered: i64) {
        let (rejection, kind) = match settle {
            Settle::Ack(created) => {
                confirm(message, AckKind::Ack).await;
                tracing::info!(outcome = "acked", %created, "command handled");
                return;
            }
            Settle::Retry(delay, failure) => {
                nak(message, delay).await;
                tracing::warn!(outcome = "nak", status = failure.status, reason = %failure.message,
                    retry_in = ?delay, "command failed for now; retried later");
                return;
            }
            Settle::Reject(rejection) => (rejection, AckKind::Ack),
            Settle::Terminate(rejection) => (rejection, AckKind::Term),
        };
        if let Err(e) = self.report(message, command, &rejection).await {
            // Nothing is dropped unreported: the message comes back and is rejected again.
            let delay = settle::retry_delay(delivered);
            nak(message, delay).await;
            tracing::error!(outcome = "nak", status = rejection.status, reason = %rejection.message, error = %e,
                retry_in = ?delay, "the rejection could not be reported; retried later");
            return;
        }
        let outcome = if matches!(kind, AckKind::Term) {
            "terminated"
        } else {
            "rejected"
        };
        confirm(message, kind).await;
        tracing::warn!(outcome, status = rejection.status, reason = %rejection.message,
            field = rejection.field.as_deref(), "command {outcome}");
    }

    /// Republishes the message to `P.rejected.<command>` with a `Rollcall-Error` header, and waits
    /// until the server has it.
    async fn report(&self, message: &jetstream::Message, command: &str, rejection: &Rejection) -> Result<(), String> {
        let mut headers = message.headers.as_ref().map(headers::redacted).unwrap_or_default();
        headers.insert(headers::ROLLCALL_ERROR, rejection.header_value().as_str());
        let subject = self
            .names
            .rejected(if command.is_empty() { "unknown" } else { command });
        let publish = async {
            self.client
                .publish_with_headers(subject, headers, message.payload.clone())
                .await
                .map_err(|e| e.to_string())?;
            self.client.flush().await.map_err(|e| e.to_string())
        };
        tokio::time::timeout(REPORT_TIMEOUT, publish)
            .await
            .map_err(|_| "timed out".to_string())?
    }
}

/// Runs `work`, telling JetStream every `every` that the message is still being worked on.
async fn keep_alive<T>(message: &jetstream::Message, every: Duration, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => {
                if let Err(e) = message.ack_with(AckKind::Progress).await {
                    tracing::debug!(error = %e, "could not extend the ack deadline");
                }
            }
        }
    }
}

/// Acks or terminates and waits for the server's confirmation; an unconfirmed ack only means a
/// redelivery, which the App answers idempotently.
async fn confirm(message: &jetstream::Message, kind: AckKind) {
    if let Err(e) = message.double_ack_with(kind).await {
        tracing::warn!(error = %e, "the server did not confirm the ack; a redelivery is handled idempotently");
    }
}

async fn nak(message: &jetstream::Message, delay: Duration) {
    if let Err(e) = message.ack_with(AckKind::Nak(Some(delay))).await {
        tracing::warn!(error = %e, "could not nak; the message is redelivered after ack_wait");
    }
}
