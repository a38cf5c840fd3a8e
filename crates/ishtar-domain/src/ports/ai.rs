//! AI ports (the matchmaker): embeddings for semantic matching and the venue's prose.
//! Adapters: `ishtar-ai-local` (no network) and `ishtar-ai-gateway` (an OpenAI-compatible
//! gateway).

use async_trait::async_trait;

use crate::error::ProviderError;

/// A persona as the writer sees it: its public handle and its heart as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaSketch {
    /// The persona's public handle.
    pub handle: String,
    /// Its heart flattened to plain text (what the writer may quote from).
    pub heart_text: String,
}

/// Turns texts into unit-length vectors for semantic matching.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model name, part of the embedding cache key (with the heart hash).
    fn model(&self) -> String;
    /// The vectors' dimension.
    fn dimensions(&self) -> usize;
    /// One L2-normalised vector per text, in order. Implementations batch as they need
    /// and MUST bound their time.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProviderError>;
}

/// Writes the venue's prose: a couple's opening gambit and the paid compatibility report.
/// Whatever it writes is chaperoned before it is published or delivered.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Writer: Send + Sync {
    /// An opening intro for a new couple, written by the matchmaker.
    async fn gambit(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError>;
    /// The compatibility report over a couple's two hearts.
    async fn report(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError>;
}
