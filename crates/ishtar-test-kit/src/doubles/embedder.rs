//! An embedder with vectors hashed from the text.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;
use sha2::{Digest, Sha256};

use super::{ErrorFactory, provider_down};

/// The dimension `ishtar-ai-local`'s embedder produces, and so this double's default.
pub const LOCAL_DIMENSIONS: usize = 384;

/// An [`Embedder`] whose vector for a text is a pure function of the text (SHA-256 based,
/// unit length), so equal texts get equal vectors and different texts almost orthogonal
/// ones. A test can pin a text's vector with [`set_vector`](Self::set_vector), read every
/// batch it was asked for, and make it fail to test fail-closed paths.
///
/// ```
/// use ishtar_domain::ports::Embedder;
/// use ishtar_domain::ProviderError;
/// use ishtar_test_kit::ScriptedEmbedder;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let embedder = ScriptedEmbedder::default();
/// assert_eq!(embedder.dimensions(), 384);
/// let v = embedder.embed(vec!["tea".into(), "tea".into()]).await.unwrap();
/// assert_eq!(v[0], v[1]);
/// assert_eq!(v[0].len(), 384);
/// embedder.fail_with(|| ProviderError::rejected("quota"));
/// assert!(embedder.embed(vec!["tea".into()]).await.is_err());
/// assert_eq!(embedder.calls().len(), 2);
/// # });
/// ```
pub struct ScriptedEmbedder {
    model: String,
    dimensions: usize,
    pinned: Mutex<HashMap<String, Vec<f32>>>,
    failure: Mutex<Option<ErrorFactory>>,
    calls: Mutex<Vec<Vec<String>>>,
}

impl fmt::Debug for ScriptedEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedEmbedder")
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("failing", &self.failure.lock().unwrap().is_some())
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

impl Default for ScriptedEmbedder {
    fn default() -> Self {
        Self::with_dimensions(LOCAL_DIMENSIONS)
    }
}

impl ScriptedEmbedder {
    /// The model name it reports (part of the embedding cache key).
    pub const MODEL: &str = "scripted-hash";

    /// An embedder of `dimensions`-d vectors, model [`Self::MODEL`].
    ///
    /// # Panics
    /// If `dimensions` is 0.
    pub fn with_dimensions(dimensions: usize) -> Self {
        assert!(dimensions > 0, "an embedding needs at least one dimension");
        Self {
            model: Self::MODEL.to_owned(),
            dimensions,
            pinned: Mutex::default(),
            failure: Mutex::default(),
            calls: Mutex::default(),
        }
    }

    /// The same embedder reporting `model` as its model name.
    pub fn named(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// The vector this embedder gives `text` unless it was pinned: unit length,
    /// [`dimensions`](Embedder::dimensions) long, the same on every call.
    pub fn vector_for(&self, text: &str) -> Vec<f32> {
        hashed_unit_vector(text, self.dimensions)
    }

    /// From now on `text` embeds to `vector` normalised to unit length.
    ///
    /// # Panics
    /// If `vector` has the wrong length or is all zeros.
    pub fn set_vector(&self, text: impl Into<String>, vector: Vec<f32>) {
        assert_eq!(vector.len(), self.dimensions, "pinned vector length");
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(norm > 0.0, "a pinned vector cannot be all zeros");
        let unit = vector.into_iter().map(|x| x / norm).collect();
        self.pinned.lock().unwrap().insert(text.into(), unit);
    }

    /// Every later call fails with [`ProviderError::Unavailable`].
    pub fn fail(&self) {
        self.fail_with(provider_down);
    }

    /// Every later call fails with what `error` makes.
    pub fn fail_with(&self, error: impl Fn() -> ProviderError + Send + Sync + 'static) {
        *self.failure.lock().unwrap() = Some(Arc::new(error));
    }

    /// Later calls succeed again.
    pub fn recover(&self) {
        *self.failure.lock().unwrap() = None;
    }

    /// The texts of every call so far, one batch per call (failed ones too).
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

/// `dimensions` floats in [-1, 1] from SHA-256(text, block index), scaled to unit length.
fn hashed_unit_vector(text: &str, dimensions: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(dimensions);
    let mut block = 0_u32;
    while v.len() < dimensions {
        let digest = Sha256::new()
            .chain_update(block.to_be_bytes())
            .chain_update(text.as_bytes())
            .finalize();
        for pair in digest.chunks_exact(2) {
            if v.len() == dimensions {
                break;
            }
            let raw = u16::from_be_bytes([pair[0], pair[1]]);
            v.push(f32::from(raw) / f32::from(u16::MAX) * 2.0 - 1.0);
        }
        block += 1;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        // Astronomically unlikely; keep the unit-length promise anyway.
        v[0] = 1.0;
        return v;
    }
    v.into_iter().map(|x| x / norm).collect()
}

#[async_trait]
impl Embedder for ScriptedEmbedder {
    fn model(&self) -> String {
        self.model.clone()
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProviderError> {
        self.calls.lock().unwrap().push(texts.clone());
        if let Some(make) = &*self.failure.lock().unwrap() {
            return Err(make());
        }
        let pinned = self.pinned.lock().unwrap();
        Ok(texts
            .iter()
            .map(|t| pinned.get(t).cloned().unwrap_or_else(|| self.vector_for(t)))
            .collect())
    }
}
