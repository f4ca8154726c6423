# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS builder

# protoc + the well-known .proto files (google/protobuf/*.proto) for the gRPC build
RUN apt-get update \
    && apt-get install -y --no-install-recommends protobuf-compiler libprotobuf-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# BuildKit cache mounts keep the crates.io registry and target/ between builds;
# the binary is copied out of the cached target dir in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin rollcall \
    && install -m 0755 target/release/rollcall /usr/local/bin/rollcall

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 rollcall \
    && useradd --system --uid 10001 --gid rollcall --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin rollcall

COPY --from=builder /usr/local/bin/rollcall /usr/local/bin/rollcall

USER 10001:10001
EXPOSE 8080 50051
ENTRYPOINT ["rollcall"]
CMD ["serve"]
