//! [`Search`]: exact below the crossover, the warm HNSW index above it.

use ishtar_domain::matcher::{KnnQuery, Neighbour, NeighbourSearch, SearchError};

use crate::ann::{AnnError, AnnIndex, AnnParams};
use crate::exact::ExactSearch;

/// Below this many candidates a beat uses the exact search.
///
/// Measured on the project machine (2 vCPU AMD EPYC Zen 4, d = 384, k = 10, synthetic
/// clustered personas with the benchmark's filter mix; docs/benchmarks-matcher.md,
/// "Crossover"): the exact kNN stage takes about as long as the warm approximate one
/// (index in sync, queries only) at ≈ 20k candidates. Below that exact is both faster and
/// exact; above it its n² cost takes over (4× the work at 2× the people).
pub const CROSSOVER: usize = 20_000;

/// Picks the exact search or the warm index by the number of candidates.
///
/// The index is only touched (synced and searched) on beats at or above the crossover;
/// the first such beat pays the cold build, later ones re-index only changed vectors.
pub struct Search {
    exact: ExactSearch,
    ann: AnnIndex,
    crossover: usize,
}

impl Search {
    /// A fresh, empty index for `dims`-dimensional vectors and the default crossover.
    ///
    /// # Errors
    /// When usearch cannot create the index.
    pub fn new(dims: usize, params: AnnParams) -> Result<Self, AnnError> {
        Ok(Search::with_index(AnnIndex::new(dims, params)?))
    }

    /// Wraps an existing (for example, loaded) index.
    #[must_use]
    pub fn with_index(ann: AnnIndex) -> Self {
        Search {
            exact: ExactSearch::new(),
            ann,
            crossover: CROSSOVER,
        }
    }

    /// Overrides the crossover (0: always the index; `usize::MAX`: always exact).
    #[must_use]
    pub fn with_crossover(mut self, crossover: usize) -> Self {
        self.crossover = crossover;
        self
    }

    /// Whether a beat of `n` candidates would use the exact search.
    #[must_use]
    pub fn uses_exact(&self, n: usize) -> bool {
        n < self.crossover
    }

    /// The warm index (to save it, or to drop retired personas).
    #[must_use]
    pub fn index(&self) -> &AnnIndex {
        &self.ann
    }
}

impl NeighbourSearch for Search {
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        if self.uses_exact(q.len()) {
            self.exact.top_k(q)
        } else {
            self.ann.top_k(q)
        }
    }
}
