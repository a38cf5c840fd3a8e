//! Ishtar's pure core.
//!
//! Types, rules, state machines, use cases and the port traits that adapters implement.
//! This crate does no I/O: it depends on no runtime, no database driver, no HTTP stack
//! (`cargo tree -p ishtar-domain` must never show actix, diesel, reqwest, hyper or tokio).
//! Everything that touches the outside world goes through a trait in [`ports`].
//!
//! Start reading at [`venue::Venue`]: it groups the use-case services the HTTP adapter calls.

#![warn(missing_docs)]

pub mod admission;
pub mod auth;
pub mod beat;
pub mod boards;
pub mod chaperone;
pub mod console;
pub mod courtship;
pub mod erasure;
pub mod error;
pub mod escalation;
pub mod fields;
pub mod geo;
pub mod intake;
pub mod matcher;
pub mod model;
pub mod next_steps;
pub mod notify;
pub mod offload;
pub mod payments;
pub mod personas;
pub mod ports;
pub mod prefs;
pub mod profile;
pub mod retention;
pub mod sanitize;
pub mod settings;
pub mod states;
pub mod textnorm;
pub mod venue;

pub use error::{ProviderError, StoreError};
pub use venue::Venue;
