//! Typed settings: the command line and the environment variables of INTERFACE.md, with defaults,
//! validated once. Tests build `Settings` directly instead of setting variables.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Parser)]
#[command(
    name = "rollcall",
    version,
    about = "Event-sourced People & CRM-contacts service (ONLYOFFICE API 2.0 facade)",
    long_about = "Event-sourced People & CRM-contacts service. Commands arrive over REST, gRPC and NATS, \
                  become events in PostgreSQL, and are projected into Person and User read models.\n\n\
                  Every option can be given as the environment variable shown beside it."
)]
pub struct Cli {
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, create the owner if none exists, and serve until SIGTERM or Ctrl-C.
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Read-model maintenance.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Rebuild every read model from the event store into shadow tables and swap them in; safe while
    /// the service is serving. Prints progress and the rate (events/s).
    Rebuild,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// PostgreSQL URL of the event store and read models; the database is created if missing.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/rollcall"
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_DB_MAX_CONNECTIONS",
        value_name = "ROLLCALL_DB_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub db_max_connections: u32,
    /// NATS server URL.
    #[arg(
        long,
        global = true,
        env = "NATS_URL",
        value_name = "NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// Address of the REST facade, /healthz, /readyz and /metrics.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_HTTP_ADDR",
        value_name = "ROLLCALL_HTTP_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub http_addr: SocketAddr,
    /// Address of the gRPC server.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_GRPC_ADDR",
        value_name = "ROLLCALL_GRPC_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub grpc_addr: SocketAddr,
    /// Prefix of every NATS subject, stream and consumer name.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_NATS_PREFIX",
        value_name = "ROLLCALL_NATS_PREFIX",
        default_value = "rollcall"
    )]
    pub nats_prefix: String,
    /// Email of the portal owner, created once at start if no owner exists.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_ADMIN_EMAIL",
        value_name = "ROLLCALL_ADMIN_EMAIL"
    )]
    pub admin_email: Option<String>,
    /// Password of the portal owner (8-120 printable ASCII characters).
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_ADMIN_PASSWORD",
        value_name = "ROLLCALL_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Key that signs and checks tokens (at least 32 characters); shared by all instances.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_AUTH_SECRET",
        value_name = "ROLLCALL_AUTH_SECRET",
        hide_env_values = true
    )]
    pub auth_secret: Option<String>,
    /// Lifetime of an issued token, in seconds.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_TOKEN_TTL_SECS",
        value_name = "ROLLCALL_TOKEN_TTL_SECS",
        default_value_t = 86_400
    )]
    pub token_ttl_secs: u64,
    /// `/readyz` (and gRPC health) turn unready when the read models trail the newest committed event
    /// by more than this many seconds.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_PROJECTOR_STALL_SECS",
        value_name = "ROLLCALL_PROJECTOR_STALL_SECS",
        default_value_t = 60
    )]
    pub projector_stall_secs: u64,
    /// HTTP read timeout, in seconds: a client must send a request's headers within this time of
    /// connecting (or of its previous answer), and its body within this time of the headers; else the
    /// connection is closed (a late body is answered 408 first).
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_HTTP_READ_TIMEOUT_SECS",
        value_name = "ROLLCALL_HTTP_READ_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub http_read_timeout_secs: u64,
    /// Log filter in tracing's EnvFilter syntax: a level (`error`, `warn`, `info`, `debug`, `trace`)
    /// or per-module directives such as `info,rollcall::nats=debug`.
    #[arg(
        long,
        global = true,
        env = "RUST_LOG",
        value_name = "RUST_LOG",
        default_value = "info"
    )]
    pub log_filter: String,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_LOG_FORMAT",
        value_name = "ROLLCALL_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub email: String,
    pub password: SecretString,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub secret: SecretString,
    pub token_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub nats_url: String,
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub nats_prefix: String,
    pub admin: Option<AdminSettings>,
    pub auth: AuthSettings,
    /// How long an unconfirmed email/user-name claim blocks others (a crashed command's claim).
    pub claim_grace: Duration,
    /// How long a create waits for its own event to reach the read model before answering from the event.
    pub read_your_writes: Duration,
    /// Readiness fails while the read models trail the newest committed event by more than this.
    pub projector_stall: Duration,
    /// How long an HTTP client may take to send a request's headers, and then its body.
    pub http_read_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

pub const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Turns parsed arguments into validated settings. A missing auth secret is replaced by a random
    /// one (with a warning from the caller): tokens then die with the process and differ per instance.
    pub fn from_args(args: &EnvArgs) -> Result<(Settings, bool), ConfigError> {
        let (secret, generated) = match &args.auth_secret {
            Some(s) => (SecretString::from(s.clone()), false),
            None => (random_secret(), true),
        };
        // An empty value is no value: an owner with an empty password could never log in.
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let admin = match (given(&args.admin_email), given(&args.admin_password)) {
            (Some(email), Some(password)) => Some(AdminSettings {
                email,
                password: SecretString::from(password),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "ROLLCALL_ADMIN_EMAIL and ROLLCALL_ADMIN_PASSWORD must be set together".into(),
                ));
            }
        };
        let settings = Settings {
            database: DatabaseSettings {
                url: SecretString::from(args.database_url.clone()),
                max_connections: args.db_max_connections,
                acquire_timeout_secs: 5,
            },
            nats_url: args.nats_url.clone(),
            http_addr: args.http_addr,
            grpc_addr: args.grpc_addr,
            nats_prefix: args.nats_prefix.clone(),
            admin,
            auth: AuthSettings {
                secret,
                token_ttl: Duration::from_secs(args.token_ttl_secs),
            },
            claim_grace: Duration::from_secs(30),
            read_your_writes: Duration::from_secs(5),
            projector_stall: Duration::from_secs(args.projector_stall_secs),
            http_read_timeout: Duration::from_secs(args.http_read_timeout_secs),
        };
        settings.validate()?;
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&args.log_filter) {
            return Err(ConfigError::Invalid(format!("RUST_LOG is not a valid log filter: {e}")));
        }
        Ok((settings, generated))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.auth.secret.expose_secret().len() < MIN_SECRET_LEN {
            return invalid("ROLLCALL_AUTH_SECRET must be at least 32 characters long");
        }
        if self.auth.token_ttl.is_zero() {
            return invalid("ROLLCALL_TOKEN_TTL_SECS must be positive");
        }
        if self.projector_stall.is_zero() {
            return invalid("ROLLCALL_PROJECTOR_STALL_SECS must be positive");
        }
        if self.http_read_timeout.is_zero() {
            return invalid("ROLLCALL_HTTP_READ_TIMEOUT_SECS must be positive");
        }
        if self.database.max_connections < 2 {
            return invalid("ROLLCALL_DB_MAX_CONNECTIONS must be at least 2");
        }
        let prefix_ok = !self.nats_prefix.is_empty()
            && self.nats_prefix.len() <= 64
            && self
                .nats_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !prefix_ok {
            return invalid("ROLLCALL_NATS_PREFIX must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
        }
        if !self.database.url.expose_secret().starts_with("postgres") {
            return invalid("DATABASE_URL must be a postgres:// or postgresql:// URL");
        }
        // Checked even when an owner exists already: a wrong value is a mistake either way.
        if let Some(admin) = &self.admin {
            if crate::domain::values::Email::parse(&admin.email).is_none() {
                return invalid("ROLLCALL_ADMIN_EMAIL must be an email address");
            }
            if !crate::domain::user::check_password_policy(&admin.password) {
                return invalid("ROLLCALL_ADMIN_PASSWORD must be 8 to 120 printable ASCII characters, without spaces");
            }
        }
        Ok(())
    }
}

/// A fresh 256-bit secret, hex encoded.
pub fn random_secret() -> SecretString {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;

    /// The real command line with clap's environment fallback switched off for every argument, so
    /// these tests see the defaults and `extra` only, whatever the process environment holds (the
    /// README's exports, a developer's `DATABASE_URL`).
    fn without_env() -> clap::Command {
        Cli::command().mut_args(|arg| arg.env(None::<&'static str>))
    }

    fn args(extra: &[&str]) -> Cli {
        let mut argv = vec!["rollcall"];
        argv.extend_from_slice(extra);
        argv.push("serve");
        let matches = without_env().try_get_matches_from(argv).unwrap();
        Cli::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn the_tests_parse_without_reading_the_environment() {
        let cli = Cli::command();
        assert!(
            cli.get_arguments().any(|a| a.get_env().is_some()),
            "the real CLI reads variables"
        );
        let isolated = without_env();
        let leaking: Vec<_> = isolated
            .get_arguments()
            .filter(|a| a.get_env().is_some())
            .map(|a| a.get_id().to_string())
            .collect();
        assert!(leaking.is_empty(), "{leaking:?}");
    }

    #[test]
    fn defaults_follow_the_interface() {
        let cli = args(&["--auth-secret", &"k".repeat(32)]);
        let (s, generated) = Settings::from_args(&cli.env).unwrap();
        assert!(!generated);
        assert_eq!(
            s.database.url.expose_secret(),
            "postgres://postgres@127.0.0.1:5432/rollcall"
        );
        assert_eq!(s.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.grpc_addr.to_string(), "127.0.0.1:50051");
        assert_eq!(s.nats_prefix, "rollcall");
        assert_eq!(s.http_read_timeout, Duration::from_secs(30));
        assert!(s.admin.is_none());
    }

    #[test]
    fn a_missing_secret_is_generated_and_flagged() {
        let (s, generated) = Settings::from_args(&args(&[]).env).unwrap();
        assert!(generated);
        assert_eq!(s.auth.secret.expose_secret().len(), 64);
    }

    #[test]
    fn bad_settings_are_refused_with_the_variable_named() {
        let short = Settings::from_args(&args(&["--auth-secret", "short"]).env).unwrap_err();
        assert!(short.to_string().contains("ROLLCALL_AUTH_SECRET"));
        let half = Settings::from_args(&args(&["--admin-email", "a@b.io"]).env).unwrap_err();
        assert!(half.to_string().contains("ROLLCALL_ADMIN_PASSWORD"));
        let owner = |email: &str, password: &str| {
            Settings::from_args(&args(&["--admin-email", email, "--admin-password", password]).env)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(
            owner("a@b.io", "").unwrap_err().contains("must be set together"),
            "empty is unset"
        );
        assert!(
            owner("a@b.io", "short7")
                .unwrap_err()
                .contains("ROLLCALL_ADMIN_PASSWORD")
        );
        assert!(
            owner("a@b.io", "with space ok")
                .unwrap_err()
                .contains("ROLLCALL_ADMIN_PASSWORD")
        );
        assert!(
            owner("not-an-email", "change-me-now")
                .unwrap_err()
                .contains("ROLLCALL_ADMIN_EMAIL")
        );
        assert_eq!(owner("a@b.io", "change-me-now"), Ok(()));
        let log = Settings::from_args(&args(&["--log-filter", "=[bad"]).env).unwrap_err();
        assert!(log.to_string().contains("RUST_LOG"), "{log}");
        let prefix = Settings::from_args(&args(&["--nats-prefix", "a.b"]).env).unwrap_err();
        assert!(prefix.to_string().contains("ROLLCALL_NATS_PREFIX"));
        let timeout = Settings::from_args(&args(&["--http-read-timeout-secs", "0"]).env).unwrap_err();
        assert!(timeout.to_string().contains("ROLLCALL_HTTP_READ_TIMEOUT_SECS"));
    }
}
