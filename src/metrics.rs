//! The service's Prometheus metrics: one registry per running service (no globals, so tests in one
//! process never share counters), the families every layer records into, and the text exposition.
//!
//! Counters and histograms are recorded where things happen (commands in the App, requests in the
//! HTTP/gRPC layers, redeliveries in the NATS consumer). Gauges that describe shared state (projector
//! lag, consumer pending, pool usage) are sampled when `/metrics` is scraped, see `ops`.

use std::time::Duration;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Latency buckets in seconds: 0.5 ms to 10 s, dense where the targets are (5–50 ms).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Batch size buckets: 1 (a lone create) to the most a batch takes.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// Every metric family of the service.
pub struct Metrics {
    registry: Registry,
    /// Commands by source (rest, grpc, nats), command name and outcome.
    pub commands: IntCounterVec,
    /// Command latency by source and command, from the App's entry to its answer.
    pub command_seconds: HistogramVec,
    /// HTTP requests by method, matched route and status code.
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    /// gRPC calls by method and status code.
    pub grpc_requests: IntCounterVec,
    pub grpc_seconds: HistogramVec,
    /// Authentications by what the identity cache answered: hit (no database read), miss (read, then
    /// kept), bypass (read; the cache is not trusted while its eviction channel is not listening).
    pub identity_cache: IntCounterVec,
    /// Streams loaded to decide a command, by whether this instance kept their state (hit: only the
    /// events after it are read) or not (miss: the whole stream is read).
    pub kept_streams: IntCounterVec,
    /// Single person creates taken together by one batch (group commit: one commit), per batch.
    pub gathered_creates: Histogram,
    /// Changes of CRM contacts taken together by one batch, per batch and aggregate type.
    pub gathered_changes: HistogramVec,
    /// JetStream deliveries of commands that were not the first delivery.
    pub nats_redeliveries: IntCounter,
    /// Pull requests taken as ended without the server's timeout status (issue 18).
    pub nats_silent_pulls: IntCounter,
    /// Commands waiting in the durable consumer (sampled).
    pub nats_pending: IntGauge,
    /// Commands delivered but not yet acknowledged (sampled).
    pub nats_ack_pending: IntGauge,
    /// Events committed but not yet applied to the read models (sampled; positions, gaps included).
    pub projector_lag_positions: IntGauge,
    /// Age of the oldest event not yet applied to the read models (sampled; 0 when caught up).
    pub projector_lag_seconds: Gauge,
    /// Events the publisher passed to `P-events`, by outcome (published, thin, skipped).
    pub published_events: IntCounterVec,
    /// Events committed but not yet on `P-events` (sampled; positions, gaps included).
    pub publisher_lag_positions: IntGauge,
    /// Age of the oldest committed event not yet on `P-events` (sampled; 0 when caught up).
    pub publisher_lag_seconds: Gauge,
    /// Database pool connections by state (idle, in_use) and the configured maximum (sampled).
    pub pool_connections: IntGaugeVec,
    pub pool_max: IntGauge,
    /// 1 when the dependency named by `check` is fine at the last readiness check, else 0.
    pub ready: IntGaugeVec,
}

fn registered<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique and valid");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    registered(
        registry,
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter"),
    )
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
    registered(registry, HistogramVec::new(opts, labels).expect("valid histogram"))
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    registered(registry, IntGauge::new(name, help).expect("valid gauge"))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("rollcall".into()), None).expect("valid prefix");
        Metrics {
            commands: counter(
                &r,
                "commands_total",
                "Commands handled, by source, command and outcome.",
                &["source", "command", "outcome"],
            ),
            command_seconds: histogram(
                &r,
                "command_duration_seconds",
                "Time from a command's arrival in the application to its answer.",
                &["source", "command"],
            ),
            http_requests: counter(
                &r,
                "http_requests_total",
                "HTTP requests, by method, route and status.",
                &["method", "route", "status"],
            ),
            http_seconds: histogram(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency, by method and route.",
                &["method", "route"],
            ),
            grpc_requests: counter(
                &r,
                "grpc_requests_total",
                "gRPC calls, by method and status code.",
                &["method", "code"],
            ),
            grpc_seconds: histogram(
                &r,
                "grpc_request_duration_seconds",
                "gRPC call latency, by method.",
                &["method"],
            ),
            identity_cache: counter(
                &r,
                "identity_cache_total",
                "Authentications by the identity cache's answer: hit, miss or bypass.",
                &["outcome"],
            ),
            kept_streams: counter(
                &r,
                "kept_streams_total",
                "Streams loaded to decide a command, by whether their state was kept: hit or miss.",
                &["outcome"],
            ),
            gathered_creates: registered(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "gathered_creates",
                        "Person creates of REST and gRPC callers taken together by one batch (one statement, one commit).",
                    )
                    .buckets(BATCH_BUCKETS.to_vec()),
                )
                .expect("valid histogram"),
            ),
            gathered_changes: registered(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "gathered_changes",
                        "Changes of CRM persons or companies taken together by one batch (one statement, one commit).",
                    )
                    .buckets(BATCH_BUCKETS.to_vec()),
                    &["aggregate"],
                )
                .expect("valid histogram"),
            ),
            nats_redeliveries: registered(
                &r,
                IntCounter::new(
                    "nats_redeliveries_total",
                    "Command messages received again after an earlier delivery.",
                )
                .expect("valid counter"),
            ),
            nats_silent_pulls: registered(
                &r,
                IntCounter::new(
                    "nats_silent_pulls_total",
                    "Command pull requests taken as ended because the server stayed silent past their expiry.",
                )
                .expect("valid counter"),
            ),
            nats_pending: gauge(
                &r,
                "nats_consumer_pending",
                "Commands not yet delivered by the durable consumer.",
            ),
            nats_ack_pending: gauge(
                &r,
                "nats_consumer_ack_pending",
                "Commands delivered but not yet acknowledged.",
            ),
            projector_lag_positions: gauge(
                &r,
                "projector_lag_positions",
                "Global positions committed beyond the read models' checkpoint.",
            ),
            projector_lag_seconds: registered(
                &r,
                Gauge::new(
                    "projector_lag_seconds",
                    "Age of the oldest committed event not yet in the read models.",
                )
                .expect("valid gauge"),
            ),
            published_events: counter(
                &r,
                "events_published_total",
                "Events passed to the events stream, by outcome: published, thin (too large, sent without data and metadata), skipped (too large even thin).",
                &["outcome"],
            ),
            publisher_lag_positions: gauge(
                &r,
                "publisher_lag_positions",
                "Global positions committed beyond the event publisher's checkpoint.",
            ),
            publisher_lag_seconds: registered(
                &r,
                Gauge::new(
                    "publisher_lag_seconds",
                    "Age of the oldest committed event not yet published to the events stream.",
                )
                .expect("valid gauge"),
            ),
            pool_connections: registered(
                &r,
                IntGaugeVec::new(
                    Opts::new("db_pool_connections", "Database pool connections, by state."),
                    &["state"],
                )
                .expect("valid gauge"),
            ),
            pool_max: gauge(&r, "db_pool_max_connections", "The database pool's maximum size."),
            ready: registered(
                &r,
                IntGaugeVec::new(
                    Opts::new("ready", "1 when the dependency passed the last readiness check."),
                    &["check"],
                )
                .expect("valid gauge"),
            ),
            registry: r,
        }
    }

    /// Records one command's outcome and latency.
    pub fn command(&self, source: &str, command: &str, outcome: &str, elapsed: Duration) {
        self.commands.with_label_values(&[source, command, outcome]).inc();
        self.command_seconds
            .with_label_values(&[source, command])
            .observe(elapsed.as_secs_f64());
    }

    /// Records one HTTP request; `method` is labelled by [`http_method`], never as sent.
    pub fn http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = http_method(method);
        self.http_requests
            .with_label_values(&[method, route, status.to_string().as_str()])
            .inc();
        self.http_seconds
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// Records one gRPC call.
    pub fn grpc(&self, method: &str, code: &str, elapsed: Duration) {
        self.grpc_requests.with_label_values(&[method, code]).inc();
        self.grpc_seconds
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition (format 0.0.4) of every family.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The label of an HTTP method: one of the standard methods (RFC 9110, plus PATCH), else `other`.
/// Clients choose the method, so it may never become a label value as sent (any token is a valid
/// method, and each distinct one would be a new time series).
pub fn http_method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

/// The exposition's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_commands_appear_in_the_exposition_with_their_labels() {
        let m = Metrics::new();
        m.command("rest", "crm.person.create", "created", Duration::from_millis(7));
        m.command("rest", "crm.person.create", "created", Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains("# TYPE rollcall_commands_total counter"), "{text}");
        assert!(
            text.contains(r#"rollcall_commands_total{command="crm.person.create",outcome="created",source="rest"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"rollcall_command_duration_seconds_bucket{command="crm.person.create",source="rest",le="0.01"} 1"#
            ),
            "{text}"
        );
    }

    #[test]
    fn http_methods_are_labelled_from_a_fixed_set() {
        let m = Metrics::new();
        for method in ["GET", "FOOBAR", "get", &"X".repeat(8000), "PROPFIND"] {
            m.http(method, "unmatched", 405, Duration::from_millis(1));
        }
        let text = m.render();
        assert!(text.contains(r#"rollcall_http_requests_total{method="GET",route="unmatched",status="405"} 1"#));
        assert!(text.contains(r#"rollcall_http_requests_total{method="other",route="unmatched",status="405"} 4"#));
        assert!(
            !text.contains("FOOBAR") && !text.contains("XXX") && !text.contains("PROPFIND"),
            "{text}"
        );
    }

    #[test]
    fn identity_cache_answers_are_counted_by_outcome() {
        let m = Metrics::new();
        m.identity_cache.with_label_values(&["hit"]).inc();
        m.identity_cache.with_label_values(&["hit"]).inc();
        m.identity_cache.with_label_values(&["bypass"]).inc();
        let text = m.render();
        assert!(
            text.contains(r#"rollcall_identity_cache_total{outcome="hit"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"rollcall_identity_cache_total{outcome="bypass"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn two_registries_do_not_share_counts() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.nats_redeliveries.inc();
        assert_eq!(a.nats_redeliveries.get(), 1);
        assert_eq!(b.nats_redeliveries.get(), 0);
    }
}
