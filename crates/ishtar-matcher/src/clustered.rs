//! Clustered search: the blocked exact kernel restricted to nearby clusters (IVF-style).
//!
//! Spherical k-means puts the unit vectors into `c ≈ √n / 4` clusters; each cluster is
//! paired with its `probes` nearest clusters (by centroid similarity, both ways), and the
//! exact kernel multiplies only those cluster pairs — each pair of rows at most once, with
//! the same in-tile filters, class/age skipping and top-k lists as [`ExactSearch`]. A
//! row's neighbours are thus exact among the rows of the clusters near its own; what it
//! can miss is a neighbour that sits in a cluster its cluster does not probe. Work falls
//! from `n²·d` to about `n²·d · 2·probes / c`.
//!
//! Why not only the HNSW index ([`crate::AnnIndex`]): under this venue's hard filters
//! (about one pair in seven passes) a graph walk must visit several times more nodes than
//! it returns, one persona at a time; the blocked kernel instead runs at matrix-product
//! speed and skips filtered blocks wholesale. docs/benchmarks.md ("The matcher") has the
//! measurements.

use std::collections::BTreeSet;
use std::thread;

use ishtar_domain::ports::{KnnQuery, Neighbour, NeighbourSearch, SearchError};

use crate::exact::{self, ExactSearch, ExactStats};
use crate::kernel;

/// What one clustered run did, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClusterStats {
    pub clusters: usize,
    /// Unordered cluster pairs multiplied (a cluster with itself counts).
    pub cluster_pairs: usize,
    /// Seconds in k-means (on a sample) and in assigning every row.
    pub kmeans_s: f64,
    pub assign_s: f64,
    pub exact: ExactStats,
}

/// The clustered search. Stateless between beats (k-means is rerun; it is a small share
/// of the time).
#[derive(Debug, Clone, Copy)]
pub struct ClusteredSearch {
    threads: usize,
    clusters: Option<usize>,
    probes: usize,
    iterations: usize,
    sample: usize,
}

impl Default for ClusteredSearch {
    fn default() -> Self {
        ClusteredSearch::new()
    }
}

/// Index of the largest value (ties: the first).
fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
}

impl ClusteredSearch {
    /// `√n / 4` clusters, 8 probes, 6 k-means rounds on a 64k-row sample, all cores.
    #[must_use]
    pub fn new() -> Self {
        ClusteredSearch {
            threads: thread::available_parallelism().map_or(1, usize::from),
            clusters: None,
            probes: 8,
            iterations: 6,
            sample: 65_536,
        }
    }

    /// A fixed number of clusters.
    #[must_use]
    pub fn with_clusters(mut self, clusters: usize) -> Self {
        self.clusters = Some(clusters.max(1));
        self
    }

    /// How many nearest clusters each cluster is multiplied with (itself included).
    #[must_use]
    pub fn with_probes(mut self, probes: usize) -> Self {
        self.probes = probes.max(1);
        self
    }

    fn cluster_count(&self, n: usize) -> usize {
        self.clusters
            .unwrap_or_else(|| ((n as f64).sqrt() / 4.0) as usize)
            .clamp(1, 4096)
            .min(n.max(1))
    }

    /// The nearest centroid of each of `rows`, on all cores.
    fn assign(&self, q: &KnnQuery<'_>, centroids: &[f32], rows: &[u32]) -> Vec<u32> {
        let c = centroids.len() / q.dims.max(1);
        let all: Vec<u32> = (0..c).filter_map(|x| u32::try_from(x).ok()).collect();
        let per = rows.len().div_ceil(self.threads).max(1);
        thread::scope(|s| {
            let hs: Vec<_> = rows
                .chunks(per)
                .map(|part| {
                    let all = &all;
                    s.spawn(move || {
                        let mut sims = Vec::with_capacity(c);
                        part.iter()
                            .map(|&r| {
                                kernel::dots(q.row(r as usize), centroids, q.dims, all, &mut sims);
                                u32::try_from(argmax(&sims)).unwrap_or(0)
                            })
                            .collect::<Vec<u32>>()
                    })
                })
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    /// Spherical k-means on a deterministic sample: centroids are normalised means.
    fn kmeans(&self, q: &KnnQuery<'_>, c: usize) -> Vec<f32> {
        let (n, d) = (q.len(), q.dims);
        let stride = n.div_ceil(self.sample).max(1);
        let sample: Vec<u32> = (0..n)
            .step_by(stride)
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        let mut centroids = vec![0.0f32; c * d];
        for (j, dst) in centroids.chunks_exact_mut(d).enumerate() {
            let r = sample[j * sample.len() / c] as usize;
            dst.copy_from_slice(q.row(r));
        }
        for _ in 0..self.iterations {
            let owner = self.assign(q, &centroids, &sample);
            let mut sums = vec![0.0f32; c * d];
            for (&r, &o) in sample.iter().zip(&owner) {
                let dst = &mut sums[o as usize * d..(o as usize + 1) * d];
                for (x, y) in dst.iter_mut().zip(q.row(r as usize)) {
                    *x += y;
                }
            }
            for (sum, cen) in sums.chunks_exact(d).zip(centroids.chunks_exact_mut(d)) {
                let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for (x, y) in cen.iter_mut().zip(sum) {
                        *x = y / norm;
                    }
                }
            }
        }
        centroids
    }

    /// The top-k of every row among the rows of nearby clusters, and what it cost.
    #[must_use]
    pub fn run(&self, q: &KnnQuery<'_>) -> (Vec<Vec<Neighbour>>, ClusterStats) {
        let n = q.len();
        let d = q.dims;
        let c = self.cluster_count(n);
        let start = std::time::Instant::now();
        let centroids = self.kmeans(q, c);
        let kmeans_s = start.elapsed().as_secs_f64();
        let start = std::time::Instant::now();
        let all: Vec<u32> = (0..n).filter_map(|r| u32::try_from(r).ok()).collect();
        let owner = self.assign(q, &centroids, &all);
        let assign_s = start.elapsed().as_secs_f64();

        // Cluster pairs: each cluster with its `probes` most similar clusters, both ways.
        let ids: Vec<u32> = (0..c).filter_map(|x| u32::try_from(x).ok()).collect();
        let mut pairs: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut sims = Vec::with_capacity(c);
        for a in 0..c {
            kernel::dots(
                &centroids[a * d..(a + 1) * d],
                &centroids,
                d,
                &ids,
                &mut sims,
            );
            let mut order: Vec<usize> = (0..c).collect();
            order.sort_by(|&x, &y| sims[y].total_cmp(&sims[x]).then(x.cmp(&y)));
            for &b in order.iter().take(self.probes) {
                let (a, b) = (a.min(b), a.max(b));
                if let (Ok(a), Ok(b)) = (u32::try_from(a), u32::try_from(b)) {
                    pairs.insert((a, b));
                }
            }
            if let Ok(a) = u32::try_from(a) {
                pairs.insert((a, a));
            }
        }

        let block = ExactSearch::block();
        let (blocks, held) = exact::blocks_by(&all, q.classes, block, |r| owner[r as usize]);
        let mut of_cluster: Vec<Vec<usize>> = vec![Vec::new(); c];
        for (b, h) in held.iter().enumerate() {
            of_cluster[h.group as usize].push(b);
        }
        let mut tasks = Vec::new();
        let mut possible = 0usize;
        for &(a, b) in &pairs {
            for &bi in &of_cluster[a as usize] {
                for &bj in &of_cluster[b as usize] {
                    if a == b && bj < bi {
                        continue;
                    }
                    possible += 1;
                    if exact::may_meet(q.classes, &held[bi], &held[bj]) {
                        tasks.push((bi, bj));
                    }
                }
            }
        }
        let sh = kernel::shape();
        let t = std::time::Instant::now();
        let a = kernel::pack_blocks(q.vectors, d, &blocks, block, sh.mr);
        let b = kernel::pack_blocks(q.vectors, d, &blocks, block, sh.nr);
        let pack_s = t.elapsed().as_secs_f64();
        let (lists, mut stats) = ExactSearch::with_threads(self.threads).drive(
            q,
            &tasks,
            (&blocks, &a),
            (&blocks, &b),
            true,
            block,
        );
        stats.pack_s = pack_s;
        stats.skipped_tiles = possible - tasks.len();
        (
            lists,
            ClusterStats {
                clusters: c,
                cluster_pairs: pairs.len(),
                kmeans_s,
                assign_s,
                exact: stats,
            },
        )
    }
}

impl NeighbourSearch for ClusteredSearch {
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        if q.vectors.len() != q.len() * q.dims {
            return Err(SearchError(format!(
                "{} components for {} rows of {}",
                q.vectors.len(),
                q.len(),
                q.dims
            )));
        }
        Ok(self.run(q).0)
    }
}
