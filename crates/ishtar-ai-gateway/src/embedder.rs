//! [`GatewayEmbedder`]: `POST {base}/embeddings`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;

use crate::GatewayConfig;
use crate::client::Client;

#[derive(Serialize)]
struct EmbeddingsRequest<'a> {
    model: &'a str,
    input: Vec<&'a str>,
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

/// The `Embedder` port over an OpenAI-compatible `/embeddings` endpoint.
///
/// Texts go out in batches of `embed_batch`; each answer must hold exactly one vector per
/// input (matched by `index`, whatever order they come in), each of `embed_dimensions`
/// finite numbers, not all zero; anything else is [`ProviderError::malformed`]. Vectors are
/// L2-normalised here, whatever the provider does. An empty text is sent as a single
/// space (OpenAI refuses empty inputs).
#[derive(Debug, Clone)]
pub struct GatewayEmbedder {
    client: Client,
}

impl GatewayEmbedder {
    /// # Errors
    /// [`ProviderError::rejected`] when the base URL or key is unusable; `Unavailable` when
    /// the HTTP client cannot be built.
    pub fn new(cfg: GatewayConfig) -> Result<Self, ProviderError> {
        Ok(Self {
            client: Client::new(cfg)?,
        })
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ProviderError> {
        let cfg = &self.client.cfg;
        let request = EmbeddingsRequest {
            model: &cfg.embed_model,
            input: texts
                .iter()
                .map(|t| if t.is_empty() { " " } else { t.as_str() })
                .collect(),
        };
        let mut answer: EmbeddingsResponse = self
            .client
            .post_json("embeddings", "/embeddings", &request)
            .await?;
        if answer.data.len() != texts.len() {
            return Err(ProviderError::malformed(format!(
                "embeddings: {} vectors for {} texts",
                answer.data.len(),
                texts.len()
            )));
        }
        answer.data.sort_by_key(|item| item.index);
        let mut out = Vec::with_capacity(texts.len());
        for (position, item) in answer.data.into_iter().enumerate() {
            if item.index != position {
                return Err(ProviderError::malformed(
                    "embeddings: indices do not match the inputs",
                ));
            }
            out.push(normalise(item.embedding, cfg.embed_dimensions)?);
        }
        Ok(out)
    }
}

fn normalise(mut v: Vec<f32>, dimensions: usize) -> Result<Vec<f32>, ProviderError> {
    if v.len() != dimensions {
        return Err(ProviderError::malformed(format!(
            "embeddings: dimension {}, expected {dimensions}",
            v.len()
        )));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ProviderError::malformed("embeddings: non-finite value"));
    }
    let norm = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err(ProviderError::malformed("embeddings: zero vector"));
    }
    v.iter_mut()
        .for_each(|x| *x = (f64::from(*x) / norm) as f32);
    Ok(v)
}

#[async_trait]
impl Embedder for GatewayEmbedder {
    fn model(&self) -> String {
        self.client.cfg.embed_model.clone()
    }

    fn dimensions(&self) -> usize {
        self.client.cfg.embed_dimensions
    }

    #[tracing::instrument(skip_all, fields(texts = texts.len()))]
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProviderError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.client.cfg.embed_batch.max(1)) {
            out.extend(self.embed_batch(batch).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_checked_and_normalised() {
        let v = normalise(vec![3.0, 4.0], 2).expect("a good vector");
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert!(matches!(
            normalise(vec![1.0], 2),
            Err(ProviderError::Malformed { .. })
        ));
        assert!(matches!(
            normalise(vec![0.0, 0.0], 2),
            Err(ProviderError::Malformed { .. })
        ));
        assert!(matches!(
            normalise(vec![f32::NAN, 1.0], 2),
            Err(ProviderError::Malformed { .. })
        ));
    }
}
