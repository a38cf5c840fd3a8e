//! The classifier's features: hashed word unigrams, word bigrams and character 3- to
//! 5-grams of the normalised text ([`ishtar_domain::textnorm::normalise`]), and the word
//! families of the rules' concept lexicons (`rules/concepts.rs`) that its tokens belong to.
//!
//! This file is compiled twice: into the library (scoring at run time) and into the build
//! script (training, see `build.rs`), so a text gets exactly the same features in both. It
//! uses nothing but `std` and the domain's `Normalised`.
//!
//! A text becomes a sparse vector: one entry per feature *occurrence* (a word said twice
//! is two entries, so no sorting is needed), each worth its kind's weight, the whole
//! scaled to unit length. The index is a fixed 64-bit hash (FNV-1a with a SplitMix64
//! finaliser, never std's randomly keyed hasher) cut to [`BITS`] bits: same text, same
//! vector, on every machine and every run.

use ishtar_domain::textnorm::{Normalised, TokenKind};

/// Bits of the hashed feature index: 2^18 = 262,144 weights for the unsafe-vs-safe head.
pub const BITS: u32 = 18;
/// Number of feature indexes.
pub const DIM: usize = 1 << BITS;

/// Which features a text gets, and their weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureConfig {
    /// Weight of a word unigram.
    pub word: f32,
    /// Weight of a word bigram (word order: "kill you" is not "you kill").
    pub bigram: f32,
    /// Weight of a character n-gram of the normalised words, spaces included: they catch
    /// stems, inflections and misspellings (`killin`, `nudez`) the words miss.
    pub chars: f32,
    /// The shortest and longest character n-grams.
    pub char_range: (usize, usize),
    /// Weight of a word family (the rules' concept lexicons: `weapon`, `youth cue`, `pay
    /// term`…) present in the text: it lets a word the training texts never used count
    /// like its family's other words.
    pub concept: f32,
    /// Weight of two word families within [`FeatureConfig::window`] tokens of each other.
    pub pair: f32,
    /// The window for concept pairs, in tokens.
    pub window: usize,
}

/// The features the guard's model uses.
pub const FEATURES: FeatureConfig = FeatureConfig {
    word: 1.0,
    bigram: 1.0,
    chars: 0.5,
    char_range: (3, 5),
    concept: 1.0,
    pair: 1.0,
    window: 8,
};

/// Sparse features: (index below [`DIM`], value), one entry per occurrence, unit length.
pub type Sparse = Vec<(u32, f32)>;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// SplitMix64's finaliser: spreads FNV's low-entropy high bits.
fn finalise(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

/// The top [`BITS`] bits of a finalised hash.
fn index(h: u64) -> u32 {
    // BITS < 32, so the shifted value fits.
    u32::try_from(finalise(h) >> (64 - BITS)).unwrap_or(0)
}

/// A token as the features see it: numbers of five or more digits become their shape
/// (`0000000`, at most 12 long), so phone numbers and ids share features however they
/// were written, while ages and small numbers (`15`, `16f`, `300`) stay themselves.
fn token_text(text: &str, kind: TokenKind) -> String {
    if kind != TokenKind::Word && text.len() >= 5 {
        "0".repeat(text.len().min(12))
    } else {
        text.to_owned()
    }
}

/// The features of a normalised text (see the module docs), given the concept numbers of
/// each of its tokens (`rules::concepts::token_concepts`). Empty text, empty vector.
pub fn features(n: &Normalised, concepts: &[Vec<u8>]) -> Sparse {
    features_with(n, concepts, &FEATURES)
}

/// [`features`] with other settings (for experiments).
pub fn features_with(n: &Normalised, concepts: &[Vec<u8>], cfg: &FeatureConfig) -> Sparse {
    let words: Vec<String> = n
        .tokens
        .iter()
        .map(|t| token_text(&t.text, t.kind))
        .collect();
    let mut line = String::with_capacity(n.words.len() + 2);
    line.push(' ');
    for w in &words {
        line.push_str(w);
        line.push(' ');
    }
    let bytes = line.as_bytes();
    let mut out: Sparse = Vec::with_capacity(words.len() * 2 + bytes.len() * 4);
    for w in &words {
        out.push((index(fnv(fnv(FNV_OFFSET, b"w"), w.as_bytes())), cfg.word));
    }
    for pair in words.windows(2) {
        let h = fnv(fnv(FNV_OFFSET, b"b"), pair[0].as_bytes());
        out.push((index(fnv(fnv(h, b" "), pair[1].as_bytes())), cfg.bigram));
    }
    let start = fnv(FNV_OFFSET, b"c");
    let (shortest, longest) = cfg.char_range;
    for i in 0..bytes.len() {
        let mut h = start;
        for (k, b) in bytes[i..].iter().take(longest).enumerate() {
            h = (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME);
            if k + 1 >= shortest {
                out.push((index(h), cfg.chars));
            }
        }
    }
    // word families: each present one once, each pair within the window once, in the
    // order first seen (a bit set of the 2^16 possible codes marks the ones seen)
    let mut seen = vec![0u64; 1 << 10];
    let mut first_time = |code: u16| {
        let (word, bit) = (usize::from(code >> 6), code & 63);
        let new = seen[word] & (1 << bit) == 0;
        seen[word] |= 1 << bit;
        new
    };
    for c in concepts.iter().flatten() {
        // codes: a family `c` is `c` (below 256); a pair `lo < hi` is `lo << 8 | hi`
        // (256 or more), or `0xff00 | hi` when `lo` is 0 (there are fewer than 255
        // families, so no pair has `lo` 255)
        if first_time(u16::from(*c)) {
            out.push((index(fnv(fnv(FNV_OFFSET, b"k"), &[*c])), cfg.concept));
        }
    }
    for (i, here) in concepts.iter().enumerate() {
        for there in concepts.iter().skip(i).take(cfg.window + 1) {
            for a in here {
                for b in there {
                    let (lo, hi) = (*a.min(b), *a.max(b));
                    let code = if lo == 0 {
                        0xff00 | u16::from(hi)
                    } else {
                        u16::from(lo) << 8 | u16::from(hi)
                    };
                    if lo != hi && first_time(code) {
                        out.push((index(fnv(fnv(FNV_OFFSET, b"p"), &[lo, hi])), cfg.pair));
                    }
                }
            }
        }
    }

    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut out {
            *v /= norm;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ishtar_domain::textnorm::normalise;

    #[test]
    fn features_are_deterministic_unit_length_and_in_range() {
        let a = features(&normalise("I'd kill for good tacos"), &[]);
        let b = features(&normalise("I'd kill for good tacos"), &[]);
        assert_eq!(a, b);
        let len = a.iter().map(|(_, v)| v * v).sum::<f32>();
        assert!((len - 1.0).abs() < 1e-4, "{len}");
        assert!(a.iter().all(|(i, _)| (*i as usize) < DIM));
        assert!(features(&normalise(""), &[]).is_empty());
    }

    #[test]
    fn leet_and_spacing_give_the_same_features_as_plain_words() {
        assert_eq!(
            features(&normalise("s e n d  n u d e s"), &[]),
            features(&normalise("sendnudes"), &[])
        );
        assert_eq!(
            features(&normalise("k1ll you"), &[]),
            features(&normalise("kill you"), &[])
        );
    }

    #[test]
    fn long_numbers_become_their_shape() {
        assert_eq!(
            features(&normalise("call 2065550148"), &[]),
            features(&normalise("call 9175550199"), &[])
        );
        assert_ne!(
            features(&normalise("im 15"), &[]),
            features(&normalise("im 51"), &[])
        );
    }
}
