//! The reciprocity matcher: docs/rules.md#the-beat, steps 4–6, as one pure function.
//!
//! [`match_beat`] takes the beat's eligible personas ([`Candidate`]), their embeddings (or
//! none) and the set of pairs that were ever a couple, and returns the new couples:
//!
//! 1. **Hard filters, both ways** ([`compatible`]): each side's `heart.prefs.seek` is
//!    satisfied by the other's `self` (genders, age range, languages, ethnicities,
//!    substance dealbreakers), markets are compatible (same active market, or either is
//!    `remote`), the owners differ, red-team only meets red-team, and the pair was never a
//!    couple. Missing data never excludes; text is compared trimmed and case-insensitively.
//! 2. **Reciprocity**: with cosine similarity over L2-normalised embeddings, a pair is
//!    *mutual* when each is within the other's top `k` (`match_k`) among its own filtered
//!    candidates and the similarity is at least `min_fit`. Mutual top-k is what keeps a
//!    "hub" profile, close to everyone, from being offered to everyone: it must rank them
//!    back.
//! 3. **Greedy by descending similarity**, so each persona joins at most one new couple per
//!    beat; ties go to the lower persona ids. With one symmetric weight this is the stable
//!    matching over the mutual pairs (no two people would both rather have each other);
//!    see docs/matcher.md.
//! 4. **Fallback** when no embeddings are given: adjacency pairing in admission order,
//!    each persona taking the first later one that passes the filters.
//!
//! The kNN of step 2 sits behind [`NeighbourSearch`], so the domain stays pure and small:
//! [`BruteForce`] is the reference; the `ishtar-matcher` crate has the blocked exact
//! kernel and the warm HNSW index for large venues.
//!
//! The result does not depend on the order of the input: rows are put in persona-id order
//! first, and every tie is broken by persona id.

mod filters;
mod search;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

pub use filters::{REMOTE, compatible, markets_compatible, seek_satisfied, was_couple};
pub use search::{BruteForce, dot};

use crate::model::{OwnerId, PersonaId};
use crate::ports::{FilterClasses, KnnQuery, Neighbour, NeighbourSearch, SearchError, rank_order};
use crate::prefs::Prefs;
use crate::settings::Settings;
use filters::{Profile, Profiles};

/// A persona that may be paired this beat (admitted, no active couple).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The persona; listed at most once ([`MatchError::DuplicatePersona`]).
    pub id: PersonaId,
    /// Never paired with a persona of the same owner.
    pub owner: Option<OwnerId>,
    /// Red-team personas only meet red-team personas.
    pub redteam: bool,
    /// The active market (`bay_area`, `nyc`, `remote`, …); blank is treated as unknown.
    pub active_market: String,
    /// `heart.prefs` of the latest heart, parsed; `None` when the heart has none.
    pub prefs: Option<Prefs>,
    /// Admission order (smaller = admitted earlier); only the fallback uses it.
    pub admitted_seq: i64,
}

/// The matcher's knobs (settings `match_k` and `min_fit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchParams {
    /// Mutual top-k: each side must rank the other within its `k` best. 0 pairs nobody.
    pub k: usize,
    /// The least cosine similarity for a couple.
    pub min_fit: f32,
}

impl MatchParams {
    /// The live settings' `match_k` and `min_fit`.
    #[must_use]
    pub fn from_settings(s: &Settings) -> Self {
        MatchParams {
            k: s.match_k as usize,
            min_fit: s.min_fit,
        }
    }
}

/// A new couple. `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// The lower persona id of the two.
    pub a: PersonaId,
    /// The higher persona id of the two.
    pub b: PersonaId,
    /// Their cosine similarity; `None` for a fallback (adjacency) pair.
    pub similarity: Option<f32>,
}

/// A mutual pair between two rows (`a < b`), before the greedy choice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The lower row ([`Prepared::ids`] order, persona id ascending).
    pub a: u32,
    /// The higher row.
    pub b: u32,
    /// The pair's weight: the lower of the two cosine similarities the search reported
    /// (equal for an exact search), at least `min_fit`.
    pub similarity: f32,
}

/// Why the matcher could not run. Nothing is half-done: it is a pure function.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatchError {
    /// The same persona was listed twice among the candidates.
    #[error("persona {0} appears twice among the candidates")]
    DuplicatePersona(PersonaId),
    /// `vectors` is not one row of `dims` components per candidate.
    #[error("expected {expected} vector components ({rows} rows × {dims} dims), got {got}")]
    VectorShape {
        /// Candidates given.
        rows: usize,
        /// Components per vector.
        dims: usize,
        /// `rows × dims`.
        expected: usize,
        /// Components actually given.
        got: usize,
    },
    /// The neighbour search failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The search answered outside its contract (not one list per row, or a neighbour
    /// out of range or the row itself); what was wrong.
    #[error("the neighbour search broke its contract: {0}")]
    BadNeighbours(String),
}

/// More classes than this and [`FilterClasses`] stops paying for itself.
const MAX_CLASSES: usize = 256;

/// A beat's input, checked and compiled: rows in persona-id order, filters compiled,
/// vectors unit-length. [`match_beat`] is `Prepared::new` and then either
/// [`Prepared::neighbours`] → [`Prepared::mutual_edges`] → [`Prepared::greedy`], or
/// [`Prepared::adjacency`]. The steps are public so a benchmark can time each.
pub struct Prepared<'v> {
    ids: Vec<PersonaId>,
    seqs: Vec<i64>,
    profiles: Profiles,
    /// Per row: has a usable vector. All false when there are no vectors.
    usable: Vec<bool>,
    vectors: Option<Cow<'v, [f32]>>,
    dims: usize,
    classes: FilterClasses,
}

impl<'v> Prepared<'v> {
    /// Sorts, checks and compiles one beat's input. `vectors` are row-major, one row of
    /// `dims` per candidate in the order given. They are normalised here (a copy), unless
    /// they already are unit rows in persona-id order, in which case they are borrowed.
    ///
    /// # Errors
    /// A persona listed twice, or `vectors` of the wrong length.
    pub fn new(
        candidates: &[Candidate],
        vectors: Option<&'v [f32]>,
        dims: usize,
        excluded: &HashSet<(PersonaId, PersonaId)>,
    ) -> Result<Self, MatchError> {
        let n = candidates.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| candidates[i].id);
        if let Some(w) = order
            .windows(2)
            .find(|w| candidates[w[0]].id == candidates[w[1]].id)
        {
            return Err(MatchError::DuplicatePersona(candidates[w[0]].id));
        }
        if let Some(v) = vectors {
            let expected = n.saturating_mul(dims);
            if v.len() != expected || (dims == 0 && n > 0) {
                return Err(MatchError::VectorShape {
                    rows: n,
                    dims,
                    expected,
                    got: v.len(),
                });
            }
        }
        let rows: Vec<&Candidate> = order.iter().map(|&i| &candidates[i]).collect();
        let profiles = Profiles::new(&rows, excluded);
        let (vectors, usable) = match vectors {
            None => (None, vec![false; n]),
            Some(v) => {
                let (v, usable) = normalise(v, dims, &order);
                (Some(v), usable)
            }
        };
        let classes = if vectors.is_some() {
            filter_classes(&profiles.rows, &usable, &rows)
        } else {
            FilterClasses::single(n)
        };
        Ok(Prepared {
            ids: rows.iter().map(|c| c.id).collect(),
            seqs: rows.iter().map(|c| c.admitted_seq).collect(),
            profiles,
            usable,
            vectors,
            dims,
            classes,
        })
    }

    /// The number of rows (candidates).
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no candidates.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The persona of each row, ascending.
    #[must_use]
    pub fn ids(&self) -> &[PersonaId] {
        &self.ids
    }

    /// The unit vectors in row order, if any were given.
    #[must_use]
    pub fn vectors(&self) -> Option<&[f32]> {
        self.vectors.as_deref()
    }

    /// The filter classes (one class for everyone when there are no vectors).
    #[must_use]
    pub fn classes(&self) -> &FilterClasses {
        &self.classes
    }

    /// Every hard filter, both ways, between rows `i` and `j`.
    #[must_use]
    pub fn compatible(&self, i: usize, j: usize) -> bool {
        self.profiles.compatible(i, j)
    }

    /// [`Prepared::compatible`], and both rows have usable vectors: the semantic path's
    /// filter.
    #[must_use]
    pub fn admissible(&self, i: usize, j: usize) -> bool {
        self.usable[i] && self.usable[j] && self.profiles.compatible(i, j)
    }

    /// Step 5a: every row's top-k admissible neighbours, from `search`, checked.
    /// Empty lists when there are no vectors.
    ///
    /// # Errors
    /// The search failed or returned rows that do not exist.
    pub fn neighbours(
        &self,
        params: MatchParams,
        search: &dyn NeighbourSearch,
    ) -> Result<Vec<Vec<Neighbour>>, MatchError> {
        let n = self.len();
        let Some(vectors) = self.vectors.as_deref() else {
            return Ok(vec![Vec::new(); n]);
        };
        if params.k == 0 || n < 2 {
            return Ok(vec![Vec::new(); n]);
        }
        let admissible = |i: usize, j: usize| self.admissible(i, j);
        let query = KnnQuery {
            ids: &self.ids,
            vectors,
            dims: self.dims,
            k: params.k,
            min_similarity: params.min_fit,
            admissible: &admissible,
            classes: &self.classes,
        };
        let mut lists = search.top_k(&query)?;
        if lists.len() != n {
            return Err(MatchError::BadNeighbours(format!(
                "{} lists for {n} rows",
                lists.len()
            )));
        }
        for (i, list) in lists.iter_mut().enumerate() {
            if let Some(bad) = list
                .iter()
                .find(|nb| nb.index as usize >= n || nb.index as usize == i)
            {
                return Err(MatchError::BadNeighbours(format!(
                    "row {i} lists row {}",
                    bad.index
                )));
            }
            // Cheap insurance: the order and the length are what reciprocity reads.
            list.sort_by(rank_order);
            list.truncate(params.k);
        }
        Ok(lists)
    }

    /// Step 5b: the mutual pairs — each within the other's list — with similarity at
    /// least `min_fit`, re-checked against the filters (so a faulty search can lose pairs
    /// but never add a forbidden one). The weight is the lower of the two similarities
    /// the search reported (equal for an exact search).
    #[must_use]
    pub fn mutual_edges(&self, lists: &[Vec<Neighbour>], params: MatchParams) -> Vec<Edge> {
        let mut edges = Vec::new();
        for (i, list) in lists.iter().enumerate() {
            let Ok(a) = u32::try_from(i) else { continue };
            for nb in list.iter().filter(|nb| nb.index > a) {
                let j = nb.index as usize;
                let Some(back) = lists.get(j).and_then(|l| l.iter().find(|x| x.index == a)) else {
                    continue;
                };
                let similarity = nb.similarity.min(back.similarity);
                if similarity >= params.min_fit && self.admissible(i, j) {
                    edges.push(Edge {
                        a,
                        b: nb.index,
                        similarity,
                    });
                }
            }
        }
        edges
    }

    /// Step 5c: greedy by descending similarity, ties to the lower persona ids; each row
    /// in at most one pair. Pairs come out in the order chosen (best first).
    #[must_use]
    pub fn greedy(&self, mut edges: Vec<Edge>) -> Vec<Pair> {
        edges.sort_by(|x, y| {
            y.similarity
                .total_cmp(&x.similarity)
                .then(x.a.cmp(&y.a))
                .then(x.b.cmp(&y.b))
        });
        let mut taken = vec![false; self.len()];
        let mut pairs = Vec::new();
        for e in edges {
            let (a, b) = (e.a as usize, e.b as usize);
            if !taken[a] && !taken[b] {
                taken[a] = true;
                taken[b] = true;
                pairs.push(Pair {
                    a: self.ids[a],
                    b: self.ids[b],
                    similarity: Some(e.similarity),
                });
            }
        }
        pairs
    }

    /// Step 6: the fallback without embeddings. In admission order (`admitted_seq`, then
    /// persona id), each unpaired persona takes the first later unpaired persona that
    /// passes the filters. O(n²) filter tests in the worst case; it only runs when the
    /// embedder is down.
    #[must_use]
    pub fn adjacency(&self) -> Vec<Pair> {
        let n = self.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (self.seqs[i], i));
        let mut taken = vec![false; n];
        let mut pairs = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            if taken[i] {
                continue;
            }
            if let Some(&j) = order[pos + 1..]
                .iter()
                .find(|&&j| !taken[j] && self.compatible(i, j))
            {
                taken[i] = true;
                taken[j] = true;
                let (a, b) = (i.min(j), i.max(j));
                pairs.push(Pair {
                    a: self.ids[a],
                    b: self.ids[b],
                    similarity: None,
                });
            }
        }
        pairs
    }
}

/// The new couples of one beat (docs/rules.md#the-beat, steps 4–6).
///
/// `vectors`: one row of `dims` per candidate, in the order of `candidates`, or `None`
/// when embeddings are unavailable (then the adjacency fallback runs). A row that is all
/// zeros or not finite marks a persona without a usable embedding: it is not paired this
/// beat. `excluded`: every pair that was ever a couple, in either orientation.
///
/// # Errors
/// See [`MatchError`].
pub fn match_beat(
    candidates: &[Candidate],
    vectors: Option<&[f32]>,
    dims: usize,
    excluded: &HashSet<(PersonaId, PersonaId)>,
    params: MatchParams,
    search: &dyn NeighbourSearch,
) -> Result<Vec<Pair>, MatchError> {
    let prepared = Prepared::new(candidates, vectors, dims, excluded)?;
    if prepared.vectors().is_none() {
        return Ok(prepared.adjacency());
    }
    let lists = prepared.neighbours(params, search)?;
    let edges = prepared.mutual_edges(&lists, params);
    Ok(prepared.greedy(edges))
}

/// Rows in `order`, each scaled to unit length; unusable rows (zero, not finite) become
/// zeros. A row that already has unit length (within 1e-4) is kept bit for bit, so a row's
/// output depends on that row alone (an index that fingerprints vectors sees no change
/// when another row changes). Borrows when every row is kept and the order is the input's.
fn normalise<'v>(v: &'v [f32], dims: usize, order: &[usize]) -> (Cow<'v, [f32]>, Vec<bool>) {
    if dims == 0 {
        // Only reachable with no rows (the shape check refuses rows without dims).
        return (Cow::Borrowed(v), vec![false; order.len()]);
    }
    let norm2 = |r: &[f32]| -> f32 { r.iter().map(|x| x * x).sum() };
    let usable_row = |r: &[f32]| -> bool {
        let s = norm2(r);
        s.is_finite() && s > f32::MIN_POSITIVE && r.iter().all(|x| x.is_finite())
    };
    let unit = |r: &[f32]| (norm2(r) - 1.0).abs() <= 1e-4;
    let in_order = order.iter().enumerate().all(|(i, &o)| i == o);
    if in_order && v.chunks_exact(dims).all(|r| usable_row(r) && unit(r)) {
        return (Cow::Borrowed(v), vec![true; order.len()]);
    }
    let mut out = vec![0.0f32; v.len()];
    let mut usable = vec![false; order.len()];
    for (row, &src) in order.iter().enumerate() {
        let r = &v[src * dims..(src + 1) * dims];
        if usable_row(r) {
            let dst = &mut out[row * dims..(row + 1) * dims];
            if unit(r) {
                dst.copy_from_slice(r);
            } else {
                let norm = norm2(r).sqrt();
                for (o, x) in dst.iter_mut().zip(r) {
                    *o = x / norm;
                }
            }
            usable[row] = true;
        }
    }
    (Cow::Owned(out), usable)
}

/// Groups rows by what decides most pairs cheaply (vector usable, market, red-team,
/// gender, genders sought) so a search can size each row's pool. Coarsens the key when
/// there are too many distinct values for the table to pay off.
fn filter_classes(rows: &[Profile], usable: &[bool], cands: &[&Candidate]) -> FilterClasses {
    type Key = (bool, Option<u32>, bool, Option<u32>, Box<[u32]>);
    for level in 0..3 {
        let key = |i: usize| -> Key {
            let p = &rows[i];
            match (usable[i], level) {
                (false, _) => (false, None, false, None, Box::new([])),
                (true, 0) => (true, p.market, p.redteam, p.gender, p.seek_genders.clone()),
                (true, 1) => (true, p.market, p.redteam, None, Box::new([])),
                (true, _) => (true, None, false, None, Box::new([])),
            }
        };
        let mut ids: HashMap<Key, u32> = HashMap::new();
        let mut reps: Vec<usize> = Vec::new();
        let class_of: Vec<u32> = (0..rows.len())
            .map(|i| {
                let next = u32::try_from(reps.len()).unwrap_or(u32::MAX);
                let c = *ids.entry(key(i)).or_insert(next);
                if c == next {
                    reps.push(i);
                }
                c
            })
            .collect();
        if reps.len() > MAX_CLASSES && level < 2 {
            continue;
        }
        let keys = reps
            .iter()
            .map(|&r| {
                if usable[r] {
                    filters::class_key(level, cands[r])
                } else {
                    0
                }
            })
            .collect();
        let spans = rows.iter().map(Profile::span).collect();
        return FilterClasses::new(class_of, |a, b| {
            let (x, y) = (reps[a], reps[b]);
            let (p, q) = (&rows[x], &rows[y]);
            usable[x]
                && usable[y]
                && match level {
                    0 => {
                        p.redteam == q.redteam && p.market_ok(q) && p.gender_ok(q) && q.gender_ok(p)
                    }
                    1 => p.redteam == q.redteam && p.market_ok(q),
                    _ => true,
                }
        })
        .with_keys(keys)
        .with_spans(spans);
    }
    FilterClasses::single(rows.len())
}
