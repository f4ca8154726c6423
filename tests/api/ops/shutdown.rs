//! SIGTERM in the middle of a burst of REST and gRPC creates: the binary stops accepting, answers
//! every request it accepted, and exits 0. "Accepted" is judged by the event store: every person that
//! exists was answered to its client with 201 / OK; none was created behind a dropped connection.
//! Every answer the server gives is a success: a 500 / 503 or a gRPC status from the server (say, a
//! pool closed before the requests drained) fails the test; only a refused or closed connection after
//! the signal counts as "not accepted".

use std::collections::BTreeSet;
use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rollcall::grpc::pb::CreatePersonRequest;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use secrecy::ExposeSecret;
use serde_json::json;
use tokio::task::JoinSet;

use crate::grpc::{authed, channel};
use crate::helpers::binary::{self, Cleanup};
use crate::helpers::{CLIENT_TIMEOUT, eventually, test_settings};

const REST_WORKERS: usize = 24;
const GRPC_WORKERS: usize = 8;
/// Answers seen before the signal is sent, so the burst is well under way.
const WARM_UP: usize = 60;

/// What the clients saw: names answered with a create, and answers that came after SIGTERM was sent.
#[derive(Default)]
struct Seen {
    created: std::sync::Mutex<BTreeSet<String>>,
    after_signal: AtomicUsize,
    answers: AtomicUsize,
}

impl Seen {
    fn answered(&self, name: Option<String>, signalled: &AtomicBool) {
        if let Some(name) = name {
            self.created.lock().unwrap().insert(name);
        }
        self.answers.fetch_add(1, Ordering::SeqCst);
        if signalled.load(Ordering::SeqCst) {
            self.after_signal.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_answers_every_accepted_request_and_exits_zero() {
    let (settings, _) = test_settings();
    let _cleanup = Cleanup(settings.clone());
    let mut served = binary::serve(&settings).await;
    let base = format!("http://{}", served.http_addr);
    let token = crate::helpers::rest_owner_token(served.http_addr).await;

    let seen = Arc::new(Seen::default());
    let signalled = Arc::new(AtomicBool::new(false));
    let mut workers = JoinSet::new();
    for w in 0..REST_WORKERS {
        let (seen, signalled, token, base) = (seen.clone(), signalled.clone(), token.clone(), base.clone());
        workers.spawn(async move {
            // A connection per request: a refused connection then means "not accepted".
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(CLIENT_TIMEOUT)
                .build()
                .unwrap();
            for i in 0.. {
                let name = format!("rest-{w}-{i}");
                let sent = client
                    .post(format!("{base}/api/2.0/crm/contact/person"))
                    .header("Authorization", &token)
                    .json(&json!({"firstName": name, "lastName": "Burst"}))
                    .send()
                    .await;
                match sent {
                    Ok(res) => {
                        let status = res.status();
                        let body = res.text().await;
                        assert!(body.is_ok(), "{name}: the answer was cut off");
                        assert_eq!(status, 201, "{name} was accepted and failed: {body:?}");
                        seen.answered(Some(name), &signalled);
                    }
                    Err(_) if signalled.load(Ordering::SeqCst) => return,
                    Err(e) => panic!("{name} failed before the signal: {e}"),
                }
            }
        });
    }
    let grpc = channel(served.grpc_addr).await;
    for w in 0..GRPC_WORKERS {
        let (seen, signalled, token) = (seen.clone(), signalled.clone(), token.clone());
        let mut client = PersonServiceClient::new(grpc.clone());
        workers.spawn(async move {
            for i in 0.. {
                let name = format!("grpc-{w}-{i}");
                let request = CreatePersonRequest {
                    first_name: Some(name.clone()),
                    last_name: Some("Burst".into()),
                    ..Default::default()
                };
                match client.create_person(authed(request, &token)).await {
                    Ok(_) => seen.answered(Some(name), &signalled),
                    // Refused by the transport after the stop began (GOAWAY, connection gone): the
                    // status was made by the client, not sent by the server, and nothing was created.
                    Err(status) if signalled.load(Ordering::SeqCst) && status.source().is_some() => return,
                    Err(status) => panic!("{name} was answered with an error: {status:?}"),
                }
            }
        });
    }

    let warm = eventually(Duration::from_secs(60), || async {
        (seen.answers.load(Ordering::SeqCst) >= WARM_UP).then_some(())
    })
    .await;
    assert!(warm.is_some(), "the burst never got going");
    signalled.store(true, Ordering::SeqCst);
    let status = served.terminate().await;
    let stopped = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(joined) = workers.join_next().await {
            joined.expect("a client saw a request accepted but not answered");
        }
    })
    .await;
    assert!(stopped.is_ok(), "clients still running after the service stopped");
    assert_eq!(status.code(), Some(0), "exit code after SIGTERM");
    assert!(
        seen.after_signal.load(Ordering::SeqCst) > 0,
        "requests were in flight when SIGTERM came"
    );

    let pool = sqlx::PgPool::connect(settings.database.url.expose_secret())
        .await
        .unwrap();
    let stored: BTreeSet<String> = sqlx::query_scalar(
        "SELECT payload->'PersonCreated'->>'first_name' FROM events WHERE event_type = 'PersonCreated'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    pool.close().await;
    let answered = seen.created.lock().unwrap().clone();
    let unanswered: Vec<_> = stored.difference(&answered).collect();
    assert!(unanswered.is_empty(), "created but never answered: {unanswered:?}");
    assert_eq!(stored, answered, "every answered create is stored");
    let log = served.log().join("\n");
    assert!(log.contains("rollcall stopped"), "{log}");
}

#[tokio::test]
async fn once_sigterm_came_a_new_client_is_refused_while_a_request_in_flight_is_still_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (settings, _) = test_settings();
    let _cleanup = Cleanup(settings.clone());
    let mut served = binary::serve(&settings).await;
    let addr = served.http_addr;
    let token = crate::helpers::rest_owner_token(addr).await;
    let body = json!({"firstName": "Late", "lastName": "Arrival"}).to_string();
    let mut in_flight = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/2.0/crm/contact/person HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    // "100 Continue" comes once the handler reads the body: the request is in flight.
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(10), in_flight.read_exact(&mut interim))
        .await
        .expect("100 Continue")
        .unwrap();
    assert!(interim.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"), "{interim:?}");

    let client = async {
        // A new connection is refused, not left waiting in the listen backlog (bounded poll).
        let refused = eventually(Duration::from_secs(10), || async {
            match tokio::net::TcpStream::connect(addr).await {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(()),
                _ => None,
            }
        })
        .await;
        // The request in flight is finished and answered all the same.
        in_flight.write_all(body.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(10), in_flight.read_to_string(&mut answer))
            .await
            .expect("answered")
            .unwrap();
        (refused, answer)
    };
    let (status, (refused, answer)) = tokio::join!(served.terminate(), client);
    assert!(refused.is_some(), "a new connection was still taken after SIGTERM");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert_eq!(status.code(), Some(0));
}
