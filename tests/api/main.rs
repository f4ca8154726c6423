//! Integration tests: the real application against real Postgres and NATS (a fresh database and a
//! unique NATS prefix per test).

mod auth;
mod batch;
mod companies;
mod events_out;
mod fold;
mod grpc;
mod helpers;
mod interface;
mod key_scope;
mod lifecycle;
mod nats;
mod ops;
mod persons;
mod projections;
mod record_size;
mod rest;
mod unauthenticated;
mod users;
