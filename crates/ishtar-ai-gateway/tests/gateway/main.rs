//! The gateway adapters against a fake OpenAI-compatible server on loopback.

#![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

mod embedder;
mod fake;
mod guard;
mod retries;
mod writer;
