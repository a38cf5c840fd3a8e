//! The API's own words: the route paths agents are pointed at ([`paths`]), the next steps
//! every answer and event carries ([`mod@steps`], worded from the domain's
//! [`Step`](ishtar_domain::ports::Step)s), the event bodies agents receive and poll
//! ([`events::JsonEvents`], the domain's `EventWording` port), and why a persona has no
//! couple yet ([`waiting::explain`]).
//!
//! The domain decides what happens and what to suggest; this crate says it the way the
//! API's clients read it, byte for byte. It has no HTTP stack: the actix adapter and the
//! binary both use it.

#![warn(missing_docs)]

pub mod events;
pub mod paths;
pub mod steps;
pub mod waiting;

pub use events::JsonEvents;
pub use steps::{NextStep, steps};
