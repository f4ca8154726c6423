//! Server reflection (v1 and v1alpha) lists the services, so grpcurl needs no proto files.

use prost::Message;
use prost_types::FileDescriptorProto;
use tonic_reflection::pb::{v1, v1alpha};

use super::channel;
use crate::helpers::TestApp;

const EXPECTED: [&str; 5] = [
    "rollcall.v1.PersonService",
    "rollcall.v1.UserService",
    "rollcall.v1.CompanyService",
    "rollcall.v1.GroupService",
    "grpc.health.v1.Health",
];

#[tokio::test]
async fn reflection_v1_lists_both_services_and_describes_them() {
    let t = TestApp::spawn().await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel(t.grpc_addr).await);
    let ask = |request| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let requests = vec![
        ask(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
        ask(v1::server_reflection_request::MessageRequest::FileContainingSymbol(
            "rollcall.v1.PersonService".into(),
        )),
    ];
    let mut answers = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();

    let listed = answers.message().await.unwrap().and_then(|a| a.message_response);
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) = listed else {
        panic!("expected a service list, got {listed:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for name in EXPECTED {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    let described = answers.message().await.unwrap().and_then(|a| a.message_response);
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) = described else {
        panic!("expected file descriptors, got {described:?}");
    };
    let services: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| FileDescriptorProto::decode(bytes.as_slice()).expect("a descriptor"))
        .flat_map(|f| f.service.into_iter().map(|s| s.name().to_string()).collect::<Vec<_>>())
        .collect();
    assert!(services.contains(&"PersonService".to_string()), "{services:?}");
}

#[tokio::test]
async fn reflection_v1alpha_lists_both_services_for_older_clients() {
    let t = TestApp::spawn().await;
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(channel(t.grpc_addr).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1alpha::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let listed = answers.message().await.unwrap().and_then(|a| a.message_response);
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) = listed else {
        panic!("expected a service list, got {listed:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for name in EXPECTED {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
}
