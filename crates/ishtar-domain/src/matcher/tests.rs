#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::prefs::{Dealbreakers, SeekPrefs, SelfPrefs};

fn cand(id: i64) -> Candidate {
    Candidate {
        id: PersonaId(id),
        owner: None,
        redteam: false,
        active_market: "bay_area".into(),
        prefs: None,
        admitted_seq: id,
    }
}

fn with_prefs(id: i64, me: SelfPrefs, seek: SeekPrefs) -> Candidate {
    Candidate {
        prefs: Some(Prefs { self_: me, seek }),
        ..cand(id)
    }
}

fn s(x: &str) -> String {
    x.to_owned()
}

fn none() -> HashSet<(PersonaId, PersonaId)> {
    HashSet::new()
}

const P: MatchParams = MatchParams { k: 3, min_fit: 0.0 };

/// Unit rows in 2-d at the given angles (degrees): similarity = cos(difference).
fn angles(deg: &[f32]) -> Vec<f32> {
    deg.iter()
        .flat_map(|d| {
            let r = d.to_radians();
            [r.cos(), r.sin()]
        })
        .collect()
}

fn ids(pairs: &[Pair]) -> Vec<(i64, i64)> {
    pairs.iter().map(|p| (p.a.0, p.b.0)).collect()
}

// ---- filters -------------------------------------------------------------------------

#[test]
fn genders_must_match_both_ways_case_insensitively() {
    let man_for_women = with_prefs(
        1,
        SelfPrefs {
            gender: Some(s("Man ")),
            ..Default::default()
        },
        SeekPrefs {
            genders: vec![s(" WOMAN")],
            ..Default::default()
        },
    );
    let woman_for_men = with_prefs(
        2,
        SelfPrefs {
            gender: Some(s("woman")),
            ..Default::default()
        },
        SeekPrefs {
            genders: vec![s("man")],
            ..Default::default()
        },
    );
    let woman_for_women = with_prefs(
        3,
        SelfPrefs {
            gender: Some(s("woman")),
            ..Default::default()
        },
        SeekPrefs {
            genders: vec![s("woman")],
            ..Default::default()
        },
    );
    assert!(compatible(&man_for_women, &woman_for_men, &none()));
    assert!(!compatible(&man_for_women, &woman_for_women, &none()));
    assert!(!compatible(&woman_for_women, &man_for_women, &none()));
    // Missing gender: the filter cannot bite.
    assert!(compatible(&man_for_women, &cand(4), &none()));
}

#[test]
fn age_languages_ethnicity_and_substances() {
    let seeker = with_prefs(
        1,
        SelfPrefs::default(),
        SeekPrefs {
            age_min: Some(30),
            age_max: Some(40),
            languages: vec![s("english"), s("")],
            ethnicities: vec![s("white")],
            dealbreakers: Dealbreakers {
                substances: vec![s("smoker")],
            },
            ..Default::default()
        },
    );
    let other = |f: &dyn Fn(&mut SelfPrefs)| {
        let mut me = SelfPrefs::default();
        f(&mut me);
        with_prefs(2, me, SeekPrefs::default())
    };
    let ok = |c: &Candidate| compatible(&seeker, c, &none());
    assert!(ok(&other(&|m| m.age = Some(30))));
    assert!(ok(&other(&|m| m.age = Some(40))));
    assert!(!ok(&other(&|m| m.age = Some(29))));
    assert!(!ok(&other(&|m| m.age = Some(41))));
    assert!(ok(&other(
        &|m| m.languages = vec![s("Spanish"), s("English")]
    )));
    assert!(!ok(&other(&|m| m.languages = vec![s("spanish")])));
    assert!(ok(&other(&|m| m.languages = vec![s("  ")])));
    assert!(ok(&other(&|m| m.ethnicity = Some(s("White")))));
    assert!(!ok(&other(&|m| m.ethnicity = Some(s("asian")))));
    assert!(!ok(&other(&|m| m.substances = Some(s("smoker")))));
    assert!(ok(&other(&|m| m.substances = Some(s("social")))));
    // Nothing stated about the other side: nothing excludes.
    assert!(ok(&cand(2)));
    assert!(ok(&other(&|_| {})));
}

#[test]
fn market_owner_redteam_and_past_couples() {
    let base = cand(1);
    let mut nyc = cand(2);
    nyc.active_market = s("nyc");
    assert!(!compatible(&base, &nyc, &none()));
    let mut remote = cand(3);
    remote.active_market = s(" Remote");
    assert!(compatible(&base, &remote, &none()));
    assert!(compatible(&nyc, &remote, &none()));
    let mut shouty = cand(4);
    shouty.active_market = s("BAY_AREA");
    assert!(compatible(&base, &shouty, &none()));

    let (mut a, mut b) = (cand(5), cand(6));
    a.owner = Some(OwnerId(9));
    b.owner = Some(OwnerId(9));
    assert!(!compatible(&a, &b, &none()));
    b.owner = None;
    assert!(compatible(&a, &b, &none()));

    let mut red = cand(7);
    red.redteam = true;
    assert!(!compatible(&base, &red, &none()));
    let mut red2 = cand(8);
    red2.redteam = true;
    assert!(compatible(&red, &red2, &none()));

    let past: HashSet<_> = [(PersonaId(6), PersonaId(5))].into();
    assert!(!compatible(&a, &b, &past));
    assert!(!compatible(&b, &a, &past));
    assert!(!compatible(&base, &base, &none()));
}

// ---- reciprocity and greedy ----------------------------------------------------------

#[test]
fn pairs_the_most_similar_mutual_pairs_first() {
    // 1 and 2 are 10° apart, 3 and 4 are 20° apart, far from 1 and 2.
    let c: Vec<_> = (1..=4).map(cand).collect();
    let v = angles(&[0.0, 10.0, 90.0, 110.0]);
    let pairs = match_beat(&c, Some(&v), 2, &none(), P, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(1, 2), (3, 4)]);
    let s0 = pairs[0].similarity.unwrap();
    assert!((s0 - 10f32.to_radians().cos()).abs() < 1e-6);
}

#[test]
fn a_hub_is_not_mutual_with_everyone() {
    // 0 sits between two tight pairs; with k = 1 it is nobody's first choice but its own
    // first choice does not rank it back.
    let c: Vec<_> = (1..=5).map(cand).collect();
    let v = angles(&[40.0, 0.0, 5.0, 80.0, 85.0]);
    let k1 = MatchParams { k: 1, min_fit: 0.0 };
    let pairs = match_beat(&c, Some(&v), 2, &none(), k1, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(2, 3), (4, 5)]);
}

#[test]
fn rank_is_among_filtered_candidates_only() {
    // 1's nearest is 2, but 2 is filtered out (same owner): 3 becomes 1's top-1, and 3
    // ranks 1 first (15° against 25° to 2).
    let mut c: Vec<_> = (1..=3).map(cand).collect();
    c[0].owner = Some(OwnerId(1));
    c[1].owner = Some(OwnerId(1));
    let v = angles(&[0.0, 10.0, -15.0]);
    let k1 = MatchParams { k: 1, min_fit: 0.0 };
    let pairs = match_beat(&c, Some(&v), 2, &none(), k1, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(1, 3)]);
}

#[test]
fn min_fit_and_k_zero() {
    let c: Vec<_> = (1..=2).map(cand).collect();
    let v = angles(&[0.0, 80.0]); // cos 80° ≈ 0.17
    let strict = MatchParams { k: 3, min_fit: 0.3 };
    assert!(
        match_beat(&c, Some(&v), 2, &none(), strict, &BruteForce)
            .unwrap()
            .is_empty()
    );
    let loose = MatchParams { k: 3, min_fit: 0.1 };
    assert_eq!(
        match_beat(&c, Some(&v), 2, &none(), loose, &BruteForce)
            .unwrap()
            .len(),
        1
    );
    let zero = MatchParams {
        k: 0,
        min_fit: -1.0,
    };
    assert!(
        match_beat(&c, Some(&v), 2, &none(), zero, &BruteForce)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn ties_go_to_lower_ids_whatever_the_input_order() {
    // Four identical vectors: every pair ties; greedy takes (1,2) then (3,4).
    let mut c: Vec<_> = [4, 2, 3, 1].into_iter().map(cand).collect();
    let v = vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
    let pairs = match_beat(&c, Some(&v), 2, &none(), P, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(1, 2), (3, 4)]);
    c.reverse();
    let again = match_beat(&c, Some(&v), 2, &none(), P, &BruteForce).unwrap();
    assert_eq!(pairs, again);
}

#[test]
fn unusable_vectors_are_not_paired_and_unnormalised_ones_are_scaled() {
    let c: Vec<_> = (1..=3).map(cand).collect();
    let v = vec![3.0, 0.0, 0.0, 0.0, 0.0, 7.0];
    let pairs = match_beat(&c, Some(&v), 2, &none(), P, &BruteForce).unwrap();
    // 1·3 = 0 ≥ min_fit 0: they pair; 2 has a zero vector and is left out.
    assert_eq!(ids(&pairs), [(1, 3)]);
    assert_eq!(pairs[0].similarity, Some(0.0));
    let nan = vec![f32::NAN, 0.0, 1.0, 0.0, 1.0, 0.0];
    let pairs = match_beat(&c, Some(&nan), 2, &none(), P, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(2, 3)]);
}

#[test]
fn fallback_pairs_in_admission_order_under_the_filters() {
    let mut c: Vec<_> = (1..=5).map(cand).collect();
    for (x, seq) in c.iter_mut().zip([50, 10, 40, 20, 30]) {
        x.admitted_seq = seq;
    }
    // Admission order: 2, 4, 5, 3, 1. 2 and 4 share an owner.
    c[1].owner = Some(OwnerId(7));
    c[3].owner = Some(OwnerId(7));
    let pairs = match_beat(&c, None, 0, &none(), P, &BruteForce).unwrap();
    assert_eq!(ids(&pairs), [(2, 5), (3, 4)]);
    assert!(pairs.iter().all(|p| p.similarity.is_none()));
}

#[test]
fn bad_input_is_refused() {
    let c = vec![cand(1), cand(1)];
    assert_eq!(
        match_beat(&c, None, 0, &none(), P, &BruteForce),
        Err(MatchError::DuplicatePersona(PersonaId(1)))
    );
    let c = vec![cand(1), cand(2)];
    assert!(matches!(
        match_beat(&c, Some(&[1.0, 0.0, 1.0]), 2, &none(), P, &BruteForce),
        Err(MatchError::VectorShape { .. })
    ));
    assert!(matches!(
        match_beat(&c, Some(&[]), 0, &none(), P, &BruteForce),
        Err(MatchError::VectorShape { .. })
    ));
    assert_eq!(
        match_beat(&[], Some(&[]), 0, &none(), P, &BruteForce),
        Ok(vec![])
    );
}

struct Liar;
impl NeighbourSearch for Liar {
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        // Claims everyone is everyone's best match, filters ignored.
        Ok((0..q.len())
            .map(|i| {
                (0..q.len())
                    .filter(|&j| j != i)
                    .map(|j| Neighbour {
                        index: u32::try_from(j).unwrap(),
                        similarity: 1.0,
                    })
                    .collect()
            })
            .collect())
    }
}

#[test]
fn a_faulty_search_cannot_pair_a_forbidden_pair() {
    let mut c: Vec<_> = (1..=2).map(cand).collect();
    c[1].active_market = s("nyc");
    let v = angles(&[0.0, 0.0]);
    assert!(
        match_beat(&c, Some(&v), 2, &none(), P, &Liar)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn filter_classes_group_and_bound_pools() {
    let mut c: Vec<_> = (1..=4).map(cand).collect();
    c[2].active_market = s("nyc");
    c[3].active_market = s("remote");
    let v = angles(&[0.0, 1.0, 2.0, 3.0]);
    let p = Prepared::new(&c, Some(&v), 2, &none()).unwrap();
    let cl = p.classes();
    assert_eq!(cl.len(), 3);
    assert_eq!(cl.pool_size(0), 3); // bay_area ×2 + remote
    assert_eq!(cl.pool_size(2), 2); // nyc + remote
    assert_eq!(cl.pool_size(3), 4);
    assert!(!cl.compatible(cl.class_of(0), cl.class_of(2)));
}

#[test]
fn exotic_vocabularies_fall_back_to_the_general_form() {
    // 90 distinct languages and genders overflow the 64-bit masks for the rarer ones, and
    // an age beyond i32 does not fit the compact form: the answers must not change.
    let cands: Vec<Candidate> = (0..90i64)
        .map(|i| {
            with_prefs(
                i + 1,
                SelfPrefs {
                    gender: Some(format!("g{}", i % 70)),
                    age: Some(if i == 5 { 1 << 40 } else { 20 + i % 30 }),
                    languages: vec![format!("l{i}"), s("english")],
                    ..Default::default()
                },
                SeekPrefs {
                    genders: vec![format!("g{}", (i * 7) % 70), format!("g{}", (i * 3) % 70)],
                    languages: vec![format!("l{}", (i * 11) % 90), s("English ")],
                    age_max: (i % 4 == 0).then_some(40),
                    ..Default::default()
                },
            )
        })
        .collect();
    let p = Prepared::new(&cands, None, 0, &none()).unwrap();
    let mut agree = 0;
    for i in 0..cands.len() {
        for j in 0..cands.len() {
            assert_eq!(
                p.compatible(i, j),
                compatible(&cands[i], &cands[j], &none()),
                "{i} {j}"
            );
            agree += usize::from(p.compatible(i, j));
        }
    }
    assert!(agree > 0);
}

#[test]
fn class_keys_are_stable_across_beats() {
    let person = |id: i64, g: &str, seek: &[&str]| {
        with_prefs(
            id,
            SelfPrefs {
                gender: Some(s(g)),
                ..Default::default()
            },
            SeekPrefs {
                genders: seek.iter().map(|x| s(x)).collect(),
                ..Default::default()
            },
        )
    };
    let one = vec![person(1, "man", &["woman"]), person(2, "woman", &["man"])];
    let two = vec![
        person(5, "woman", &["man"]),
        person(3, " Man", &["WOMAN", "woman"]),
        cand(4),
    ];
    let v1 = angles(&[0.0, 1.0]);
    let v2 = angles(&[0.0, 1.0, 2.0]);
    let (p1, p2) = (
        Prepared::new(&one, Some(&v1), 2, &none()).unwrap(),
        Prepared::new(&two, Some(&v2), 2, &none()).unwrap(),
    );
    let key = |p: &Prepared<'_>, row: usize| p.classes().key(p.classes().class_of(row));
    // Rows are in id order: p1 = [1 man, 2 woman]; p2 = [3 man, 4 nobody, 5 woman].
    assert_eq!(key(&p1, 0), key(&p2, 0));
    assert_eq!(key(&p1, 1), key(&p2, 2));
    assert_ne!(key(&p1, 0), key(&p1, 1));
    assert_ne!(key(&p2, 1), key(&p2, 0));
    assert!(key(&p2, 1) != 0);
}

// ---- properties ----------------------------------------------------------------------

const GENDERS: &[&str] = &["man", " Woman", "woman", "nonbinary", ""];
const MARKETS: &[&str] = &["bay_area", "nyc", "remote", " NYC", ""];
const LANGS: &[&str] = &["english", "Spanish", "french"];
const ETHS: &[&str] = &["white", "asian", "Black"];
const SUBS: &[&str] = &["none", "social", "smoker"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(list).prop_map(str::to_owned)
}

fn subset(list: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(list, 0..=2)
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn prefs() -> impl Strategy<Value = Option<Prefs>> {
    let me = (
        proptest::option::of(pick(GENDERS)),
        proptest::option::of(18i64..60),
        proptest::option::of(pick(ETHS)),
        subset(LANGS),
        proptest::option::of(pick(SUBS)),
    )
        .prop_map(
            |(gender, age, ethnicity, languages, substances)| SelfPrefs {
                gender,
                age,
                ethnicity,
                languages,
                kids: None,
                substances,
            },
        );
    let seek = (
        subset(GENDERS),
        proptest::option::of(18i64..40),
        proptest::option::of(30i64..60),
        subset(LANGS),
        subset(ETHS),
        subset(SUBS),
    )
        .prop_map(
            |(genders, age_min, age_max, languages, ethnicities, subs)| SeekPrefs {
                genders,
                age_min,
                age_max,
                languages,
                ethnicities,
                dealbreakers: Dealbreakers { substances: subs },
            },
        );
    proptest::option::weighted(
        0.8,
        (me, seek).prop_map(|(self_, seek)| Prefs { self_, seek }),
    )
}

fn candidate(id: i64) -> impl Strategy<Value = Candidate> {
    (
        proptest::option::of(1i64..4),
        proptest::bool::weighted(0.15),
        pick(MARKETS),
        prefs(),
        0i64..5,
    )
        .prop_map(
            move |(owner, redteam, active_market, prefs, seq)| Candidate {
                id: PersonaId(id),
                owner: owner.map(OwnerId),
                redteam,
                active_market,
                prefs,
                admitted_seq: seq,
            },
        )
}

const DIMS: usize = 3;

/// A beat: candidates with distinct ids, small-integer vectors (so ties are common),
/// a few past couples, and params.
#[derive(Debug, Clone)]
struct Beat {
    cands: Vec<Candidate>,
    vectors: Vec<f32>,
    excluded: HashSet<(PersonaId, PersonaId)>,
    params: MatchParams,
}

fn beat() -> impl Strategy<Value = Beat> {
    (0usize..14)
        .prop_flat_map(|n| {
            let cands: Vec<_> = (0..n).map(|i| candidate(i as i64 * 3 + 1)).collect();
            (
                cands,
                proptest::collection::vec(-2i8..=2, n * DIMS),
                proptest::collection::vec((0..n.max(1), 0..n.max(1)), 0..4),
                1usize..5,
                proptest::sample::select(vec![-1.0f32, 0.0, 0.4]),
            )
        })
        .prop_map(|(cands, v, ex, k, min_fit)| {
            let excluded = ex
                .into_iter()
                .filter(|&(a, b)| a < cands.len() && b < cands.len())
                .map(|(a, b)| (cands[a].id, cands[b].id))
                .collect();
            Beat {
                vectors: v.into_iter().map(f32::from).collect(),
                cands,
                excluded,
                params: MatchParams { k, min_fit },
            }
        })
}

/// The spec, written out plainly: filters by [`compatible`], sims by the same arithmetic
/// as the matcher, top-k by sorting, mutual, greedy.
fn reference(b: &Beat) -> Vec<(i64, i64)> {
    let mut order: Vec<usize> = (0..b.cands.len()).collect();
    order.sort_by_key(|&i| b.cands[i].id);
    let c: Vec<&Candidate> = order.iter().map(|&i| &b.cands[i]).collect();
    let unit: Vec<Option<Vec<f32>>> = order
        .iter()
        .map(|&i| {
            let r = &b.vectors[i * DIMS..(i + 1) * DIMS];
            let n2: f32 = r.iter().map(|x| x * x).sum();
            (n2 > 0.0).then(|| r.iter().map(|x| x / n2.sqrt()).collect())
        })
        .collect();
    let n = c.len();
    let ok = |i: usize, j: usize| {
        unit[i].is_some() && unit[j].is_some() && compatible(c[i], c[j], &b.excluded)
    };
    let sim = |i: usize, j: usize| dot(unit[i].as_ref().unwrap(), unit[j].as_ref().unwrap());
    let top: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let mut l: Vec<usize> = (0..n)
                .filter(|&j| j != i && ok(i, j) && sim(i, j) >= b.params.min_fit)
                .collect();
            l.sort_by(|&x, &y| sim(i, y).total_cmp(&sim(i, x)).then(x.cmp(&y)));
            l.truncate(b.params.k);
            l
        })
        .collect();
    let mut edges: Vec<(f32, usize, usize)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if top[i].contains(&j) && top[j].contains(&i) {
                edges.push((sim(i, j), i, j));
            }
        }
    }
    edges.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut taken = vec![false; n];
    let mut out = Vec::new();
    for (_, i, j) in edges {
        if !taken[i] && !taken[j] {
            taken[i] = true;
            taken[j] = true;
            out.push((c[i].id.0, c[j].id.0));
        }
    }
    out
}

fn run(b: &Beat, semantic: bool) -> Vec<Pair> {
    let v = semantic.then_some(b.vectors.as_slice());
    match_beat(&b.cands, v, DIMS, &b.excluded, b.params, &BruteForce).unwrap()
}

/// `b` with its candidates (and their vector rows) permuted by `seed`.
fn shuffled(b: &Beat, seed: u64) -> Beat {
    let n = b.cands.len();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut x = seed | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        perm.swap(i, (x % (i as u64 + 1)) as usize);
    }
    Beat {
        cands: perm.iter().map(|&i| b.cands[i].clone()).collect(),
        vectors: perm
            .iter()
            .flat_map(|&i| b.vectors[i * DIMS..(i + 1) * DIMS].iter().copied())
            .collect(),
        excluded: b.excluded.clone(),
        params: b.params,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn chosen_pairs_pass_every_filter_and_nobody_pairs_twice(b in beat(), semantic: bool) {
        let pairs = run(&b, semantic);
        let by_id = |id: PersonaId| b.cands.iter().find(|c| c.id == id).unwrap();
        let mut seen = HashSet::new();
        for p in &pairs {
            prop_assert!(p.a < p.b);
            prop_assert!(compatible(by_id(p.a), by_id(p.b), &b.excluded));
            prop_assert!(compatible(by_id(p.b), by_id(p.a), &b.excluded));
            prop_assert!(seen.insert(p.a) && seen.insert(p.b), "a persona paired twice");
            if let Some(s) = p.similarity {
                prop_assert!(s >= b.params.min_fit);
            }
        }
    }

    #[test]
    fn the_result_does_not_depend_on_input_order(b in beat(), seed: u64, semantic: bool) {
        prop_assert_eq!(run(&b, semantic), run(&shuffled(&b, seed), semantic));
    }

    #[test]
    fn exact_search_equals_the_reference(b in beat()) {
        prop_assert_eq!(ids(&run(&b, true)), reference(&b));
    }

    #[test]
    fn compiled_filters_agree_with_the_readable_ones(b in beat()) {
        let p = Prepared::new(&b.cands, None, 0, &b.excluded).unwrap();
        let rows: Vec<&Candidate> = p.ids().iter()
            .map(|id| b.cands.iter().find(|c| c.id == *id).unwrap())
            .collect();
        for i in 0..rows.len() {
            for j in 0..rows.len() {
                prop_assert_eq!(p.compatible(i, j), compatible(rows[i], rows[j], &b.excluded));
            }
        }
    }

    #[test]
    fn filter_classes_and_spans_never_separate_admissible_rows(b in beat()) {
        let p = Prepared::new(&b.cands, Some(&b.vectors), DIMS, &b.excluded).unwrap();
        let cl = p.classes();
        for i in 0..p.len() {
            let mut admissible = 0;
            for j in 0..p.len() {
                if p.admissible(i, j) {
                    admissible += 1;
                    prop_assert!(cl.compatible(cl.class_of(i), cl.class_of(j)));
                    prop_assert!(cl.span(i).may_meet(&cl.span(j)));
                }
            }
            prop_assert!(cl.pool_size(i) >= admissible);
        }
    }

    #[test]
    fn missing_data_never_excludes(a in candidate(1), market in pick(MARKETS), owner: bool) {
        // b states nothing about itself and seeks nothing: only market, owner, red-team and
        // past couples can keep them apart.
        let b = Candidate {
            id: PersonaId(2),
            owner: owner.then_some(OwnerId(1)),
            redteam: a.redteam,
            active_market: market.clone(),
            prefs: if owner { Some(Prefs::default()) } else { None },
            admitted_seq: 0,
        };
        let base = markets_compatible(&a.active_market, &market)
            && !(owner && a.owner == Some(OwnerId(1)));
        prop_assert_eq!(compatible(&a, &b, &none()), base);
        prop_assert_eq!(compatible(&b, &a, &none()), base);
    }
}
