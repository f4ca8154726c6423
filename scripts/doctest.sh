#!/usr/bin/env bash
# Runs README.md's examples as written against a fresh service, and fails on the first one that
# does not work. Called by scripts/test.sh (CI); run it alone with `bash scripts/doctest.sh`.
#
# - The service is started with scripts/run.sh (the README's first command) on free ports, with its
#   own database (rollcall_doctest_<pid>) and NATS prefix (doctest_<pid>), both removed afterwards.
#   The debug build is used, as by the rest of CI (ROLLCALL_RUN_PROFILE=dev).
# - Every ```sh block is run, in README order, in one bash session with `set -euo pipefail`, so a
#   variable set in one block (B, TOKEN, client, ...) is there in the next, as in a terminal. A block
#   whose last non-blank line before the fence is `<!-- doctest: skip (why) -->` is not run.
# - The examples are written for the defaults; before running they are rewritten to this run's
#   127.0.0.1:8080 (REST), 127.0.0.1:50051 (gRPC), subjects rollcall.{commands,rpc,events,rejected}.…
#   (NATS prefix) and target/release, cargo build --release (debug build).
# - A block fails on any non-zero exit: curl examples use -f (an HTTP status >= 400 fails), and the
#   project's client (examples/client.rs) exits 1 on a failed gRPC call or an error reply.
#
# Environment: ROLLCALL_TEST_DATABASE_URL [postgres://postgres@127.0.0.1:5432] (server, no database),
# ROLLCALL_TEST_NATS_URL [nats://127.0.0.1:4222], DOCTEST_README [README.md] (the file to check).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

server_url="${ROLLCALL_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
export NATS_URL="${ROLLCALL_TEST_NATS_URL:-nats://127.0.0.1:4222}"
readme="${DOCTEST_README:-README.md}"
db="rollcall_doctest_$$"
prefix="doctest_$$"
work=$(mktemp -d)
service_pid=""
started=$SECONDS

say() { echo "doctest: $*" >&2; }

cleanup() {
    local rc=$?
    if [[ -n "$service_pid" ]] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$service_pid" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 && -f "$work/service.log" ]]; then
        say "last lines of the service log:"
        tail -n 40 "$work/service.log" >&2
    fi
    for stream in "$prefix-commands" "$prefix-events"; do
        target/debug/examples/client nats req "\$JS.API.STREAM.DELETE.$stream" '' >/dev/null 2>&1 || true
    done
    if command -v psql >/dev/null 2>&1; then
        psql -X -w -q -d "$server_url/postgres" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            say "WARNING: could not drop database $db"
    else
        say "WARNING: psql is not installed; database $db is left behind"
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

say "building the service and the client (debug)"
cargo build --quiet --locked --bin rollcall --example client

say "starting scripts/run.sh (database $db, NATS prefix $prefix)"
env -u ROLLCALL_ADMIN_EMAIL -u ROLLCALL_ADMIN_PASSWORD -u ROLLCALL_AUTH_SECRET -u ROLLCALL_TOKEN_TTL_SECS \
    ROLLCALL_RUN_PROFILE=dev DATABASE_URL="$server_url/$db" ROLLCALL_NATS_PREFIX="$prefix" \
    ROLLCALL_HTTP_ADDR=127.0.0.1:0 ROLLCALL_GRPC_ADDR=127.0.0.1:0 ROLLCALL_LOG_FORMAT=text RUST_LOG=info \
    bash scripts/run.sh >"$work/service.log" 2>&1 &
service_pid=$!

# run.sh execs the service, which logs "rollcall is serving http=ADDR grpc=ADDR" once it listens.
serving=""
for _ in $(seq 1 600); do
    kill -0 "$service_pid" 2>/dev/null || { say "the service exited before serving"; exit 1; }
    serving=$(grep -m1 'rollcall is serving' "$work/service.log" || true)
    [[ -n "$serving" ]] && break
    sleep 0.5
done
[[ -n "$serving" ]] || { say "the service did not start within 300 s"; exit 1; }
http=$(sed -E 's/.*http=([0-9.]+:[0-9]+).*/\1/' <<<"$serving")
grpc=$(sed -E 's/.*grpc=([0-9.]+:[0-9]+).*/\1/' <<<"$serving")
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://$http/readyz" 2>/dev/null && break
    sleep 0.5
done
curl -fsS -o /dev/null "http://$http/readyz" || { say "the service is not ready"; exit 1; }
say "serving REST on $http, gRPC on $grpc"

# README.md → one script: each block announced with its line, then its text, rewritten (POSIX awk
# and sed, so mawk does too).
awk -v readme="$readme" '
    !inside && /^```sh[[:space:]]*$/ {
        inside = 1; blocks++; run = !skip; skip = 0
        # __doctest_first: the script line of the first line of the block (after 2 + 2 lines).
        if (run) { ran++; printf "__doctest_at=%d __doctest_first=%d\nprintf \"\\n--- %s:%d\\n\" >&2\n", NR, out + 5, readme, NR; out += 2 }
        else { printf "printf \"\\n--- %s:%d: skipped\\n\" >&2\n", readme, NR; out++ }
        next
    }
    inside && /^```[[:space:]]*$/ { inside = 0; next }
    inside { if (run) { print; out++ }; next }
    /^<!-- doctest: skip/ { skip = 1; next }
    NF { skip = 0 }
    END { printf "__doctest_blocks=%d\n__doctest_ran=%d\n", blocks, ran }
' "$readme" | sed -E \
    -e "s/127\.0\.0\.1:8080/$http/g" \
    -e "s/127\.0\.0\.1:50051/$grpc/g" \
    -e "s/(^|[^A-Za-z0-9_.-])rollcall\.(commands|rpc|events|rejected)\./\1$prefix.\2./g" \
    -e 's#target/release/#target/debug/#g' \
    -e 's/cargo build --release/cargo build/g' >"$work/body.sh"

{
    echo 'set -euo pipefail'
    echo "trap 'rc=\$?; printf \"\\ndoctest: FAILED: the example at %s:%s (block at line %s) exited with %s\\n\" $readme \$((__doctest_at + 1 + LINENO - __doctest_first)) \$__doctest_at \$rc >&2' ERR"
    cat "$work/body.sh"
    echo 'printf "\ndoctest: ran %d of %d sh blocks\n" "$__doctest_ran" "$__doctest_blocks" >&2'
} >"$work/examples.sh"
grep -q '^__doctest_at=' "$work/examples.sh" || { say "no runnable sh block in $readme"; exit 1; }

say "running the examples of $readme"
bash "$work/examples.sh"
say "passed in $((SECONDS - started)) s"
