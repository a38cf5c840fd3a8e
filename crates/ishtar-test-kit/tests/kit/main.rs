//! The kit's own tests: each double and fake does what its docs promise.

#![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

mod clock;
mod embedder;
mod gateway;
mod guard;
mod ids;
mod writer;
