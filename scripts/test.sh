#!/usr/bin/env bash
# The whole rollcall test suite: services, fmt, clippy, a sweep of stale test
# databases and streams, tests; prints how long it took. Extra arguments are
# passed to the test runner (cargo nextest run, or cargo test when nextest is
# not installed).
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

started=$SECONDS
finish() {
    local status=$?
    local elapsed=$((SECONDS - started))
    printf '\ntest: %s after %dm%02ds\n' "$([[ $status -eq 0 ]] && echo passed || echo FAILED)" \
        $((elapsed / 60)) $((elapsed % 60)) >&2
}
trap finish EXIT

if cargo nextest --version >/dev/null 2>&1; then
    runner=nextest
else
    runner=cargo-test
fi
sweep=helpers::sweep::stale_test_databases_and_streams_are_swept

step 1/5 "services (PostgreSQL, NATS JetStream, protoc, docker-compose)"
bash scripts/services.sh --test-tools

step 2/5 "cargo fmt --all -- --check"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is not installed (rustup component add rustfmt)"
cargo fmt --all -- --check

step 3/5 "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --version >/dev/null 2>&1 || die "clippy is not installed (rustup component add clippy)"
cargo clippy --all-targets --locked -- -D warnings

# Only what is older than an hour goes (tests/api/helpers/sweep.rs): a suite running next to this one
# on the same servers keeps its databases and streams.
step 4/5 "sweep test databases and NATS streams older than an hour"
if [[ $runner == nextest ]]; then
    cargo nextest run --locked --run-ignored only --no-capture --status-level none --final-status-level none \
        -E "test(=$sweep)"
else
    cargo test --locked --test api -- --ignored --exact "$sweep" --nocapture
fi

step doc "README examples, run as written (scripts/doctest.sh)"
bash scripts/doctest.sh

if [[ $runner == nextest ]]; then
    step 5/5 "cargo nextest run --locked --no-fail-fast $*"
    cargo nextest run --locked --no-fail-fast "$@"
else
    step 5/5 "cargo test --locked --no-fail-fast $* (cargo-nextest not installed)"
    cargo test --locked --no-fail-fast "$@"
fi
