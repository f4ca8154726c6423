//! The ONLYOFFICE wire shapes shared by the REST facade and NATS: how a request body (JSON, or a form
//! or XML body already turned into a JSON value; on NATS, the payload read as a borrowed
//! [`json::Json`]) binds to a draft, and how views and errors are written back (seed-shaped DTOs
//! inside the ONLYOFFICE envelope).

pub mod changes;
pub mod error;
pub mod groups;
pub mod input;
pub mod json;
pub mod names;
pub mod node;
pub mod output;
pub mod people;
