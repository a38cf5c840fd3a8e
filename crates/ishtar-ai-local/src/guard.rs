//! [`LocalGuard`]: a deterministic rules classifier for the chaperone's `Guard` port.

use async_trait::async_trait;

use ishtar_domain::ProviderError;
use ishtar_domain::chaperone::normalise;
use ishtar_domain::ports::{Guard, GuardVerdict};

/// Phrases per Llama Guard 3 category. Matched on whole words, case- and
/// punctuation-insensitively. Deliberately small: the local guard is a floor, not a model.
const RULES: &[(&str, &[&str])] = &[
    (
        "S1",
        &[
            "kill you",
            "i will hurt you",
            "beat you up",
            "shoot you",
            "stab you",
        ],
    ),
    (
        "S2",
        &[
            "buy drugs",
            "sell drugs",
            "money laundering",
            "wire me money",
            "gift card codes",
            "send me money",
        ],
    ),
    (
        "S3",
        &["rape", "non consensual", "drug her drink", "drug his drink"],
    ),
    (
        "S4",
        &[
            "underage",
            "under age",
            "preteen",
            "pre teen",
            "lolita",
            "schoolgirl",
            "jailbait",
            "child porn",
        ],
    ),
    (
        "S10",
        &[
            "white power",
            "ethnic cleansing",
            "racial purity",
            "subhuman",
        ],
    ),
    (
        "S11",
        &["kill myself", "suicide", "self harm", "cut myself"],
    ),
    (
        "S12",
        &[
            "send nudes",
            "nudes",
            "sexting",
            "nsfw",
            "explicit photos",
            "dick pic",
        ],
    ),
];

/// The deterministic local guard.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalGuard;

impl LocalGuard {
    /// The categories whose phrases occur in `text`, in code order.
    pub fn categories(text: &str) -> Vec<String> {
        let norm = normalise(text);
        RULES
            .iter()
            .filter(|(_, phrases)| phrases.iter().any(|p| norm.contains(&format!(" {p} "))))
            .map(|(code, _)| (*code).to_owned())
            .collect()
    }
}

#[async_trait]
impl Guard for LocalGuard {
    async fn classify(&self, text: &str) -> Result<GuardVerdict, ProviderError> {
        let cats = Self::categories(text);
        Ok(if cats.is_empty() {
            GuardVerdict::Safe
        } else {
            GuardVerdict::Unsafe(cats)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ordinary_dating_prose_is_safe() {
        let v = LocalGuard
            .classify("I want kids someday; I love drugstore novels and killer sudoku.")
            .await
            .expect("never errors");
        assert_eq!(v, GuardVerdict::Safe);
    }

    #[tokio::test]
    async fn unsafe_phrases_name_their_categories() {
        let v = LocalGuard
            .classify("Send NUDES... or I'll kill you")
            .await
            .expect("never errors");
        assert_eq!(v, GuardVerdict::Unsafe(vec!["S1".into(), "S12".into()]));
    }
}
