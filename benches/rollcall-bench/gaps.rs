//! The longest time commands waited while none was handled, read from the event feed: every event
//! row records when its append ran (`recorded_at`, the transaction's start, so one time per batch). A
//! window starts when its commands were published; its gaps are the differences between its start
//! and the append times of the commands it saw, in order. A stalled ingestion (a pull that never
//! ends, a consumer that waits out a timer) shows as one long gap with commands waiting.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;

/// The database's clock now (the service's `recorded_at` comes from it).
pub async fn db_now(pool: &PgPool) -> Result<DateTime<Utc>, String> {
    sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(pool)
        .await
        .map_err(|e| format!("clock_timestamp: {e}"))
}

/// The highest global position so far: the events after it are this scenario's.
pub async fn last_position(pool: &PgPool) -> Result<i64, String> {
    sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(pool)
        .await
        .map_err(|e| format!("max(global_position): {e}"))
}

/// The longest gap and where it was.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    pub longest: Duration,
    /// Which window (0-based) it was in.
    pub window: usize,
    /// How long after that window's start the gap ended.
    pub ended_after: Duration,
    /// Distinct append times seen (batches), over every window.
    pub appends: usize,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "longest gap between handled commands {:.0} ms (window {}, ended {:.2} s after its start; {} appends)",
            self.longest.as_secs_f64() * 1000.0,
            self.window + 1,
            self.ended_after.as_secs_f64(),
            self.appends
        )
    }
}

/// The append times of the PersonCreated events after `after`, oldest first.
pub async fn append_times(pool: &PgPool, after: i64) -> Result<Vec<DateTime<Utc>>, String> {
    sqlx::query_scalar(
        "SELECT DISTINCT recorded_at FROM events
          WHERE global_position > $1 AND event_type = 'PersonCreated' ORDER BY recorded_at",
    )
    .bind(after)
    .fetch_all(pool)
    .await
    .map_err(|e| format!("append times: {e}"))
}

/// The longest gap over `windows` (each a start time; a window ends where the next starts), given the
/// append times. `None` without any append.
pub fn longest(windows: &[DateTime<Utc>], appends: &[DateTime<Utc>]) -> Option<Gap> {
    let mut best: Option<Gap> = None;
    for (w, start) in windows.iter().enumerate() {
        let end = windows.get(w + 1);
        let mut last = *start;
        for t in appends.iter().filter(|t| *t >= start && end.is_none_or(|e| *t < e)) {
            let gap = (*t - last).to_std().unwrap_or_default();
            if best.is_none_or(|b| gap > b.longest) {
                best = Some(Gap {
                    longest: gap,
                    window: w,
                    ended_after: (*t - *start).to_std().unwrap_or_default(),
                    appends: 0,
                });
            }
            last = *t;
        }
    }
    best.map(|b| Gap {
        appends: appends.len(),
        ..b
    })
}
