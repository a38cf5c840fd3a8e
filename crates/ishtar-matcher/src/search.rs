//! [`Search`]: exact below the crossover, an approximate path above it.

use ishtar_domain::ports::{KnnQuery, Neighbour, NeighbourSearch, SearchError};

use crate::ann::AnnIndex;
use crate::clustered::ClusteredSearch;
use crate::exact::ExactSearch;

/// Below this many candidates a beat uses the exact search.
///
/// Measured on the project machine (2 vCPU AMD EPYC Zen 4, d = 384, k = 10, synthetic
/// clustered personas with the benchmark's filter mix; `matcher-bench --crossover`,
/// docs/benchmarks.md ("The matcher") "Crossover"), exact against the clustered path with 16
/// probes, wall seconds on two cores:
///
/// | N    | exact | clustered | clustered mutual-pair recall |
/// |------|-------|-----------|------------------------------|
/// | 50k  | 1.5   | 2.0       | 0.942                        |
/// | 100k | 4.5   | 4.6       | 0.952                        |
/// | 150k | 9.2   | 8.0       | 0.961                        |
/// | 200k | 15.3  | 12.4      | 0.975                        |
///
/// Exact is faster up to ~100k, and up to ~150k it still fits a 10-second beat with
/// perfect recall; above that the clustered path wins (about 4× at 1M, where it runs in
/// 150 s). The HNSW index was slower than exact at every size measured (20× at 100k).
pub const CROSSOVER: usize = 150_000;

/// The approximate path [`Search`] uses at or above the crossover.
pub enum Approximate {
    /// The blocked kernel on nearby clusters (the default; fastest here).
    Clustered(ClusteredSearch),
    /// The warm HNSW index (synced and searched on each beat above the crossover).
    Hnsw(AnnIndex),
}

/// Picks the exact search or an approximate one by the number of candidates.
pub struct Search {
    exact: ExactSearch,
    approximate: Approximate,
    crossover: usize,
}

impl Default for Search {
    fn default() -> Self {
        Search::new()
    }
}

impl Search {
    /// Exact below [`CROSSOVER`], [`ClusteredSearch`] above.
    #[must_use]
    pub fn new() -> Self {
        Search {
            exact: ExactSearch::new(),
            approximate: Approximate::Clustered(ClusteredSearch::new().with_probes(16)),
            crossover: CROSSOVER,
        }
    }

    /// Exact below [`CROSSOVER`], the given HNSW index above (it is synced — only
    /// changed personas re-inserted — and searched on those beats).
    #[must_use]
    pub fn with_hnsw(index: AnnIndex) -> Self {
        Search {
            approximate: Approximate::Hnsw(index),
            ..Search::new()
        }
    }

    /// Overrides the crossover (0: always approximate; `usize::MAX`: always exact).
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

    /// The HNSW index, if this search uses one (to save it, or drop retired personas).
    #[must_use]
    pub fn index(&self) -> Option<&AnnIndex> {
        match &self.approximate {
            Approximate::Hnsw(index) => Some(index),
            Approximate::Clustered(_) => None,
        }
    }
}

impl NeighbourSearch for Search {
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        if self.uses_exact(q.len()) {
            return self.exact.top_k(q);
        }
        match &self.approximate {
            Approximate::Clustered(c) => c.top_k(q),
            Approximate::Hnsw(index) => index.top_k(q),
        }
    }
}
