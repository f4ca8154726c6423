//! Every test helper: `TestApp` (a fresh database and NATS prefix per test, the real application built
//! on it), tokens, HTTP clients with timeouts, bounded polls, the real binary (`binary`), a private
//! nats-server (`nats_server`) behind a proxy (`proxy`), and the sweep of stale leftovers (`sweep`).

pub mod binary;
pub mod nats_server;
pub mod proxy;
pub mod sweep;

use std::time::Duration;

use rollcall::application::{Actor, App, RequestMeta, Source};
use rollcall::config::{AdminSettings, AuthSettings, DatabaseSettings, Settings};
use rollcall::domain::user::UserDraft;
use rollcall::startup;
use secrecy::{ExposeSecret, SecretString};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const OWNER_EMAIL: &str = "Owner@Example.com";
pub const OWNER_PASSWORD: &str = "owner-pass-123";
pub const MEMBER_PASSWORD: &str = "member-pass-123";

/// Where the tests' databases live (without a database name).
pub fn server_url() -> String {
    std::env::var("ROLLCALL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_string()
}

/// Every request a test makes gives up after this: a hung server fails the test, not the whole run.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP client that gives up after [`CLIENT_TIMEOUT`].
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client")
}

/// The owner's token from `POST /api/2.0/authentication` of the service at `http_addr` (for the
/// binary, whose `App` the test cannot call).
pub async fn rest_owner_token(http_addr: std::net::SocketAddr) -> String {
    let res = http_client()
        .post(format!("http://{http_addr}/api/2.0/authentication"))
        .json(&serde_json::json!({"userName": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await
        .expect("the service answers the login");
    assert_eq!(res.status(), 201, "the owner logs in");
    let body: serde_json::Value = res.json().await.expect("a JSON answer");
    body["response"]["token"].as_str().expect("a token").to_string()
}

/// Settings for a fresh, uniquely named database (not created yet). The name carries its creation
/// time (`rollcall_test_<unix seconds>_<uuid>`), so a sweep can tell a stale one from a running test's.
pub fn test_settings() -> (Settings, String) {
    let db = sweep::database_name();
    let settings = Settings {
        database: DatabaseSettings {
            url: SecretString::from(format!("{}/{db}", server_url())),
            max_connections: 10,
            acquire_timeout_secs: 5,
        },
        nats_url: std::env::var("ROLLCALL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        nats_prefix: format!("t{}", Uuid::new_v4().simple()),
        admin: Some(AdminSettings {
            email: OWNER_EMAIL.into(),
            password: SecretString::from(OWNER_PASSWORD.to_string()),
        }),
        auth: AuthSettings {
            secret: SecretString::from("x".repeat(40)),
            token_ttl: Duration::from_secs(3600),
        },
        claim_grace: Duration::from_secs(30),
        read_your_writes: Duration::from_secs(5),
        projector_stall: Duration::from_secs(60),
        http_read_timeout: Duration::from_secs(30),
    };
    (settings, db)
}

pub struct TestApp {
    pub app: App,
    pub http_addr: std::net::SocketAddr,
    pub grpc_addr: std::net::SocketAddr,
    pub nats: async_nats::Client,
    pub pool: PgPool,
    pub settings: Settings,
    pub shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        cleanup(&self.settings);
    }
}

/// Drops the test's database and deletes its JetStream streams (on a thread of its own, so it also
/// runs when a test panics): test runs leave nothing behind on shared servers.
pub fn cleanup(settings: &Settings) {
    let (url, prefix) = (settings.nats_url.clone(), settings.nats_prefix.clone());
    let db = settings
        .database
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let cleanup = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        rt.block_on(async move {
            if db.starts_with("rollcall_test_")
                && let Ok(mut admin) = PgConnection::connect(&format!("{}/postgres", server_url())).await
            {
                let drop_db = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
                let _ = tokio::time::timeout(Duration::from_secs(10), admin.execute(drop_db.as_str())).await;
            }
            let Ok(client) = async_nats::connect(&url).await else {
                return;
            };
            let js = async_nats::jetstream::new(client);
            for stream in ["commands", "events"] {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), js.delete_stream(format!("{prefix}-{stream}"))).await;
            }
        });
    });
    let _ = cleanup.join();
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::with(test_settings().0).await
    }

    pub async fn with(settings: Settings) -> TestApp {
        let shutdown = CancellationToken::new();
        let running = startup::start(&settings, shutdown.clone())
            .await
            .expect("the application starts");
        let app = running.app.clone();
        let (http_addr, grpc_addr, nats) = (running.http_addr, running.grpc_addr, running.nats.clone());
        tokio::spawn(running.stopped());
        let pool = app.pool().clone();
        TestApp {
            app,
            http_addr,
            grpc_addr,
            nats,
            pool,
            settings,
            shutdown,
        }
    }

    /// The name of the test's own database.
    pub fn database(&self) -> String {
        self.pool
            .connect_options()
            .get_database()
            .expect("a database name")
            .to_string()
    }

    /// A token of the portal owner, as `POST /api/2.0/authentication` would issue it.
    pub async fn owner_token(&self) -> String {
        self.token(OWNER_EMAIL, OWNER_PASSWORD).await
    }

    /// A token for `user`.
    pub async fn token(&self, user: &str, password: &str) -> String {
        self.app
            .login(user, &secret(password))
            .await
            .expect("login succeeds")
            .token
    }

    pub async fn owner(&self) -> Actor {
        self.actor_for(OWNER_EMAIL, OWNER_PASSWORD).await
    }

    /// Logs in and authenticates, as an adapter would.
    pub async fn actor_for(&self, user: &str, password: &str) -> Actor {
        let token = self.app.login(user, &secret(password)).await.expect("login succeeds");
        self.app
            .authenticate(Some(&token.token))
            .await
            .expect("the token authenticates")
    }

    pub async fn owner_meta(&self) -> RequestMeta {
        RequestMeta::new(self.owner().await, Source::Test)
    }

    /// Creates a member (or visitor) through the owner and returns them as an actor.
    pub async fn member(&self, email: &str, visitor: bool) -> Actor {
        let draft = UserDraft {
            is_visitor: visitor,
            password: Some(secret(MEMBER_PASSWORD)),
            ..user_draft(email)
        };
        self.app
            .create_user(&self.owner_meta().await, draft)
            .await
            .expect("member created");
        self.actor_for(email, MEMBER_PASSWORD).await
    }

    pub async fn count_events(&self, aggregate_type: &str, event_type: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = $1 AND event_type = $2")
            .bind(aggregate_type)
            .bind(event_type)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

pub fn user_draft(email: &str) -> UserDraft {
    UserDraft {
        email: Some(email.into()),
        first_name: Some("Mike".into()),
        last_name: Some("Zanyatski".into()),
        ..UserDraft::default()
    }
}

/// Polls `check` until it yields `Some`, for at most `timeout` (never a bare sleep).
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Sends `signal` (`-TERM`, `-KILL`, …) to the process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {pid}");
}

/// Lets the test's database accept connections or not, and drops the ones it has.
pub async fn allow_connections(database: &str, allow: bool) {
    let mut admin = PgConnection::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("admin connection");
    admin
        .execute(format!(r#"ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}"#).as_str())
        .await
        .expect("ALTER DATABASE");
    if !allow {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(database)
            .execute(&mut admin)
            .await
            .expect("terminate the database's connections");
    }
    admin.close().await.ok();
}
