//! Ishtar's matcher at scale: implementations of the domain's
//! [`NeighbourSearch`](ishtar_domain::ports::NeighbourSearch) port.
//!
//! - [`ExactSearch`]: exact all-pairs top-k with a blocked SIMD kernel, each pair once,
//!   filters and top-k fused into the tiles, whole tiles skipped when no pair in them can
//!   pass the filters, on every core. Used below [`CROSSOVER`].
//! - [`ClusteredSearch`]: the same kernel restricted to pairs of nearby k-means clusters
//!   (approximate); the default above the crossover.
//! - [`AnnIndex`]: HNSW graphs (usearch, bf16), one per filter class, kept warm between
//!   beats — a beat re-inserts only changed personas, and the index saves to / loads from
//!   bytes or a file.
//! - [`Search`]: picks by the number of candidates.
//! - [`codec`]: vector encodings for Postgres `bytea` columns.
//! - [`synth`]: clustered synthetic personas for benchmarks and tests.
//!
//! The domain's [`match_beat`](ishtar_domain::matcher::match_beat) does the rest
//! (filters, reciprocity, greedy); see docs/matcher.md.

mod ann;
mod clustered;
pub mod codec;
mod exact;
mod kernel;
mod search;
pub mod synth;
mod topk;

pub use ann::{AnnError, AnnIndex, AnnParams, SyncStats};
pub use clustered::{ClusterStats, ClusteredSearch};
pub use exact::{ExactSearch, ExactStats};
pub use kernel::isa;
pub use search::{Approximate, CROSSOVER, Search};
