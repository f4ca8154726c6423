#!/usr/bin/env bash
# Benchmarks (issue 9, BENCHMARKS.md): build, start a fresh `rollcall serve` on free ports with its own
# database and NATS prefix, run rollcall-bench (service scenarios + pgbench ceilings on the same
# PostgreSQL), print the summary (also written to <target dir>/bench/latest.md), stop the service with
# SIGTERM and remove what this run created (its databases and JetStream streams).
#
# Usage: scripts/bench.sh [--quick] [--scenarios ceiling,peer,grpc,rest,update,rebuild,nats,bursts,visible] [-- TOOL ARGS]
#   --quick            short runs (3 s per scenario, 10k NATS commands, 100k rebuild events)
#   --scenarios LIST   only these scenarios (default: all but soak and visibility, which run only by name)
#   -- TOOL ARGS       passed to rollcall-bench (see `--help` there), e.g. -- --rate 2000 --secs 20
#
# Environment: BENCH_QUICK=1 and BENCH_SCENARIOS=… work like the flags; every BENCH_* variable of the
# tool is honoured; CARGO_TARGET_DIR as usual; ROLLCALL_SKIP_SERVICES=1 skips scripts/services.sh;
# ROLLCALL_DB_MAX_CONNECTIONS is passed on to the service; ROLLCALL_BENCH_BIN=path measures that rollcall
# binary instead of building one (an earlier build, for a before/after comparison in one sitting).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

readonly PG_SERVER=postgres://postgres@127.0.0.1:5432
readonly NATS_URL_DEFAULT=nats://127.0.0.1:4222

step() { printf '\n==> %s\n' "$*" >&2; }
log() { echo "bench: $*" >&2; }
die() {
    echo "bench: ERROR: $*" >&2
    exit 1
}

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

quick=${BENCH_QUICK:-}
scenarios=${BENCH_SCENARIOS:-}
tool_args=()
while (($# > 0)); do
    case "$1" in
    --quick) quick=1 ;;
    --scenarios) (($# >= 2)) || die "--scenarios needs a value"; scenarios=$2; shift ;;
    --scenarios=*) scenarios=${1#--scenarios=} ;;
    -h | --help) usage; exit 0 ;;
    --) shift; tool_args+=("$@"); break ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for '$*' (or install it yourself)"
    fi
}

# pgbench: Debian ships it with the server package of older releases (postgresql-15) and in
# postgresql-client of newer ones; /usr/bin/pgbench is a wrapper that fails when neither is there.
ensure_pgbench() {
    pgbench --version >/dev/null 2>&1 && return 0
    command -v apt-get >/dev/null 2>&1 || die "pgbench is missing; install it (PostgreSQL client tools)"
    log "pgbench missing, installing it"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >&2 || true
    pgbench --version >/dev/null 2>&1 && return 0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >&2 ||
        die "could not install pgbench"
    pgbench --version >/dev/null 2>&1 || die "pgbench still missing after installing postgresql-contrib"
}

psql_admin() { psql -X -w -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" "$@"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

step "1/5 services (PostgreSQL, NATS JetStream, protoc) and pgbench"
bash scripts/services.sh
ensure_pgbench
command -v psql >/dev/null 2>&1 || die "psql is missing (postgresql-client)"
command -v curl >/dev/null 2>&1 || die "curl is missing"

step "2/5 build (release binary and the bench tool)"
target_dir=${CARGO_TARGET_DIR:-target}
if [[ -n "${ROLLCALL_BENCH_BIN:-}" ]]; then
    rollcall_bin=$ROLLCALL_BENCH_BIN
    log "measuring $rollcall_bin (ROLLCALL_BENCH_BIN), not a fresh build"
else
    cargo build --release --locked --bin rollcall
    rollcall_bin=$target_dir/release/rollcall
fi
cargo bench --locked --bench rollcall-bench --no-run
# The peer (stock cqrs-es + postgres-es): its executable, from cargo's own report of the build.
peer_bin=$(cargo bench --locked --bench cqrs-peer --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*cqrs_peer[^"]*"' | tail -n 1 | cut -d'"' -f4)
[[ -x "$rollcall_bin" ]] || die "$rollcall_bin was not built"
[[ -n "$peer_bin" && -x "$peer_bin" ]] || die "the cqrs-peer bench was not built"

tag=$(random_hex 4)
db_name=rollcall_bench_$tag
prefix=bench$tag
http_port=$(free_port)
grpc_port=$(free_port)
[[ "$http_port" != "$grpc_port" ]] || grpc_port=$(free_port)
service_log=$target_dir/bench/service-$tag.log
mkdir -p "$target_dir/bench"
svc_pid=""
db_created=""

cleanup() {
    local rc=$?
    [[ -n "$db_created" ]] || exit "$rc"
    step "5/5 stop the service and clean up"
    if [[ -n "$svc_pid" ]] && kill -0 "$svc_pid" 2>/dev/null; then
        kill -TERM "$svc_pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 300; i++)); do
            kill -0 "$svc_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$svc_pid" 2>/dev/null; then
            log "service did not stop within 30 s of SIGTERM, killing it"
            kill -KILL "$svc_pid" 2>/dev/null || true
        fi
        wait "$svc_pid" 2>/dev/null || true
    fi
    cargo bench --locked --bench rollcall-bench -- --cleanup-only \
        --nats-url "${NATS_URL:-$NATS_URL_DEFAULT}" --nats-prefix "$prefix" >&2 ||
        log "WARNING: could not delete the JetStream streams of prefix $prefix"
    psql_admin -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >&2 ||
        log "WARNING: could not drop database $db_name"
    log "service log kept in $service_log"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "3/5 start rollcall serve (database $db_name, NATS prefix $prefix, HTTP :$http_port, gRPC :$grpc_port)"
psql_admin -c "CREATE DATABASE \"$db_name\"" >&2
db_created=1
admin_email=bench-$tag@example.com
admin_password=$(random_hex 12)
DATABASE_URL=$PG_SERVER/$db_name \
    NATS_URL=${NATS_URL:-$NATS_URL_DEFAULT} \
    ROLLCALL_HTTP_ADDR=127.0.0.1:$http_port \
    ROLLCALL_GRPC_ADDR=127.0.0.1:$grpc_port \
    ROLLCALL_NATS_PREFIX=$prefix \
    ROLLCALL_ADMIN_EMAIL=$admin_email \
    ROLLCALL_ADMIN_PASSWORD=$admin_password \
    ROLLCALL_AUTH_SECRET=$(random_hex 32) \
    ROLLCALL_LOG_FORMAT=text \
    RUST_LOG=warn \
    "$rollcall_bin" serve >"$service_log" 2>&1 &
svc_pid=$!
for ((i = 0; i < 600; i++)); do
    kill -0 "$svc_pid" 2>/dev/null || {
        tail -n 20 "$service_log" >&2
        die "rollcall serve exited during start"
    }
    curl -fsS -o /dev/null "http://127.0.0.1:$http_port/healthz" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$http_port/healthz" || die "rollcall serve not healthy after 60 s"
log "service up, pid $svc_pid"

step "4/5 rollcall-bench"
quick_arg=()
[[ "$quick" == 1 || "$quick" == true ]] && quick_arg=(--quick)
scenario_arg=()
[[ -n "$scenarios" ]] && scenario_arg=(--scenarios "$scenarios")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit+dirty"
BENCH_COMMIT=$commit \
    ROLLCALL_ADMIN_PASSWORD=$admin_password \
    cargo bench --locked --bench rollcall-bench -- \
    "${quick_arg[@]}" "${scenario_arg[@]}" \
    --tag "$tag" \
    --http-url "http://127.0.0.1:$http_port" \
    --grpc-url "http://127.0.0.1:$grpc_port" \
    --nats-url "${NATS_URL:-$NATS_URL_DEFAULT}" \
    --nats-prefix "$prefix" \
    --database-url "$PG_SERVER/$db_name" \
    --pg-server "$PG_SERVER" \
    --admin-email "$admin_email" \
    --pid "$svc_pid" \
    --rollcall-bin "$rollcall_bin" \
    --peer-bin "$peer_bin" \
    --pgbench-dir benches/pgbench \
    --out "$target_dir/bench/latest.md" \
    --chart "$target_dir/bench/latest.svg" \
    "${tool_args[@]}"
