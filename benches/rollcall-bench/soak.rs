//! Soak (issue 14): `--soak-secs` (600; quick 60) of mixed traffic from `--soak-clients` workers, as a
//! long afternoon of use and probing would send it: creates (REST, gRPC, NATS, users with a password),
//! reads (gets and lists over REST and gRPC, logins) and rejected input (control characters, malformed
//! JSON, large and oversized bodies, made-up methods, bad tokens and passwords, half-sent requests,
//! invalid NATS commands). The service's RSS is sampled every 250 ms: the row reports it at the start
//! (before the load), its peak, and at the end (once the load has stopped and the event publisher has
//! caught up), with the publisher's lag then, in events. Done when end − start ≤ 30 MiB and lag = 0.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::{CreatePersonRequest, ListPersonsRequest};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::nats;
use crate::session::person_json;
use crate::stats::{self, Outcome};

pub struct Soak<'a> {
    pub http_url: &'a str,
    pub grpc_url: &'a str,
    pub nats_url: &'a str,
    pub prefix: &'a str,
    pub token: &'a str,
    pub tag: &'a str,
    pub duration: Duration,
    pub clients: usize,
    pub pid: Option<u32>,
}

/// Current RSS (`VmRSS`) of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Events committed but not yet published to `P-events` (the publisher's checkpoint is per prefix).
async fn publisher_lag(pool: &PgPool, prefix: &str) -> Result<i64, String> {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE global_position > \
         coalesce((SELECT global_position FROM projector_checkpoints WHERE name = $1), 0)",
    )
    .bind(format!("nats_events:{prefix}"))
    .fetch_one(pool)
    .await
    .map_err(|e| format!("publisher lag: {e}"))
}

/// What every worker shares.
struct Shared {
    http: reqwest::Client,
    /// A client that opens a connection per request (for requests the service may close it after).
    unpooled: reqwest::Client,
    http_url: String,
    http_addr: String,
    grpc: PersonServiceClient<Channel>,
    bearer: MetadataValue<tonic::metadata::Ascii>,
    js: async_nats::jetstream::Context,
    subject: String,
    token: String,
    tag: String,
    /// The last person id a create answered (what reads ask for).
    last_id: AtomicI64,
    stop: AtomicBool,
}

/// One operation of the mix; `Ok` when the service answered as it should.
async fn step(s: &Shared, op: u64, i: u64) -> Result<(), String> {
    let person = || s.http.post(format!("{}/api/2.0/crm/contact/person", s.http_url));
    let auth = format!("Bearer {}", s.token);
    let expect = |res: reqwest::Response, code: u16| async move {
        let status = res.status().as_u16();
        let body = res.bytes().await.map_err(|e| e.to_string())?;
        if status == code {
            Ok(body)
        } else {
            Err(format!(
                "expected {code}, got {status}: {}",
                String::from_utf8_lossy(&body)
            ))
        }
    };
    let send = |r: reqwest::RequestBuilder| async move { r.send().await.map_err(|e| e.to_string()) };
    let name = format!("{}-s{i}", s.tag);
    match op % 16 {
        // Creates.
        0 => {
            let res = send(
                person()
                    .header("Authorization", &auth)
                    .json(&person_json("Soak", &name)),
            )
            .await?;
            let body: Value = serde_json::from_slice(&expect(res, 201).await?).map_err(|e| e.to_string())?;
            if let Some(id) = body["response"]["id"].as_i64() {
                s.last_id.store(id, Ordering::Relaxed);
            }
            Ok(())
        }
        1 => {
            let mut req = tonic::Request::new(CreatePersonRequest {
                first_name: Some("Soak".into()),
                last_name: Some(name),
                ..Default::default()
            });
            req.metadata_mut().insert("authorization", s.bearer.clone());
            s.grpc
                .clone()
                .create_person(req)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        2 => {
            let ack = nats::publish(&s.js, &s.subject, &s.token, &name, &name).await?;
            ack.await.map(drop).map_err(|e| e.to_string())
        }
        3 => {
            // A user with a password: argon2id, the largest allocation the service makes.
            let body = json!({"email": format!("{name}@soak.example"), "firstname": "Soak", "lastname": name,
                              "password": "soak-password-1"});
            let res = send(
                s.http
                    .post(format!("{}/api/2.0/people", s.http_url))
                    .header("Authorization", &auth)
                    .json(&body),
            )
            .await?;
            expect(res, 201).await.map(drop)
        }
        // Reads.
        4 => {
            let id = s.last_id.load(Ordering::Relaxed).max(1);
            let res = send(
                s.http
                    .get(format!("{}/api/2.0/crm/contact/{id}", s.http_url))
                    .header("Authorization", &auth),
            )
            .await?;
            let status = res.status().as_u16();
            res.bytes().await.map_err(|e| e.to_string())?;
            // Before the first create answered, the id may not exist yet.
            if status == 200 || status == 404 {
                Ok(())
            } else {
                Err(format!("get contact: {status}"))
            }
        }
        5 => {
            let url = format!(
                "{}/api/2.0/crm/contact/filter?filterValue=soak&count=25&sortBy=lastName",
                s.http_url
            );
            expect(send(s.http.get(url).header("Authorization", &auth)).await?, 200)
                .await
                .map(drop)
        }
        6 => {
            let url = format!("{}/api/2.0/people/filter.xml?count=25", s.http_url);
            expect(send(s.http.get(url).header("Authorization", &auth)).await?, 200)
                .await
                .map(drop)
        }
        7 => {
            let mut req = tonic::Request::new(ListPersonsRequest {
                count: Some(25),
                filter_value: Some("soak".into()),
                ..Default::default()
            });
            req.metadata_mut().insert("authorization", s.bearer.clone());
            s.grpc
                .clone()
                .list_persons(req)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        8 => {
            // A wrong password: verified as expensively as a right one.
            let body = json!({"userName": format!("{}-nobody@soak.example", s.tag), "password": "wrong-password"});
            let res = send(
                s.http
                    .post(format!("{}/api/2.0/authentication", s.http_url))
                    .json(&body),
            )
            .await?;
            expect(res, 401).await.map(drop)
        }
        // Rejected input.
        9 => {
            let res = send(
                person()
                    .header("Authorization", &auth)
                    .json(&json!({"firstName": "A\u{0}"})),
            )
            .await?;
            expect(res, 400).await.map(drop)
        }
        10 => {
            let res = send(
                person()
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .body("{\"firstName\": [1, 2"),
            )
            .await?;
            expect(res, 400).await.map(drop)
        }
        11 => {
            // Large bodies: one under the limit with an over-long field, one over the limit.
            // On connections of their own: the service closes one whose body it did not read (413),
            // and a pooled connection closed under the client would fail the next request on it.
            let about = "x".repeat(if i.is_multiple_of(2) { 900 * 1024 } else { 1100 * 1024 });
            let url = format!("{}/api/2.0/crm/contact/person", s.http_url);
            let request = s
                .unpooled
                .post(url)
                .header("Authorization", &auth)
                .json(&json!({"firstName": "A", "about": about}));
            let res = send(request).await?;
            expect(res, if i.is_multiple_of(2) { 400 } else { 413 }).await.map(drop)
        }
        12 => {
            let method =
                reqwest::Method::from_bytes(format!("PROBE{}", i % 1000).as_bytes()).map_err(|e| e.to_string())?;
            let res = send(s.http.request(method, format!("{}/api/2.0/people", s.http_url))).await?;
            if res.status().is_client_error() {
                Ok(())
            } else {
                Err(format!("made-up method: {}", res.status()))
            }
        }
        13 => {
            let res = send(
                s.http
                    .get(format!("{}/api/2.0/people/@self", s.http_url))
                    .header("Authorization", "Bearer v1.forged.token"),
            )
            .await?;
            expect(res, 401).await.map(drop)
        }
        14 => {
            // Half a request, then the client goes away.
            let mut tcp = tokio::net::TcpStream::connect(&s.http_addr)
                .await
                .map_err(|e| e.to_string())?;
            tcp.write_all(
                b"POST /api/2.0/crm/contact/person HTTP/1.1\r\nHost: soak\r\nContent-Length: 500\r\n\r\n{\"first",
            )
            .await
            .map_err(|e| e.to_string())
        }
        _ => {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Authorization", auth.as_str());
            headers.insert("Nats-Msg-Id", format!("{name}-bad").as_str());
            let body =
                serde_json::to_vec(&json!({"firstName": "A\u{0}", "companyId": 0})).map_err(|e| e.to_string())?;
            let ack =
                s.js.publish_with_headers(s.subject.clone(), headers, body.into())
                    .await
                    .map_err(|e| e.to_string())?;
            ack.await.map(drop).map_err(|e| e.to_string())
        }
    }
}

pub async fn run(cfg: Soak<'_>, pool: &PgPool) -> Result<Outcome, String> {
    let pid = cfg
        .pid
        .ok_or("the soak needs the service's pid (--pid) to read its RSS")?;
    let grpc = Endpoint::from_shared(cfg.grpc_url.to_string())
        .map_err(|e| format!("{}: {e}", cfg.grpc_url))?
        .connect()
        .await
        .map_err(|e| format!("connect {}: {e}", cfg.grpc_url))?;
    let (_client, js) = nats::connect(cfg.nats_url, 256).await?;
    let shared = Arc::new(Shared {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(cfg.clients)
            .build()
            .map_err(|e| e.to_string())?,
        unpooled: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| e.to_string())?,
        http_url: cfg.http_url.to_string(),
        http_addr: cfg
            .http_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string(),
        grpc: PersonServiceClient::new(grpc),
        bearer: format!("Bearer {}", cfg.token)
            .parse()
            .map_err(|e| format!("token as metadata: {e}"))?,
        js,
        subject: nats::subject(cfg.prefix),
        token: cfg.token.to_string(),
        tag: cfg.tag.to_string(),
        last_id: AtomicI64::new(0),
        stop: AtomicBool::new(false),
    });

    let start_kib = rss_kib(pid).ok_or("cannot read the service's RSS")?;
    let peak = Arc::new(AtomicU64::new(start_kib));
    let sampler = {
        let (peak, shared) = (peak.clone(), shared.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !shared.stop.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                    samples.push(kib);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            samples
        })
    };
    let started = Instant::now();
    let ops = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for n in 0..cfg.clients {
        let (shared, ops, duration) = (shared.clone(), ops.clone(), cfg.duration);
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            let mut i = (n as u64) << 32;
            while started.elapsed() < duration {
                // Each worker walks the whole mix, starting at a different place.
                let op = ops.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                match step(&shared, op, i).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(format!("op {}: {e}", op % 16));
                    }
                }
                i += 1;
            }
            (latencies, errors, first_error)
        }));
    }
    let mut outcome = Outcome::new(
        format!(
            "soak: mixed traffic, {} clients, {} s",
            cfg.clients,
            cfg.duration.as_secs()
        ),
        "requests/s",
    );
    let mut latencies = Vec::new();
    for w in workers {
        let (l, e, first) = w.await.map_err(|e| format!("soak worker: {e}"))?;
        latencies.extend(l);
        outcome.errors += e;
        if outcome.note.is_empty()
            && let Some(f) = first
        {
            outcome.note = format!("first unexpected answer: {f}; ");
        }
    }
    let load_secs = started.elapsed().as_secs_f64();

    // The end: once the publisher has caught up (bounded), a second for in-flight work to settle.
    let caught_up = Instant::now();
    let mut lag = publisher_lag(pool, cfg.prefix).await?;
    while lag > 0 && caught_up.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        lag = publisher_lag(pool, cfg.prefix).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let end_kib = rss_kib(pid).ok_or("cannot read the service's RSS")?;
    shared.stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.map_err(|e| e.to_string())?;
    let peak_kib = peak.load(Ordering::Relaxed).max(end_kib);

    outcome.ok = latencies.len() as u64;
    outcome.rate = outcome.ok as f64 / load_secs;
    outcome.latency = stats::percentiles(&mut latencies);
    outcome.peak_rss_kib = Some(peak_kib);
    let grown = mib(end_kib) - mib(start_kib);
    outcome.target = "end − start ≤ 30 MiB, lag 0";
    outcome.note.push_str(&format!(
        "RSS start {:.1} MiB, peak {:.1} MiB, end {:.1} MiB ({grown:+.1} MiB), {} samples; publisher lag at the end: {lag} \
         events; {}",
        mib(start_kib),
        mib(peak_kib),
        mib(end_kib),
        samples.len(),
        if grown <= 30.0 && lag == 0 { "PASS" } else { "FAIL" }
    ));
    Ok(outcome)
}
