//! Scratch databases on the benchmarked server: created, migrated by the real `rollcall migrate`, and
//! dropped again (only the ones this run created).

use std::path::Path;

use sqlx::{Connection, PgConnection, PgPool};

pub struct ScratchDb {
    server: String,
    pub name: String,
    pub url: String,
}

impl ScratchDb {
    /// Creates database `name` on `server` (a URL without a database) and migrates it with `rollcall`.
    pub async fn create(server: &str, name: &str, rollcall: &Path) -> Result<ScratchDb, String> {
        let server = server.trim_end_matches('/').to_string();
        let mut admin = admin(&server).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .map_err(|e| format!("create database {name}: {e}"))?;
        let db = ScratchDb {
            url: format!("{server}/{name}"),
            server,
            name: name.to_string(),
        };
        let out = rollcall_command(rollcall, &db.url)
            .arg("migrate")
            .output()
            .await
            .map_err(|e| format!("run {} migrate: {e}", rollcall.display()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr.lines().last().unwrap_or_default().to_string();
            db.drop_now().await;
            return Err(format!("rollcall migrate on {name}: {}: {why}", out.status));
        }
        Ok(db)
    }

    pub async fn pool(&self) -> Result<PgPool, String> {
        PgPool::connect(&self.url)
            .await
            .map_err(|e| format!("connect {}: {e}", self.name))
    }

    /// Drops the database (closing other sessions on it); failures are only reported.
    pub async fn drop_now(&self) {
        let result = async {
            let mut admin = admin(&self.server).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        if let Err(e) = result {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}

/// The `rollcall` binary run on database `url` alone: quiet, uncoloured, and without the service's
/// settings this process may have inherited (an admin email without its password is refused).
pub fn rollcall_command(rollcall: &Path, url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(rollcall);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("ROLLCALL_")) {
            cmd.env_remove(key);
        }
    }
    cmd.env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1");
    cmd
}

async fn admin(server: &str) -> Result<PgConnection, String> {
    PgConnection::connect(&format!("{server}/postgres"))
        .await
        .map_err(|e| format!("connect {server}/postgres: {e}"))
}

/// `SHOW name` on the server of `pool`.
pub async fn show(pool: &PgPool, name: &str) -> String {
    sqlx::query_scalar::<_, String>(&format!("SHOW {name}"))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| format!("? ({e})"))
}
