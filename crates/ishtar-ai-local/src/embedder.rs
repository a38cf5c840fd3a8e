//! [`LocalEmbedder`]: deterministic hashed text features, no model, no network.

use async_trait::async_trait;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;

use crate::text::{is_stop_word, words};

/// The vectors' dimension.
pub const LOCAL_DIMENSIONS: usize = 384;

/// The model name: part of the embedding cache key. Change it whenever the features,
/// weights or hash change, so cached vectors are recomputed.
pub const LOCAL_MODEL: &str = "ishtar-local-hash-384-v2";

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
        // Features are summed in the order of their hashes, so results are bit-identical
        // on every run and machine.
        for (h, weight, tf) in features(text) {
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

/// FNV-1a 64 over several byte strings, as if they were one.
fn fnv_parts(parts: &[&[u8]]) -> u64 {
    parts.iter().fold(FNV_OFFSET, |h, p| {
        p.iter()
            .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
    })
}

/// (feature hash, kind weight, term frequency) of every distinct feature, in hash order.
/// A feature is its kind prefix and its text (`w:word`, `c:<wo`, `b:one two`), hashed
/// with FNV-1a 64 and the SplitMix64 finaliser without building the string; 64-bit hashes stand in for the features
/// themselves (a collision would merge two features, about once in 10^19 pairs).
fn features(text: &str) -> Vec<(u64, f32, u32)> {
    let ws = words(text);
    let mut hashed: Vec<(u64, f32)> = Vec::with_capacity(ws.len() * 8);
    let mut buf = [0u8; 4];
    for w in &ws {
        if is_stop_word(w) {
            continue;
        }
        hashed.push((finalise(fnv_parts(&[b"w:", w.as_bytes()])), WORD_WEIGHT));
        let padded: Vec<char> = std::iter::once('<')
            .chain(w.chars())
            .chain(std::iter::once('>'))
            .collect();
        for tri in padded.windows(3) {
            let mut h = fnv_parts(&[b"c:"]);
            for c in tri {
                h = c
                    .encode_utf8(&mut buf)
                    .bytes()
                    .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
            }
            hashed.push((finalise(h), TRIGRAM_WEIGHT));
        }
    }
    for pair in ws.windows(2) {
        if !(is_stop_word(&pair[0]) && is_stop_word(&pair[1])) {
            let h = fnv_parts(&[b"b:", pair[0].as_bytes(), b" ", pair[1].as_bytes()]);
            hashed.push((finalise(h), BIGRAM_WEIGHT));
        }
    }
    hashed.sort_unstable_by_key(|(h, _)| *h);
    let mut out: Vec<(u64, f32, u32)> = Vec::with_capacity(hashed.len());
    for (h, w) in hashed {
        match out.last_mut() {
            Some(last) if last.0 == h => last.2 += 1,
            _ => out.push((h, w, 1)),
        }
    }
    out
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 followed by the SplitMix64 finaliser (FNV's low bits alone mix poorly).
#[cfg(test)]
fn hash64(bytes: &[u8]) -> u64 {
    finalise(fnv1a64(bytes))
}

/// The SplitMix64 finaliser.
fn finalise(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv_parts(&[bytes])
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
    fn a_features_hash_is_the_hash_of_its_text() {
        // The features are hashed in parts; the result must be the hash of the whole
        // feature string (`w:word`, `c:<wo`, `b:one two`), as the model's docs say.
        let fs = features("sourdough bread");
        let hashes: Vec<u64> = fs.iter().map(|f| f.0).collect();
        for feature in [
            "w:sourdough",
            "w:bread",
            "c:<so",
            "c:ad>",
            "b:sourdough bread",
        ] {
            assert!(hashes.contains(&hash64(feature.as_bytes())), "{feature}");
        }
        assert!(fs.windows(2).all(|w| w[0].0 < w[1].0), "sorted, distinct");
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
        assert_eq!(e.model(), "ishtar-local-hash-384-v2");
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
