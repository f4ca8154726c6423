//! rest adapter tests against the real server.
