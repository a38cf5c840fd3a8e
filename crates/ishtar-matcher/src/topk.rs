//! Per-row bounded top-k lists with a running admission threshold.
//!
//! Each row keeps at most `k` neighbours sorted by the domain's [`rank_order`]
//! (similarity descending, then row ascending). `thr[row]` is the similarity a new pair
//! must reach to be worth a closer look: `min_sim` while the list has room, then the
//! similarity of its worst entry. The exact kernel compares whole SIMD vectors of scores
//! against it and only calls the (comparatively slow) filter for the few that pass.

use ishtar_domain::ports::{Neighbour, rank_order};

pub(crate) struct TopK {
    k: usize,
    min_sim: f32,
    sims: Vec<f32>,
    idx: Vec<u32>,
    len: Vec<u32>,
    /// One per row; `+∞` for rows that must never admit anything (padding, `k = 0`).
    pub(crate) thr: Vec<f32>,
}

impl TopK {
    /// Lists for `rows` rows; `thr` has `padded ≥ rows` entries, the extra ones `+∞`.
    pub(crate) fn new(rows: usize, padded: usize, k: usize, min_sim: f32) -> Self {
        let start = if k == 0 { f32::INFINITY } else { min_sim };
        let mut thr = vec![start; rows];
        thr.resize(padded.max(rows), f32::INFINITY);
        TopK {
            k,
            min_sim,
            sims: vec![0.0; rows * k],
            idx: vec![0; rows * k],
            len: vec![0; rows],
            thr,
        }
    }

    /// Whether `(s, j)` would enter `row`'s list.
    #[inline]
    pub(crate) fn beats(&self, row: usize, s: f32, j: u32) -> bool {
        let len = self.len[row] as usize;
        if len < self.k {
            return s >= self.min_sim;
        }
        if self.k == 0 {
            return false;
        }
        let w = row * self.k + self.k - 1;
        s > self.sims[w] || (s == self.sims[w] && j < self.idx[w])
    }

    /// Inserts `(s, j)` into `row`'s list; call only after [`TopK::beats`].
    #[inline]
    pub(crate) fn insert(&mut self, row: usize, s: f32, j: u32) {
        let k = self.k;
        let base = row * k;
        let len = self.len[row] as usize;
        // Position: after every entry that ranks before (s, j).
        let mut pos = len.min(k - 1);
        while pos > 0 {
            let (ps, pj) = (self.sims[base + pos - 1], self.idx[base + pos - 1]);
            if ps > s || (ps == s && pj < j) {
                break;
            }
            self.sims[base + pos] = ps;
            self.idx[base + pos] = pj;
            pos -= 1;
        }
        self.sims[base + pos] = s;
        self.idx[base + pos] = j;
        if len < k {
            self.len[row] += 1;
        }
        if self.len[row] as usize == k {
            self.thr[row] = self.sims[base + k - 1];
        }
    }

    fn row(&self, row: usize) -> impl Iterator<Item = Neighbour> + '_ {
        let base = row * self.k;
        (0..self.len[row] as usize).map(move |p| Neighbour {
            index: self.idx[base + p],
            similarity: self.sims[base + p],
        })
    }

    /// Merges per-thread lists of the same rows (each pair was seen by one thread only).
    pub(crate) fn merge(parts: &[TopK], rows: usize, k: usize) -> Vec<Vec<Neighbour>> {
        (0..rows)
            .map(|r| {
                let mut all: Vec<Neighbour> = parts.iter().flat_map(|p| p.row(r)).collect();
                all.sort_by(rank_order);
                all.truncate(k);
                all
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_in_rank_order() {
        let mut t = TopK::new(1, 1, 3, 0.0);
        for (s, j) in [(0.5, 7), (0.9, 3), (-0.1, 1), (0.5, 2), (0.7, 9), (0.5, 1)] {
            if t.beats(0, s, j) {
                t.insert(0, s, j);
            }
        }
        let got: Vec<_> = t.row(0).map(|n| (n.similarity, n.index)).collect();
        assert_eq!(got, [(0.9, 3), (0.7, 9), (0.5, 1)]);
        assert!((t.thr[0] - 0.5).abs() < f32::EPSILON);
    }

    #[test]
    fn k_zero_admits_nothing() {
        let t = TopK::new(2, 4, 0, -1.0);
        assert!(!t.beats(0, 1.0, 1));
        assert!(t.thr.iter().all(|x| x.is_infinite()));
    }
}
