//! NATS: the connection, command ingestion from JetStream (`ingest`), request-reply (`rpc`), the
//! decoding (`codec`) and dispatch to the App that both share, and domain events out (`events`).

pub mod codec;
mod dispatch;
pub mod events;
pub mod headers;
mod ingest;
pub mod names;
pub mod rejected;
mod rpc;
mod settle;
pub mod setup;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::application::App;
use crate::shutdown::TaskError;
use names::Names;

/// Connects to NATS; the client keeps reconnecting by itself after an outage.
pub async fn connect(url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    async_nats::ConnectOptions::new()
        .name("rollcall")
        .connection_timeout(Duration::from_secs(5))
        .retry_on_initial_connect()
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("nats connected"),
                async_nats::Event::Disconnected => tracing::warn!("nats disconnected"),
                other => tracing::debug!(event = %other, "nats event"),
            }
        })
        .connect(url)
        .await
}

/// Runs command ingestion and request-reply under the prefix until `shutdown`; in-flight messages
/// are finished and settled before it returns.
pub async fn run(
    client: async_nats::Client,
    prefix: String,
    app: App,
    shutdown: CancellationToken,
) -> Result<(), TaskError> {
    let names = Names::new(prefix);
    let ingest = ingest::Ingest::new(client.clone(), app.clone(), names.clone());
    let responder = rpc::Responder::new(client.clone(), app, names);
    let consuming = async {
        ingest.run(shutdown.clone()).await;
        Ok::<(), TaskError>(())
    };
    let result = tokio::try_join!(consuming, responder.run(shutdown.clone())).map(|_| ());
    // Naks and answers are buffered by the client: send them before the process goes.
    if tokio::time::timeout(Duration::from_secs(5), client.flush())
        .await
        .is_err()
    {
        tracing::warn!("could not flush NATS before stopping");
    }
    result
}
