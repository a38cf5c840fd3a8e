//! No-network defaults for Ishtar's AI ports (design.md §2, §3 "Chaperone", "Matchmaker").
//!
//! - [`LocalGuard`]: a deterministic rules classifier for the chaperone's `Guard` port, with
//!   Llama-Guard-style category codes, so the venue runs safely with no model gateway.
//! - [`LocalEmbedder`]: deterministic hashed text features (word unigrams and bigrams,
//!   character 3-grams) in 384 dimensions, for the matchmaker's `Embedder` port.
//! - [`TemplateWriter`]: gambits and compatibility reports from fixed templates, for the
//!   `Writer` port; it repeats only handles and filtered interest words, never contact data.
//!
//! Everything here is pure computation: no network, no files, no randomness. Depends on the
//! domain only. The gateway adapters (`ishtar-ai-gateway`) implement the same ports.

mod embedder;
mod guard;
mod text;
mod writer;

pub use embedder::{LOCAL_DIMENSIONS, LOCAL_MODEL, LocalEmbedder};
pub use guard::LocalGuard;
pub use writer::TemplateWriter;
