//! No-network defaults for Ishtar's AI ports (docs/ai.md; docs/rules.md#the-chaperone, #the-beat).
//!
//! - [`LocalGuard`]: the chaperone's `Guard` port with no model gateway: a scored rule
//!   engine per Llama Guard 3 category over normalised text, plus similarity to labelled
//!   exemplars through the `Embedder` port; unsure is held, never allowed. [`LocalFirst`]
//!   runs it before a gateway guard. Figures: `docs/safety.md`.
//! - [`classifier`]: the guard's trained classifier (logistic regression over hashed
//!   n-grams), trained by `build.rs` from the committed labelled data.
//! - [`LocalEmbedder`]: deterministic hashed text features (word unigrams and bigrams,
//!   character 3-grams) in 384 dimensions, for the matchmaker's `Embedder` port.
//! - [`TemplateWriter`]: gambits and compatibility reports from fixed templates, for the
//!   `Writer` port; it repeats only handles and filtered interest words, never contact data.
//!
//! Everything here is pure computation: no network, no files, no randomness. Depends on the
//! domain only. The gateway adapters (`ishtar-ai-gateway`) implement the same ports.

pub mod classifier;
mod embedder;
mod guard;
mod rules;
mod text;
mod writer;

pub use embedder::{LOCAL_DIMENSIONS, LOCAL_MODEL, LocalEmbedder};
pub use guard::{
    Assessment, LocalFirst, LocalGuard, SIM_FLOOR, SIM_MARGIN, SIM_WEIGHT, UNSAFE_AT, UNSURE_AT,
    exemplars, nearest, similar_categories,
};
pub use writer::TemplateWriter;
