//! gRPC `PersonService/CreatePerson`, closed loop, one HTTP/2 connection per client.

use std::time::Duration;

use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::{CreatePersonRequest, ShareType};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::session::{self, ABOUT, JOB_TITLE};
use crate::stats::{Ceiling, Outcome, plural};

pub async fn run(
    url: &str,
    token: &str,
    clients: usize,
    duration: Duration,
    tag: &str,
    pid: Option<u32>,
) -> Result<Outcome, String> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| format!("{url}: {e}"))?
        .tcp_nodelay(true);
    let mut conns: Vec<PersonServiceClient<Channel>> = Vec::with_capacity(clients);
    for _ in 0..clients {
        let channel = endpoint.connect().await.map_err(|e| format!("connect {url}: {e}"))?;
        conns.push(PersonServiceClient::new(channel));
    }
    let bearer: MetadataValue<_> = format!("Bearer {token}")
        .parse()
        .map_err(|e| format!("token as metadata: {e}"))?;
    let last_prefix = format!("{tag}-g{clients}-");
    let call = move |mut client: PersonServiceClient<Channel>, i: u64| {
        let mut request = tonic::Request::new(CreatePersonRequest {
            first_name: Some("Bench".into()),
            last_name: Some(format!("{last_prefix}{i}")),
            job_title: Some(JOB_TITLE.into()),
            about: Some(ABOUT.into()),
            share_type: ShareType::None.into(),
            ..Default::default()
        });
        request.metadata_mut().insert("authorization", bearer.clone());
        async move {
            client
                .create_person(request)
                .await
                .map(drop)
                .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
        }
    };
    let mut outcome = Outcome::new(
        format!("gRPC CreatePerson, {clients} client{}", plural(clients)),
        "creates/s",
    );
    outcome.compare = Some(Ceiling::Single(clients));
    outcome.also = vec![Ceiling::Peer(clients), Ceiling::Minimal(clients)];
    if clients == 32 {
        outcome.target = "≥ 0.8× ceiling, ≥ 1.5× peer, p99 ≤ 25 ms";
    }
    Ok(session::closed_loop(conns, duration, call, outcome, pid).await)
}
