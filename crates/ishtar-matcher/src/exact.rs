//! Exact all-pairs top-k: blocked matrix products over the upper triangle of tiles, with
//! the filter and both rows' top-k lists applied inside each tile.
//!
//! Work: each unordered pair is multiplied at most once (tiles `(I, J)` with `J ≥ I`; in a
//! diagonal tile only the register tiles above the diagonal), so a beat costs at most
//! `n²·d` FLOP, and much less because rows are grouped by filter class and age so whole
//! tiles and register tiles that no admissible pair can be in are skipped (17 % of the
//! pairs are multiplied at 100k in the benchmark). The `n × n` similarity matrix is never
//! stored: scores are compared with the top-k thresholds in registers. Tiles are handed to
//! the worker threads through an atomic counter; each thread keeps its own top-k lists
//! (no locks in the hot loop) and the lists are merged at the end — every pair is seen by
//! exactly one thread, so the merge is a sort of at most `threads·k` entries per row.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use ishtar_domain::ports::{
    FilterClasses, KnnQuery, Neighbour, NeighbourSearch, SearchError, Span,
};
use pulp::Arch;

use crate::kernel::{self, TileOp};
use crate::topk::TopK;

/// Target rows per tile: 1,056 × 384 floats is 1.6 MB per packed operand, so the row and
/// column blocks of a tile sit in L2/L3 while they are used; large enough that diagonal
/// tiles are a small share, small enough to skip filtered blocks at a fine grain.
const BLOCK_TARGET: usize = 1024;

/// What one exact run did, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExactStats {
    /// Multiply-adds × 2 actually executed (register tiles multiplied × 32·12·d·2).
    pub flops: f64,
    /// Filter calls (pairs that beat a top-k threshold and a class check).
    pub filter_calls: u64,
    /// Register tiles multiplied, and those that held a possible top-k entry and were
    /// looked at pair by pair.
    pub reg_tiles: u64,
    pub slow_tiles: u64,
    /// Tiles multiplied, and tiles skipped because no pair in them can pass the filters.
    pub tiles: usize,
    pub skipped_tiles: usize,
    pub block: usize,
    /// Wall seconds spent packing the operands (once per run).
    pub pack_s: f64,
}

/// The exact search. Cheap to construct; holds no state between beats.
#[derive(Debug, Clone, Copy)]
pub struct ExactSearch {
    threads: usize,
}

impl Default for ExactSearch {
    fn default() -> Self {
        ExactSearch::new()
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `rows` grouped by filter class, then ordered by their span value (age), cut into
/// blocks of `block`, with what each block holds. The grouping makes whole tiles provably
/// empty — men seeking women against men seeking women, one market against another, the
/// 20-year-olds against those who want 50-somethings — so they are skipped.
/// `group` splits the rows first (clusters, for [`crate::ClusteredSearch`]); blocks never
/// straddle two groups.
pub(crate) fn blocks_by(
    rows: &[u32],
    classes: &FilterClasses,
    block: usize,
    group: impl Fn(u32) -> u32,
) -> (Vec<Vec<u32>>, Vec<Held>) {
    let mut sorted = rows.to_vec();
    // Rows that state an age and a window first, by age; then the open ones: a block of
    // one kind and a narrow age band has a tight span.
    sorted.sort_by_key(|&r| {
        let (c, sp) = (classes.class_of(r as usize), classes.span(r as usize));
        let open = u8::from(sp.want_lo == i32::MIN && sp.want_hi == i32::MAX)
            + 2 * u8::from(sp.value_lo != sp.value_hi);
        (group(r), c, open, sp.value_lo, sp.want_lo, r)
    });
    let mut blocks: Vec<Vec<u32>> = Vec::new();
    for run in sorted.chunk_by(|&x, &y| group(x) == group(y)) {
        blocks.extend(run.chunks(block).map(<[u32]>::to_vec));
    }
    let held = blocks
        .iter()
        .map(|b| {
            let mut c: Vec<usize> = b.iter().map(|&r| classes.class_of(r as usize)).collect();
            c.dedup();
            let span = b
                .iter()
                .map(|&r| classes.span(r as usize))
                .reduce(|x, y| x.union(&y))
                .unwrap_or(Span::ANY);
            Held {
                classes: c,
                span,
                group: b.first().map_or(0, |&r| group(r)),
            }
        })
        .collect();
    (blocks, held)
}

fn blocks(rows: &[u32], classes: &FilterClasses, block: usize) -> (Vec<Vec<u32>>, Vec<Held>) {
    blocks_by(rows, classes, block, |_| 0)
}

/// The classes, the span and the group of one block.
pub(crate) struct Held {
    classes: Vec<usize>,
    span: Span,
    pub(crate) group: u32,
}

/// Whether any row of one block may meet any row of the other.
pub(crate) fn may_meet(classes: &FilterClasses, a: &Held, b: &Held) -> bool {
    a.span.may_meet(&b.span)
        && a.classes
            .iter()
            .any(|&x| b.classes.iter().any(|&y| classes.compatible(x, y)))
}

impl ExactSearch {
    /// One worker per available core.
    #[must_use]
    pub fn new() -> Self {
        ExactSearch {
            threads: thread::available_parallelism().map_or(1, usize::from),
        }
    }

    /// A fixed number of workers (at least one).
    #[must_use]
    pub fn with_threads(threads: usize) -> Self {
        ExactSearch {
            threads: threads.max(1),
        }
    }

    /// The tile edge on this CPU: a multiple of both register-tile sides near
    /// [`BLOCK_TARGET`].
    pub(crate) fn block() -> usize {
        let sh = kernel::shape();
        let lcm = sh.mr / gcd(sh.mr, sh.nr) * sh.nr;
        lcm * BLOCK_TARGET.div_ceil(lcm)
    }

    /// The exact top-k of every row, and what it cost.
    #[must_use]
    pub fn run(&self, q: &KnnQuery<'_>) -> (Vec<Vec<Neighbour>>, ExactStats) {
        let n = q.len();
        let block = Self::block();
        let all: Vec<u32> = (0..n).filter_map(|r| u32::try_from(r).ok()).collect();
        let (ranges, held) = blocks(&all, q.classes, block);
        let nb = ranges.len();
        let pairs = nb * (nb + 1) / 2;
        let tasks: Vec<(usize, usize)> = (0..nb)
            .flat_map(|bi| (bi..nb).map(move |bj| (bi, bj)))
            .filter(|&(bi, bj)| may_meet(q.classes, &held[bi], &held[bj]))
            .collect();
        let sh = kernel::shape();
        let start = std::time::Instant::now();
        let a = kernel::pack_blocks(q.vectors, q.dims, &ranges, block, sh.mr);
        let b = kernel::pack_blocks(q.vectors, q.dims, &ranges, block, sh.nr);
        let pack_s = start.elapsed().as_secs_f64();
        let (lists, mut stats) = self.drive(q, &tasks, (&ranges, &a), (&ranges, &b), true, block);
        stats.pack_s = pack_s;
        stats.skipped_tiles = pairs - tasks.len();
        (lists, stats)
    }

    /// The exact top-k of the given rows only (the others' lists are empty): one pass of
    /// those rows against everyone. Used to measure an approximate search's recall.
    #[must_use]
    pub fn run_rows(&self, q: &KnnQuery<'_>, rows: &[u32]) -> Vec<Vec<Neighbour>> {
        let n = q.len();
        let block = Self::block();
        let sh = kernel::shape();
        let (row_blocks, row_held) = blocks(rows, q.classes, block);
        let all: Vec<u32> = (0..n).filter_map(|r| u32::try_from(r).ok()).collect();
        let (col_blocks, col_held) = blocks(&all, q.classes, block);
        let a = kernel::pack_blocks(q.vectors, q.dims, &row_blocks, block, sh.mr);
        let b = kernel::pack_blocks(q.vectors, q.dims, &col_blocks, block, sh.nr);
        let tasks: Vec<(usize, usize)> = (0..row_blocks.len())
            .flat_map(|bi| (0..col_blocks.len()).map(move |bj| (bi, bj)))
            .filter(|&(bi, bj)| may_meet(q.classes, &row_held[bi], &col_held[bj]))
            .collect();
        self.drive(
            q,
            &tasks,
            (&row_blocks, &a),
            (&col_blocks, &b),
            false,
            block,
        )
        .0
    }

    pub(crate) fn drive(
        &self,
        q: &KnnQuery<'_>,
        tasks: &[(usize, usize)],
        (row_blocks, a): (&[Vec<u32>], &[f32]),
        (col_blocks, b): (&[Vec<u32>], &[f32]),
        symmetric: bool,
        block: usize,
    ) -> (Vec<Vec<Neighbour>>, ExactStats) {
        let n = q.len();
        let d = q.dims;
        let next = AtomicUsize::new(0);
        let workers = self.threads.min(tasks.len()).max(1);
        let panel = block * d;
        let parts: Vec<(TopK, [u64; 3])> = thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let next = &next;
                    scope.spawn(move || {
                        let mut heaps = TopK::new(n, n, q.k, q.min_similarity);
                        let mut row_thr = Vec::with_capacity(block);
                        let mut col_thr = Vec::with_capacity(block);
                        let (mut filter_calls, mut reg_tiles, mut slow_tiles) = (0u64, 0u64, 0u64);
                        loop {
                            let t = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&(bi, bj)) = tasks.get(t) else { break };
                            Arch::new().dispatch(TileOp {
                                a: &a[bi * panel..(bi + 1) * panel],
                                b: &b[bj * panel..(bj + 1) * panel],
                                block,
                                d,
                                rows: &row_blocks[bi],
                                cols: &col_blocks[bj],
                                diag: symmetric && bi == bj,
                                symmetric,
                                heaps: &mut heaps,
                                admissible: q.admissible,
                                classes: q.classes,
                                row_thr: &mut row_thr,
                                col_thr: &mut col_thr,
                                filter_calls: &mut filter_calls,
                                reg_tiles: &mut reg_tiles,
                                slow_tiles: &mut slow_tiles,
                            });
                        }
                        (heaps, [filter_calls, reg_tiles, slow_tiles])
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let count = |k: usize| parts.iter().map(|p| p.1[k]).sum::<u64>();
        let (filter_calls, reg_tiles, slow_tiles) = (count(0), count(1), count(2));
        let heaps: Vec<TopK> = parts.into_iter().map(|p| p.0).collect();
        let sh = kernel::shape();
        let stats = ExactStats {
            flops: 2.0 * (sh.mr * sh.nr * d) as f64 * reg_tiles as f64,
            filter_calls,
            reg_tiles,
            slow_tiles,
            tiles: tasks.len(),
            skipped_tiles: 0,
            block,
            pack_s: 0.0,
        };
        (TopK::merge(&heaps, n, q.k), stats)
    }
}

impl NeighbourSearch for ExactSearch {
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
