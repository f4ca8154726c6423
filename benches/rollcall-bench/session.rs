//! Logging in, the person every scenario creates, and the closed-loop driver of gRPC and REST.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::stats::{self, Outcome};

/// Job title and description of every benchmark person: the seed's shape, a realistic size.
pub const JOB_TITLE: &str = "Programmer";
pub const ABOUT: &str = "Benchmark contact created by rollcall-bench; about as long as a short CRM note.";

/// Logs in as the admin and returns the token.
pub async fn login(http_url: &str, email: &str, password: &str) -> Result<String, String> {
    let url = format!("{http_url}/api/2.0/authentication");
    let res = reqwest::Client::new()
        .post(&url)
        .json(&json!({"userName": email, "password": password}))
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| format!("POST {url}: {e}"))?;
    body["response"]["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("POST {url}: {status} {body}"))
}

/// How long [`quiet`] waits for the service to catch up before going on regardless.
const QUIET_LIMIT: Duration = Duration::from_secs(300);

/// Waits until the service's projector and event publisher have applied every committed event (their
/// lag gauges at `/metrics` read 0), so that a scenario does not share the cores with the catching up
/// after the one before; how long that took. Gives up (and says so) after [`QUIET_LIMIT`].
pub async fn quiet(http_url: &str) -> Result<Duration, String> {
    let url = format!("{http_url}/metrics");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let text = client
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("GET {url}: {e}"))?
            .text()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let lag = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
                .unwrap_or(f64::MAX)
        };
        let behind = lag("rollcall_projector_lag_positions ").max(lag("rollcall_publisher_lag_positions "));
        if behind == 0.0 {
            return Ok(started.elapsed());
        }
        if started.elapsed() > QUIET_LIMIT {
            return Err(format!("still {behind} positions behind after {QUIET_LIMIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The REST/NATS JSON body of a person, as the seed shows it.
pub fn person_json(first_name: &str, last_name: &str) -> Value {
    json!({
        "firstName": first_name,
        "lastName": last_name,
        "jobTitle": JOB_TITLE,
        "about": ABOUT,
        "shareType": "none",
    })
}

/// What one closed-loop client measured.
#[derive(Default)]
pub struct ClientTally {
    pub latencies: Vec<Duration>,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// Runs `clients` clients (cheap handles to one connection each), each calling `call(client, i)` back to back for `duration`, all starting
/// together once every client is ready, and folds their tallies into `outcome`.
pub async fn closed_loop<C, F, Fut>(
    clients: Vec<C>,
    duration: Duration,
    call: F,
    mut outcome: Outcome,
    pid: Option<u32>,
) -> Outcome
where
    C: Clone + Send + 'static,
    F: Fn(C, u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let barrier = Arc::new(Barrier::new(clients.len() + 1));
    let mut handles = Vec::new();
    for (n, client) in clients.into_iter().enumerate() {
        let barrier = barrier.clone();
        let call = call.clone();
        handles.push(tokio::spawn(async move {
            let mut tally = ClientTally::default();
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            let mut i = (n as u64) << 32;
            while Instant::now() < deadline {
                let t = Instant::now();
                match call(client.clone(), i).await {
                    Ok(()) => tally.latencies.push(t.elapsed()),
                    Err(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert(e);
                    }
                }
                i += 1;
            }
            tally
        }));
    }
    if let Some(pid) = pid {
        stats::reset_peak_rss(pid);
    }
    barrier.wait().await;
    let start = Instant::now();
    let mut latencies = Vec::new();
    for h in handles {
        match h.await {
            Ok(t) => {
                latencies.extend(t.latencies);
                outcome.errors += t.errors;
                if outcome.note.is_empty()
                    && let Some(e) = t.first_error
                {
                    outcome.note = format!("first error: {e}");
                }
            }
            Err(e) => outcome.note = format!("client panicked: {e}"),
        }
    }
    let elapsed = start.elapsed();
    outcome.ok = latencies.len() as u64;
    outcome.rate = outcome.ok as f64 / elapsed.as_secs_f64();
    outcome.latency = stats::percentiles(&mut latencies);
    outcome.peak_rss_kib = pid.and_then(stats::peak_rss_kib);
    outcome
}

/// Creates one person over REST (201 expected).
pub async fn create_person_rest(http_url: &str, token: &str, last_name: &str) -> Result<(), String> {
    let url = format!("{http_url}/api/2.0/crm/contact/person");
    let res = reqwest::Client::new()
        .post(&url)
        .header("Authorization", format!("Bearer {token}"))
        .json(&person_json("Bench", last_name))
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    match res.status().as_u16() {
        201 => Ok(()),
        s => Err(format!("POST {url}: {s} {}", res.text().await.unwrap_or_default())),
    }
}
