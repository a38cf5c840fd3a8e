//! reqwest adapters for Ishtar's AI ports against an OpenAI-compatible gateway
//! (docs/ai.md; docs/rules.md#the-chaperone, #the-beat and #configuration).
//!
//! - [`GatewayEmbedder`] (`Embedder`): `POST {base}/embeddings`, batched, L2-normalised.
//! - [`GatewayWriter`] (`Writer`): `POST {base}/chat/completions` for gambits and reports.
//! - [`GatewayGuard`] (`Guard`): `POST {base}/chat/completions` to a Llama-Guard-style
//!   safety model; anything but a clear `safe`/`unsafe` answer is an error (fail closed).
//!
//! Every call has a per-attempt timeout; 429, 5xx and connection failures are retried a
//! bounded number of times with exponential backoff (honouring `Retry-After` seconds,
//! capped); other 4xx are never retried. Prompts, texts and the API key are never logged.
//! Depends on the domain only; the binary maps environment variables to [`GatewayConfig`].

use std::time::Duration;

use secrecy::SecretString;

mod client;
mod embedder;
mod guard;
mod writer;

pub use embedder::GatewayEmbedder;
pub use guard::{GatewayGuard, parse_guard_answer};
pub use writer::GatewayWriter;

/// Default base URL (OpenAI's API).
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Default embedding model (`ISHTAR_EMBED_MODEL`).
pub const DEFAULT_EMBED_MODEL: &str = "text-embedding-3-small";
/// The dimension of [`DEFAULT_EMBED_MODEL`]'s vectors.
pub const DEFAULT_EMBED_DIMENSIONS: usize = 1536;
/// Default chat model for gambits and reports (`ISHTAR_CHAT_MODEL`).
pub const DEFAULT_CHAT_MODEL: &str = "gpt-4o-mini";
/// Default safety model (`ISHTAR_GUARD_MODEL`): Llama Guard 3, as several gateways name it.
pub const DEFAULT_GUARD_MODEL: &str = "llama-guard-3-8b";

/// How to reach the gateway. Plain data: the binary fills it from the environment.
///
/// `Debug` shows the key as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The API root, up to and including the version (`https://api.openai.com/v1`);
    /// paths such as `/embeddings` are appended. Default [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set. Default none.
    pub api_key: Option<SecretString>,
    /// Default [`DEFAULT_EMBED_MODEL`].
    pub embed_model: String,
    /// What [`GatewayEmbedder`] reports as its dimension; every returned vector must have
    /// it, or the answer is malformed. Default [`DEFAULT_EMBED_DIMENSIONS`] (1536).
    pub embed_dimensions: usize,
    /// Default [`DEFAULT_CHAT_MODEL`].
    pub chat_model: String,
    /// Default [`DEFAULT_GUARD_MODEL`].
    pub guard_model: String,
    /// Bound on each attempt: connect, request and the whole response. Default 20 s.
    pub timeout: Duration,
    /// Retries after the first attempt, on 429, 5xx and connection failures. Default 2.
    pub max_retries: u32,
    /// Texts per embeddings request (at least 1). Default 64.
    pub embed_batch: usize,
    /// The first backoff; doubled per retry. Default 500 ms.
    pub backoff_base: Duration,
    /// The longest wait between attempts, also the cap on `Retry-After`. Default 10 s.
    pub backoff_max: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            embed_model: DEFAULT_EMBED_MODEL.to_owned(),
            embed_dimensions: DEFAULT_EMBED_DIMENSIONS,
            chat_model: DEFAULT_CHAT_MODEL.to_owned(),
            guard_model: DEFAULT_GUARD_MODEL.to_owned(),
            timeout: Duration::from_secs(20),
            max_retries: 2,
            embed_batch: 64,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let cfg = GatewayConfig {
            api_key: Some(SecretString::from("sk-very-secret")),
            ..GatewayConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
        let embedder = format!("{:?}", GatewayEmbedder::new(cfg.clone()));
        let guard = format!("{:?}", GatewayGuard::new(cfg.clone()));
        let writer = format!("{:?}", GatewayWriter::new(cfg));
        for shown in [embedder, guard, writer] {
            assert!(shown.starts_with("Ok("), "{shown}");
            assert!(!shown.contains("sk-very-secret"), "{shown}");
        }
    }
}
