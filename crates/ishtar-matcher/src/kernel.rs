//! The exact path's arithmetic: packed panels, an FMA register-tile microkernel, and the
//! fused threshold scan.
//!
//! Written against `pulp`'s safe SIMD abstraction, dispatched at run time to AVX-512
//! (16 lanes), AVX2+FMA (8 lanes) or scalar code; the workspace forbids `unsafe`, and
//! `pulp` keeps the `target_feature` plumbing on its side.
//!
//! One tile is `block × block` similarities, `S = A_I · A_Jᵀ`: row panels of `mr = 2 ×
//! lanes` rows and column panels of `nr` columns (12 with 32 vector registers, 6 with 16)
//! are packed so the innermost loop is two vector loads, `nr` broadcasts and `2·nr`
//! fused multiply-adds into register accumulators. The tile is then scanned while it is
//! still in cache: a whole vector of scores is compared against the rows' and the
//! column's top-k thresholds at once, and only the rare winners reach the filter.

use ishtar_domain::ports::{FilterClasses, Span};
use pulp::{Arch, Simd, WithSimd};

use crate::topk::TopK;

/// The register tile of the CPU this runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) lanes: usize,
    pub(crate) mr: usize,
    pub(crate) nr: usize,
}

struct ShapeOp;

impl WithSimd for ShapeOp {
    type Output = Shape;
    fn with_simd<S: Simd>(self, _: S) -> Shape {
        let lanes = S::F32_LANES;
        Shape {
            lanes,
            mr: 2 * lanes,
            nr: if lanes >= 16 { 12 } else { 6 },
        }
    }
}

/// The tile shape `pulp` picks on this CPU.
pub(crate) fn shape() -> Shape {
    Arch::new().dispatch(ShapeOp)
}

/// The name of the instruction set in use, for reports.
pub fn isa() -> &'static str {
    match shape().lanes {
        16.. => "avx512",
        8 => "avx2+fma",
        4 => "sse/neon",
        _ => "scalar",
    }
}

/// Packs each block of rows of `v` (row-major, `d` wide) into panels of `w` rows,
/// block after block, each zero-padded to `block` rows (a multiple of `w`):
/// `out[block][panel][kk][lane] = v[rows[panel·w + lane]][kk]`. On all cores.
pub(crate) fn pack_blocks(
    v: &[f32],
    d: usize,
    blocks: &[Vec<u32>],
    block: usize,
    w: usize,
) -> Vec<f32> {
    let mut out = vec![0.0; blocks.len() * block * d];
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per = blocks.len().div_ceil(threads).max(1);
    std::thread::scope(|sc| {
        for (part, mine) in out.chunks_mut(per * block * d).zip(blocks.chunks(per)) {
            sc.spawn(move || {
                for (dst, rows) in part.chunks_mut(block * d).zip(mine) {
                    for (local, &g) in rows.iter().enumerate() {
                        let (panel, lane) = (local / w, local % w);
                        let src = &v[g as usize * d..(g as usize + 1) * d];
                        let dst = &mut dst[panel * d * w..(panel + 1) * d * w];
                        for (kk, &x) in src.iter().enumerate() {
                            dst[kk * w + lane] = x;
                        }
                    }
                }
            });
        }
    });
    out
}

/// One tile, multiplied and scanned in one pass.
pub(crate) struct TileOp<'a> {
    /// The tile's rows packed in `mr` panels (`block` rows, padded).
    pub(crate) a: &'a [f32],
    /// The tile's columns packed in `nr` panels (`block` columns, padded).
    pub(crate) b: &'a [f32],
    pub(crate) block: usize,
    pub(crate) d: usize,
    /// Global row of each real local row / column.
    pub(crate) rows: &'a [u32],
    pub(crate) cols: &'a [u32],
    /// A diagonal tile of the symmetric pass: only local row < local column counts.
    pub(crate) diag: bool,
    /// Offer each pair to the column's list too (the symmetric pass).
    pub(crate) symmetric: bool,
    pub(crate) heaps: &'a mut TopK,
    pub(crate) admissible: &'a (dyn Fn(usize, usize) -> bool + Sync),
    pub(crate) classes: &'a FilterClasses,
    /// Scratch: the rows' and the columns' thresholds (`block` each, `+∞` on padding).
    pub(crate) row_thr: &'a mut Vec<f32>,
    pub(crate) col_thr: &'a mut Vec<f32>,
    /// Counts filter calls (for the benchmark's "filters" figure).
    pub(crate) filter_calls: &'a mut u64,
    /// Register tiles multiplied, and those that needed the scalar look (for the
    /// benchmark).
    pub(crate) reg_tiles: &'a mut u64,
    pub(crate) slow_tiles: &'a mut u64,
}

impl WithSimd for TileOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let mut t = self;
        let thr = |v: &mut Vec<f32>, ids: &[u32], heaps: &TopK, on: bool, block: usize| {
            v.clear();
            v.extend(ids.iter().map(|&g| {
                if on {
                    heaps.thr[g as usize]
                } else {
                    f32::INFINITY
                }
            }));
            v.resize(block, f32::INFINITY);
        };
        thr(t.row_thr, t.rows, t.heaps, true, t.block);
        thr(t.col_thr, t.cols, t.heaps, t.symmetric, t.block);
        if S::F32_LANES >= 16 {
            tile::<S, 12>(s, &mut t);
        } else {
            tile::<S, 6>(s, &mut t);
        }
    }
}

/// Offers the pair to both lists; the filter runs only if either list would take it.
/// Returns whether the row's and the column's lists changed.
#[inline(always)]
fn offer(t: &mut TileOp<'_>, i: u32, j: u32, sim: f32) -> (bool, bool) {
    if i == j {
        return (false, false);
    }
    let (iu, ju) = (i as usize, j as usize);
    let take_i = t.heaps.beats(iu, sim, j);
    let take_j = t.symmetric && t.heaps.beats(ju, sim, i);
    if !(take_i || take_j)
        || !t
            .classes
            .compatible(t.classes.class_of(iu), t.classes.class_of(ju))
    {
        return (false, false);
    }
    *t.filter_calls += 1;
    if !(t.admissible)(iu, ju) {
        return (false, false);
    }
    if take_i {
        t.heaps.insert(iu, sim, j);
    }
    if take_j {
        t.heaps.insert(ju, sim, i);
    }
    (take_i, take_j)
}

/// The largest register tile: 2 vectors of 16 lanes × 12 columns.
const MAX_TILE: usize = 2 * 16 * 12;

/// `S = A·Bᵀ` one `mr × NR` register tile at a time. When a register tile is done, its
/// scores are compared — still in registers — with the rows' and the columns' thresholds;
/// only a tile holding a possible winner is spilled and looked at pair by pair.
#[inline(always)]
fn tile<S: Simd, const NR: usize>(s: S, t: &mut TileOp<'_>) {
    let lanes = S::F32_LANES;
    let mr = 2 * lanes;
    let d = t.d;
    let (nrows, ncols) = (t.rows.len(), t.cols.len());
    // Rows arrive grouped by filter class and ordered by span value, so most register
    // panels hold one class and a narrow age band; a pair of panels that provably cannot
    // meet is skipped unmultiplied.
    let summary = |ids: &[u32], w: usize, p: usize| -> (Option<usize>, Span) {
        let part = &ids[(p * w).min(ids.len())..((p + 1) * w).min(ids.len())];
        let Some(&first) = part.first() else {
            return (None, Span::ANY);
        };
        let c = t.classes.class_of(first as usize);
        let one = part.iter().all(|&r| t.classes.class_of(r as usize) == c);
        let span = part
            .iter()
            .map(|&r| t.classes.span(r as usize))
            .reduce(|x, y| x.union(&y))
            .unwrap_or(Span::ANY);
        (one.then_some(c), span)
    };
    let row_sum: Vec<(Option<usize>, Span)> = (0..nrows.div_ceil(mr))
        .map(|p| summary(t.rows, mr, p))
        .collect();
    let mut spill = [0.0f32; MAX_TILE];
    for q in 0..ncols.div_ceil(NR) {
        let bp = &t.b[q * d * NR..(q + 1) * d * NR];
        let (col_class, col_span) = summary(t.cols, NR, q);
        // In a diagonal tile only rows above the diagonal count.
        let row_panels = if t.diag {
            ((q + 1) * NR).min(nrows).div_ceil(mr)
        } else {
            nrows.div_ceil(mr)
        };
        for p in 0..row_panels {
            let (row_class, row_span) = row_sum[p];
            if !row_span.may_meet(&col_span) {
                continue;
            }
            if let (Some(a), Some(b)) = (row_class, col_class)
                && !t.classes.compatible(a, b)
            {
                continue;
            }
            *t.reg_tiles += 1;
            let (av, _) = S::as_simd_f32s(&t.a[p * d * mr..(p + 1) * d * mr]);
            let mut acc = [[s.splat_f32s(0.0); 2]; NR];
            for (pair, brow) in av.chunks_exact(2).zip(bp.chunks_exact(NR)) {
                let (a0, a1) = (pair[0], pair[1]);
                for c in 0..NR {
                    let bs = s.splat_f32s(brow[c]);
                    acc[c][0] = s.mul_add_e_f32s(a0, bs, acc[c][0]);
                    acc[c][1] = s.mul_add_e_f32s(a1, bs, acc[c][1]);
                }
            }
            // The fused scan, in registers: which half-columns hold a score at or above
            // min(row threshold, column threshold)?
            let (rt, _) = S::as_simd_f32s(&t.row_thr[p * mr..(p + 1) * mr]);
            let mut hits = [0u8; NR];
            let mut any = false;
            for (c, regs) in acc.iter().enumerate() {
                let tc = s.splat_f32s(t.col_thr[q * NR + c]);
                let m0 = s.greater_than_or_equal_f32s(regs[0], s.min_f32s(rt[0], tc));
                let m1 = s.greater_than_or_equal_f32s(regs[1], s.min_f32s(rt[1], tc));
                hits[c] = u8::from(s.first_true_m32s(m0) < lanes)
                    | u8::from(s.first_true_m32s(m1) < lanes) << 1;
                any |= hits[c] != 0;
            }
            if !any {
                continue;
            }
            *t.slow_tiles += 1;
            for (c, regs) in acc.iter().enumerate() {
                let (dst, _) = S::as_mut_simd_f32s(&mut spill[c * mr..(c + 1) * mr]);
                dst[0] = regs[0];
                dst[1] = regs[1];
            }
            for (c, &h) in hits.iter().enumerate() {
                let lj = q * NR + c;
                if lj >= ncols {
                    break;
                }
                let hi = if t.diag { lj.min(nrows) } else { nrows };
                for half in 0..2 {
                    if h >> half & 1 == 0 {
                        continue;
                    }
                    let lo = p * mr + half * lanes;
                    for li in lo..(lo + lanes).min(hi) {
                        let sim = spill[c * mr + li - p * mr];
                        if sim >= t.row_thr[li].min(t.col_thr[lj]) {
                            let (i, j) = (t.rows[li], t.cols[lj]);
                            let (ci, cj) = offer(t, i, j, sim);
                            if ci {
                                t.row_thr[li] = t.heaps.thr[i as usize];
                            }
                            if cj {
                                t.col_thr[lj] = t.heaps.thr[j as usize];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Dot products of one query against many rows, in one SIMD context: the small-pool
/// path of the approximate search.
pub(crate) struct DotsOp<'a> {
    pub(crate) query: &'a [f32],
    pub(crate) vectors: &'a [f32],
    pub(crate) d: usize,
    pub(crate) rows: &'a [u32],
    pub(crate) out: &'a mut Vec<f32>,
}

impl WithSimd for DotsOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        self.out.clear();
        let (qv, qt) = S::as_simd_f32s(self.query);
        for &r in self.rows {
            let row = &self.vectors[r as usize * self.d..(r as usize + 1) * self.d];
            let (rv, rt) = S::as_simd_f32s(row);
            let mut acc = [s.splat_f32s(0.0); 4];
            let mut chunks = qv.chunks_exact(4).zip(rv.chunks_exact(4));
            for (x, y) in &mut chunks {
                for u in 0..4 {
                    acc[u] = s.mul_add_e_f32s(x[u], y[u], acc[u]);
                }
            }
            let done = qv.len() / 4 * 4;
            for (x, y) in qv[done..].iter().zip(&rv[done..]) {
                acc[0] = s.mul_add_e_f32s(*x, *y, acc[0]);
            }
            let v = s.add_f32s(s.add_f32s(acc[0], acc[1]), s.add_f32s(acc[2], acc[3]));
            let tail: f32 = qt.iter().zip(rt).map(|(x, y)| x * y).sum();
            self.out.push(s.reduce_sum_f32s(v) + tail);
        }
    }
}

/// `query · vectors[r]` for every `r` in `rows`, into `out`.
pub(crate) fn dots(query: &[f32], vectors: &[f32], d: usize, rows: &[u32], out: &mut Vec<f32>) {
    Arch::new().dispatch(DotsOp {
        query,
        vectors,
        d,
        rows,
        out,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_match_scalar_arithmetic() {
        let d = 37;
        let v: Vec<f32> = (0..5 * d).map(|x| ((x * 7919) % 13) as f32 - 6.0).collect();
        let mut out = Vec::new();
        dots(&v[..d], &v, d, &[0, 1, 4], &mut out);
        for (o, r) in out.iter().zip([0usize, 1, 4]) {
            let want: f32 = (0..d).map(|k| v[k] * v[r * d + k]).sum();
            assert!((o - want).abs() < 1e-3, "{o} vs {want}");
        }
    }
}
