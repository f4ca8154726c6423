//! grpc adapter tests against the real server.
