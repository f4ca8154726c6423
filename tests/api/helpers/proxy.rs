//! A TCP proxy in front of a NATS server, owned by the test: its listening address never changes while
//! the server behind it is killed and restarted on a port of its own choosing (no port is ever released
//! and reused), and it can swallow the acks a client sends, so a command is committed but never acked,
//! and the status that ends an expired pull request, so the client is never told (as nats-server 2.9
//! does when a message finds the request expired before its timer did, issue 18).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// Client → server publishes to subjects starting with this are JetStream acks (and progress / nak).
const ACK_SUBJECTS: &[u8] = b"$JS.ACK.";

struct Shared {
    upstream: Mutex<Option<SocketAddr>>,
    drop_acks: AtomicBool,
    drop_pull_timeouts: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
}

pub struct NatsProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl NatsProxy {
    /// Listens on a port of its own, forwarding to `upstream` (or refusing while there is none).
    pub async fn start(upstream: Option<SocketAddr>) -> NatsProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy binds");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            drop_acks: AtomicBool::new(false),
            drop_pull_timeouts: AtomicBool::new(false),
            connections: Mutex::new(Vec::new()),
        });
        let accepting = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = accepting.clone();
                let task = tokio::spawn(async move {
                    let upstream = *shared.upstream.lock().unwrap();
                    // No server behind the proxy: the connection closes at once, like a refused one.
                    let Some(upstream) = upstream else { return };
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::select! {
                        () = client_to_server(client_read, server_write, &shared) => {}
                        () = server_to_client(server_read, client_write, &shared) => {}
                    }
                });
                accepting.connections.lock().unwrap().push(task.abort_handle());
            }
        });
        NatsProxy { addr, shared, accept }
    }

    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Where new connections go (`None`: nowhere, they are closed at once).
    pub fn set_upstream(&self, upstream: Option<SocketAddr>) {
        *self.shared.upstream.lock().unwrap() = upstream;
    }

    /// Closes every connection through the proxy, as a dying server would.
    pub fn cut(&self) {
        for task in self.shared.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// While on, the acks clients send are swallowed: JetStream never hears of them.
    pub fn drop_acks(&self, on: bool) {
        self.shared.drop_acks.store(on, Ordering::SeqCst);
    }

    /// While on, the `408` status that ends an expired pull request never reaches the client.
    pub fn drop_pull_timeouts(&self, on: bool) {
        self.shared.drop_pull_timeouts.store(on, Ordering::SeqCst);
    }
}

impl Drop for NatsProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Forwards the server's protocol operation by operation, leaving out a pull request's `408` status
/// (`HMSG <subject> <sid> [reply] <h> <n>` whose headers start `NATS/1.0 408`) while
/// `drop_pull_timeouts` is on.
async fn server_to_client(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, shared: &Shared) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(len) = message_len(&buf) {
            let op: Vec<u8> = buf.drain(..len).collect();
            let silenced = shared.drop_pull_timeouts.load(Ordering::SeqCst) && is_pull_timeout(&op);
            if !silenced && to.write_all(&op).await.is_err() {
                return;
            }
        }
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the first complete server operation in `buf` (a `MSG` / `HMSG` with its payload).
fn message_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")? + 2;
    let line = &buf[..line_end - 2];
    let verb = line.split(|b| *b == b' ').next()?;
    let total = if verb.eq_ignore_ascii_case(b"MSG") || verb.eq_ignore_ascii_case(b"HMSG") {
        let size: usize = std::str::from_utf8(line.rsplit(|b| *b == b' ').next()?)
            .ok()?
            .parse()
            .ok()?;
        line_end + size + 2
    } else {
        line_end
    };
    (buf.len() >= total).then_some(total)
}

/// Whether a server operation is the `408` status of a pull request.
fn is_pull_timeout(op: &[u8]) -> bool {
    op.starts_with(b"HMSG ")
        && op
            .windows(2)
            .position(|w| w == b"\r\n")
            .is_some_and(|end| op[end + 2..].starts_with(b"NATS/1.0 408"))
}

/// Forwards the client's protocol operation by operation, leaving out publishes to an ack subject while
/// `drop_acks` is on (`PUB <subject> [reply] <n>` / `HPUB <subject> [reply] <h> <n>`, then `n` bytes).
async fn client_to_server(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, shared: &Shared) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(len) = operation_len(&buf) {
            let op: Vec<u8> = buf.drain(..len).collect();
            let is_ack = publish_subject(&op).is_some_and(|s| s.starts_with(ACK_SUBJECTS));
            if !(is_ack && shared.drop_acks.load(Ordering::SeqCst)) && to.write_all(&op).await.is_err() {
                return;
            }
        }
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the first complete operation in `buf` (its line, and a publish's payload and CRLF).
fn operation_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")? + 2;
    let line = &buf[..line_end - 2];
    let total = match publish_subject(line) {
        Some(_) => {
            let size: usize = std::str::from_utf8(line.rsplit(|b| *b == b' ').next()?)
                .ok()?
                .parse()
                .ok()?;
            line_end + size + 2
        }
        None => line_end,
    };
    (buf.len() >= total).then_some(total)
}

/// The subject of a `PUB` / `HPUB` operation.
fn publish_subject(op: &[u8]) -> Option<&[u8]> {
    let mut words = op.split(|b| *b == b' ');
    let verb = words.next()?;
    (verb.eq_ignore_ascii_case(b"PUB") || verb.eq_ignore_ascii_case(b"HPUB"))
        .then(|| words.next())
        .flatten()
}
