//! [`BruteForce`], the reference implementation of the kNN port
//! ([`crate::ports::NeighbourSearch`]): a plain O(n²·d) search that tests and tiny venues use.
//! The heavy kernels (blocked matrix products, HNSW indexes) live in adapter crates
//! (`ishtar-matcher`).

use crate::ports::{KnnQuery, Neighbour, NeighbourSearch, SearchError, rank_order};

/// Dot product, summed in index order (the reference arithmetic tests reproduce).
#[must_use]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The reference search: every pair, scalar arithmetic. O(n²·d); for tests and venues
/// of a few hundred personas.
#[derive(Debug, Clone, Copy, Default)]
pub struct BruteForce;

impl NeighbourSearch for BruteForce {
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        let n = q.len();
        Ok((0..n)
            .map(|i| {
                let mut list: Vec<Neighbour> = (0..n)
                    .filter(|&j| j != i && (q.admissible)(i, j))
                    .filter_map(|j| {
                        let similarity = dot(q.row(i), q.row(j));
                        let index = u32::try_from(j).ok()?;
                        (similarity >= q.min_similarity).then_some(Neighbour { index, similarity })
                    })
                    .collect();
                list.sort_by(rank_order);
                list.truncate(q.k);
                list
            })
            .collect())
    }
}
