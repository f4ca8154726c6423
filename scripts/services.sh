#!/usr/bin/env bash
# Make sure the local development/test dependencies of rollcall are available:
#   * PostgreSQL on 127.0.0.1:5432, user `postgres` without password (trust)
#   * NATS with JetStream on 127.0.0.1:4222
#   * protoc (protobuf-compiler), needed by the gRPC build
#   * with --test-tools: docker-compose (the tests validate docker-compose.yml
#     statically with `docker-compose config`; no Docker engine is needed)
#
# Idempotent: when everything is already up this only runs a few read-only
# checks (well under a second) and changes nothing.
#
# Targets Debian/Ubuntu machines without systemd (dev boxes, CI containers):
# services are started with pg_ctlcluster / start-stop-daemon, never systemctl.
#
# Environment:
#   ROLLCALL_SKIP_SERVICES=1   do nothing (you manage PostgreSQL/NATS yourself)
set -euo pipefail

if [[ "${ROLLCALL_SKIP_SERVICES:-}" == "1" ]]; then
    echo "services: ROLLCALL_SKIP_SERVICES=1, not checking PostgreSQL/NATS/protoc" >&2
    exit 0
fi

readonly PG_HOST=127.0.0.1
readonly PG_PORT=5432
readonly NATS_HOST=127.0.0.1
readonly NATS_PORT=4222
readonly NATS_BIN=/usr/sbin/nats-server
readonly NATS_STORE=/var/lib/nats-server
readonly NATS_LOG=/var/log/nats-server.log
readonly WAIT_SECONDS=30
# The well-known types (google/protobuf/*.proto) live in libprotobuf-dev.
readonly PROTO_WKT=/usr/include/google/protobuf/timestamp.proto

log() { echo "services: $*" >&2; }
die() {
    echo "services: ERROR: $*" >&2
    exit 1
}

# Run a command with root privileges (directly when root, else via sudo).
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root privileges for '$*' but not root and sudo is not installed; run as root, install sudo, or start the services yourself and set ROLLCALL_SKIP_SERVICES=1"
    fi
}

apt_updated=0
apt_install() {
    (($# > 0)) || return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install these packages yourself: $*"
    if ((apt_updated == 0)); then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
            die "apt-get update failed"
        apt_updated=1
    fi
    log "apt-get install $*"
    local out
    if ! out=$(as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "apt-get install $* failed"
    fi
}

# tcp_open HOST PORT: true if something accepts TCP connections there.
tcp_open() {
    # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -h "$PG_HOST" -p "$PG_PORT" -q -t 2
    else
        tcp_open "$PG_HOST" "$PG_PORT"
    fi
}

nats_up() { tcp_open "$NATS_HOST" "$NATS_PORT"; }

# Prints the server's INFO line (sent by NATS right after connect), or nothing.
nats_info() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && IFS= read -r line <&3 && printf "%s\n" "$line"' \
        "$NATS_HOST" "$NATS_PORT" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# PostgreSQL helpers
# ---------------------------------------------------------------------------

# Sets PG_VER / PG_NAME / PG_STATUS / PG_LOG for the cluster on $PG_PORT
# (if any). Returns 1 when there is no such cluster.
pg_find_cluster() {
    PG_VER="" PG_NAME="" PG_STATUS="" PG_LOG=""
    local ver name port status _owner _dir logfile
    while read -r ver name port status _owner _dir logfile; do
        if [[ "$port" == "$PG_PORT" ]]; then
            PG_VER=$ver PG_NAME=$name PG_STATUS=$status PG_LOG=$logfile
            return 0
        fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
    return 1
}

pg_has_any_cluster() {
    [[ -n "$(pg_lsclusters -h 2>/dev/null || true)" ]]
}

pg_show_log() {
    if [[ -n "${PG_LOG:-}" ]]; then
        as_root tail -n 20 "$PG_LOG" >&2 || true
    fi
}

pg_wait_ready() {
    local i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        pg_ready && return 0
        sleep 0.5
    done
    return 1
}

pg_select1() {
    PGCONNECT_TIMEOUT=5 psql -X -w -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
        -tA -c 'select 1' 2>&1
}

# Make sure `psql -h 127.0.0.1 -U postgres` works without a password; if it
# fails with an authentication error, prepend trust lines to pg_hba.conf.
pg_ensure_trust() {
    command -v psql >/dev/null 2>&1 || {
        log "psql not installed, cannot verify password-less access for user postgres"
        return 0
    }
    local err
    if err=$(pg_select1); then
        return 0
    fi
    if ! grep -qiE 'password authentication failed|no password supplied|authentication failed|pg_hba\.conf' <<<"$err"; then
        die "cannot connect to PostgreSQL on $PG_HOST:$PG_PORT as postgres: $err"
    fi
    if ! command -v pg_lsclusters >/dev/null 2>&1 || ! pg_find_cluster; then
        die "PostgreSQL on $PG_HOST:$PG_PORT requires a password for user postgres and is not a local Debian cluster on port $PG_PORT; configure trust auth yourself ($err)"
    fi
    local hba=/etc/postgresql/$PG_VER/$PG_NAME/pg_hba.conf
    as_root test -f "$hba" || die "pg_hba.conf not found at $hba"
    log "WARNING: PostgreSQL refused password-less login for postgres over TCP;"
    log "WARNING: prepending 'host all all 127.0.0.1/32 trust' and 'host all all ::1/128 trust' to $hba"
    log "WARNING: (dev/CI machine setting: any local user can connect as any role; backup at $hba.rollcall.bak)"
    local content
    content=$(as_root cat "$hba")
    as_root cp -p "$hba" "$hba.rollcall.bak"
    # tee rewrites the file in place, keeping its owner and mode.
    printf '%s\n%s\n%s\n%s\n' \
        '# added by rollcall scripts/services.sh (dev/CI only): password-less local TCP' \
        'host all all 127.0.0.1/32 trust' \
        'host all all ::1/128 trust' \
        "$content" | as_root tee "$hba" >/dev/null
    as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_NAME" reload >&2 ||
        die "reloading PostgreSQL $PG_VER/$PG_NAME failed"
    local i
    for ((i = 0; i < 10; i++)); do
        err=$(pg_select1) && return 0
        sleep 0.5
    done
    die "still cannot connect as postgres on $PG_HOST:$PG_PORT after editing $hba: $err"
}

ensure_postgres() {
    if pg_ready; then
        pg_ensure_trust
        log "postgres up on $PG_HOST:$PG_PORT"
        return 0
    fi
    log "postgres not reachable on $PG_HOST:$PG_PORT, starting it"

    if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_lsclusters >/dev/null 2>&1; then
        apt_install postgresql postgresql-client
    elif ! command -v pg_isready >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
        apt_install postgresql-client
    fi

    if ! pg_find_cluster; then
        if pg_has_any_cluster; then
            pg_lsclusters >&2 || true
            die "there are PostgreSQL clusters, but none on port $PG_PORT; move one to $PG_PORT or start PostgreSQL yourself"
        fi
        local ver
        ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
        [[ -n "$ver" ]] || die "no PostgreSQL server version found under /usr/lib/postgresql"
        log "creating PostgreSQL cluster $ver/main on port $PG_PORT"
        as_root pg_createcluster -p "$PG_PORT" "$ver" main >&2 ||
            die "pg_createcluster $ver main failed"
        pg_find_cluster || die "cluster $ver/main was created but is not listed on port $PG_PORT"
    fi

    if [[ "$PG_STATUS" != online* ]]; then
        log "starting PostgreSQL cluster $PG_VER/$PG_NAME"
        as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_NAME" start >&2 || {
            pg_show_log
            die "could not start PostgreSQL cluster $PG_VER/$PG_NAME"
        }
    fi

    if ! pg_wait_ready; then
        pg_show_log
        die "PostgreSQL did not become ready on $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s"
    fi
    pg_ensure_trust
    log "postgres up on $PG_HOST:$PG_PORT"
}

# ---------------------------------------------------------------------------
# NATS helpers
# ---------------------------------------------------------------------------

# nats_check_jetstream [INFO-line]
nats_check_jetstream() {
    local info=${1:-}
    [[ -n "$info" ]] || info=$(nats_info)
    if [[ "$info" == INFO* ]]; then
        if [[ "$info" =~ \"jetstream\":[[:space:]]*true ]]; then
            return 0
        fi
        die "NATS on $NATS_HOST:$NATS_PORT is running without JetStream; restart it with -js (e.g. $NATS_BIN -a $NATS_HOST -p $NATS_PORT -js -sd $NATS_STORE)"
    fi
    # Could not read the INFO line; fall back to trusting the -js flag of a
    # locally running server, if we can see one.
    if command -v pgrep >/dev/null 2>&1 && pgrep -a nats-server 2>/dev/null | grep -qE -- '(^|[[:space:]])(-js|--jetstream)([[:space:]]|$)'; then
        return 0
    fi
    log "WARNING: could not verify that JetStream is enabled on $NATS_HOST:$NATS_PORT"
}

ensure_nats() {
    local info
    info=$(nats_info)
    if [[ "$info" == INFO* ]] || nats_up; then
        nats_check_jetstream "$info"
        log "nats (JetStream) up on $NATS_HOST:$NATS_PORT"
        return 0
    fi
    log "nats not reachable on $NATS_HOST:$NATS_PORT, starting it"
    [[ -x "$NATS_BIN" ]] || apt_install nats-server
    [[ -x "$NATS_BIN" ]] || die "$NATS_BIN still missing after installing nats-server"
    as_root mkdir -p "$NATS_STORE"
    as_root start-stop-daemon --start --oknodo --background --exec "$NATS_BIN" -- \
        -a "$NATS_HOST" -p "$NATS_PORT" -js -sd "$NATS_STORE" -l "$NATS_LOG" >&2 ||
        die "start-stop-daemon could not start $NATS_BIN"
    local i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if nats_up; then
            nats_check_jetstream
            log "nats (JetStream) up on $NATS_HOST:$NATS_PORT"
            return 0
        fi
        sleep 0.5
    done
    as_root tail -n 20 "$NATS_LOG" >&2 || true
    die "NATS did not come up on $NATS_HOST:$NATS_PORT within ${WAIT_SECONDS}s (log: $NATS_LOG)"
}

# ---------------------------------------------------------------------------
# protoc
# ---------------------------------------------------------------------------

protoc_missing_packages() {
    command -v protoc >/dev/null 2>&1 || echo protobuf-compiler
    [[ -e "$PROTO_WKT" ]] || echo libprotobuf-dev
}

# ---------------------------------------------------------------------------

main() {
    local -a pkgs=()
    mapfile -t pkgs < <(protoc_missing_packages)
    if [[ "${1:-}" == "--test-tools" ]] && ! command -v docker-compose >/dev/null 2>&1; then
        pkgs+=(docker-compose)
    fi
    # Install everything that is missing in one apt transaction up front.
    if { ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; } && ! pg_ready; then
        pkgs+=(postgresql postgresql-client)
    fi
    if [[ ! -x "$NATS_BIN" ]] && ! nats_up; then
        pkgs+=(nats-server)
    fi
    if ((${#pkgs[@]} > 0)); then
        apt_install "${pkgs[@]}"
    fi
    command -v protoc >/dev/null 2>&1 || die "protoc still missing after installing protobuf-compiler"
    if [[ "${1:-}" == "--test-tools" ]]; then
        command -v docker-compose >/dev/null 2>&1 || die "docker-compose still missing after installing it"
    fi

    ensure_postgres
    ensure_nats
}

main "$@"
