//! The HTTP server: HTTP/1.1 connections served by hyper with read timeouts, so a client that sends
//! half a request cannot hold a connection (and its task) open. A request's headers must arrive within
//! the read timeout of the connection opening or of the previous answer (hyper's header read timeout,
//! which also closes idle keep-alive connections); its body within the read timeout of its headers
//! ([`Deadline`]), else the request is answered 408 and the connection closed. HTTP/2 is gRPC's port;
//! the REST port speaks HTTP/1.1 only, whose every stage is bounded here.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body that did not arrive whole within the read timeout of its headers.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the read timeout")]
pub struct BodyTimeout;

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    read_timeout: Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(read_timeout);
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "cannot accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let req = req.map(|body| Body::new(Deadline::new(body, read_timeout)));
            router.clone().oneshot(req)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection closed with an error");
            }
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// A request body that must arrive whole within a time of its headers.
struct Deadline<B> {
    body: B,
    expires: Pin<Box<Sleep>>,
}

impl<B> Deadline<B> {
    fn new(body: B, within: Duration) -> Self {
        Deadline {
            body,
            expires: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl<B> hyper::body::Body for Deadline<B>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending if this.expires.as_mut().poll(cx).is_ready() => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use futures::StreamExt;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_fails_at_its_deadline_and_a_whole_one_passes() {
        let half = futures::stream::iter([Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"half")))]);
        let stalled = http_body_util::StreamBody::new(half.chain(futures::stream::pending()));
        let e = Body::new(Deadline::new(stalled, Duration::from_secs(30)))
            .collect()
            .await
            .unwrap_err();
        assert!(
            std::error::Error::source(&e).is_some_and(|s| s.is::<BodyTimeout>()),
            "{e:?}"
        );

        let whole = Body::new(Deadline::new(Body::from("all of it"), Duration::from_secs(30)));
        assert_eq!(whole.collect().await.unwrap().to_bytes(), "all of it");
    }
}
