//! [`LocalEmbedder`]: deterministic hashed text features, no model, no network.

use std::collections::BTreeMap;

use async_trait::async_trait;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;

use crate::text::{is_stop_word, words};

/// The vectors' dimension.
pub const LOCAL_DIMENSIONS: usize = 384;

/// The model name: part of the embedding cache key. Change it whenever the features,
/// weights or hash change, so cached vectors are recomputed.
pub const LOCAL_MODEL: &str = "ishtar-local-hash-384-v1";

/// Per-kind weights: whole words carry the meaning, bigrams a little word order, character
/// 3-grams catch shared stems (`hike`/`hiking`) without letting spelling dominate.
const WORD_WEIGHT: f32 = 1.0;
const BIGRAM_WEIGHT: f32 = 0.6;
const TRIGRAM_WEIGHT: f32 = 0.35;

/// A deterministic embedder for running without a model gateway.
///
/// Features of each text: lower-cased word unigrams (stop words dropped), word bigrams
/// (unless both words are stop words) and character 3-grams of each non-stop word padded
/// with `<` and `>`. Each feature weighs `kind_weight × (1 + ln tf)` and is added with a
/// sign into one of [`LOCAL_DIMENSIONS`] buckets chosen by a fixed 64-bit hash (FNV-1a with
/// a SplitMix64 finaliser; never std's randomly keyed hasher), then the vector is
/// L2-normalised. Same text, same vector, on every machine and every run.
///
/// A text with no features (empty, or only punctuation) gets the all-zero vector: finite,
/// not unit length, cosine 0 with everything, so it never clears `min_fit` and two empty
/// hearts never look alike. Consumers that divide by norms must treat zero as "no match".
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalEmbedder;

impl LocalEmbedder {
    /// The vector of one text (see the type's docs).
    pub fn vector(text: &str) -> Vec<f32> {
        let mut v = vec![0.0_f32; LOCAL_DIMENSIONS];
        // BTreeMap: features are summed in a fixed order, so results are bit-identical.
        for (feature, (weight, tf)) in features(text) {
            let h = hash64(feature.as_bytes());
            let bucket = usize::try_from(h % LOCAL_DIMENSIONS as u64).unwrap_or(0);
            let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
            v[bucket] += sign * weight * (1.0 + (tf as f32).ln());
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 && norm.is_finite() {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        v
    }
}

/// Feature → (kind weight, term frequency). Kinds are prefixed so a word and a 3-gram with
/// the same letters are different features.
fn features(text: &str) -> BTreeMap<String, (f32, u32)> {
    let mut out: BTreeMap<String, (f32, u32)> = BTreeMap::new();
    let mut add = |key: String, weight: f32| out.entry(key).or_insert((weight, 0)).1 += 1;
    let ws = words(text);
    for w in &ws {
        if is_stop_word(w) {
            continue;
        }
        add(format!("w:{w}"), WORD_WEIGHT);
        let padded: Vec<char> = std::iter::once('<')
            .chain(w.chars())
            .chain(std::iter::once('>'))
            .collect();
        for tri in padded.windows(3) {
            add(
                format!("c:{}", tri.iter().collect::<String>()),
                TRIGRAM_WEIGHT,
            );
        }
    }
    for pair in ws.windows(2) {
        if !(is_stop_word(&pair[0]) && is_stop_word(&pair[1])) {
            add(format!("b:{} {}", pair[0], pair[1]), BIGRAM_WEIGHT);
        }
    }
    out
}

/// FNV-1a 64 followed by the SplitMix64 finaliser (FNV's low bits alone mix poorly).
fn hash64(bytes: &[u8]) -> u64 {
    let mut h = fnv1a64(bytes);
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn model(&self) -> String {
        LOCAL_MODEL.to_owned()
    }

    fn dimensions(&self) -> usize {
        LOCAL_DIMENSIONS
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProviderError> {
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    #[test]
    fn the_hash_is_fnv1a_and_stable() {
        // Published FNV-1a 64 test vectors: if these move, so does every cached vector.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn similar_texts_score_higher_than_unrelated_ones() {
        let a = LocalEmbedder::vector(
            "I love hiking in the mountains, cooking Italian food and reading novels.",
        );
        let b = LocalEmbedder::vector(
            "Weekends are for mountain hikes and cooking pasta; I read a novel every week.",
        );
        let c = LocalEmbedder::vector(
            "Quantum chromodynamics lecture notes: gauge symmetry and renormalisation.",
        );
        let ab = cosine(&a, &b);
        let ac = cosine(&a, &c);
        let bc = cosine(&b, &c);
        assert!(ab > ac + 0.1, "ab={ab} ac={ac}");
        assert!(ab > bc + 0.1, "ab={ab} bc={bc}");
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let t = "Jazz, ramen, long walks. Jazz again!";
        let v = LocalEmbedder::vector(t);
        assert_eq!(v.len(), LOCAL_DIMENSIONS);
        assert!((norm(&v) - 1.0).abs() < 1e-5);
        assert_eq!(v, LocalEmbedder::vector(t));
        assert!((cosine(&v, &LocalEmbedder::vector(&t.to_uppercase())) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn text_without_features_is_the_zero_vector() {
        for t in ["", "   ", "?!…", "the and of"] {
            let v = LocalEmbedder::vector(t);
            assert_eq!(v.len(), LOCAL_DIMENSIONS);
            assert!(v.iter().all(|x| *x == 0.0), "{t:?}");
        }
    }

    #[tokio::test]
    async fn embed_answers_one_vector_per_text_in_order() {
        let e = LocalEmbedder;
        assert_eq!(e.model(), "ishtar-local-hash-384-v1");
        assert_eq!(e.dimensions(), 384);
        let texts = vec!["jazz".to_owned(), String::new(), "ramen".to_owned()];
        let out = e.embed(texts.clone()).await.expect("never errors");
        assert_eq!(out.len(), 3);
        for (t, v) in texts.iter().zip(&out) {
            assert_eq!(v, &LocalEmbedder::vector(t));
            assert!(v.iter().all(|x| x.is_finite()));
        }
        assert!(e.embed(Vec::new()).await.expect("never errors").is_empty());
    }
}
