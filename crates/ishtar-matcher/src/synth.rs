//! Synthetic personas for benchmarks and tests: clustered "embedding-like" vectors and a
//! realistic mix of hard filters. Deterministic for a seed.
//!
//! Vectors: a 32-d latent point drawn around one of `clusters` centres, mapped to `dims`
//! by a fixed random matrix, plus isotropic noise carrying 25 % of the energy, then
//! normalised — the research's generator (docs/matching-research.md §3.3) with topic
//! clusters added, because real profile embeddings are clustered and ANN recall on
//! structureless noise says nothing about them.
//!
//! Filters: genders 47/47/4 % man/woman/nonbinary (2 % unstated), mostly seeking the
//! other gender, some the same or both; ages 20–65 with a sought window for 75 %;
//! markets 45/40/15 % bay_area/nyc/remote; substances with smoker dealbreakers for a third;
//! a few language and ethnicity constraints; 2 % of personas share an owner; 0.5 %
//! red-team. With this mix about a fifth of all pairs pass every filter both ways.

use std::collections::HashSet;

use ishtar_domain::matcher::Candidate;
use ishtar_domain::model::{OwnerId, PersonaId};
use ishtar_domain::prefs::{Dealbreakers, Prefs, SeekPrefs, SelfPrefs};

/// A small, fast, seedable generator (xorshift64*), enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
}

/// How to draw the vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorSpec {
    pub dims: usize,
    pub clusters: usize,
    /// Spread of a point around its cluster centre, relative to the centres' spread.
    pub spread: f32,
    pub seed: u64,
}

impl VectorSpec {
    /// 384-d (the local embedder's size), 256 topic clusters.
    #[must_use]
    pub fn new(dims: usize, seed: u64) -> Self {
        VectorSpec {
            dims,
            clusters: 256,
            spread: 0.6,
            seed,
        }
    }
}

const LATENT: usize = 32;

struct Model {
    centres: Vec<f32>,
    map: Vec<f32>,
}

impl Model {
    fn new(spec: &VectorSpec) -> Self {
        let mut rng = Rng::new(spec.seed ^ 0xC0FF_EE00);
        let centres = (0..spec.clusters.max(1) * LATENT)
            .map(|_| rng.normal())
            .collect();
        let scale = 1.0 / (LATENT as f32).sqrt();
        let map = (0..spec.dims * LATENT)
            .map(|_| rng.normal() * scale)
            .collect();
        Model { centres, map }
    }

    /// One unit vector for `row`, from its own stream (so rows can be redrawn alone).
    fn draw(&self, spec: &VectorSpec, row: u64, version: u64, out: &mut [f32]) {
        let mut rng = Rng::new(spec.seed ^ row.wrapping_mul(0x51_7CC1_B727_220A) ^ version << 48);
        let c = rng.below(spec.clusters.max(1) as u64) as usize;
        let mut z = [0.0f32; LATENT];
        for (t, zi) in z.iter_mut().enumerate() {
            *zi = self.centres[c * LATENT + t] + spec.spread * rng.normal();
        }
        let mut signal2 = 0.0;
        for (o, m) in out.iter_mut().zip(self.map.chunks_exact(LATENT)) {
            *o = m.iter().zip(&z).map(|(a, b)| a * b).sum();
            signal2 += *o * *o;
        }
        let noise: Vec<f32> = (0..out.len()).map(|_| rng.normal()).collect();
        let noise2: f32 = noise.iter().map(|x| x * x).sum();
        let (a, b) = (
            (0.75 / signal2.max(1e-12)).sqrt(),
            (0.25 / noise2.max(1e-12)).sqrt(),
        );
        let mut norm2 = 0.0;
        for (o, e) in out.iter_mut().zip(&noise) {
            *o = *o * a + e * b;
            norm2 += *o * *o;
        }
        let inv = 1.0 / norm2.sqrt();
        out.iter_mut().for_each(|o| *o *= inv);
    }
}

/// `n` unit vectors, row-major, drawn on all cores.
#[must_use]
pub fn vectors(spec: &VectorSpec, n: usize) -> Vec<f32> {
    let model = Model::new(spec);
    let d = spec.dims;
    let mut out = vec![0.0f32; n * d];
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let rows_per = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (t, part) in out.chunks_mut(rows_per * d).enumerate() {
            let model = &model;
            s.spawn(move || {
                for (r, row) in part.chunks_exact_mut(d).enumerate() {
                    model.draw(spec, (t * rows_per + r) as u64, 0, row);
                }
            });
        }
    });
    out
}

/// Redraws a share of the rows (a new heart or a new model), returning which rows changed.
pub fn perturb(spec: &VectorSpec, vectors: &mut [f32], share: f32, version: u64) -> Vec<usize> {
    let model = Model::new(spec);
    let d = spec.dims;
    let n = vectors.len() / d.max(1);
    let mut rng = Rng::new(spec.seed ^ 0xBEEF ^ version);
    let mut changed: Vec<usize> = (0..n).filter(|_| rng.chance(share)).collect();
    changed.dedup();
    for &r in &changed {
        model.draw(spec, r as u64, version, &mut vectors[r * d..(r + 1) * d]);
    }
    changed
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// `n` candidates with ids `1..=n` and the filter mix described above.
#[must_use]
pub fn candidates(n: usize, seed: u64) -> Vec<Candidate> {
    let mut rng = Rng::new(seed ^ 0xF17E_2500);
    (1..=n as i64)
        .map(|id| {
            let g = rng.unit();
            let gender = match g {
                x if x < 0.47 => Some("man"),
                x if x < 0.94 => Some("woman"),
                x if x < 0.98 => Some("nonbinary"),
                _ => None,
            };
            let r = rng.unit();
            let genders: Vec<String> = match gender {
                Some("man") if r < 0.88 => vec![s("woman")],
                Some("man") if r < 0.95 => vec![s("man")],
                Some("woman") if r < 0.85 => vec![s("man")],
                Some("woman") if r < 0.93 => vec![s("woman")],
                Some("nonbinary") if r < 0.6 => vec![],
                Some("nonbinary") => vec![s("nonbinary"), s("woman")],
                None if r < 0.5 => vec![],
                _ => vec![s("man"), s("woman")],
            };
            let age = 20 + (rng.unit().powf(1.5) * 45.0) as i64;
            let stated_age = rng.chance(0.9).then_some(age);
            let (age_min, age_max) = if rng.chance(0.75) {
                let lo = (age - 3 - rng.below(6) as i64).max(18);
                (Some(lo), Some(age + 4 + rng.below(10) as i64))
            } else {
                (None, None)
            };
            let market = match rng.unit() {
                x if x < 0.45 => "bay_area",
                x if x < 0.85 => "nyc",
                _ => "remote",
            };
            let substances = match rng.unit() {
                x if x < 0.2 => None,
                x if x < 0.56 => Some(s("none")),
                x if x < 0.92 => Some(s("social")),
                _ => Some(s("smoker")),
            };
            let dealbreakers = match rng.unit() {
                x if x < 0.30 => vec![s("smoker")],
                x if x < 0.35 => vec![s("smoker"), s("social")],
                _ => vec![],
            };
            let mut languages = vec![s("english")];
            if rng.chance(0.2) {
                languages.push(s("spanish"));
            }
            if rng.chance(0.05) {
                languages = vec![s("spanish")];
            }
            let seek_languages = if rng.chance(0.3) {
                vec![s("english")]
            } else {
                vec![]
            };
            const ETH: [&str; 5] = ["white", "asian", "black", "hispanic", "mixed"];
            let ethnicity = rng.chance(0.7).then(|| s(ETH[rng.below(5) as usize]));
            let ethnicities = if rng.chance(0.05) {
                vec![s(ETH[rng.below(5) as usize])]
            } else {
                vec![]
            };
            let prefs = rng.chance(0.95).then(|| Prefs {
                self_: SelfPrefs {
                    gender: gender.map(s),
                    age: stated_age,
                    ethnicity,
                    languages,
                    kids: None,
                    substances,
                },
                seek: SeekPrefs {
                    genders,
                    age_min,
                    age_max,
                    languages: seek_languages,
                    ethnicities,
                    dealbreakers: Dealbreakers {
                        substances: dealbreakers,
                    },
                },
            });
            let owner = if id > 1 && rng.chance(0.02) {
                id - 1
            } else {
                id
            };
            Candidate {
                id: PersonaId(id),
                owner: Some(OwnerId(owner)),
                redteam: rng.chance(0.005),
                active_market: s(market),
                prefs,
                admitted_seq: id,
            }
        })
        .collect()
}

/// `count` random past couples among ids `1..=n`.
#[must_use]
pub fn past_couples(n: usize, count: usize, seed: u64) -> HashSet<(PersonaId, PersonaId)> {
    let mut rng = Rng::new(seed ^ 0x00C0_0B1E);
    (0..count)
        .map(|_| {
            let a = 1 + rng.below(n as u64) as i64;
            let b = 1 + rng.below(n as u64) as i64;
            (PersonaId(a), PersonaId(b))
        })
        .collect()
}
