//! Integration tests: the real application against real Postgres (a fresh database per test).

mod auth;
mod helpers;
mod lifecycle;
mod persons;
mod users;
