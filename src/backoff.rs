//! `Backoff`: growing, capped delays between attempts, with one named setting per use so every retry
//! loop of the service reads the same way.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

/// Delays that start at `first`, double after each failure and stop growing at `max`; with `jitter`,
/// each delay is drawn uniformly from 1 ms up to that value. `attempts` bounds the tries, if set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub attempts: Option<u32>,
    pub jitter: bool,
}

impl Backoff {
    /// A command that lost an optimistic-concurrency race: five tries, a few jittered milliseconds apart.
    pub const CONFLICT: Backoff = Backoff {
        first: Duration::from_millis(10),
        max: Duration::from_millis(80),
        attempts: Some(5),
        jitter: true,
    };
    /// A rebuild's swap that gave way to readers holding the tables: twenty tries, up to a second apart.
    pub const SWAP: Backoff = Backoff {
        first: Duration::from_millis(50),
        max: Duration::from_secs(1),
        attempts: Some(20),
        jitter: true,
    };
    /// Reaching NATS again after the consumer failed: 500 ms, doubling, at most 15 s, forever.
    pub const NATS: Backoff = Backoff {
        first: Duration::from_millis(500),
        max: Duration::from_secs(15),
        attempts: None,
        jitter: false,
    };
    /// The event publisher after a failed batch: 200 ms, doubling, at most 10 s, forever.
    pub const PUBLISHER: Backoff = Backoff {
        first: Duration::from_millis(200),
        max: Duration::from_secs(10),
        attempts: None,
        jitter: false,
    };
    /// The projector after a failed batch: 100 ms, doubling, at most 5 s, forever.
    pub const PROJECTOR: Backoff = Backoff {
        first: Duration::from_millis(100),
        max: Duration::from_secs(5),
        attempts: None,
        jitter: false,
    };
    /// Listening for user changes again after the connection was lost (the identity cache is bypassed
    /// meanwhile): 100 ms, doubling, at most 5 s, forever.
    pub const IDENTITY_CHANNEL: Backoff = Backoff {
        first: Duration::from_millis(100),
        max: Duration::from_secs(5),
        attempts: None,
        jitter: false,
    };
    /// A NATS command that failed transiently, by delivery: 1 s, doubling, at most 30 s.
    pub const REDELIVERY: Backoff = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(30),
        attempts: None,
        jitter: false,
    };

    /// The delay after the `failures`-th failure in a row (the first failure is 1), before jitter.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// The delay to wait after the `failures`-th failure in a row.
    pub fn delay(&self, failures: u32) -> Duration {
        let ceiling = self.ceiling(failures);
        if self.jitter && ceiling > Duration::from_millis(1) {
            let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
            Duration::from_millis(rand::thread_rng().gen_range(1..=ms))
        } else {
            ceiling
        }
    }

    /// A fresh run of attempts.
    pub fn start(self) -> Attempts {
        Attempts {
            backoff: self,
            failures: 0,
        }
    }
}

/// Sleeps for `delay`; `false` when shutdown came first.
pub async fn sleep(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.cancelled() => false,
    }
}

/// One run of attempts under a `Backoff`.
#[derive(Debug, Clone)]
pub struct Attempts {
    backoff: Backoff,
    failures: u32,
}

impl Attempts {
    /// Failures so far in this run.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure: the delay before the next attempt, or `None` when no attempt is left.
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.failures = self.failures.saturating_add(1);
        match self.backoff.attempts {
            Some(n) if self.failures >= n => None,
            _ => Some(self.backoff.delay(self.failures)),
        }
    }

    /// A success: the next failure starts from the first delay again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_and_are_capped() {
        let ms: Vec<u128> = (1..=8).map(|f| Backoff::NATS.delay(f).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        assert_eq!(Backoff::REDELIVERY.delay(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jittered_delays_stay_under_their_ceiling() {
        for failures in 1..=6 {
            let d = Backoff::CONFLICT.delay(failures);
            assert!(d >= Duration::from_millis(1) && d <= Backoff::CONFLICT.ceiling(failures));
        }
    }

    #[test]
    fn a_bounded_run_gives_up_after_its_attempts_and_a_reset_starts_over() {
        let mut run = Backoff::CONFLICT.start();
        let delays: Vec<bool> = (0..5).map(|_| run.next_delay().is_some()).collect();
        assert_eq!(delays, [true, true, true, true, false]);
        run.reset();
        assert_eq!(run.failures(), 0);
        assert!(Backoff::NATS.start().next_delay().is_some());
    }
}
