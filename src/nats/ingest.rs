//! The consumer loop: pulls commands from `P-ingest` in batches, creates the persons of a batch together
//! (`batch`) and runs other commands with bounded concurrency, settles each message by its outcome, and
//! re-ensures the stream and consumer after errors.

mod batch;
mod order;

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::consumer::pull::Batch;
use async_nats::jetstream::{self, AckKind};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::codec;
use super::dispatch::{self, Incoming, Rejection};
use super::names::Names;
use super::settle::{self, Settle};
use super::{headers, rejected, setup};
use crate::application::App;
use crate::backoff::{self, Backoff};
use crate::telemetry::sane_correlation_id;

/// Commands other than person creates handled at once by one instance.
pub const CONCURRENCY: usize = 16;
/// Messages asked for per pull request.
const BATCH: usize = 1_000;
/// Most messages handled as one batch: with [`PIPELINE`] batches in flight, well under the consumer's
/// `max_ack_pending`, and short enough that a batch does not hold its first command long.
const CHUNK: usize = 250;
/// Batches in flight at once: one can be decided while the previous one commits.
const PIPELINE: usize = 4;
/// How long one pull request waits for messages. Short, because at shutdown the last pull must be
/// drained (and its messages handed back) until it ends.
const PULL_EXPIRY: Duration = Duration::from_millis(500);
/// How long past its expiry a pull may stay silent before it is taken as ended. The server ends an
/// expired pull with a 408 status, but when that word does not come, the client's own timer only
/// fires 5 s after the expiry, and commands waited that long (issue 18).
const PULL_GUARD: Duration = Duration::from_millis(250);
/// Once a chunk has its first message, how long it waits for more to fill it (while the pull still
/// brings them): fuller batches mean fewer commits per command.
const FILL_WAIT: Duration = Duration::from_millis(1);
/// Messages handed back at shutdown are redelivered after this, once our last pull has ended.
const HAND_BACK_DELAY: Duration = Duration::from_secs(1);
/// How long a rejection may take to reach the server.
const REPORT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often handled commands are purged from a stream that keeps them (limits retention).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Why a rejection could not be reported to `P.rejected.<command>` (the message is nak'd and comes back).
#[derive(Debug, thiserror::Error)]
enum ReportError {
    #[error(transparent)]
    Publish(#[from] async_nats::PublishError),
    #[error(transparent)]
    Flush(#[from] async_nats::client::FlushError),
    #[error("timed out")]
    TimedOut,
}

/// The ingestion of one service instance (cheap to clone: each chunk runs on a task of its own).
#[derive(Clone)]
pub struct Ingest {
    app: App,
    client: async_nats::Client,
    js: jetstream::Context,
    names: Names,
    /// Turns of the commands on each stream, in delivery order.
    order: order::Order,
}

/// A command other than a person create, decoded, with its turn on the streams it changes.
struct Single {
    message: jetstream::Message,
    decoded: Result<codec::Decoded, codec::DecodeError>,
    turn: order::Turn,
}

/// What the consumer's settings mean for handling a message.
#[derive(Debug, Clone, Copy)]
struct Policy {
    /// Deliveries after which a transient failure is given up.
    give_up_after: i64,
    /// How often a long-running command tells JetStream it is still in progress.
    keepalive: Duration,
    /// The stream keeps handled messages: purge them every [`SWEEP_EVERY`].
    erase_handled: bool,
}

impl Ingest {
    pub fn new(client: async_nats::Client, app: App, names: Names) -> Ingest {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(client.clone());
        Ingest {
            app,
            client,
            js,
            names,
            order: order::Order::default(),
        }
    }

    /// Consumes until `shutdown`; errors (NATS down, consumer deleted, missed heartbeats) lead to the
    /// stream and consumer being ensured again, with a growing delay.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let error = match setup::ensure(&self.js, &self.names).await {
                Ok(ensured) => {
                    tracing::info!(consumer = %self.names.consumer(), "consuming commands");
                    match self.consume(&ensured, &shutdown).await {
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
            let delay = Backoff::NATS.delay(failures);
            tracing::warn!(error = %error, retry_in = ?delay, "command ingestion interrupted; ensuring the consumer again");
            if !backoff::sleep(delay, &shutdown).await {
                break;
            }
        }
        tracing::info!("command ingestion stopped");
    }

    /// Handles messages until shutdown (`Ok`) or an error of the message stream (`Err` with how many
    /// messages were handled before it). In-flight messages are always finished and settled.
    async fn consume(&self, ensured: &setup::Ensured, shutdown: &CancellationToken) -> Result<(), (u64, String)> {
        let consumer: &PullConsumer = &ensured.consumer;
        let config = &consumer.cached_info().config;
        let policy = Policy {
            give_up_after: setup::give_up_after(config),
            keepalive: (config.ack_wait / 2).max(Duration::from_secs(1)),
            erase_handled: ensured.erase_handled,
        };
        let mut broken: Option<String> = None;
        let mut handled = 0u64;
        let mut in_flight = FuturesUnordered::new();
        let (mut sweep, mut swept) = (tokio::time::interval(SWEEP_EVERY), 0u64);
        'pulls: while !shutdown.is_cancelled() {
            let pull = consumer.batch().max_messages(BATCH).expires(PULL_EXPIRY).messages();
            let silent_after = tokio::time::Instant::now() + PULL_EXPIRY + PULL_GUARD;
            let mut batch = match pull.await {
                Ok(batch) => batch,
                Err(e) => {
                    broken = Some(e.to_string());
                    break;
                }
            };
            // Messages taken from the pull for the next chunk: kept here, so a chunk whose filling
            // is interrupted by another branch loses nothing.
            let (mut chunk, mut filled_by) = (Vec::new(), None);
            loop {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => {
                        // This pull lives until it expires: what it still brings is handed back.
                        let finishing = async {
                            while let Some(n) = in_flight.next().await {
                                handled += n;
                            }
                        };
                        tokio::join!(hand_back(std::mem::take(&mut chunk), batch, silent_after), finishing);
                        break 'pulls;
                    }
                    Some(n) = in_flight.next(), if !in_flight.is_empty() => handled += n,
                    _ = sweep.tick(), if policy.erase_handled => self.sweep(consumer, &mut swept).await,
                    end = fill_chunk(&mut batch, &mut chunk, &mut filled_by), if in_flight.len() < PIPELINE => {
                        filled_by = None;
                        if !chunk.is_empty() {
                            in_flight.push(self.spawn_chunk(std::mem::take(&mut chunk), policy));
                        }
                        match end {
                            None => {}
                            Some(PullEnd::Done) => continue 'pulls,
                            Some(PullEnd::Failed(e)) => {
                                broken = Some(e);
                                break 'pulls;
                            }
                        }
                    }
                    // Nothing taken (the branch above would have won), and the server's word that the
                    // pull expired has not come: it is over on the server's side, pull again.
                    () = tokio::time::sleep_until(silent_after), if in_flight.len() < PIPELINE && chunk.is_empty() => {
                        self.app.metrics().nats_silent_pulls.inc();
                        tracing::debug!("a pull ended without the server's timeout status; pulling again");
                        continue 'pulls;
                    }
                }
            }
        }
        while let Some(n) = in_flight.next().await {
            handled += n;
        }
        if policy.erase_handled {
            self.sweep(consumer, &mut swept).await;
        }
        match broken {
            Some(e) => Err((handled, e)),
            None => Ok(()),
        }
    }

    /// Handles a chunk on a task of its own, so chunks in flight decode, decide and settle on every
    /// core while this loop goes on pulling; resolves to the number of messages in it. A chunk whose
    /// task panicked leaves its messages unsettled: they come back after `ack_wait`.
    ///
    /// The commands other than person creates are decoded here, in delivery order, and take their
    /// turns on the streams they change (`order`).
    fn spawn_chunk(&self, chunk: Vec<jetstream::Message>, policy: Policy) -> impl Future<Output = u64> + use<> {
        let n = chunk.len() as u64;
        let (persons, others): (Vec<_>, Vec<_>) = chunk
            .into_iter()
            .partition(|m| self.names.command_of(&m.subject) == Some(codec::CREATE_PERSON));
        let singles = others
            .into_iter()
            .map(|message| {
                let command = self.names.command_of(&message.subject).unwrap_or_default();
                let decoded = codec::decode(command, message.headers.as_ref(), &message.payload);
                let streams = decoded.as_ref().map(|d| d.command.streams()).unwrap_or_default();
                let turn = self.order.enter(streams);
                Single { message, decoded, turn }
            })
            .collect();
        let this = self.clone();
        let task = tokio::spawn(async move { this.handle_chunk(persons, singles, &policy).await });
        async move {
            task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, messages = n, "a chunk of commands failed; its messages come back after ack_wait");
                n
            })
        }
    }

    /// Handles the messages pulled together: person creates as one batch, the rest one by one, each
    /// in its turn. Commands start in delivery order, so one waiting for its turn waits for a command
    /// already started.
    async fn handle_chunk(&self, persons: Vec<jetstream::Message>, singles: Vec<Single>, policy: &Policy) -> u64 {
        let n = (persons.len() + singles.len()) as u64;
        // Futures collected first: a stream of closures here defeats the `Send` proof of the task.
        let singles: Vec<_> = singles.into_iter().map(|s| self.handle(s, policy)).collect();
        let singles = futures::stream::iter(singles)
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<()>>();
        tokio::join!(self.handle_persons(persons, policy), singles);
        n
    }

    /// Runs one message's command once its turn has come and settles the message, in a span of its own.
    async fn handle(&self, single: Single, policy: &Policy) {
        let Single {
            message,
            decoded,
            mut turn,
        } = single;
        let Some(received) = Received::of(&message, &self.names) else {
            return;
        };
        async {
            let result = keep_alive(&[&message], policy.keepalive, async {
                turn.wait().await;
                let result = dispatch::execute_decoded(&self.app, received.incoming(&message), decoded).await;
                // Done: the next command on its streams may start while this one is settled.
                drop(turn);
                result
            })
            .await;
            let settle = settle::decide(result.map(|c| c.describe()), received.delivered, policy.give_up_after);
            self.settle(&message, received.command, settle, received.delivered, false)
                .await;
        }
        .instrument(received.span.clone())
        .await;
    }

    /// Acks, naks, or reports and then acks or terminates; `batched` acks are logged at debug level
    /// (their batch logs one line).
    async fn settle(&self, message: &jetstream::Message, command: &str, settle: Settle, delivered: i64, batched: bool) {
        if delivered > 1 {
            self.app.metrics().nats_redeliveries.inc();
        }
        let (rejection, kind) = match settle {
            Settle::Ack(created) => {
                if batched {
                    // No server round trip per message: the client sends the ack (flushed at the latest
                    // when ingestion stops); a lost one only means a redelivery, answered idempotently.
                    if let Err(e) = message.ack().await {
                        tracing::warn!(error = %e, "could not ack; the message is redelivered after ack_wait");
                    }
                    tracing::debug!(outcome = "acked", %created, "command handled");
                } else {
                    confirm(message, AckKind::Ack).await;
                    tracing::info!(outcome = "acked", %created, "command handled");
                }
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

    /// On a stream that keeps handled messages, purges every message below the consumer's ack floor
    /// (each settled for good: acked or terminated), with its token and any password. `swept` is the
    /// floor purged last; a failure is retried at the next sweep.
    async fn sweep(&self, consumer: &PullConsumer, swept: &mut u64) {
        let floor = match consumer.get_info().await {
            Ok(info) => info.ack_floor.stream_sequence,
            Err(e) => {
                tracing::debug!(error = %e, "no consumer info to sweep handled commands by");
                return;
            }
        };
        if floor <= *swept {
            return;
        }
        let purged = async {
            let stream = self.js.get_stream_no_info(self.names.stream()).await?;
            stream.purge().sequence(floor + 1).await?;
            Ok::<_, async_nats::Error>(())
        };
        match purged.await {
            Ok(()) => *swept = floor,
            Err(e) => tracing::warn!(error = %e, "could not purge handled commands; retried at the next sweep"),
        }
    }

    /// Republishes the message to `P.rejected.<command>` with a `Rollcall-Error` header, without its
    /// token or any password and within the server's `max_payload` (`rejected::copy`), and waits until
    /// the server has it.
    async fn report(
        &self,
        message: &jetstream::Message,
        command: &str,
        rejection: &Rejection,
    ) -> Result<(), ReportError> {
        let copy = rejected::copy(
            command,
            message.headers.as_ref(),
            &message.payload,
            &dispatch::header_value(rejection),
            self.client.max_payload(),
        );
        let subject = self
            .names
            .rejected(if command.is_empty() { "unknown" } else { command });
        let publish = async {
            self.client
                .publish_with_headers(subject, copy.headers, copy.payload)
                .await?;
            Ok(self.client.flush().await?)
        };
        tokio::time::timeout(REPORT_TIMEOUT, publish)
            .await
            .map_err(|_| ReportError::TimedOut)?
    }
}

/// Why a pull gives no more messages.
enum PullEnd {
    /// It expired or delivered all it asked for: pull again.
    Done,
    /// The server refused it (consumer gone, …): ensure the consumer again.
    Failed(String),
}

/// Fills `chunk` from the pull: waits for a first message, then takes what else arrives until
/// `filled_by` ([`FILL_WAIT`] after the first), up to [`CHUNK`]. Returns when the chunk is ready (`None`)
/// or the pull gave its last message (`Some`). Every message is in `chunk` as soon as it is taken, so
/// this can be cancelled at any await and called again.
async fn fill_chunk(
    batch: &mut Batch,
    chunk: &mut Vec<jetstream::Message>,
    filled_by: &mut Option<tokio::time::Instant>,
) -> Option<PullEnd> {
    loop {
        if chunk.len() >= CHUNK {
            return None;
        }
        let next = match *filled_by {
            None => batch.next().await,
            Some(deadline) => match batch.next().now_or_never() {
                Some(item) => item,
                None => match tokio::time::timeout_at(deadline, batch.next()).await {
                    Ok(item) => item,
                    Err(_) => return None,
                },
            },
        };
        match next {
            None => return Some(PullEnd::Done),
            Some(Err(e)) => return Some(PullEnd::Failed(e.to_string())),
            Some(Ok(message)) => {
                chunk.push(message);
                filled_by.get_or_insert_with(|| tokio::time::Instant::now() + FILL_WAIT);
            }
        }
    }
}

/// Naks the messages taken but not started, and what the pull still brings until it ends, so each
/// message is redelivered soon, and only after this pull can no longer take it back.
/// A pull still silent at `silent_after` is over on the server's side.
async fn hand_back(taken: Vec<jetstream::Message>, batch: Batch, silent_after: tokio::time::Instant) {
    let mut handed_back = 0u32;
    let mut messages = futures::stream::iter(taken.into_iter().map(Ok::<_, async_nats::Error>)).chain(batch);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(silent_after, messages.next()).await {
        match message.ack_with(AckKind::Nak(Some(HAND_BACK_DELAY))).await {
            Ok(()) => handed_back += 1,
            Err(e) => tracing::debug!(error = %e, "could not hand back a pulled message; redelivered after ack_wait"),
        }
    }
    if handed_back > 0 {
        tracing::info!(handed_back, "messages pulled but not started were handed back");
    }
}

/// Runs `work`, telling JetStream every `every` that the messages are still being worked on.
async fn keep_alive<T>(messages: &[&jetstream::Message], every: Duration, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => {
                for message in messages {
                    if let Err(e) = message.ack_with(AckKind::Progress).await {
                        tracing::debug!(error = %e, "could not extend the ack deadline");
                    }
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

/// What the adapter reads from a delivered message before running it.
struct Received<'m> {
    command: &'m str,
    delivered: i64,
    msg_id: Option<String>,
    /// Without a key of its own, the stream position is the key, so a redelivery is still idempotent.
    position: String,
    correlation_id: String,
    span: tracing::Span,
}

impl<'m> Received<'m> {
    /// `None` (logged) for a message without JetStream metadata, which is left to ack_wait.
    fn of(message: &'m jetstream::Message, names: &Names) -> Option<Received<'m>> {
        let (sequence, delivered) = match message.info() {
            Ok(info) => (info.stream_sequence, info.delivered),
            Err(e) => {
                tracing::error!(subject = %message.subject, error = %e, "a message without JetStream metadata; left to ack_wait");
                return None;
            }
        };
        let h = message.headers.as_ref();
        let msg_id = headers::get(h, headers::MSG_ID).map(str::to_string);
        let position = format!("{}:{sequence}", names.stream());
        // Every delivery of one command shares its correlation id, so its log lines can be followed.
        let correlation_id = headers::correlation_id(h)
            .or(msg_id.as_deref().and_then(sane_correlation_id))
            .unwrap_or(&position)
            .to_string();
        let span = tracing::info_span!("nats_command", subject = %message.subject, stream_seq = sequence,
            delivered, correlation_id = %correlation_id);
        Some(Received {
            command: names.command_of(&message.subject).unwrap_or_default(),
            delivered,
            msg_id,
            position,
            correlation_id,
            span,
        })
    }

    fn incoming(&self, message: &'m jetstream::Message) -> Incoming<'m> {
        Incoming {
            command: self.command,
            headers: message.headers.as_ref(),
            payload: &message.payload,
            idempotency_key: self.msg_id.clone(),
            fallback_key: Some(self.position.clone()),
            correlation_id: self.correlation_id.clone(),
        }
    }
}
