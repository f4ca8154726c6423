//! gRPC `PersonService/CreatePerson`, closed loop, one HTTP/2 connection per client.

use std::time::Duration;

use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::{CreatePersonRequest, ShareType};
use tonic::metadata::{Ascii, MetadataValue};
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
    let (endpoint, bearer) = endpoint(url, token)?;
    let mut conns: Vec<PersonServiceClient<Channel>> = Vec::with_capacity(clients);
    for _ in 0..clients {
        let channel = endpoint.connect().await.map_err(|e| format!("connect {url}: {e}"))?;
        conns.push(PersonServiceClient::new(channel));
    }
    let last_prefix = format!("{tag}-g{clients}-");
    let call = move |mut client: PersonServiceClient<Channel>, i: u64| {
        let request = authorized(&bearer, person(format!("{last_prefix}{i}")));
        async move { counted(client.create_person(request).await) }
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

/// The endpoint at `url` (no Nagle delay) and the `authorization` value of `token`.
pub fn endpoint(url: &str, token: &str) -> Result<(Endpoint, MetadataValue<Ascii>), String> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| format!("{url}: {e}"))?
        .tcp_nodelay(true);
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|e| format!("token as metadata: {e}"))?;
    Ok((endpoint, bearer))
}

/// `message` as a request with the bearer.
pub fn authorized<T>(bearer: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", bearer.clone());
    request
}

/// A call's result as the closed loop counts it.
pub fn counted<T>(result: Result<T, tonic::Status>) -> Result<(), String> {
    result.map(drop).map_err(|s| format!("{:?}: {}", s.code(), s.message()))
}

/// The scenarios' person: the same fields as the REST and NATS scenarios' JSON.
pub fn person(last_name: String) -> CreatePersonRequest {
    CreatePersonRequest {
        first_name: Some("Bench".into()),
        last_name: Some(last_name),
        job_title: Some(JOB_TITLE.into()),
        about: Some(ABOUT.into()),
        share_type: ShareType::None.into(),
        ..Default::default()
    }
}
