//! REST `POST /api/2.0/crm/contact/person` (JSON), closed loop, one keep-alive connection per client.

use std::time::Duration;

use crate::session::{self, person_json};
use crate::stats::{Ceiling, Outcome, plural};

pub async fn run(
    http_url: &str,
    token: &str,
    clients: usize,
    duration: Duration,
    tag: &str,
    pid: Option<u32>,
) -> Result<Outcome, String> {
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        // One idle connection kept per client: each client is one connection, reused.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        conns.push(client);
    }
    let url = format!("{http_url}/api/2.0/crm/contact/person");
    let auth = format!("Bearer {token}");
    let last_prefix = format!("{tag}-r{clients}-");
    let call = move |client: reqwest::Client, i: u64| {
        let request = client
            .post(&url)
            .header("Authorization", &auth)
            .json(&person_json("Bench", &format!("{last_prefix}{i}")));
        async move {
            let res = request.send().await.map_err(|e| e.to_string())?;
            match res.status().as_u16() {
                201 => {
                    // Read the body so the connection is reused.
                    res.bytes().await.map_err(|e| e.to_string())?;
                    Ok(())
                }
                s => Err(format!("{s}: {}", res.text().await.unwrap_or_default())),
            }
        }
    };
    let mut outcome = Outcome::new(
        format!("REST POST person, {clients} connection{}", plural(clients)),
        "creates/s",
    );
    outcome.compare = Some(Ceiling::Single(clients));
    outcome.also = vec![Ceiling::Peer(clients), Ceiling::Minimal(clients)];
    if clients == 32 {
        outcome.target = "≥ 0.7× ceiling, ≥ 1.3× peer";
    }
    Ok(session::closed_loop(conns, duration, call, outcome, pid).await)
}
