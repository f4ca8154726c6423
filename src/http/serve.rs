//! The HTTP server: HTTP/1.1 connections served by hyper with read timeouts, so a client that sends
//! half a request cannot hold a connection (and its task) open. A request's headers must arrive within
//! the read timeout of the connection opening or of the previous answer (hyper's header read timeout,
//! which also closes idle keep-alive connections); its body within the read timeout of its headers
//! ([`Deadline`]), else the request is answered 408 and the connection closed. HTTP/2 is gRPC's port;
//! the REST port speaks HTTP/1.1 only, whose every stage is bounded here. A connection closed by the
//! server closes gently ([`Lingering`]), so an answer given before the body was read (413) reaches a
//! client that is still sending.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncRead as _;
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
        let io = TokioIo::new(Lingering::new(stream));
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection closed with an error");
            }
        });
    }
    // Closed before the drain: a new client is refused at once instead of waiting in the backlog
    // for an accept that never comes.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// How long a closing connection reads (and drops) what the client still sends.
const LINGER: Duration = Duration::from_secs(1);
/// How much a closing connection reads at most: the largest body a route takes (a photo form), and more.
const LINGER_BYTES: usize = 8 * 1024 * 1024;

/// A socket that closes gently. Closing a TCP socket whose received data is unread makes the kernel
/// send a reset, which can destroy an answer the client has not read yet: a client still sending a body
/// too large to take saw "connection reset" instead of the 413 (about 1 in 70 such requests in the
/// soak). When hyper shuts the connection down, this sends the FIN first (the answer is complete), then
/// reads and drops what the client still sends until it closes its side, for at most [`LINGER`] and
/// [`LINGER_BYTES`].
struct Lingering {
    stream: tokio::net::TcpStream,
    fin_sent: bool,
    until: Option<Pin<Box<Sleep>>>,
    dropped: usize,
}

impl Lingering {
    fn new(stream: tokio::net::TcpStream) -> Self {
        Lingering {
            stream,
            fin_sent: false,
            until: None,
            dropped: 0,
        }
    }
}

impl tokio::io::AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Lingering {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if !this.fin_sent {
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.fin_sent = true;
        }
        let until = this.until.get_or_insert_with(|| Box::pin(tokio::time::sleep(LINGER)));
        let mut scratch = [0u8; 8 * 1024];
        loop {
            if this.dropped >= LINGER_BYTES || until.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = tokio::io::ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.dropped += buf.filled().len(),
                // Reset by the client, or gone: nothing more to protect.
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
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
