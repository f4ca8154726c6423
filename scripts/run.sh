#!/usr/bin/env bash
# Run the rollcall service locally in the foreground (dev mode).
#
# Brings up PostgreSQL/NATS via scripts/services.sh, fills in dev defaults for
# unset (or empty) variables, then `cargo run --release --bin rollcall -- serve`.
# ROLLCALL_RUN_PROFILE=dev runs the debug build instead (scripts/doctest.sh
# does, to reuse the test build).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

bash scripts/services.sh

if [[ -z "${ROLLCALL_ADMIN_EMAIL:-}" || -z "${ROLLCALL_ADMIN_PASSWORD:-}" ]]; then
    # The password is in README.md; it is not echoed here because this goes to the log.
    echo "run: WARNING: using the dev default owner from README.md for unset variables" \
        "(ROLLCALL_ADMIN_EMAIL=admin@example.com, ROLLCALL_ADMIN_PASSWORD);" \
        "never use these outside local development" >&2
fi
export ROLLCALL_ADMIN_EMAIL="${ROLLCALL_ADMIN_EMAIL:-admin@example.com}"
export ROLLCALL_ADMIN_PASSWORD="${ROLLCALL_ADMIN_PASSWORD:-change-me-now}"

# A per-checkout random secret, generated once, so issued tokens survive
# restarts of the dev service. .dev/ is git-ignored.
if [[ -z "${ROLLCALL_AUTH_SECRET:-}" ]]; then
    secret_file=.dev/auth-secret
    mkdir -p .dev
    secret=""
    if [[ -f "$secret_file" ]]; then
        secret=$(tr -d '[:space:]' <"$secret_file")
    fi
    if [[ ! "$secret" =~ ^[0-9a-f]{64}$ ]]; then
        if [[ -f "$secret_file" ]]; then
            echo "run: WARNING: $secret_file is not a 64-hex-char secret, generating a new one" >&2
        else
            echo "run: generating dev auth secret in $secret_file" >&2
        fi
        secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
        [[ "$secret" =~ ^[0-9a-f]{64}$ ]] || {
            echo "run: ERROR: could not generate a random secret" >&2
            exit 1
        }
        (
            umask 077
            printf '%s\n' "$secret" >"$secret_file"
        )
    fi
    chmod 600 "$secret_file"
    export ROLLCALL_AUTH_SECRET="$secret"
fi

export RUST_LOG="${RUST_LOG:-info}"

exec cargo run --profile "${ROLLCALL_RUN_PROFILE:-release}" --bin rollcall -- serve
