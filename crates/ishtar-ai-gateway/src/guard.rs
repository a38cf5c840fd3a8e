//! [`GatewayGuard`]: a Llama-Guard-style safety model behind `POST {base}/chat/completions`.

use async_trait::async_trait;
use serde::Serialize;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{Guard, GuardVerdict};

use crate::GatewayConfig;
use crate::client::Client;
use crate::writer::{ChatMessage, ChatResponse};

#[derive(Serialize)]
struct GuardRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage<'a>>,
    temperature: f32,
    max_tokens: u32,
}

/// The `Guard` port over a Llama-Guard-style model (the config's `guard_model`): the text
/// goes as the one user message, the gateway's chat template adds the safety policy, and
/// the answer is read by [`parse_guard_answer`]. Fail closed: every error, including an
/// answer that is neither `safe` nor `unsafe`, is a [`ProviderError`], which the chaperone
/// turns into a hold, never an allow.
#[derive(Debug, Clone)]
pub struct GatewayGuard {
    client: Client,
}

impl GatewayGuard {
    /// # Errors
    /// [`ProviderError::rejected`] when the base URL or key is unusable; `Unavailable` when
    /// the HTTP client cannot be built.
    pub fn new(cfg: GatewayConfig) -> Result<Self, ProviderError> {
        Ok(Self {
            client: Client::new(cfg)?,
        })
    }
}

/// Reads a Llama Guard answer: the first non-blank line is `safe` or `unsafe`
/// (case-insensitive); after `unsafe`, the next non-blank line may list category codes
/// (`S1,S10`, spaces allowed; codes are upper-cased, anything that is not `S<number>` is
/// dropped). `unsafe` with no codes is `Unsafe(vec![])`.
///
/// # Errors
/// [`ProviderError::malformed`] for anything else (`maybe`, prose, an empty answer).
pub fn parse_guard_answer(answer: &str) -> Result<GuardVerdict, ProviderError> {
    let mut lines = answer.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_ascii_lowercase();
    match first.as_str() {
        "safe" => Ok(GuardVerdict::Safe),
        "unsafe" => Ok(GuardVerdict::Unsafe(
            lines
                .next()
                .map(|codes| {
                    codes
                        .split(',')
                        .map(|c| c.trim().to_ascii_uppercase())
                        .filter(|c| {
                            c.strip_prefix('S').is_some_and(|n| {
                                !n.is_empty()
                                    && n.len() <= 3
                                    && n.bytes().all(|b| b.is_ascii_digit())
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )),
        _ => Err(ProviderError::malformed(
            "guard: answer is neither safe nor unsafe",
        )),
    }
}

#[async_trait]
impl Guard for GatewayGuard {
    #[tracing::instrument(skip_all)]
    async fn classify(&self, text: &str) -> Result<GuardVerdict, ProviderError> {
        let request = GuardRequest {
            model: &self.client.cfg.guard_model,
            messages: vec![ChatMessage {
                role: "user",
                content: text,
            }],
            temperature: 0.0,
            max_tokens: 32,
        };
        let answer = self
            .client
            .post_json::<_, ChatResponse>("guard", "/chat/completions", &request)
            .await?
            .into_text("guard")?;
        let verdict = parse_guard_answer(&answer);
        match &verdict {
            Ok(GuardVerdict::Safe) => tracing::debug!(verdict = "safe", "guard answered"),
            Ok(GuardVerdict::Unsafe(c)) => {
                tracing::debug!(verdict = "unsafe", categories = %c.join(","), "guard answered");
            }
            Ok(GuardVerdict::Unsure(c)) => {
                tracing::debug!(verdict = "unsure", categories = %c.join(","), "guard answered");
            }
            Err(_) => tracing::warn!("guard answer unreadable"),
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsafe_(codes: &[&str]) -> GuardVerdict {
        GuardVerdict::Unsafe(codes.iter().map(|c| (*c).to_owned()).collect())
    }

    #[test]
    fn llama_guard_answers_are_read_strictly() {
        let ok = |s: &str| parse_guard_answer(s).expect(s);
        assert_eq!(ok("safe"), GuardVerdict::Safe);
        assert_eq!(ok("\n\n  Safe  \n"), GuardVerdict::Safe);
        assert_eq!(ok("unsafe\nS1,S10"), unsafe_(&["S1", "S10"]));
        assert_eq!(ok("unsafe\n s2 , S14 ,banana"), unsafe_(&["S2", "S14"]));
        assert_eq!(ok("unsafe"), unsafe_(&[]));
        assert_eq!(ok("UNSAFE\n\nS3"), unsafe_(&["S3"]));
        for bad in [
            "",
            "maybe",
            "safe-ish",
            "The text is safe.",
            "unsafe: S1",
            "Unsure\nsafe",
        ] {
            assert!(
                matches!(
                    parse_guard_answer(bad),
                    Err(ProviderError::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
