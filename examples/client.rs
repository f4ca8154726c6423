//! A small gRPC and NATS client for trying rollcall, so README.md's examples need neither grpcurl nor
//! the nats CLI (neither is a Debian package). scripts/doctest.sh runs those examples through it.
//!
//! ```text
//! client grpc [-H 'name: value']... [-d JSON] HOST:PORT list | SERVICE/METHOD
//! client nats [-s URL] pub [-H 'Name: value']... SUBJECT PAYLOAD   # JetStream publish, waits for the ack
//! client nats [-s URL] req [-H 'Name: value']... SUBJECT PAYLOAD   # request-reply, prints the answer
//! client nats [-s URL] sub [--all] [--count N] [--timeout SECS] SUBJECT
//! ```
//!
//! `grpc` takes and prints JSON in the proto3 JSON mapping, as grpcurl does. Exit status: 0 on
//! success; 1 when the call failed (a gRPC status other than OK, a reply with `statusCode` ≥ 400, no
//! JetStream ack, fewer than `--count` messages before `--timeout`); 2 on usage errors.

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use clap::{Parser, Subcommand};
use futures::{Stream, StreamExt};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

type Fallible<T> = Result<T, Box<dyn Error>>;

#[derive(Parser)]
#[command(name = "client", about = "Try rollcall over gRPC and NATS (see README.md)")]
enum Cli {
    /// Call a gRPC method with a JSON request (proto3 JSON mapping), like grpcurl -plaintext.
    Grpc {
        /// Metadata `name: value`, e.g. "authorization: Bearer $TOKEN" (repeatable).
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        /// The request as JSON.
        #[arg(short = 'd', long = "data", default_value = "{}")]
        data: String,
        /// The server, HOST:PORT.
        addr: String,
        /// `list` (the services, by reflection) or SERVICE/METHOD, e.g. rollcall.v1.PersonService/GetPerson.
        method: String,
    },
    /// Publish, request or subscribe on NATS.
    Nats {
        /// The NATS server.
        #[arg(
            short = 's',
            long = "server",
            env = "NATS_URL",
            default_value = "nats://127.0.0.1:4222"
        )]
        server: String,
        #[command(subcommand)]
        command: Nats,
    },
}

#[derive(Subcommand)]
enum Nats {
    /// Publish to JetStream and wait for the stream's ack.
    Pub {
        /// Header `Name: value` (repeatable).
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        subject: String,
        payload: String,
    },
    /// Send a request and print the reply; fails when the reply's `statusCode` is 400 or more.
    Req {
        /// Header `Name: value` (repeatable).
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        subject: String,
        payload: String,
    },
    /// Print the messages on a subject (wildcards `*` and `>` allowed) until Ctrl-C or `--count`.
    Sub {
        /// Start from the first message the JetStream stream holding SUBJECT kept, not from now.
        #[arg(long)]
        all: bool,
        /// Exit after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Give up (exit 1) after this many seconds.
        #[arg(long)]
        timeout: Option<u64>,
        subject: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match Cli::parse() {
        Cli::Grpc {
            headers,
            data,
            addr,
            method,
        } => grpc(&addr, &method, &headers, &data).await,
        Cli::Nats { server, command } => nats(&server, command).await,
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("client: {e}");
        ExitCode::FAILURE
    })
}

/// `Name: value` (or `Name:value`, as the nats CLI writes it).
fn header(raw: &str) -> Fallible<(&str, &str)> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| format!("header {raw:?} is not `Name: value`"))?;
    Ok((name.trim(), value.trim()))
}

async fn grpc(addr: &str, method: &str, headers: &[String], data: &str) -> Fallible<ExitCode> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?.connect().await?;
    if method == "list" {
        return list(channel).await;
    }
    let (service, name) = method.rsplit_once('/').ok_or("the method must be SERVICE/METHOD")?;
    let pool = descriptors()?;
    let descriptor = pool
        .get_service_by_name(service)
        .and_then(|s| s.methods().find(|m| m.name() == name))
        .ok_or_else(|| format!("unknown method {method}"))?;
    let mut json = serde_json::Deserializer::from_str(data);
    let message = DynamicMessage::deserialize(descriptor.input(), &mut json)?;
    json.end()?;
    let mut request = tonic::Request::new(message);
    for raw in headers {
        let (name, value) = header(raw)?;
        let name = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())?;
        request.metadata_mut().insert(name, MetadataValue::try_from(value)?);
    }
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await?;
    let path = PathAndQuery::try_from(format!("/{method}"))?;
    match client.unary(request, path, Dynamic(descriptor.output())).await {
        Ok(response) => {
            let mut out = serde_json::Serializer::pretty(std::io::stdout());
            response
                .into_inner()
                .serialize_with_options(&mut out, &SerializeOptions::new())?;
            println!();
            Ok(ExitCode::SUCCESS)
        }
        Err(status) => {
            eprintln!("ERROR:\n  Code: {:?}\n  Message: {}", status.code(), status.message());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The services the server lists by reflection.
async fn list(channel: Channel) -> Fallible<ExitCode> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut client = ServerReflectionClient::new(channel);
    let mut answers = client
        .server_reflection_info(tokio_stream::once(request))
        .await?
        .into_inner();
    match answers.message().await?.and_then(|a| a.message_response) {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.iter().for_each(|s| println!("{}", s.name));
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unexpected reflection answer {other:?}").into()),
    }
}

/// rollcall's own messages and services, and gRPC health.
fn descriptors() -> Fallible<DescriptorPool> {
    let mut pool = DescriptorPool::new();
    pool.decode_file_descriptor_set(rollcall::grpc::pb::FILE_DESCRIPTOR_SET)?;
    pool.decode_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)?;
    Ok(pool)
}

/// A tonic codec for messages known only by their descriptor.
struct Dynamic(MessageDescriptor);

impl Codec for Dynamic {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = Dynamic;
    type Decoder = Dynamic;

    fn encoder(&mut self) -> Dynamic {
        Dynamic(self.0.clone())
    }

    fn decoder(&mut self) -> Dynamic {
        Dynamic(self.0.clone())
    }
}

impl Encoder for Dynamic {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        item.encode(dst).map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

impl Decoder for Dynamic {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, tonic::Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

async fn nats(server: &str, command: Nats) -> Fallible<ExitCode> {
    let client = async_nats::connect(server).await?;
    match command {
        Nats::Pub {
            headers,
            subject,
            payload,
        } => {
            let js = jetstream::new(client);
            let ack = js
                .publish_with_headers(subject, header_map(&headers)?, payload.into())
                .await?
                .await?;
            let duplicate = if ack.duplicate {
                " (a duplicate: not stored again)"
            } else {
                ""
            };
            println!("stored in {} as message {}{duplicate}", ack.stream, ack.sequence);
            Ok(ExitCode::SUCCESS)
        }
        Nats::Req {
            headers,
            subject,
            payload,
        } => {
            let reply = client
                .request_with_headers(subject, header_map(&headers)?, payload.into())
                .await?;
            let text = String::from_utf8_lossy(&reply.payload);
            println!("{text}");
            let status = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("statusCode").and_then(serde_json::Value::as_u64));
            Ok(match status {
                Some(code) if code >= 400 => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            })
        }
        Nats::Sub {
            all,
            count,
            timeout,
            subject,
        } => {
            let messages: std::pin::Pin<Box<dyn Stream<Item = async_nats::Message> + Send>> = if all {
                let js = jetstream::new(client);
                let stream = js.get_stream(js.stream_by_subject(subject.as_str()).await?).await?;
                let consumer = stream
                    .create_consumer(OrderedConfig {
                        filter_subject: subject.clone(),
                        deliver_policy: DeliverPolicy::All,
                        ..Default::default()
                    })
                    .await?;
                Box::pin(
                    consumer
                        .messages()
                        .await?
                        .filter_map(|m| async { m.ok().map(|m| m.message) }),
                )
            } else {
                let subscriber = client.subscribe(subject.clone()).await?;
                client.flush().await?;
                Box::pin(subscriber)
            };
            eprintln!("listening on {subject}");
            print_messages(messages, count, timeout.map(Duration::from_secs)).await
        }
    }
}

fn header_map(raw: &[String]) -> Fallible<HeaderMap> {
    let mut map = HeaderMap::new();
    for h in raw {
        let (name, value) = header(h)?;
        map.append(name, value);
    }
    Ok(map)
}

async fn print_messages(
    mut messages: impl Stream<Item = async_nats::Message> + Unpin,
    count: Option<usize>,
    timeout: Option<Duration>,
) -> Fallible<ExitCode> {
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut seen = 0;
    while count.is_none_or(|c| seen < c) {
        let next = match deadline {
            Some(d) => tokio::time::timeout_at(d, messages.next()).await.ok().flatten(),
            None => messages.next().await,
        };
        let Some(m) = next else { break };
        seen += 1;
        println!("[#{seen}] {}", m.subject);
        for (name, values) in m.headers.iter().flat_map(|h| h.iter()) {
            values.iter().for_each(|v| println!("{name}: {v}"));
        }
        println!("\n{}\n", String::from_utf8_lossy(&m.payload));
    }
    match count {
        Some(c) if seen < c => {
            eprintln!("client: got {seen} of {c} messages");
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
