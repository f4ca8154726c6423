//! Growing delays between attempts to reach NATS again, cut short by shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// 500 ms after the first failure, doubling, at most 15 s.
pub fn delay(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(5);
    Duration::from_millis(500 * (1u64 << exponent)).min(Duration::from_secs(15))
}

/// Sleeps for `delay`; `false` when shutdown came first.
pub async fn sleep(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.cancelled() => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_is_capped() {
        let ms: Vec<u128> = (1..=8).map(|f| delay(f).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    }
}
