//! A nats-server of the test's own, with its own store, that can be killed and restarted. Clients reach
//! it through a [`NatsProxy`] whose address never changes; the server itself picks a free port at each
//! start (`-p -1`) and reports it in a ports file, so no port is released and then hoped to be free.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::eventually;
use super::proxy::NatsProxy;

/// `ROLLCALL_TEST_NATS_SERVER`, else `nats-server` on `PATH`, else where Debian's package puts it.
pub fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ROLLCALL_TEST_NATS_SERVER") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain(["/usr/sbin".into(), "/usr/local/bin".into()])
        .map(|dir| dir.join("nats-server"))
        .find(|p| p.is_file())
        .expect("nats-server is installed (scripts/services.sh installs it) or ROLLCALL_TEST_NATS_SERVER names it")
}

pub struct PrivateNats {
    proxy: NatsProxy,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateNats {
    pub async fn start() -> PrivateNats {
        let dir = std::env::temp_dir().join(format!("rollcall-nats-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut nats = PrivateNats {
            proxy: NatsProxy::start(None).await,
            dir,
            child: None,
        };
        nats.restart().await;
        nats
    }

    /// The stable address clients connect to.
    pub fn url(&self) -> String {
        self.proxy.url()
    }

    /// Starts the server (again) on its store, waits until it accepts connections, and points the
    /// proxy at it.
    pub async fn restart(&mut self) {
        let ports = self.dir.join("ports");
        let _ = std::fs::remove_dir_all(&ports);
        std::fs::create_dir_all(&ports).unwrap();
        let child = Command::new(nats_server_binary())
            .args(["-js", "-a", "127.0.0.1", "-p", "-1", "-sd"])
            .arg(self.dir.join("store"))
            .arg("--ports_file_dir")
            .arg(&ports)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let addr = eventually(Duration::from_secs(15), || async { listening_on(&ports) }).await;
        let addr = addr.expect("the private nats-server reports its port");
        let up = eventually(Duration::from_secs(15), || async {
            tokio::net::TcpStream::connect(addr).await.ok().map(drop)
        })
        .await;
        assert!(up.is_some(), "the private nats-server does not accept connections");
        self.proxy.set_upstream(Some(addr));
    }

    /// Kills the server (SIGKILL), waits for it to be gone, and closes every client connection.
    pub async fn kill(&mut self) {
        self.proxy.set_upstream(None);
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
        self.proxy.cut();
    }

    /// Stops the server with SIGTERM (a clean shutdown), and closes every client connection.
    pub async fn terminate(&mut self) {
        self.proxy.set_upstream(None);
        if let Some(mut child) = self.child.take() {
            super::signal(child.id().expect("running"), "-TERM");
            tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .expect("nats-server stops after SIGTERM")
                .unwrap();
        }
        self.proxy.cut();
    }
}

/// The client address in the ports file nats-server writes (`{"nats":["nats://127.0.0.1:port"]}`).
fn listening_on(dir: &std::path::Path) -> Option<SocketAddr> {
    let file = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".ports"))?;
    let ports: serde_json::Value = serde_json::from_slice(&std::fs::read(file.path()).ok()?).ok()?;
    ports["nats"][0].as_str()?.strip_prefix("nats://")?.parse().ok()
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
