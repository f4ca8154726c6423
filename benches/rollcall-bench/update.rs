//! gRPC `PersonService/UpdatePerson`, closed loop, one HTTP/2 connection per client. Each client first
//! creates its own persons (`ceiling::UPDATE_PER_CLIENT`) and then changes their job titles in turn,
//! so clients never race for a stream, as in the update ceiling (`benches/pgbench/update_one.sql`).

use std::sync::Arc;
use std::time::Duration;

use rollcall::grpc::pb::UpdatePersonRequest;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use tonic::transport::Channel;

use crate::ceiling::UPDATE_PER_CLIENT;
use crate::grpc::{authorized, counted, endpoint, person};
use crate::session;
use crate::stats::{Ceiling, Outcome, plural};

pub async fn run(
    url: &str,
    token: &str,
    clients: usize,
    duration: Duration,
    tag: &str,
    pid: Option<u32>,
) -> Result<Outcome, String> {
    let (endpoint, bearer) = endpoint(url, token)?;
    let mut conns: Vec<(PersonServiceClient<Channel>, Arc<Vec<i64>>)> = Vec::with_capacity(clients);
    for c in 0..clients {
        let channel = endpoint.connect().await.map_err(|e| format!("connect {url}: {e}"))?;
        let mut client = PersonServiceClient::new(channel);
        let mut ids = Vec::with_capacity(UPDATE_PER_CLIENT);
        for p in 0..UPDATE_PER_CLIENT {
            let created = client
                .create_person(authorized(&bearer, person(format!("{tag}-u{clients}-{c}-{p}"))))
                .await
                .map_err(|s| format!("create a person to update: {:?}: {}", s.code(), s.message()))?;
            ids.push(created.into_inner().id);
        }
        conns.push((client, Arc::new(ids)));
    }
    let call = move |(mut client, ids): (PersonServiceClient<Channel>, Arc<Vec<i64>>), i: u64| {
        // The loop numbers each client's calls from `client << 32`: the low half counts its calls.
        let n = i & 0xffff_ffff;
        let request = authorized(
            &bearer,
            UpdatePersonRequest {
                id: ids[n as usize % ids.len()],
                job_title: Some(format!("Title {n}")),
                ..Default::default()
            },
        );
        async move { counted(client.update_person(request).await) }
    };
    let mut outcome = Outcome::new(
        format!("gRPC UpdatePerson, {clients} client{}", plural(clients)),
        "updates/s",
    );
    outcome.compare = Some(Ceiling::Update(clients));
    if clients == 32 {
        outcome.target = "≥ 0.7× update ceiling";
    }
    Ok(session::closed_loop(conns, duration, call, outcome, pid).await)
}
