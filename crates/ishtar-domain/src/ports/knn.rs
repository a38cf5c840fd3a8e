//! The kNN port: "for every persona, its k most similar admissible personas".
//!
//! The heavy kernels (blocked matrix products, HNSW indexes) live in adapter crates
//! (`ishtar-matcher`); the domain states the contract here and ships
//! `crate::matcher::BruteForce`, a plain O(n²·d) reference that tests and tiny venues use.

use std::cmp::Ordering;

use crate::model::PersonaId;

/// One neighbour of a row: the other row's index and the cosine similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    /// The neighbour's row in [`KnnQuery`].
    pub index: u32,
    /// Cosine similarity (the dot product of the unit rows).
    pub similarity: f32,
}

/// The ranking every implementation uses: higher similarity first, then the lower row
/// (rows are in persona-id order, so ties go to the lower persona id). Deterministic.
#[must_use]
pub fn rank_order(a: &Neighbour, b: &Neighbour) -> Ordering {
    b.similarity
        .total_cmp(&a.similarity)
        .then(a.index.cmp(&b.index))
}

/// An interval filter implied by the hard filters (the domain fills it from ages): a row
/// has a value somewhere in `value_lo..=value_hi` and accepts values in
/// `want_lo..=want_hi`; two rows can only be admissible when each one's value may fall
/// in the other's window. Missing data is the full range. Lets a search skip whole blocks
/// of rows sorted by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The lowest value this row may have (inclusive).
    pub value_lo: i32,
    /// The highest value this row may have (inclusive).
    pub value_hi: i32,
    /// The lowest value this row accepts in a partner (inclusive).
    pub want_lo: i32,
    /// The highest value this row accepts in a partner (inclusive).
    pub want_hi: i32,
}

impl Span {
    /// No information: every value, every window.
    pub const ANY: Span = Span {
        value_lo: i32::MIN,
        value_hi: i32::MAX,
        want_lo: i32::MIN,
        want_hi: i32::MAX,
    };

    /// Whether a row (or block) described by `self` may meet one described by `other`.
    #[must_use]
    pub fn may_meet(&self, other: &Span) -> bool {
        self.want_lo <= other.value_hi
            && other.value_lo <= self.want_hi
            && other.want_lo <= self.value_hi
            && self.value_lo <= other.want_hi
    }

    /// The smallest span covering both (for a block of rows).
    #[must_use]
    pub fn union(&self, other: &Span) -> Span {
        Span {
            value_lo: self.value_lo.min(other.value_lo),
            value_hi: self.value_hi.max(other.value_hi),
            want_lo: self.want_lo.min(other.want_lo),
            want_hi: self.want_hi.max(other.want_hi),
        }
    }
}

/// A coarse partition of the rows such that two rows can only be admissible when their
/// classes are compatible (the converse need not hold). Built by the domain from market,
/// red-team flag, gender and genders sought; lets a search skip whole groups and tell
/// a persona with a tiny pool (say, a same-gender seeker in one market) from one with a
/// large pool, without calling the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterClasses {
    class_of: Vec<u32>,
    members: Vec<Vec<u32>>,
    /// Row-major `classes × classes`.
    compat: Vec<bool>,
    /// Per class: the rows in all compatible classes.
    pool: Vec<usize>,
    /// Per class: a name that stays the same across beats.
    keys: Vec<u64>,
    /// Per row: the interval filter (all [`Span::ANY`] unless given).
    spans: Vec<Span>,
}

impl FilterClasses {
    /// From each row's class (`0..classes`) and a symmetric compatibility relation.
    #[must_use]
    pub fn new(class_of: Vec<u32>, compatible: impl Fn(usize, usize) -> bool) -> Self {
        let classes = class_of.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut members = vec![Vec::new(); classes];
        for (row, &c) in class_of.iter().enumerate() {
            if let Ok(row) = u32::try_from(row) {
                members[c as usize].push(row);
            }
        }
        let mut compat = vec![false; classes * classes];
        for a in 0..classes {
            for b in a..classes {
                let ok = compatible(a, b);
                compat[a * classes + b] = ok;
                compat[b * classes + a] = ok;
            }
        }
        let pool = (0..classes)
            .map(|a| {
                (0..classes)
                    .filter(|&b| compat[a * classes + b])
                    .map(|b| members[b].len())
                    .sum()
            })
            .collect();
        let keys = (0..classes as u64).collect();
        let spans = vec![Span::ANY; class_of.len()];
        FilterClasses {
            class_of,
            members,
            compat,
            pool,
            keys,
            spans,
        }
    }

    /// Adds each row's interval filter (one per row, in row order).
    #[must_use]
    pub fn with_spans(mut self, spans: Vec<Span>) -> Self {
        if spans.len() == self.spans.len() {
            self.spans = spans;
        }
        self
    }

    /// Row `row`'s interval filter.
    #[must_use]
    pub fn span(&self, row: usize) -> Span {
        self.spans[row]
    }

    /// Gives each class a stable name (one per class, in class order), for searches that
    /// keep per-class state between beats. Without it the names are the class numbers,
    /// which are only meaningful within one beat.
    #[must_use]
    pub fn with_keys(mut self, keys: Vec<u64>) -> Self {
        if keys.len() == self.keys.len() {
            self.keys = keys;
        }
        self
    }

    /// The stable name of class `c` (see [`FilterClasses::with_keys`]). The domain names a
    /// class after the words that define it (market, red-team flag, gender, genders
    /// sought), and 0 means "no usable vector".
    #[must_use]
    pub fn key(&self, c: usize) -> u64 {
        self.keys[c]
    }

    /// Every row in one class, compatible with itself: no information.
    #[must_use]
    pub fn single(rows: usize) -> Self {
        FilterClasses::new(vec![0; rows], |_, _| true)
    }

    /// The number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no classes (no rows).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The class of `row`.
    #[must_use]
    pub fn class_of(&self, row: usize) -> usize {
        self.class_of[row] as usize
    }

    /// Whether rows of classes `a` and `b` may ever be admissible.
    #[must_use]
    pub fn compatible(&self, a: usize, b: usize) -> bool {
        self.compat[a * self.members.len() + b]
    }

    /// The rows of class `c`, ascending.
    #[must_use]
    pub fn members(&self, c: usize) -> &[u32] {
        &self.members[c]
    }

    /// The classes compatible with `c`, ascending.
    pub fn compatible_classes(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.members.len()).filter(move |&b| self.compatible(c, b))
    }

    /// An upper bound on the number of rows admissible for `row` (it may count `row`).
    #[must_use]
    pub fn pool_size(&self, row: usize) -> usize {
        self.pool[self.class_of(row)]
    }
}

/// One beat's kNN question.
///
/// Rows are personas in ascending persona-id order; `vectors` are their unit-length
/// embeddings, row-major. A row whose vector is unusable (missing, zero, not finite) is
/// all zeros and is admissible with nobody.
pub struct KnnQuery<'a> {
    /// Row `i` is persona `ids[i]`; strictly ascending.
    pub ids: &'a [PersonaId],
    /// `ids.len() × dims`, row-major, each row of unit length (or all zeros).
    pub vectors: &'a [f32],
    /// The length of each vector (the embedding model's dimension).
    pub dims: usize,
    /// How many neighbours to return per row (`match_k`).
    pub k: usize,
    /// Neighbours below this similarity are not returned (`min_fit`). Since ranks are
    /// by similarity, dropping them does not change anyone's rank.
    pub min_similarity: f32,
    /// The hard filters: symmetric, `false` on the diagonal. Cheap, but not free: a
    /// search should test a similarity threshold first where it can.
    pub admissible: &'a (dyn Fn(usize, usize) -> bool + Sync),
    /// A coarse partition implied by the filters.
    pub classes: &'a FilterClasses,
}

impl KnnQuery<'_> {
    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Row `i`'s vector.
    #[must_use]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dims..(i + 1) * self.dims]
    }
}

/// Why a search could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("neighbour search failed: {0}")]
pub struct SearchError(pub String);

/// The kNN port.
pub trait NeighbourSearch: Sync {
    /// For every row `i`, up to `k` rows `j ≠ i` with `admissible(i, j)` and similarity
    /// at least `min_similarity`, in [`rank_order`]. An exact search returns exactly the
    /// top k; an approximate one may miss some (the matcher then sees fewer mutual pairs,
    /// never a wrong one: it re-checks every pair it uses).
    ///
    /// # Errors
    /// When the backing index fails.
    fn top_k(&self, query: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError>;
}
