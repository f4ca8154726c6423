//! The one write path of every aggregate (persons, companies, users, one command or many): load the
//! histories the commands need (one query), let each aggregate decide its command on its folded
//! history, and append every decided event, with the photos they refer to, in one statement. A batch
//! that loses a race is done again one command at a time; a command that loses one is reloaded and
//! decided anew, a bounded number of times (`Backoff::CONFLICT`).

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use futures::StreamExt;
use sqlx::Row as _;
use sqlx::postgres::PgRow;

use super::error::CLAIM_LOST;
use super::{Actor, App, AppError, RequestMeta};
use crate::backoff::Backoff;
use crate::persistence::events::{self, NewEvent, NewKey, NewPhoto, StoredEvent, ViewRows};
use crate::persistence::{idempotency, identity_channel};
use crate::read_model::inline::{Collected, InlineRow};

/// Commands of a batch that fell back to one by one, run at once.
const FALLBACK_CONCURRENCY: usize = 8;

/// An aggregate the write path runs.
pub(super) trait Stream: Aggregate + Clone + 'static {
    /// Whether `e` says the aggregate exists already: a keyed retry of its create then succeeds.
    fn already_created(e: &Self::Error) -> bool;

    /// Whether `actor` may change this aggregate as it stands (checked on the state the command is
    /// decided on, so a concurrent change of its access cannot slip between check and decision).
    fn permits(&self, actor: &Actor) -> Result<(), AppError>;

    /// The view row to write with the aggregate's events (`read_model::inline`); `None` leaves it to
    /// the projector.
    fn inline_row(&self, _version: i64) -> Option<InlineRow> {
        None
    }

    /// The same create as `command`, for the aggregate `id` instead (a keyed create whose key an earlier
    /// request recorded for `id`); `None` for commands that are not creates bound to their id.
    fn retarget(_command: &Self::Command, _id: &str) -> Option<Self::Command> {
        None
    }
}

/// One command for the write path.
pub(super) struct Order<A: Aggregate> {
    pub id: String,
    pub command: A::Command,
    /// Whose command it is; its event metadata.
    pub meta: RequestMeta,
    /// Bound to an idempotency key: "already created" is this request's own earlier success.
    pub keyed: bool,
    /// A new id that no one else can have written to: nothing to load.
    pub fresh: bool,
    /// Bytes one of its events refers to, stored exactly when the events are.
    pub photo: Option<NewPhoto>,
    /// The version the stream must be at (`If-Match`, `expected_version`), checked before deciding.
    pub expected: Option<i64>,
    /// Check `Stream::permits` for the order's actor before deciding (every change but a create).
    pub authorize: bool,
    /// A change bound to an idempotency key: if the stream already holds an event its actor wrote with
    /// this key, the change was made (the same request) or the key was reused (another request).
    pub key: Option<KeyCheck>,
    /// A create's idempotency key, recorded with its events in the same statement. When the actor's key
    /// is recorded already, the earlier request's record decides: the same request is done again for
    /// the id it recorded (`Stream::retarget`), another one is refused (`AppError::KeyReused`).
    pub claim: Option<KeyClaim>,
}

impl<A: Aggregate> Order<A> {
    /// A change of the existing stream `id` by `meta`'s actor, authorized on the state it is decided
    /// on, at any version, without a key or photo (set those fields over it where they apply).
    pub fn change(id: impl Into<String>, command: A::Command, meta: &RequestMeta) -> Order<A> {
        Order {
            id: id.into(),
            command,
            meta: meta.clone(),
            keyed: false,
            fresh: false,
            photo: None,
            expected: None,
            authorize: true,
            key: None,
            claim: None,
        }
    }
}

/// A create's idempotency key: the command and the request's fingerprint are recorded with it, so a
/// retry is told apart from another request that reuses the key.
#[derive(Debug, Clone)]
pub(super) struct KeyClaim {
    pub key: String,
    pub command: &'static str,
    pub fingerprint: String,
}

/// An idempotency key of a change and the fingerprint of its request, both stored in the metadata of
/// the events the change appends.
#[derive(Debug, Clone)]
pub(super) struct KeyCheck {
    pub key: String,
    pub fingerprint: String,
}

/// The metadata key that holds a keyed request's fingerprint.
const FINGERPRINT: &str = "request_fingerprint";

/// An aggregate after a command, and its version (the number of events in its stream).
#[derive(Debug, Clone)]
pub(super) struct Decided<A> {
    pub aggregate: A,
    pub version: i64,
    /// Its view row as the append wrote it, with the view's joins (a change of a stream whose
    /// aggregate writes its row inline and whose view has an answer query): the answer, without
    /// reading it back.
    pub written: Option<Arc<PgRow>>,
}

impl<A: Default> Decided<A> {
    /// A stream without events.
    fn empty() -> Decided<A> {
        Decided {
            aggregate: A::default(),
            version: 0,
            written: None,
        }
    }
}

/// Why an append did not happen.
enum Failed {
    /// Another writer appended to one of the streams first: deciding again can succeed.
    Lost,
    /// An idempotency key of the batch was recorded already (by an earlier request, or twice in it).
    KeyTaken,
    Error(AppError),
}

pub(super) type Outcome<A> = Result<Decided<A>, AppError>;

/// Aggregates by id, each with its version.
type Streams<A> = HashMap<String, Decided<A>>;

/// Orders decided but not appended yet: the rows, photos and view rows to append, and each order's
/// outcome.
struct DecidedBatch<A> {
    rows: Vec<NewEvent>,
    photos: Vec<NewPhoto>,
    views: Vec<ViewRows>,
    keys: Vec<NewKey>,
    outcomes: Vec<Outcome<A>>,
    /// The streams that were loaded (not fresh) and decided on, as the append leaves them: kept once
    /// it commits (`kept`).
    kept: Vec<(String, Decided<A>)>,
}

/// A failure that deciding again cannot help, as an error (a lost race cannot happen before the append).
fn failed(f: Failed) -> AppError {
    match f {
        Failed::Error(e) => e,
        Failed::Lost | Failed::KeyTaken => AppError::Conflict("concurrent update, retry"),
    }
}

/// Gives each change the view row the append wrote for it, matched by stream id and version (rows come
/// back for views with an answer query; a stream changed twice in one batch has one row, its last
/// version's, so its earlier change is answered otherwise).
fn attach_written<A: Aggregate>(orders: &[Order<A>], outcomes: &mut [Outcome<A>], written: Vec<PgRow>) {
    if written.is_empty() {
        return;
    }
    let mut rows: HashMap<(String, i64), Arc<PgRow>> = written
        .into_iter()
        .filter_map(|row| {
            let id: i64 = row.try_get("id").ok()?;
            let version: i64 = row.try_get("version").ok()?;
            Some(((id.to_string(), version), Arc::new(row)))
        })
        .collect();
    for (order, outcome) in orders.iter().zip(outcomes) {
        if let Ok(decided) = outcome {
            decided.written = rows.remove(&(order.id.clone(), decided.version));
        }
    }
}

impl App {
    /// Decides and appends every order; one outcome per order, in order.
    pub(super) async fn execute_all<A>(&self, services: &A::Services, orders: Vec<Order<A>>) -> Vec<Outcome<A>>
    where
        A: Stream,
        AppError: From<A::Error>,
        A::Command: Clone,
    {
        if orders.len() == 1 {
            let order = orders.into_iter().next().expect("one order");
            return vec![self.execute(services, order).await];
        }
        // A key claimed twice in the batch would fail its append: the orders go one by one at once.
        let repeated = repeated_claims(&orders);
        let first_try = if repeated.iter().any(|r| *r) {
            Err(Failed::KeyTaken)
        } else {
            self.attempt(services, &orders, false).await
        };
        match first_try {
            Ok(outcomes) => outcomes,
            Err(Failed::Error(AppError::Unavailable(why))) => {
                orders.iter().map(|_| Err(AppError::Unavailable(why))).collect()
            }
            Err(failed) => {
                if let Failed::Error(e) = &failed {
                    tracing::warn!(error = %e, "a batch could not be appended; deciding its commands one by one");
                }
                self.one_by_one(services, orders, &repeated).await
            }
        }
    }

    /// Executes each order on its own, several at once, except that an order whose key an earlier
    /// order of the batch claims runs after the others, in batch order: it is then judged against the
    /// first one's record, as if they had come one after another.
    async fn one_by_one<A>(&self, services: &A::Services, orders: Vec<Order<A>>, repeated: &[bool]) -> Vec<Outcome<A>>
    where
        A: Stream,
        AppError: From<A::Error>,
        A::Command: Clone,
    {
        let (mut firsts, mut repeats) = (Vec::new(), Vec::new());
        for (i, order) in orders.into_iter().enumerate() {
            if repeated[i] {
                repeats.push((i, order));
            } else {
                firsts.push((i, order));
            }
        }
        let (first_places, firsts): (Vec<usize>, Vec<_>) = firsts.into_iter().unzip();
        // Futures collected first: a stream of closures here defeats the `Send` proof of callers.
        let each: Vec<_> = firsts.into_iter().map(|o| self.execute(services, o)).collect();
        let done: Vec<Outcome<A>> = futures::stream::iter(each)
            .buffered(FALLBACK_CONCURRENCY)
            .collect()
            .await;
        let mut outcomes: Vec<Option<Outcome<A>>> = (0..repeated.len()).map(|_| None).collect();
        for (i, outcome) in first_places.into_iter().zip(done) {
            outcomes[i] = Some(outcome);
        }
        for (i, order) in repeats.drain(..) {
            outcomes[i] = Some(self.execute(services, order).await);
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(AppError::Internal("an order without an outcome".into()))))
            .collect()
    }

    /// Decides and appends one order, deciding again (on a reloaded history) after a lost race.
    pub(super) async fn execute<A>(&self, services: &A::Services, order: Order<A>) -> Outcome<A>
    where
        A: Stream,
        AppError: From<A::Error>,
        A::Command: Clone,
    {
        let mut order = order;
        let mut _queued = self.stripe(A::TYPE, &order.id).lock().await;
        let mut backoff = Backoff::CONFLICT.start();
        loop {
            match self
                .attempt(services, std::slice::from_ref(&order), backoff.failures() > 0)
                .await
            {
                Ok(mut outcomes) => {
                    return outcomes
                        .pop()
                        .unwrap_or_else(|| Err(AppError::Internal("no outcome".into())));
                }
                Err(Failed::Error(e)) => return Err(e),
                Err(Failed::KeyTaken) => {
                    order = self.claimed(order).await?;
                    drop(_queued);
                    _queued = self.stripe(A::TYPE, &order.id).lock().await;
                }
                Err(Failed::Lost) => match backoff.next_delay() {
                    Some(delay) => {
                        tracing::debug!(failures = backoff.failures(), "concurrent append, deciding again");
                        tokio::time::sleep(delay).await;
                    }
                    None => return Err(AppError::Conflict("concurrent update, retry")),
                },
            }
        }
    }

    /// The lock commands on stream (`kind`, `id`) of this instance queue on.
    fn stripe(&self, kind: &str, id: &str) -> &tokio::sync::Mutex<()> {
        &self.inner.stripes[self.stripe_index(kind, id)]
    }

    fn stripe_index(&self, kind: &str, id: &str) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (kind, id).hash(&mut h);
        (h.finish() % self.inner.stripes.len() as u64) as usize
    }

    /// Decides and appends `order` and, in the same statement, `followers`, orders on streams of
    /// another aggregate that go with it (a created user joining its groups). A follower its aggregate
    /// refuses is left out, with its error in the outcomes; a lost race of any stream decides everything
    /// again. Every stream's lock is held throughout, taken in one order (so two such commands never
    /// wait for each other), so commands of this instance that share a follower queue instead of racing.
    pub(super) async fn execute_with<A, B>(
        &self,
        services: &A::Services,
        order: Order<A>,
        follower_services: &B::Services,
        followers: Vec<Order<B>>,
    ) -> Result<(Decided<A>, Vec<Outcome<B>>), AppError>
    where
        A: Stream,
        B: Stream,
        AppError: From<A::Error> + From<B::Error>,
        A::Command: Clone,
        B::Command: Clone,
    {
        let mut stripes: Vec<usize> = followers.iter().map(|f| self.stripe_index(B::TYPE, &f.id)).collect();
        stripes.push(self.stripe_index(A::TYPE, &order.id));
        stripes.sort_unstable();
        stripes.dedup();
        let mut _queued = Vec::with_capacity(stripes.len());
        for i in stripes {
            _queued.push(self.inner.stripes[i].lock().await);
        }
        let mut backoff = Backoff::CONFLICT.start();
        loop {
            let reload = backoff.failures() > 0;
            let mut batch = self
                .decide_orders(services, std::slice::from_ref(&order), reload)
                .await
                .map_err(failed)?;
            let decided = batch
                .outcomes
                .pop()
                .unwrap_or_else(|| Err(AppError::Internal("no outcome".into())))?;
            let mut then = self
                .decide_orders(follower_services, &followers, reload)
                .await
                .map_err(failed)?;
            // Two aggregate types: their view rows are of different tables.
            batch.rows.append(&mut then.rows);
            batch.photos.append(&mut then.photos);
            batch.views.append(&mut then.views);
            batch.keys.append(&mut then.keys);
            match self.append_decided(&batch).await {
                Ok(_) => {
                    self.inner.kept.put(A::TYPE, batch.kept);
                    self.inner.kept.put(B::TYPE, then.kept);
                    return Ok((decided, then.outcomes));
                }
                Err(Failed::Error(e)) => return Err(e),
                Err(taken @ Failed::KeyTaken) => return Err(failed(taken)),
                Err(Failed::Lost) => match backoff.next_delay() {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(AppError::Conflict("concurrent update, retry")),
                },
            }
        }
    }

    /// One try: load, decide every order, append everything decided in one statement.
    async fn attempt<A>(
        &self,
        services: &A::Services,
        orders: &[Order<A>],
        reload: bool,
    ) -> Result<Vec<Outcome<A>>, Failed>
    where
        A: Stream,
        AppError: From<A::Error>,
        A::Command: Clone,
    {
        let batch = self.decide_orders(services, orders, reload).await?;
        let written = self.append_decided(&batch).await?;
        self.inner.kept.put(A::TYPE, batch.kept);
        let mut outcomes = batch.outcomes;
        attach_written(orders, &mut outcomes, written);
        Ok(outcomes)
    }

    /// Loads what `orders` need (one query: for a stream this instance keeps, only the events after the
    /// kept version) and decides each: the rows to append and every outcome.
    async fn decide_orders<A>(
        &self,
        services: &A::Services,
        orders: &[Order<A>],
        reload: bool,
    ) -> Result<DecidedBatch<A>, Failed>
    where
        A: Stream,
        AppError: From<A::Error>,
        A::Command: Clone,
    {
        let (bounds, starts) = self.load_from(orders, reload);
        let stored = events::load_after(self.pool(), A::TYPE, &bounds)
            .await
            .map_err(|e| Failed::Error(e.into()))?;
        let keyed = earlier_keys(orders, &stored);
        let mut streams = fold::<A>(starts, stored).map_err(Failed::Error)?;
        let mut rows = Vec::new();
        let mut photos = Vec::new();
        let mut keys = Vec::new();
        let mut touched: Vec<&str> = Vec::new();
        let mut outcomes = Vec::with_capacity(orders.len());
        for order in orders {
            let stream = streams.entry(order.id.clone()).or_insert_with(Decided::empty);
            match keyed.get(&order.id) {
                Some(KeySeen::Same) => {
                    outcomes.push(Ok(stream.clone()));
                    continue;
                }
                Some(KeySeen::Other) => {
                    outcomes.push(Err(AppError::KeyReused));
                    continue;
                }
                None => {}
            }
            if order.authorize
                && let Err(e) = stream.aggregate.permits(&order.meta.actor)
            {
                outcomes.push(Err(e));
                continue;
            }
            if order.expected.is_some_and(|v| v != stream.version) {
                outcomes.push(Err(AppError::VersionMismatch {
                    current: stream.version,
                }));
                continue;
            }
            let sink = EventSink::default();
            let mut deciding = stream.aggregate.clone();
            match deciding.handle(order.command.clone(), services, &sink).await {
                Ok(()) => {
                    let mut metadata = order.meta.event_metadata();
                    if let Some(check) = &order.key {
                        metadata.insert(FINGERPRINT.to_string(), check.fingerprint.clone());
                    }
                    let metadata = serde_json::to_string(&metadata).map_err(internal)?;
                    touched.push(&order.id);
                    for event in sink.collect().await {
                        stream.version += 1;
                        let row = new_event::<A>(&order.id, stream.version, &event, metadata.clone())?;
                        // As a load will read it back: the state kept and answered is the stored one.
                        stream
                            .aggregate
                            .apply(serde_json::from_str(&row.payload).map_err(internal)?);
                        rows.push(row);
                    }
                    photos.extend(order.photo.clone());
                    keys.extend(order.claim.as_ref().map(|c| NewKey {
                        actor_id: order.meta.actor.id,
                        key: c.key.clone(),
                        command: c.command,
                        fingerprint: c.fingerprint.clone(),
                        aggregate_id: order.id.clone(),
                    }));
                    outcomes.push(Ok(stream.clone()));
                }
                Err(e) if order.keyed && A::already_created(&e) => outcomes.push(Ok(stream.clone())),
                Err(e) => outcomes.push(Err(e.into())),
            }
        }
        let mut views = Collected::default();
        let mut kept = Vec::new();
        let loaded: std::collections::HashSet<&str> = bounds.iter().map(|(id, _)| id.as_str()).collect();
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            let Some(stream) = streams.get(id) else { continue };
            if let Some(row) = stream.aggregate.inline_row(stream.version) {
                views.push(A::TYPE, row);
            }
            if loaded.contains(id) {
                kept.push((id.to_string(), stream.clone()));
            }
        }
        Ok(DecidedBatch {
            rows,
            photos,
            // Changes are answered with their rows as written (no read-back); creates by their events.
            views: views.into_views(orders.iter().any(|order| !order.fresh)),
            keys,
            outcomes,
            kept,
        })
    }

    /// Where each stream `orders` need starts loading (each stream once): after the version this
    /// instance keeps of it, whose state is then the start of its fold, or from its first event (a
    /// stream not kept, or one with a keyed change, whose key may be in any of its events).
    fn load_from<A: Stream>(&self, orders: &[Order<A>], reload: bool) -> (Vec<(String, i64)>, Streams<A>) {
        let mut bounds: Vec<(String, i64)> = Vec::new();
        let mut starts: Streams<A> = HashMap::new();
        let mut at: HashMap<&str, usize> = HashMap::new();
        for order in orders.iter().filter(|o| reload || !o.fresh) {
            let kept = match order.key {
                None => self.inner.kept.get::<Decided<A>>(A::TYPE, &order.id),
                Some(_) => None,
            };
            let bound = kept.as_ref().map_or(0, |k| k.version);
            match at.get(order.id.as_str()) {
                Some(&i) if bound < bounds[i].1 => {
                    bounds[i].1 = bound;
                    starts.remove(&order.id);
                }
                Some(_) => {}
                None => {
                    at.insert(&order.id, bounds.len());
                    bounds.push((order.id.clone(), bound));
                    starts.extend(kept.map(|k| (order.id.clone(), k)));
                }
            }
        }
        let metrics = &self.inner.metrics.kept_streams;
        metrics.with_label_values(&["hit"]).inc_by(starts.len() as u64);
        metrics
            .with_label_values(&["miss"])
            .inc_by((bounds.len() - starts.len()) as u64);
        (bounds, starts)
    }

    /// Appends decided rows, with the view rows they make, in one statement (nothing to do without
    /// rows), wakes the projector (at once, or within its gathering time when the view rows were
    /// written with them) and forgets the users it changed: this instance refuses a terminated user's
    /// token from the next request on (other instances once the append's notification arrives).
    async fn append_decided(&self, batch: &DecidedBatch<impl Sized>) -> Result<Vec<PgRow>, Failed> {
        let (rows, photos, views, keys) = (&batch.rows, &batch.photos, &batch.views, &batch.keys);
        match events::append(self.pool(), rows, photos, views, keys).await {
            Ok(written) => {
                // Rows written with their events are readable already: the projector may gather.
                match (rows.is_empty(), views.is_empty()) {
                    (true, _) => {}
                    (false, true) => self.inner.signals.wake.notify_one(),
                    (false, false) => self.inner.signals.nudge.notify_one(),
                }
                let users: Vec<uuid::Uuid> = rows
                    .iter()
                    .filter(|r| r.aggregate_type == identity_channel::AGGREGATE_TYPE)
                    .filter_map(|r| uuid::Uuid::parse_str(&r.aggregate_id).ok())
                    .collect();
                if !users.is_empty() {
                    self.inner.identities.evict_all(users);
                }
                Ok(written)
            }
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {
                if db.constraint() == Some(events::KEYS_CONSTRAINT) {
                    Err(Failed::KeyTaken)
                } else {
                    Err(Failed::Lost)
                }
            }
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some(CLAIM_LOST) => {
                Err(Failed::Error(AppError::EmailTaken))
            }
            Err(e) => Err(Failed::Error(e.into())),
        }
    }

    /// `order` after its claimed key turned out to be recorded already: the same create for the id the
    /// earlier request recorded (bound to the key, no claim), or `KeyReused` for another request.
    async fn claimed<A: Stream>(&self, order: Order<A>) -> Result<Order<A>, AppError> {
        let claim = order
            .claim
            .as_ref()
            .ok_or_else(|| AppError::Internal("a key conflict without a key".into()))?;
        let row = idempotency::stored(self.pool(), order.meta.actor.id, &claim.key)
            .await?
            .ok_or_else(|| AppError::Internal("a recorded idempotency key is gone".into()))?;
        if row.command != claim.command || row.fingerprint != claim.fingerprint {
            return Err(AppError::KeyReused);
        }
        let command = A::retarget(&order.command, &row.aggregate_id)
            .ok_or_else(|| AppError::Internal("a keyed command that cannot be done again".into()))?;
        tracing::debug!(aggregate_id = %row.aggregate_id, "idempotency key recorded before; the create is done again");
        Ok(Order {
            id: row.aggregate_id,
            command,
            keyed: true,
            fresh: false,
            claim: None,
            ..order
        })
    }

    /// The aggregates `ids` as their events make them (those without events are absent), in one query.
    pub(super) async fn load_all<A: Aggregate>(&self, ids: &[String]) -> Result<Streams<A>, AppError> {
        fold::<A>(HashMap::new(), events::load_many(self.pool(), A::TYPE, ids).await?)
    }

    /// An aggregate as its first event made it (the first result of a create that a keyed retry
    /// answers with again); `None` when it has no events.
    pub(super) async fn load_first<A: Aggregate>(&self, id: &str) -> Result<Option<Decided<A>>, AppError> {
        let stored = events::load_after(self.pool(), A::TYPE, &[(id.to_string(), 0)]).await?;
        let first = stored.into_iter().filter(|e| e.sequence == 1).collect();
        Ok(fold::<A>(HashMap::new(), first)?.remove(id))
    }

    /// An aggregate as its events make it (the source of truth, not the read model); `None` when it
    /// has no events.
    pub(super) async fn load<A: Aggregate>(&self, id: &str) -> Result<Option<Decided<A>>, AppError> {
        let stored = events::load_many(self.pool(), A::TYPE, &[id.to_string()]).await?;
        Ok(fold::<A>(HashMap::new(), stored)?.remove(id))
    }
}

/// For each order, whether an earlier order of the batch claims the same key of the same actor.
fn repeated_claims<A: Aggregate>(orders: &[Order<A>]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    orders
        .iter()
        .map(|o| {
            o.claim
                .as_ref()
                .is_some_and(|c| !seen.insert((o.meta.actor.id, c.key.as_str())))
        })
        .collect()
}

/// What a stream shows of a keyed order's key.
enum KeySeen {
    /// An event of this actor with this key and the same fingerprint: the change was made.
    Same,
    /// The key was used by this actor for another request.
    Other,
}

/// For each keyed order, what its stream's stored events show of its key (by the same actor).
fn earlier_keys<A: Aggregate>(orders: &[Order<A>], stored: &[StoredEvent]) -> HashMap<String, KeySeen> {
    let mut seen = HashMap::new();
    for order in orders {
        let Some(check) = &order.key else { continue };
        let actor = order.meta.actor.id.to_string();
        let earlier = stored.iter().find(|e| {
            e.aggregate_id == order.id
                && e.metadata.get("idempotency_key").and_then(|v| v.as_str()) == Some(check.key.as_str())
                && e.metadata.get("actor_id").and_then(|v| v.as_str()) == Some(actor.as_str())
        });
        if let Some(e) = earlier {
            let same = e.metadata.get(FINGERPRINT).and_then(|v| v.as_str()) == Some(check.fingerprint.as_str());
            seen.insert(order.id.clone(), if same { KeySeen::Same } else { KeySeen::Other });
        }
    }
    seen
}

fn internal(e: serde_json::Error) -> Failed {
    Failed::Error(AppError::internal(e))
}

/// Each aggregate folded from its stored events onto its state in `starts` (none: from the start),
/// with its version.
fn fold<A: Aggregate>(starts: Streams<A>, stored: Vec<StoredEvent>) -> Result<Streams<A>, AppError> {
    let mut streams = starts;
    for e in stored {
        let event: A::Event = serde_json::from_value(e.payload).map_err(AppError::internal)?;
        let stream = streams.entry(e.aggregate_id).or_insert_with(Decided::empty);
        stream.aggregate.apply(event);
        stream.version = e.sequence;
    }
    Ok(streams)
}

/// An event as postgres-es stores it: the event enum as JSON, the metadata as a string map.
fn new_event<A: Aggregate>(id: &str, sequence: i64, event: &A::Event, metadata: String) -> Result<NewEvent, Failed> {
    Ok(NewEvent {
        aggregate_type: A::TYPE,
        aggregate_id: id.to_string(),
        sequence,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_string(event).map_err(internal)?,
        metadata,
    })
}
