//! Checks that the read models equal a fold of the events table, and a private NATS server for tests
//! that must restart one.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use sqlx::PgPool;
use tokio::process::{Child, Command};

type PersonRow = (i64, String, String, String, String, i64);
type UserRow = (String, String, String, String, i64);

/// The read models hold exactly what the events say, row for row, at the events' positions.
pub async fn read_models_match_events(pool: &PgPool) -> bool {
    let expected_persons: Vec<PersonRow> = sqlx::query_as(
        "SELECT aggregate_id::bigint, e->>'first_name', e->>'last_name', coalesce(e->>'title', ''), e->>'about',
                global_position
           FROM (SELECT aggregate_id, payload->'PersonCreated' AS e, global_position FROM events
                  WHERE aggregate_type = 'Person') x ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let persons: Vec<PersonRow> = sqlx::query_as(
        "SELECT id, first_name, last_name, coalesce(title, ''), about, position FROM persons ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let expected_users: Vec<UserRow> = sqlx::query_as(
        "SELECT aggregate_id, e->>'email', e->>'user_name', e->>'first_name', global_position
           FROM (SELECT aggregate_id, payload->'UserCreated' AS e, global_position FROM events
                  WHERE aggregate_type = 'User') x ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let users: Vec<UserRow> =
        sqlx::query_as("SELECT id::text, email, user_name, first_name, position FROM users ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    persons == expected_persons && users == expected_users
}

pub async fn count_events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A nats-server of the test's own, on a free port with its own store, that can be killed and restarted.
pub struct PrivateNats {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateNats {
    pub async fn start() -> PrivateNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("rollcall-nats-{}", uuid::Uuid::new_v4().simple()));
        let mut nats = PrivateNats { port, dir, child: None };
        nats.restart().await;
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store, and waits until it accepts connections.
    pub async fn restart(&mut self) {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nats-server is installed (scripts/services.sh installs it)");
        self.child = Some(child);
        let addr = format!("127.0.0.1:{}", self.port);
        let up = crate::helpers::eventually(Duration::from_secs(15), || async {
            tokio::net::TcpStream::connect(&addr).await.ok().map(|_| ())
        })
        .await;
        assert!(up.is_some(), "the private nats-server did not start");
    }

    /// Kills the server (SIGKILL) and waits for it to be gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
