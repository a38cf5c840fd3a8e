//! `matcher-bench`: times one beat of the matcher on synthetic clustered personas.
//!
//! ```text
//! cargo run --release -p ishtar-matcher --bin matcher-bench -- --n 100000
//! cargo run --release -p ishtar-matcher --bin matcher-bench -- --crossover
//! cargo run --release -p ishtar-matcher --bin matcher-bench -- --peak
//! ```
//!
//! Per size it reports each stage (filter compile, exact kNN, index build/upkeep, kNN,
//! mutual edges, greedy) cold and warm, the quality of the approximate path against the
//! exact one, the exact kernel's GFLOP/s, and peak memory (VmHWM). Run one size per
//! process so VmHWM belongs to that size. See docs/benchmarks.md ("The matcher").
#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::collections::HashSet;
use std::error::Error;
use std::time::Instant;

use ishtar_domain::matcher::{Edge, MatchParams, Pair, Prepared};

use ishtar_domain::ports::{KnnQuery, Neighbour, NeighbourSearch};
use ishtar_matcher::synth::{self, Rng, VectorSpec};
use ishtar_matcher::{AnnIndex, AnnParams, ClusteredSearch, ExactSearch};

type Res<T> = Result<T, Box<dyn Error>>;

#[derive(Debug, Clone)]
struct Args {
    n: usize,
    dims: usize,
    k: usize,
    min_fit: f32,
    ef: usize,
    exact: Option<bool>,
    change: f32,
    seed: u64,
    sample: usize,
    crossover: bool,
    peak: bool,
    hnsw: Option<bool>,
    probes: usize,
    exact_pool: usize,
}

fn args() -> Res<Args> {
    let mut a = Args {
        n: 10_000,
        dims: 384,
        k: 10,
        min_fit: 0.3,
        ef: AnnParams::default().expansion_search,
        exact: None,
        change: 0.01,
        seed: 42,
        sample: 300,
        crossover: false,
        peak: false,
        hnsw: None,
        probes: 16,
        exact_pool: AnnParams::default().exact_pool,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--n" => a.n = val()?.parse()?,
            "--dims" => a.dims = val()?.parse()?,
            "--k" => a.k = val()?.parse()?,
            "--min-fit" => a.min_fit = val()?.parse()?,
            "--ef" => a.ef = val()?.parse()?,
            "--exact" => a.exact = Some(val()?.parse()?),
            "--change" => a.change = val()?.parse()?,
            "--seed" => a.seed = val()?.parse()?,
            "--sample" => a.sample = val()?.parse()?,
            "--exact-pool" => a.exact_pool = val()?.parse()?,
            "--hnsw" => a.hnsw = Some(val()?.parse()?),
            "--probes" => a.probes = val()?.parse()?,
            "--crossover" => a.crossover = true,
            "--peak" => a.peak = true,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_owned())
        })
        .unwrap_or_default()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Process CPU seconds (user + system), to tell our share of a loaded machine.
fn cpu_seconds() -> f64 {
    let Ok(st) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let f: Vec<&str> = st
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// A timed stage: wall seconds and the share of two cores it got.
fn stage<T>(name: &str, f: impl FnOnce() -> T) -> (T, f64) {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let out = f();
    let (wall, cpu) = (secs(t0), cpu_seconds() - c0);
    println!("  {name:<34} {wall:>9.3} s   (cpu {cpu:>8.2} s)");
    (out, wall)
}

fn mutual_rows(lists: &[Vec<Neighbour>]) -> HashSet<(u32, u32)> {
    let mut out = HashSet::new();
    for (i, l) in lists.iter().enumerate() {
        let Ok(i) = u32::try_from(i) else { continue };
        for nb in l.iter().filter(|nb| nb.index > i) {
            if lists[nb.index as usize].iter().any(|x| x.index == i) {
                out.insert((i, nb.index));
            }
        }
    }
    out
}

fn pair_key(p: &Pair) -> (i64, i64) {
    (p.a.0, p.b.0)
}

fn weight(pairs: &[Pair]) -> f64 {
    pairs
        .iter()
        .map(|p| f64::from(p.similarity.unwrap_or(0.0)))
        .sum()
}

struct Beat {
    edges: usize,
    pairs: Vec<Pair>,
    mutual_s: f64,
    greedy_s: f64,
}

fn finish(p: &Prepared<'_>, lists: &[Vec<Neighbour>], params: MatchParams) -> Beat {
    let (edges, mutual_s): (Vec<Edge>, f64) =
        stage("mutual edges", || p.mutual_edges(lists, params));
    let n_edges = edges.len();
    let (pairs, greedy_s) = stage("greedy", || p.greedy(edges));
    println!(
        "    {n_edges} mutual edges, {} couples ({:.1} % of personas)",
        pairs.len(),
        200.0 * pairs.len() as f64 / p.len().max(1) as f64
    );
    Beat {
        edges: n_edges,
        pairs,
        mutual_s,
        greedy_s,
    }
}

fn compare(name: &str, exact: &[Vec<Neighbour>], ex: &Beat, approx: &[Vec<Neighbour>], ap: &Beat) {
    let (e, a) = (mutual_rows(exact), mutual_rows(approx));
    let mutual_recall = e.intersection(&a).count() as f64 / e.len().max(1) as f64;
    let mut hits = 0usize;
    let mut total = 0usize;
    for (x, y) in exact.iter().zip(approx) {
        total += x.len();
        hits += x
            .iter()
            .filter(|nb| y.iter().any(|m| m.index == nb.index))
            .count();
    }
    let pe: HashSet<_> = ex.pairs.iter().map(pair_key).collect();
    let same = ap
        .pairs
        .iter()
        .filter(|p| pe.contains(&pair_key(p)))
        .count();
    println!(
        "  quality {name}: recall@k {:.4}, mutual-pair recall {mutual_recall:.4} ({} of {} edges), \
         identical couples {:.4}, total weight ÷ exact {:.4}",
        hits as f64 / total.max(1) as f64,
        e.intersection(&a).count(),
        e.len(),
        same as f64 / ex.pairs.len().max(1) as f64,
        weight(&ap.pairs) / weight(&ex.pairs).max(1e-9),
    );
}

/// Exact lists for the sampled rows and their exact neighbours, then the mutual-pair
/// recall of `approx` on the edges touching the sample (for sizes where a full exact pass
/// is too slow).
fn sampled_quality(q: &KnnQuery<'_>, approx: &[Vec<Neighbour>], sample: usize, seed: u64) {
    let n = q.len();
    let mut rng = Rng::new(seed ^ 0x5A);
    let mut s: Vec<u32> = (0..sample)
        .filter_map(|_| u32::try_from(rng.below(n as u64)).ok())
        .collect();
    s.sort_unstable();
    s.dedup();
    let exact = ExactSearch::new();
    let (first, t1) = stage("exact lists of the sample", || exact.run_rows(q, &s));
    let mut rows: Vec<u32> = s.clone();
    for &i in &s {
        rows.extend(first[i as usize].iter().map(|nb| nb.index));
    }
    rows.sort_unstable();
    rows.dedup();
    let (lists, t2) = stage("exact lists of their neighbours", || {
        exact.run_rows(q, &rows)
    });
    let flops = 2.0 * (s.len() + rows.len()) as f64 * n as f64 * q.dims as f64;
    println!(
        "    exact rows pass: {:.1} GFLOP/s effective (rows·n·2d / t)",
        flops / (t1 + t2) / 1e9
    );
    let has = |l: &[Vec<Neighbour>], i: u32, j: u32| l[i as usize].iter().any(|x| x.index == j);
    let (mut edges, mut found, mut hits, mut total) = (0usize, 0usize, 0usize, 0usize);
    for &i in &s {
        for nb in &lists[i as usize] {
            total += 1;
            if has(approx, i, nb.index) {
                hits += 1;
            }
            if has(&lists, nb.index, i) {
                edges += 1;
                if has(approx, i, nb.index) && has(approx, nb.index, i) {
                    found += 1;
                }
            }
        }
    }
    println!(
        "  quality (sample of {} rows): recall@k {:.4}, mutual-pair recall {:.4} ({found} of {edges} edges)",
        s.len(),
        hits as f64 / total.max(1) as f64,
        found as f64 / edges.max(1) as f64
    );
}

fn one_size(a: &Args) -> Res<()> {
    let n = a.n;
    let d = a.dims;
    let params = MatchParams {
        k: a.k,
        min_fit: a.min_fit,
    };
    let run_exact = a.exact.unwrap_or(n <= 100_000);
    println!(
        "== N = {n}, d = {d}, k = {}, min_fit = {}, ef = {}, isa {}, load {} ==",
        a.k,
        a.min_fit,
        a.ef,
        ishtar_matcher::isa(),
        loadavg()
    );
    let spec = VectorSpec::new(d, a.seed);
    let ((cands, mut vectors, excluded), _) = stage("generate (not part of a beat)", || {
        (
            synth::candidates(n, a.seed),
            synth::vectors(&spec, n),
            synth::past_couples(n, n / 20, a.seed),
        )
    });

    println!("cold beat:");
    let (prepared, prep_s) = stage("filters: compile + classes", || {
        Prepared::new(&cands, Some(&vectors), d, &excluded)
    });
    let p = prepared?;
    // Filter cost and pass rate on random pairs.
    {
        let mut rng = Rng::new(a.seed);
        let pairs: Vec<(usize, usize)> = (0..1_000_000)
            .map(|_| (rng.below(n as u64) as usize, rng.below(n as u64) as usize))
            .collect();
        let t = Instant::now();
        let pass = pairs.iter().filter(|&&(i, j)| p.admissible(i, j)).count();
        println!(
            "    filter: {:.1} ns per pair test, {:.1} % of random pairs pass both ways; {} classes",
            secs(t) * 1e9 / pairs.len() as f64,
            100.0 * pass as f64 / pairs.len() as f64,
            p.classes().len()
        );
    }
    let adm = |i: usize, j: usize| p.admissible(i, j);
    let vecs = p.vectors().ok_or("no vectors")?;
    let q = KnnQuery {
        ids: p.ids(),
        vectors: vecs,
        dims: d,
        k: a.k,
        min_similarity: a.min_fit,
        admissible: &adm,
        classes: p.classes(),
    };

    let mut exact_lists = None;
    if run_exact {
        let exact = ExactSearch::new();
        let ((lists, stats), t) = stage("kNN exact (fused filters, top-k)", || exact.run(&q));
        let useful = (n as f64) * (n as f64) * d as f64;
        println!(
            "    exact: kernel {:.1} GFLOP/s (FLOPs executed / t); effective {:.1} GFLOP/s (n²·d / t, \
             all pairs once, as if no tile were skipped)",
            stats.flops / t / 1e9,
            useful / t / 1e9,
        );
        println!(
            "    exact: {} tiles of {} multiplied, {} skipped (no pair can pass), {:.1} % of the n²/2 pairs \
             multiplied; {} filter calls; {} of {} register tiles looked at pair by pair; packing {:.3} s",
            stats.tiles,
            stats.block,
            stats.skipped_tiles,
            100.0 * stats.flops / useful,
            stats.filter_calls,
            stats.slow_tiles,
            stats.reg_tiles,
            stats.pack_s,
        );
        let beat = finish(&p, &lists, params);
        println!(
            "  exact beat total: {:.3} s",
            prep_s + t + beat.mutual_s + beat.greedy_s
        );
        exact_lists = Some((lists, beat));
    }

    let clustered = ClusteredSearch::new().with_probes(a.probes);
    let ((lists, cs), t) = stage("kNN clustered (k-means + blocked)", || clustered.run(&q));
    let useful = (n as f64) * (n as f64) * d as f64;
    println!(
        "    clustered: {} clusters, {} cluster pairs; k-means {:.3} s, assignment {:.3} s, packing {:.3} s",
        cs.clusters, cs.cluster_pairs, cs.kmeans_s, cs.assign_s, cs.exact.pack_s
    );
    println!(
        "    clustered: {} tiles multiplied, {} skipped by filters; {:.2} % of the n²/2 pairs multiplied; \
         kernel {:.1} GFLOP/s",
        cs.exact.tiles,
        cs.exact.skipped_tiles,
        100.0 * cs.exact.flops / useful,
        cs.exact.flops / t / 1e9
    );
    let cbeat = finish(&p, &lists, params);
    println!(
        "  clustered beat total: {:.3} s",
        prep_s + t + cbeat.mutual_s + cbeat.greedy_s
    );
    match &exact_lists {
        Some((el, eb)) => compare("clustered", el, eb, &lists, &cbeat),
        None => sampled_quality(&q, &lists, a.sample, a.seed),
    }
    drop(lists);
    if !a.hnsw.unwrap_or(n <= 100_000) {
        println!(
            "peak memory VmHWM {}  (VmRSS now {}), load {}",
            status("VmHWM:"),
            status("VmRSS:"),
            loadavg()
        );
        return Ok(());
    }

    let ann_params = AnnParams {
        expansion_search: a.ef,
        exact_pool: a.exact_pool,
        ..AnnParams::default()
    };
    let index = AnnIndex::new(d, ann_params)?;
    let (sync, build_s) = stage("index build (cold)", || index.sync(&q));
    println!(
        "    {:?}; {} graphs, index memory {:.0} MB",
        sync?,
        index.shards(),
        index.memory_usage() as f64 / 1e6
    );
    let (lists, knn_s) = stage("kNN approximate (cold)", || index.search(&q));
    let lists = lists?;
    let beat = finish(&p, &lists, params);
    println!(
        "  approximate cold beat total: {:.3} s (build {build_s:.3} s)",
        prep_s + build_s + knn_s + beat.mutual_s + beat.greedy_s
    );
    match &exact_lists {
        Some((el, eb)) => compare("cold", el, eb, &lists, &beat),
        None => sampled_quality(&q, &lists, a.sample, a.seed),
    }
    let _ = beat.edges;

    let path = std::env::temp_dir().join(format!("matcher-bench-{}.idx", std::process::id()));
    let (saved, _) = stage("index save (to file)", || index.save(&path));
    saved?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    drop(index);
    let (loaded, load_s) = stage("index load (restart)", || AnnIndex::load(&path, ann_params));
    let index = loaded?;
    std::fs::remove_file(&path)?;
    println!(
        "    file {:.0} MB; a restart costs {load_s:.2} s instead of the build",
        size as f64 / 1e6
    );
    drop(p);

    println!(
        "warm beat ({:.1} % of vectors changed since):",
        a.change * 100.0
    );
    let changed = synth::perturb(&spec, &mut vectors, a.change, 1);
    let (prepared, prep2) = stage("filters: compile + classes", || {
        Prepared::new(&cands, Some(&vectors), d, &excluded)
    });
    let p = prepared?;
    let adm = |i: usize, j: usize| p.admissible(i, j);
    let vecs = p.vectors().ok_or("no vectors")?;
    let q = KnnQuery {
        ids: p.ids(),
        vectors: vecs,
        dims: d,
        k: a.k,
        min_similarity: a.min_fit,
        admissible: &adm,
        classes: p.classes(),
    };
    let (sync, upkeep_s) = stage("index upkeep (changed only)", || index.sync(&q));
    println!("    {:?} ({} rows redrawn)", sync?, changed.len());
    let (lists, knn_s) = stage("kNN approximate (warm)", || index.search(&q));
    let lists = lists?;
    let beat = finish(&p, &lists, params);
    let warm = prep2 + upkeep_s + knn_s + beat.mutual_s + beat.greedy_s;
    println!("  approximate WARM beat total: {warm:.3} s");
    if run_exact && n <= 20_000 {
        let (el, _) = ExactSearch::new().run(&q);
        let eb = finish(&p, &el, params);
        compare("warm", &el, &eb, &lists, &beat);
    }
    if n <= 20_000 {
        // The same through the NeighbourSearch port (sync finds nothing to do now).
        let (via_port, _) = stage("kNN via the port (sync + search)", || index.top_k(&q));
        let _ = via_port?;
    }
    let small = (0..q.classes.len())
        .filter(|&c| q.classes.members(c).len() <= a.exact_pool)
        .count();
    println!(
        "    {} filter classes, {small} of them small enough to scan exactly",
        q.classes.len()
    );
    println!(
        "peak memory VmHWM {}  (VmRSS now {}), load {}",
        status("VmHWM:"),
        status("VmRSS:"),
        loadavg()
    );
    Ok(())
}

/// The exact/approximate crossover: exact kNN time against the clustered path's (16
/// probes) and its mutual-pair recall.
fn crossover(a: &Args) -> Res<()> {
    println!(
        "crossover, d = {}, k = {}, min_fit = {}, probes = {}, load {}",
        a.dims,
        a.k,
        a.min_fit,
        a.probes,
        loadavg()
    );
    println!(
        "{:>8} {:>10} {:>10} {:>13} {:>13} {:>10}",
        "N", "exact s", "exact cpu", "clustered s", "clustered cpu", "recall"
    );
    for n in [10_000usize, 25_000, 50_000, 100_000, 150_000, 200_000] {
        let spec = VectorSpec::new(a.dims, a.seed);
        let cands = synth::candidates(n, a.seed);
        let vectors = synth::vectors(&spec, n);
        let excluded = synth::past_couples(n, n / 20, a.seed);
        let p = Prepared::new(&cands, Some(&vectors), a.dims, &excluded)?;
        let adm = |i: usize, j: usize| p.admissible(i, j);
        let q = KnnQuery {
            ids: p.ids(),
            vectors: p.vectors().ok_or("no vectors")?,
            dims: a.dims,
            k: a.k,
            min_similarity: a.min_fit,
            admissible: &adm,
            classes: p.classes(),
        };
        let (c0, t) = (cpu_seconds(), Instant::now());
        let (exact, _) = ExactSearch::new().run(&q);
        let (exact_s, exact_cpu) = (secs(t), cpu_seconds() - c0);
        let (c0, t) = (cpu_seconds(), Instant::now());
        let (approx, _) = ClusteredSearch::new().with_probes(a.probes).run(&q);
        let (cl_s, cl_cpu) = (secs(t), cpu_seconds() - c0);
        let (e, m) = (mutual_rows(&exact), mutual_rows(&approx));
        let recall = e.intersection(&m).count() as f64 / e.len().max(1) as f64;
        println!(
            "{n:>8} {exact_s:>10.3} {exact_cpu:>10.2} {cl_s:>13.3} {cl_cpu:>13.2} {recall:>10.4}"
        );
    }
    println!("load {}", loadavg());
    Ok(())
}

/// This machine's fp32 FMA peak through the same SIMD layer the kernel uses.
fn peak() {
    struct Fma(usize);
    impl pulp::WithSimd for Fma {
        type Output = f32;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, s: S) -> f32 {
            let mut acc = [s.splat_f32s(1.0); 24];
            let (x, y) = (s.splat_f32s(0.999_999), s.splat_f32s(1e-7));
            for _ in 0..self.0 {
                for a in &mut acc {
                    *a = s.mul_add_e_f32s(*a, x, y);
                }
            }
            acc.iter().map(|a| s.reduce_sum_f32s(*a)).sum()
        }
    }
    let lanes = pulp::Arch::new().dispatch(LanesOp);
    let iters = 100_000_000usize;
    for threads in [1usize, 2] {
        let (c0, t0) = (cpu_seconds(), Instant::now());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| std::hint::black_box(pulp::Arch::new().dispatch(Fma(iters))));
            }
        });
        let (wall, cpu) = (secs(t0), cpu_seconds() - c0);
        let flops = (threads * iters * 24 * lanes * 2) as f64;
        println!(
            "fp32 FMA peak, {threads} thread(s), {} lanes: {:.1} GFLOP/s wall, {:.1} GFLOP/s per CPU-second",
            lanes,
            flops / wall / 1e9,
            flops / cpu.max(1e-9) / 1e9
        );
    }
    println!("load {}", loadavg());
}

struct LanesOp;
impl pulp::WithSimd for LanesOp {
    type Output = usize;
    fn with_simd<S: pulp::Simd>(self, _: S) -> usize {
        S::F32_LANES
    }
}

fn main() -> Res<()> {
    let a = args()?;
    if a.peak {
        peak();
        return Ok(());
    }
    if a.crossover {
        return crossover(&a);
    }
    one_size(&a)
}
