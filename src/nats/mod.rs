//! NATS: the connection, and (in submodules) command ingestion from JetStream and request-reply,
//! and domain events out.

pub mod events;

use std::time::Duration;

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
