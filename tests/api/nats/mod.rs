//! nats adapter tests against the real server.
