//! The scale paths against the domain's reference search, on synthetic personas.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::HashSet;

use ishtar_domain::matcher::{BruteForce, MatchParams, Pair, Prepared, match_beat};

use ishtar_domain::model::PersonaId;
use ishtar_domain::ports::{KnnQuery, Neighbour, NeighbourSearch};
use ishtar_matcher::synth::{self, VectorSpec};
use ishtar_matcher::{AnnIndex, AnnParams, ClusteredSearch, ExactSearch, Search};

const D: usize = 48;
const P: MatchParams = MatchParams { k: 6, min_fit: 0.1 };

struct World {
    cands: Vec<ishtar_domain::matcher::Candidate>,
    vectors: Vec<f32>,
    excluded: HashSet<(PersonaId, PersonaId)>,
}

fn world(n: usize, seed: u64) -> World {
    World {
        cands: synth::candidates(n, seed),
        vectors: synth::vectors(&VectorSpec::new(D, seed), n),
        excluded: synth::past_couples(n, n / 10, seed),
    }
}

fn lists(w: &World, search: &dyn NeighbourSearch) -> Vec<Vec<Neighbour>> {
    let p = Prepared::new(&w.cands, Some(&w.vectors), D, &w.excluded).unwrap();
    p.neighbours(P, search).unwrap()
}

/// Same lists up to float rounding: similarities agree, and indices agree wherever the
/// neighbouring similarities are not a near-tie.
fn assert_same_lists(a: &[Vec<Neighbour>], b: &[Vec<Neighbour>]) {
    assert_eq!(a.len(), b.len());
    for (row, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len(), "row {row}: {x:?} vs {y:?}");
        for (p, (u, v)) in x.iter().zip(y).enumerate() {
            assert!(
                (u.similarity - v.similarity).abs() < 1e-4,
                "row {row}: {x:?} vs {y:?}"
            );
            let tie = |l: &[Neighbour]| {
                (p > 0 && (l[p - 1].similarity - l[p].similarity).abs() < 1e-4)
                    || (p + 1 < l.len() && (l[p + 1].similarity - l[p].similarity).abs() < 1e-4)
            };
            if !tie(x) && !tie(y) {
                assert_eq!(u.index, v.index, "row {row}: {x:?} vs {y:?}");
            }
        }
    }
}

fn pair_set(pairs: &[Pair]) -> HashSet<(i64, i64)> {
    pairs.iter().map(|p| (p.a.0, p.b.0)).collect()
}

#[test]
fn exact_equals_the_reference_across_tiles() {
    // 1,300 rows: two row blocks, so diagonal and off-diagonal tiles and a ragged edge.
    let w = world(1300, 7);
    let exact = lists(&w, &ExactSearch::with_threads(2));
    let reference = lists(&w, &BruteForce);
    assert_same_lists(&exact, &reference);
    let run = |s: &dyn NeighbourSearch| {
        match_beat(&w.cands, Some(&w.vectors), D, &w.excluded, P, s).unwrap()
    };
    let (a, b) = (run(&ExactSearch::new()), run(&BruteForce));
    assert!(!a.is_empty());
    assert_eq!(pair_set(&a), pair_set(&b));
}

#[test]
fn exact_rows_pass_equals_the_full_pass() {
    let w = world(700, 3);
    let p = Prepared::new(&w.cands, Some(&w.vectors), D, &w.excluded).unwrap();
    let adm = |i: usize, j: usize| p.admissible(i, j);
    let q = KnnQuery {
        ids: p.ids(),
        vectors: p.vectors().unwrap(),
        dims: D,
        k: P.k,
        min_similarity: P.min_fit,
        admissible: &adm,
        classes: p.classes(),
    };
    let exact = ExactSearch::with_threads(2);
    let (full, stats) = exact.run(&q);
    assert!(stats.filter_calls > 0 && stats.tiles == 1);
    let rows = [0u32, 5, 699, 350];
    let some = exact.run_rows(&q, &rows);
    for &r in &rows {
        assert_same_lists(
            &full[r as usize..=r as usize],
            &some[r as usize..=r as usize],
        );
    }
    assert!(some[1].is_empty());
}

fn ann(exact_pool: usize) -> AnnIndex {
    AnnIndex::new(
        D,
        AnnParams {
            exact_pool,
            expansion_search: 64,
            ..AnnParams::default()
        },
    )
    .unwrap()
}

/// Mutual edges (row pairs) of a set of lists.
fn mutual(l: &[Vec<Neighbour>]) -> HashSet<(u32, u32)> {
    let mut out = HashSet::new();
    for (i, list) in l.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        for nb in list.iter().filter(|nb| nb.index > i) {
            if l[nb.index as usize].iter().any(|x| x.index == i) {
                out.insert((i, nb.index));
            }
        }
    }
    out
}

#[test]
fn ann_lists_keep_the_contract_and_find_most_mutual_pairs() {
    let w = world(3000, 11);
    let p = Prepared::new(&w.cands, Some(&w.vectors), D, &w.excluded).unwrap();
    let exact = lists(&w, &ExactSearch::new());
    for pool in [40, 1_000_000] {
        let index = ann(pool);
        let got = lists(&w, &index);
        assert_eq!(index.len(), 3000);
        for (i, list) in got.iter().enumerate() {
            assert!(list.len() <= P.k);
            assert!(list.windows(2).all(|x| x[0].similarity >= x[1].similarity));
            for nb in list {
                assert!(p.admissible(i, nb.index as usize));
                assert!(nb.similarity >= P.min_fit);
            }
        }
        let (e, a) = (mutual(&exact), mutual(&got));
        let recall = e.intersection(&a).count() as f64 / e.len() as f64;
        assert!(
            recall > 0.9,
            "exact_pool {pool}: mutual-pair recall {recall}"
        );
        if pool > 3000 {
            // Every pool is "small": the index answers exactly.
            assert_same_lists(&got, &exact);
        }
    }
}

fn sync(w: &World, index: &AnnIndex) -> ishtar_matcher::SyncStats {
    let p = Prepared::new(&w.cands, Some(&w.vectors), D, &w.excluded).unwrap();
    let adm = |i: usize, j: usize| p.admissible(i, j);
    let q = KnnQuery {
        ids: p.ids(),
        vectors: p.vectors().unwrap(),
        dims: D,
        k: P.k,
        min_similarity: P.min_fit,
        admissible: &adm,
        classes: p.classes(),
    };
    index.sync(&q).unwrap()
}

#[test]
fn the_index_upserts_only_changes_and_survives_a_round_trip() {
    let spec = VectorSpec::new(D, 5);
    let mut w = world(1500, 5);
    let index = ann(40);
    let ids: Vec<PersonaId> = w.cands.iter().map(|c| c.id).collect();
    let first = sync(&w, &index);
    assert_eq!(first.added, 1500);
    assert!(index.shards() > 10, "one graph per filter class");
    let again = sync(&w, &index);
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 1500));

    let changed = synth::perturb(&spec, &mut w.vectors, 0.02, 1);
    // A zero vector means "no embedding": it leaves the index.
    w.vectors[..D].fill(0.0);
    let third = sync(&w, &index);
    assert_eq!(
        third.updated + third.removed,
        changed.len() + usize::from(!changed.contains(&0))
    );
    assert_eq!(third.removed, 1);
    assert_eq!(index.len(), 1499);

    assert!(index.remove(PersonaId(2)).unwrap());
    assert!(!index.remove(PersonaId(2)).unwrap());
    assert!(
        index
            .upsert(PersonaId(2), 77, &w.vectors[D..2 * D])
            .unwrap()
    );
    assert!(
        !index
            .upsert(PersonaId(2), 77, &w.vectors[D..2 * D])
            .unwrap()
    );
    // Back in its own class's graph on the next beat.
    assert_eq!(sync(&w, &index).updated, 1);
    assert_eq!(index.retain(&ids[..1000]).unwrap(), 500);
    assert_eq!(index.len(), 999);

    let before = lists(&w, &index);
    let bytes = index.to_bytes().unwrap();
    let back = AnnIndex::from_bytes(&bytes, index.params()).unwrap();
    assert_eq!(back.len(), index.len());
    // Loading restores the fingerprints too: nothing to re-index for the same rows.
    assert_eq!(sync(&w, &back).unchanged, 1499);
    let path = std::env::temp_dir().join(format!("ishtar-ann-{}.idx", std::process::id()));
    back.save(&path).unwrap();
    let loaded = AnnIndex::load(&path, index.params()).unwrap();
    std::fs::remove_file(&path).unwrap();
    let after = lists(&w, &loaded);
    assert_same_lists(&before, &after);
    assert!(AnnIndex::from_bytes(&bytes[..100], index.params()).is_err());
    assert!(AnnIndex::from_bytes(b"nonsense-bytes-here", index.params()).is_err());
}

#[test]
fn search_picks_by_size() {
    let w = world(400, 2);
    let small = Search::new();
    assert!(small.uses_exact(400));
    assert!(!small.uses_exact(ishtar_matcher::CROSSOVER));
    assert_same_lists(&lists(&w, &small), &lists(&w, &BruteForce));
    assert!(small.index().is_none());
    let hnsw = Search::with_hnsw(ann(40)).with_crossover(0);
    let _ = lists(&w, &hnsw);
    assert_eq!(hnsw.index().map(AnnIndex::len), Some(400));
}

#[test]
fn clustered_search_keeps_the_contract_and_finds_most_mutual_pairs() {
    let w = world(3000, 13);
    let p = Prepared::new(&w.cands, Some(&w.vectors), D, &w.excluded).unwrap();
    let exact = lists(&w, &ExactSearch::new());
    // Every cluster probing every cluster is the exact search.
    let all = lists(&w, &ClusteredSearch::new().with_clusters(6).with_probes(6));
    assert_same_lists(&all, &exact);
    let some = lists(&w, &ClusteredSearch::new().with_clusters(12).with_probes(6));
    for (i, list) in some.iter().enumerate() {
        assert!(list.len() <= P.k);
        assert!(list.windows(2).all(|x| x[0].similarity >= x[1].similarity));
        assert!(list.iter().all(|nb| p.admissible(i, nb.index as usize)));
    }
    let (e, a) = (mutual(&exact), mutual(&some));
    let recall = e.intersection(&a).count() as f64 / e.len() as f64;
    assert!(recall > 0.8, "mutual-pair recall {recall}");
    let via_search = lists(&w, &Search::new().with_crossover(0));
    assert_eq!(via_search.len(), 3000);
}
