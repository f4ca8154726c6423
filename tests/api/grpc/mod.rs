//! grpc adapter tests against the real server.

mod companies;
mod contacts;
mod groups;
mod hardening;
mod health;
pub mod people_lifecycle;
mod persons;
mod reflection;
mod statuses;
mod users;

use std::net::SocketAddr;

use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::user_service_client::UserServiceClient;
use tonic::Request;
use tonic::transport::Channel;

use crate::helpers::{CLIENT_TIMEOUT, MEMBER_PASSWORD, TestApp};

/// A connection to the test server's gRPC port; every call on it gives up after [`CLIENT_TIMEOUT`].
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(CLIENT_TIMEOUT)
        .connect()
        .await
        .expect("the gRPC server accepts connections")
}

pub struct Clients {
    pub persons: PersonServiceClient<Channel>,
    pub users: UserServiceClient<Channel>,
}

pub async fn clients(t: &TestApp) -> Clients {
    let channel = channel(t.grpc_addr).await;
    Clients {
        persons: PersonServiceClient::new(channel.clone()),
        users: UserServiceClient::new(channel),
    }
}

/// Creates a member (or visitor) and logs them in.
pub async fn member_token(t: &TestApp, email: &str, visitor: bool) -> String {
    t.member(email, visitor).await;
    t.token(email, MEMBER_PASSWORD).await
}

/// `message` with the metadata `authorization: Bearer <token>`.
pub fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    let value = format!("Bearer {token}").parse().expect("a valid metadata value");
    request.metadata_mut().insert("authorization", value);
    request
}
