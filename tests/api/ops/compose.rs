//! The compose stack, checked statically (no Docker engine runs here): `docker-compose config`
//! accepts it, every service has a health check, the service waits for healthy dependencies, JetStream
//! keeps its data on a volume, every variable given to the service is one the binary reads, and the
//! image is a multi-stage release build that runs as a non-root user.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::helpers::binary::BIN;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One `key: value` (or `- item`) line of the normalized YAML with the keys above it.
#[derive(Debug)]
struct Entry {
    path: Vec<String>,
    value: String,
}

/// Reads the block-style YAML `docker-compose config` prints (two-space indents, one key a line).
fn entries(yaml: &str) -> Vec<Entry> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    for line in yaml
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim_start();
        if let Some(item) = text.strip_prefix("- ") {
            // `docker-compose config` puts a list's items at its key's indent.
            stack.retain(|(i, _)| *i <= indent);
            let path = stack.iter().map(|(_, k)| k.clone()).collect();
            out.push(Entry {
                path,
                value: item.to_string(),
            });
            continue;
        }
        let (key, value) = text.split_once(':').expect("a key: value line");
        stack.retain(|(i, _)| *i < indent);
        stack.push((indent, key.trim().to_string()));
        out.push(Entry {
            path: stack.iter().map(|(_, k)| k.clone()).collect(),
            value: value.trim().to_string(),
        });
    }
    out
}

/// The keys directly under `path`.
fn keys<'a>(entries: &'a [Entry], path: &[&str]) -> BTreeSet<&'a str> {
    entries
        .iter()
        .filter(|e| e.path.len() == path.len() + 1 && e.path.iter().zip(path).all(|(a, b)| a == b))
        .map(|e| e.path[path.len()].as_str())
        .collect()
}

/// The values of the list or scalar at `path`.
fn values<'a>(entries: &'a [Entry], path: &[&str]) -> Vec<&'a str> {
    entries
        .iter()
        .filter(|e| e.path.len() == path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
        .map(|e| e.value.as_str())
        .filter(|v| !v.is_empty())
        .collect()
}

fn compose_config() -> String {
    let out = Command::new("docker-compose")
        .args(["--project-directory", ROOT, "-f"])
        .arg(Path::new(ROOT).join("docker-compose.yml"))
        .arg("config")
        .env("ROLLCALL_ADMIN_PASSWORD", "a-password-for-the-check")
        .env("ROLLCALL_AUTH_SECRET", "s".repeat(40))
        .output()
        .expect("docker-compose is installed (scripts/services.sh --test-tools installs it)");
    assert!(
        out.status.success(),
        "docker-compose config refused the file:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every `[env: NAME=…]` that `rollcall --help` documents.
fn variables_the_binary_reads() -> BTreeSet<String> {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    help.split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_compose_file_validates_and_gives_the_service_only_variables_it_reads() {
    let yaml = compose_config();
    let e = entries(&yaml);
    let services = keys(&e, &["services"]);
    assert_eq!(services, BTreeSet::from(["nats", "postgres", "rollcall"]));
    for service in &services {
        assert!(
            !values(&e, &["services", service, "healthcheck", "test"]).is_empty(),
            "{service} has no health check"
        );
    }
    for dependency in ["postgres", "nats"] {
        assert_eq!(
            values(&e, &["services", "rollcall", "depends_on", dependency, "condition"]),
            ["service_healthy"],
            "rollcall must wait for a healthy {dependency}"
        );
    }
    let nats_command = values(&e, &["services", "nats", "command"]);
    assert!(nats_command.contains(&"-js"), "JetStream is enabled: {nats_command:?}");
    let store = nats_command
        .iter()
        .position(|a| *a == "-sd")
        .map(|i| nats_command[i + 1]);
    let volumes = values(&e, &["services", "nats", "volumes"]);
    assert!(
        store.is_some_and(|dir| volumes.iter().any(|v| v.contains(&format!(":{dir}")))),
        "JetStream's store {store:?} is on a volume: {volumes:?}"
    );
    assert!(
        values(&e, &["services", "rollcall", "healthcheck", "test"])
            .iter()
            .any(|a| a.contains("/readyz")),
        "the service's health check is its readiness"
    );

    let readable = variables_the_binary_reads();
    let given = keys(&e, &["services", "rollcall", "environment"]);
    assert!(
        given.contains("DATABASE_URL") && given.contains("NATS_URL"),
        "{given:?}"
    );
    let unknown: Vec<_> = given.iter().filter(|v| !readable.contains(**v)).collect();
    assert!(
        unknown.is_empty(),
        "compose sets variables the binary never reads: {unknown:?} (reads {readable:?})"
    );
}

#[test]
fn the_image_is_a_multi_stage_release_build_running_as_a_non_root_user() {
    let dockerfile = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let stages: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].starts_with("FROM ")).collect();
    assert!(stages.len() >= 2, "a build stage and a runtime stage");
    assert!(dockerfile.contains("cargo build --release"));
    let runtime = &lines[*stages.last().unwrap()..];
    let user = runtime
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER in the runtime stage");
    let uid = user.split(':').next().unwrap();
    assert!(uid != "root" && uid != "0", "runs as {user}");
    assert!(
        runtime.iter().any(|l| l.starts_with("COPY --from=")),
        "the binary comes from the build stage"
    );
    assert!(
        !runtime.iter().any(|l| l.contains("cargo ")),
        "no toolchain in the runtime image"
    );
}
