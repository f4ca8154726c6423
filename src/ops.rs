//! What operators look at: readiness (Postgres reachable, NATS connected, projector and event
//! publisher not stuck), shared by `/readyz` and gRPC health, and the gauges sampled when `/metrics`
//! is scraped.

use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream;
use serde::Serialize;
use sqlx::PgPool;

use crate::metrics::Metrics;
use crate::nats::events;
use crate::nats::names::Names;
use crate::read_model::projector::CHECKPOINT;

/// Each readiness check (and each sample) is bounded by this.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Cheap to clone; shared by the HTTP and gRPC servers.
#[derive(Clone)]
pub struct Ops {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    nats: async_nats::Client,
    js: jetstream::Context,
    names: Names,
    metrics: Arc<Metrics>,
    /// The read models and `P-events` may trail the newest committed event by at most this long.
    stall: Duration,
    /// The event publisher's checkpoint.
    publisher: String,
}

/// The outcome of one readiness check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub database: bool,
    pub nats: bool,
    pub projector: bool,
    /// Age of the oldest event not yet in the read models, when the database answered.
    pub projector_lag_seconds: Option<f64>,
    /// The event publisher is not stuck: no committed event waits longer than the stall bound.
    pub publisher: bool,
    /// Age of the oldest event not yet on `P-events`, when the database answered.
    pub publisher_lag_seconds: Option<f64>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database && self.nats && self.projector && self.publisher
    }
}

/// Where the read models stand against the event store.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct Lag {
    positions: i64,
    seconds: f64,
}

impl Ops {
    pub fn new(pool: PgPool, nats: async_nats::Client, names: Names, metrics: Arc<Metrics>, stall: Duration) -> Ops {
        let js = jetstream::ContextBuilder::new()
            .timeout(CHECK_TIMEOUT)
            .build(nats.clone());
        Ops {
            inner: Arc::new(Inner {
                pool,
                nats,
                js,
                publisher: events::checkpoint(names.prefix()),
                names,
                metrics,
                stall,
            }),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Checks every dependency; never takes much longer than `CHECK_TIMEOUT`.
    pub async fn readiness(&self) -> Readiness {
        let nats = self.inner.nats.connection_state() == State::Connected;
        let (lag, published) = tokio::join!(self.lag(CHECKPOINT), self.lag(&self.inner.publisher));
        let stall = self.inner.stall.as_secs_f64();
        let readiness = Readiness {
            database: lag.is_some() && published.is_some(),
            nats,
            projector: lag.is_some_and(|l| l.seconds <= stall),
            projector_lag_seconds: lag.map(|l| l.seconds),
            publisher: published.is_some_and(|l| l.seconds <= stall),
            publisher_lag_seconds: published.map(|l| l.seconds),
        };
        let m = &self.inner.metrics;
        for (check, ok) in [
            ("database", readiness.database),
            ("nats", readiness.nats),
            ("projector", readiness.projector),
            ("publisher", readiness.publisher),
        ] {
            m.ready.with_label_values(&[check]).set(i64::from(ok));
        }
        if let Some(lag) = lag {
            m.projector_lag_positions.set(lag.positions);
            m.projector_lag_seconds.set(lag.seconds);
        }
        if let Some(lag) = published {
            m.publisher_lag_positions.set(lag.positions);
            m.publisher_lag_seconds.set(lag.seconds);
        }
        readiness
    }

    /// Samples the gauges, then renders every family.
    pub async fn scrape(&self) -> String {
        self.readiness().await;
        self.sample_consumer().await;
        let m = &self.inner.metrics;
        let pool = &self.inner.pool;
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        let open = i64::from(pool.size());
        m.pool_connections.with_label_values(&["idle"]).set(idle);
        m.pool_connections
            .with_label_values(&["in_use"])
            .set((open - idle).max(0));
        m.pool_max.set(i64::from(pool.options().get_max_connections()));
        m.render()
    }

    /// How far the feed reader with `checkpoint` (the projector, the event publisher) trails the newest
    /// committed event; from the start when it has no checkpoint yet. `None` if the database did not
    /// answer. Positions are 0 exactly when no event follows the checkpoint in feed order (transaction,
    /// then position): the last event read need not hold the highest position, since concurrent
    /// appends interleave the positions of their rows.
    async fn lag(&self, checkpoint: &str) -> Option<Lag> {
        let query = sqlx::query_as::<_, Lag>(
            "SELECT CASE WHEN e.recorded_at IS NULL THEN 0
                        ELSE greatest(coalesce((SELECT max(global_position) FROM events), 0)
                                      - coalesce(c.global_position, 0), 1) END AS positions,
                    coalesce(extract(epoch FROM clock_timestamp() - e.recorded_at)::float8, 0) AS seconds
               FROM (SELECT $1::text AS name) n
               LEFT JOIN projector_checkpoints c ON c.name = n.name
               LEFT JOIN LATERAL (
                    SELECT recorded_at FROM events
                     WHERE (transaction_id, global_position)
                           > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))
                     ORDER BY transaction_id, global_position
                     LIMIT 1) e ON true",
        )
        .bind(checkpoint)
        .fetch_one(&self.inner.pool);
        match tokio::time::timeout(CHECK_TIMEOUT, query).await {
            Ok(Ok(lag)) => Some(lag),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "readiness: the database did not answer");
                None
            }
            Err(_) => {
                tracing::debug!("readiness: the database did not answer in time");
                None
            }
        }
    }

    /// The command consumer's backlog; left as last sampled when NATS does not answer.
    async fn sample_consumer(&self) {
        let names = &self.inner.names;
        let info = async {
            let stream = self.inner.js.get_stream_no_info(names.stream()).await?;
            Ok::<_, async_nats::Error>(stream.consumer_info(names.consumer()).await?)
        };
        match tokio::time::timeout(CHECK_TIMEOUT, info).await {
            Ok(Ok(info)) => {
                let m = &self.inner.metrics;
                m.nats_pending.set(i64::try_from(info.num_pending).unwrap_or(i64::MAX));
                m.nats_ack_pending
                    .set(i64::try_from(info.num_ack_pending).unwrap_or(i64::MAX));
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "metrics: no consumer info"),
            Err(_) => tracing::debug!("metrics: consumer info timed out"),
        }
    }
}
