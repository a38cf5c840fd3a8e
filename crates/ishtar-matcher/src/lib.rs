//! Ishtar's matcher at scale: implementations of the domain's
//! [`NeighbourSearch`](ishtar_domain::matcher::NeighbourSearch) port.
//!
//! - [`ExactSearch`]: exact all-pairs top-k with a blocked SIMD kernel, each pair once,
//!   filters and top-k fused into the tiles, on every core. Right below [`CROSSOVER`].
//! - [`AnnIndex`]: an HNSW index (usearch, bf16) that is kept warm between beats —
//!   upserts re-index only changed vectors, and it saves to / loads from bytes or a file.
//! - [`Search`]: picks one of the two by the number of candidates.
//! - [`codec`]: vector encodings for Postgres `bytea` columns.
//! - [`synth`]: clustered synthetic personas for benchmarks and tests.
//!
//! The domain's [`match_beat`](ishtar_domain::matcher::match_beat) does the rest
//! (filters, reciprocity, greedy); see docs/matcher.md.

mod ann;
pub mod codec;
mod exact;
mod kernel;
mod search;
pub mod synth;
mod topk;

pub use ann::{AnnError, AnnIndex, AnnParams, SyncStats};
pub use exact::{ExactSearch, ExactStats};
pub use kernel::isa;
pub use search::{CROSSOVER, Search};
