//! rollcall: an event-sourced People & CRM-contacts service speaking the ONLYOFFICE API 2.0 shape.
#![forbid(unsafe_code)]

pub mod application;
pub mod backoff;
pub mod config;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod metrics;
pub mod nats;
pub mod ops;
pub mod persistence;
pub mod proto;
pub mod read_model;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
pub mod wire;
