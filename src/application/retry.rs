//! Bounded retry of commands that lost an optimistic-concurrency race.

use std::future::Future;
use std::time::Duration;

use cqrs_es::AggregateError;
use rand::Rng;

/// How many times a command is tried before a conflict is reported.
pub const MAX_ATTEMPTS: u32 = 5;

/// Runs `attempt` until it does not end in `AggregateConflict`, at most `MAX_ATTEMPTS` times, with a
/// short jittered back-off in between. The last result is returned as is.
pub async fn on_conflict<E, F, Fut>(mut attempt: F) -> Result<(), AggregateError<E>>
where
    E: std::error::Error,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AggregateError<E>>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(AggregateError::AggregateConflict) if tries < MAX_ATTEMPTS => {
                let jitter = rand::thread_rng().gen_range(1..=10u64 * u64::from(tries));
                tracing::debug!(tries, "aggregate conflict, retrying");
                tokio::time::sleep(Duration::from_millis(jitter)).await;
                tries += 1;
            }
            result => return result,
        }
    }
}
