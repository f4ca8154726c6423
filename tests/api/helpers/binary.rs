//! The real binary as an operator runs it: `rollcall serve` configured only through its environment,
//! on free ports, with JSON logs collected line by line; its bound addresses are read from its log.
//! Dropping a `Served` kills the process; a `Cleanup` guard removes the database and streams.

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rollcall::config::Settings;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{cleanup, eventually, signal};

pub const BIN: &str = env!("CARGO_BIN_EXE_rollcall");

/// `rollcall` with exactly the environment `settings` describe (and nothing inherited), on port 0.
pub fn command(settings: &Settings) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("DATABASE_URL", settings.database.url.expose_secret())
        .env("NATS_URL", &settings.nats_url)
        .env("ROLLCALL_NATS_PREFIX", &settings.nats_prefix)
        .env("ROLLCALL_AUTH_SECRET", settings.auth.secret.expose_secret())
        .env("ROLLCALL_HTTP_ADDR", "127.0.0.1:0")
        .env("ROLLCALL_GRPC_ADDR", "127.0.0.1:0")
        .env("ROLLCALL_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(admin) = &settings.admin {
        cmd.env("ROLLCALL_ADMIN_EMAIL", &admin.email)
            .env("ROLLCALL_ADMIN_PASSWORD", admin.password.expose_secret());
    }
    cmd
}

/// A running `rollcall serve`.
pub struct Served {
    pub child: Child,
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    /// Reads stderr into `lines` until the process closes it.
    reader: Option<tokio::task::JoinHandle<()>>,
}

/// Starts `rollcall serve` and waits (bounded) until it says where it serves.
pub async fn serve(settings: &Settings) -> Served {
    serve_logging(settings, "info").await
}

/// `serve` with the log filter `filter` (`RUST_LOG`).
pub async fn serve_logging(settings: &Settings, filter: &str) -> Served {
    let mut child = command(settings)
        .env("RUST_LOG", filter)
        .arg("serve")
        .spawn()
        .expect("the binary starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().expect("stderr is piped");
    let sink = lines.clone();
    let reader = tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    let mut served = Served {
        child,
        http_addr: "0.0.0.0:0".parse().unwrap(),
        grpc_addr: "0.0.0.0:0".parse().unwrap(),
        lines,
        reader: Some(reader),
    };
    let serving = served.wait_for_log("rollcall is serving").await;
    let addr = |key: &str| -> SocketAddr {
        serving[key]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no {key} address in {serving}"))
    };
    served.http_addr = addr("http");
    served.grpc_addr = addr("grpc");
    served
}

impl Served {
    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The first JSON log line whose message contains `needle`, waiting for it (bounded).
    pub async fn wait_for_log(&self, needle: &str) -> Value {
        let found = eventually(Duration::from_secs(60), || async {
            self.log()
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|v| v["message"].as_str().is_some_and(|m| m.contains(needle)))
        })
        .await;
        found.unwrap_or_else(|| panic!("never logged {needle:?}; log:\n{}", self.log().join("\n")))
    }

    /// Sends SIGTERM and waits (bounded) for the exit, and for its last log lines to be read.
    pub async fn terminate(&mut self) -> ExitStatus {
        signal(self.child.id().expect("running"), "-TERM");
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        self.drain_log().await;
        status
    }

    /// Waits (bounded) until stderr is read to its end: a process's last lines may still be in the
    /// pipe when its exit is seen.
    async fn drain_log(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), reader).await;
        }
    }

    /// Kills the process (SIGKILL: nothing is finished, nothing settled) and waits for it to be gone.
    pub async fn kill(&mut self) {
        signal(self.child.id().expect("running"), "-KILL");
        self.child.wait().await.unwrap();
        self.drain_log().await;
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Removes the database and streams of `settings` when dropped (declare it before the `Served`, so it
/// runs after the process is gone).
pub struct Cleanup(pub Settings);

impl Drop for Cleanup {
    fn drop(&mut self) {
        cleanup(&self.0);
    }
}
