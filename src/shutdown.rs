//! SIGTERM / Ctrl-C → one `CancellationToken`, handed to every server and consumer; and why one of
//! them stopped on its own (`TaskError`).

use tokio_util::sync::CancellationToken;

/// Why a server or background task stopped with an error. `Display` is the text logged for it.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// Serving HTTP on its listener failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The gRPC reflection service could not be built from the descriptor sets.
    #[error(transparent)]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] tonic::transport::Error),
    /// A NATS subscription could not be made.
    #[error("cannot subscribe to {subject}: {source}")]
    Subscribe {
        subject: String,
        #[source]
        source: async_nats::SubscribeError,
    },
    /// The NATS client was closed under a subscription (it reconnects by itself otherwise).
    #[error("the NATS connection was closed")]
    NatsClosed,
    /// The task panicked or was aborted.
    #[error("panicked")]
    Panicked(#[source] tokio::task::JoinError),
}

/// Returns a token that is cancelled on the first SIGTERM or Ctrl-C.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        trigger.cancel();
    });
    token
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
