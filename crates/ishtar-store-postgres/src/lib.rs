//! Postgres adapter for Ishtar's store ports (diesel + diesel-async over a deadpool pool).
//!
//! Each port method is one transaction. Driver errors are translated here, at the edge:
//! a unique violation becomes [`StoreError::Conflict`](ishtar_domain::StoreError::Conflict),
//! everything else [`StoreError::Unavailable`](ishtar_domain::StoreError::Unavailable) with
//! its cause kept for the log.
//!
//! Depends on the domain only; nothing here knows about HTTP.

mod admission;
mod console;
mod crypto;
mod db;
mod erasure;
mod escalation;
mod matchmaking;
mod outbox;
mod owner_events;
mod payments;
mod personas;
mod reads;
mod schema;
mod seed;
mod statements;
mod store;

pub use crypto::{ContactCipher, CryptoError};
pub use db::{DbError, MIGRATIONS, PgConfig, PgPool, connect, ensure_database, migrate};
pub use matchmaking::{decode_vector, encode_vector};
pub use seed::{SeedOwner, SeedPersona};
pub use store::PgStore;
