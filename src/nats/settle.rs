//! How a handled message is settled (acks follow outcomes), decided without I/O.

use std::time::Duration;

use super::dispatch::{Failure, Rejection};
use crate::backoff::Backoff;

/// What to do with a message once its command ran.
#[derive(Debug, PartialEq, Eq)]
pub enum Settle {
    /// The command committed (now or on an earlier delivery): ack.
    Ack(String),
    /// A final rejection: report it on `P.rejected.…`, then ack.
    Reject(Rejection),
    /// Undecodable, or retried too often: report it on `P.rejected.…`, then terminate.
    Terminate(Rejection),
    /// A transient failure: nak, to be delivered again after the delay.
    Retry(Duration, Rejection),
}

/// Settles the result of the `delivered`-th delivery (`Ok`: what it created); transient failures are
/// given up at `give_up_after`.
pub fn decide(result: Result<String, Failure>, delivered: i64, give_up_after: i64) -> Settle {
    match result {
        Ok(created) => Settle::Ack(created),
        Err(failure @ Failure::Undecodable(_)) => Settle::Terminate(failure.rejection()),
        Err(failure) if !failure.is_transient() => Settle::Reject(failure.rejection()),
        Err(failure) if delivered >= give_up_after => {
            let last = failure.rejection();
            Settle::Terminate(Rejection {
                message: format!("gave up after {delivered} deliveries: {}", last.message),
                ..last
            })
        }
        Err(failure) => Settle::Retry(retry_delay(delivered), failure.rejection()),
    }
}

/// `Backoff::REDELIVERY` by delivery: 1 s after the first, then doubling, capped at 30 s.
pub fn retry_delay(delivered: i64) -> Duration {
    Backoff::REDELIVERY.delay(u32::try_from(delivered.max(1)).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::AppError;
    use crate::domain::person::PersonError;
    use crate::nats::codec::DecodeError;

    fn unavailable() -> Result<String, Failure> {
        Err(Failure::App(
            AppError::Unavailable("database unreachable"),
            crate::wire::names::rest,
        ))
    }

    #[test]
    fn the_retry_delay_grows_with_deliveries_and_is_capped() {
        let secs: Vec<u64> = (1..=8).map(|d| retry_delay(d).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(0), Duration::from_secs(1));
        assert_eq!(retry_delay(i64::MAX), Backoff::REDELIVERY.max);
    }

    #[test]
    fn a_transient_failure_is_retried_until_the_last_delivery_then_given_up() {
        assert!(matches!(decide(unavailable(), 9, 10), Settle::Retry(d, _) if d == Backoff::REDELIVERY.max));
        match decide(unavailable(), 10, 10) {
            Settle::Terminate(r) => {
                assert_eq!(r.status, 503);
                assert!(r.message.starts_with("gave up after 10 deliveries"), "{}", r.message);
            }
            other => panic!("expected Terminate, got {other:?}"),
        }
    }

    #[test]
    fn rejections_are_acked_and_undecodable_messages_terminated() {
        let invalid = Err(Failure::App(
            PersonError::FirstNameRequired.into(),
            crate::wire::names::rest,
        ));
        assert!(matches!(decide(invalid, 1, 10), Settle::Reject(r) if r.status == 400));
        let bad = Err(Failure::Undecodable(DecodeError::Json("eof".into())));
        assert!(matches!(decide(bad, 1, 10), Settle::Terminate(r) if r.status == 400));
    }
}
