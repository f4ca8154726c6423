#!/usr/bin/env bash
# The whole rollcall test suite: services, stale test DB cleanup, fmt, clippy,
# tests. Extra arguments are passed to the test runner (cargo nextest run, or
# cargo test when nextest is not installed).
#
# Environment (defaults exported when unset/empty):
#   ROLLCALL_TEST_DATABASE_URL  postgres://postgres@127.0.0.1:5432
#   ROLLCALL_TEST_NATS_URL      nats://127.0.0.1:4222
#   ROLLCALL_SKIP_SERVICES=1    don't check/start PostgreSQL and NATS
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

export ROLLCALL_TEST_DATABASE_URL="${ROLLCALL_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
export ROLLCALL_TEST_NATS_URL="${ROLLCALL_TEST_NATS_URL:-nats://127.0.0.1:4222}"

step() { printf '\n==> [%s] %s\n' "$1" "$2" >&2; }
die() {
    echo "test: ERROR: $*" >&2
    exit 1
}

step 1/5 "services (PostgreSQL, NATS JetStream, protoc, docker-compose)"
bash scripts/services.sh --test-tools

step 2/5 "drop leftover rollcall_test_* databases"
# NOTE: this kills connections to every rollcall_test_* database on the local
# server, so do not run two test suites against the same PostgreSQL at once.
if command -v psql >/dev/null 2>&1; then
    psql_cmd=(psql -X -w -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1)
    if dbs=$("${psql_cmd[@]}" -tA -c "select datname from pg_database where starts_with(datname, 'rollcall_test_') order by 1"); then
        dropped=0
        while IFS= read -r db; do
            [[ -n "$db" ]] || continue
            if "${psql_cmd[@]}" -c "DROP DATABASE IF EXISTS \"${db//\"/\"\"}\" WITH (FORCE)" >/dev/null; then
                dropped=$((dropped + 1))
            else
                echo "test: WARNING: could not drop database $db (ignored)" >&2
            fi
        done <<<"$dbs"
        echo "test: dropped $dropped leftover test database(s)" >&2
    else
        echo "test: WARNING: could not list databases on 127.0.0.1:5432, skipping cleanup" >&2
    fi
else
    echo "test: psql not installed, skipping cleanup" >&2
fi

step 3/5 "cargo fmt --all -- --check"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is not installed (rustup component add rustfmt)"
cargo fmt --all -- --check

step 4/5 "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --version >/dev/null 2>&1 || die "clippy is not installed (rustup component add clippy)"
cargo clippy --all-targets --locked -- -D warnings

step doc "README examples, run as written (scripts/doctest.sh)"
bash scripts/doctest.sh

if cargo nextest --version >/dev/null 2>&1; then
    step 5/5 "cargo nextest run --locked --no-fail-fast $*"
    exec cargo nextest run --locked --no-fail-fast "$@"
else
    step 5/5 "cargo test --locked --no-fail-fast $* (cargo-nextest not installed)"
    exec cargo test --locked --no-fail-fast "$@"
fi
