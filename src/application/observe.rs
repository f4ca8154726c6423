//! Every command's outcome and latency, recorded in the service's metrics by source and command.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{App, AppError, RequestMeta, Source};
use crate::metrics::Metrics;

impl App {
    /// The service's metrics (shared with the HTTP and gRPC layers and `/metrics`).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.inner.metrics.clone()
    }

    /// Runs `work` and records its outcome (`created` or the error's kind) and how long it took.
    pub(super) async fn observed<T>(
        &self,
        meta: &RequestMeta,
        command: &'static str,
        work: impl Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        let started = Instant::now();
        let result = work.await;
        let outcome = outcome(command, &result);
        self.inner
            .metrics
            .command(meta.source.as_str(), command, outcome, started.elapsed());
        result
    }

    /// Records the outcomes of commands that ran together (a batch), each with the batch's latency.
    pub(super) fn observed_all<T>(
        &self,
        command: &'static str,
        sources: &[Source],
        results: &[Result<T, AppError>],
        elapsed: Duration,
    ) {
        for (source, result) in sources.iter().zip(results) {
            self.inner
                .metrics
                .command(source.as_str(), command, outcome(command, result), elapsed);
        }
    }
}

/// `created` for a create that succeeded, `changed` for any other command, else the error's kind.
fn outcome<T>(command: &str, result: &Result<T, AppError>) -> &'static str {
    match result {
        Ok(_) if command.ends_with(".create") => "created",
        Ok(_) => "changed",
        Err(e) => e.outcome(),
    }
}
