//! Training the classifier: two logistic-regression heads over the hashed features, fitted
//! by AdaGrad with a fixed seed and a fixed number of epochs, and the decision thresholds
//! chosen by k-fold cross-validation on the training data.
//!
//! Like `features.rs`, this file is compiled into both the library and the build script
//! (which trains the guard's model from the committed data on every build where the data or
//! this code changed). It uses nothing but `std`, the domain and its sibling modules.
//!
//! - **The unsafe head**: one weight per feature index, a bias; `p(unsafe) = σ(w·x + b)`.
//!   The classes are weighted to count equally (there are more unsafe texts than safe).
//! - **The category head**: a softmax over the 15 classes (`contact`, `S1`…`S14`), fitted
//!   on the unsafe texts only, over the feature index cut to [`CAT_BITS`] bits. It only
//!   names what the unsafe head found.

use ishtar_domain::textnorm::Normalised;

use super::data::Labelled;
use super::features::{DIM, FEATURES, FeatureConfig, Sparse, features_with};

/// Classes of the category head: 0 is `contact`, `k` is `S{k}`.
pub const CLASSES: usize = 15;
/// Bits of the category head's feature index (it names, it does not decide: a smaller
/// table is enough).
pub const CAT_BITS: u32 = 15;
/// Number of the category head's feature indexes.
pub const CAT_DIM: usize = 1 << CAT_BITS;

/// The category head's index of a feature index.
pub fn cat_index(i: u32) -> usize {
    (i as usize) & (CAT_DIM - 1)
}

/// The class of a category label (`contact`, `S1`…`S14`), if it is one.
pub fn class_of(category: &str) -> Option<usize> {
    if category == "contact" {
        return Some(0);
    }
    let k: usize = category.strip_prefix('S')?.parse().ok()?;
    (1..CLASSES).contains(&k).then_some(k)
}

/// The label of a class: `contact` or `S{k}`.
pub fn class_name(class: usize) -> String {
    if class == 0 {
        "contact".to_owned()
    } else {
        format!("S{class}")
    }
}

/// One labelled training text, as features.
#[derive(Debug, Clone)]
pub struct Example {
    /// The text's features.
    pub x: Sparse,
    /// True for an unsafe text.
    pub unsafe_: bool,
    /// For an unsafe text, its class (see [`class_of`]); for a safe one, the class it
    /// imitates (or `None` for ordinary prose). Used to stratify the folds.
    pub class: Option<usize>,
}

/// What [`prepare`] kept and dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// Per category label: (unsafe texts, safe texts) kept.
    pub counts: std::collections::BTreeMap<String, (usize, usize)>,
    /// Texts dropped because an earlier text normalised to the same words with the same
    /// label.
    pub duplicates: usize,
    /// Texts dropped because an earlier text normalised to the same words with the other
    /// label (the first one wins).
    pub conflicts: usize,
    /// The position among the input texts of each example kept.
    pub kept: Vec<usize>,
}

/// Normalises and featurises labelled texts, keeping the first of any that normalise to the
/// same words (a duplicate would sit in two folds and flatter the cross-validation).
///
/// `concepts_of` gives the concept numbers of each token (`rules::concepts::token_concepts`;
/// a parameter because the build script reaches that module by another path).
pub fn prepare<'a>(
    texts: impl IntoIterator<Item = &'a Labelled>,
    concepts_of: &dyn Fn(&Normalised) -> Vec<Vec<u8>>,
) -> (Vec<Example>, Prepared) {
    prepare_with(texts, concepts_of, &FEATURES)
}

/// [`prepare`] with other feature settings (for experiments).
pub fn prepare_with<'a>(
    texts: impl IntoIterator<Item = &'a Labelled>,
    concepts_of: &dyn Fn(&Normalised) -> Vec<Vec<u8>>,
    cfg: &FeatureConfig,
) -> (Vec<Example>, Prepared) {
    let mut seen: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut info = Prepared::default();
    for (k, t) in texts.into_iter().enumerate() {
        let n = ishtar_domain::textnorm::normalise(&t.text);
        if let Some(label) = seen.get(&n.words) {
            if *label == t.unsafe_ {
                info.duplicates += 1;
            } else {
                info.conflicts += 1;
            }
            continue;
        }
        seen.insert(n.words.clone(), t.unsafe_);
        info.kept.push(k);
        let c = info.counts.entry(t.category.clone()).or_default();
        if t.unsafe_ {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
        out.push(Example {
            x: features_with(&n, &concepts_of(&n), cfg),
            unsafe_: t.unsafe_,
            class: class_of(&t.category),
        });
    }
    (out, info)
}

/// The training settings. [`Params::default`] is what the guard's model uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Passes over the data, each in a fresh shuffled order.
    pub epochs: usize,
    /// AdaGrad's base learning rate.
    pub rate: f32,
    /// L2 penalty, applied to the weights a text touches when it is seen.
    pub l2: f32,
    /// The shuffles' seed.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            epochs: 12,
            rate: 0.2,
            l2: 1e-3,
            seed: 0x1557_a2c0_ffee_d00d,
        }
    }
}

/// A trained model: both heads' weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// The unsafe head's bias.
    pub bias: f32,
    /// The unsafe head's weights, [`DIM`] of them.
    pub w: Vec<f32>,
    /// The category head's biases.
    pub cat_bias: [f32; CLASSES],
    /// The category head's weights, `CAT_DIM × CLASSES`, index-major.
    pub cat_w: Vec<f32>,
}

/// The logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl Weights {
    /// `p(unsafe)` of a text's features.
    pub fn p_unsafe(&self, x: &Sparse) -> f32 {
        let z = x.iter().fold(self.bias, |z, (i, v)| {
            z + self.w.get(*i as usize).copied().unwrap_or(0.0) * v
        });
        sigmoid(z)
    }

    /// The category head's scores (logits) per class.
    pub fn class_scores(&self, x: &Sparse) -> [f32; CLASSES] {
        let mut s = self.cat_bias;
        for (i, v) in x {
            let base = cat_index(*i) * CLASSES;
            if let Some(row) = self.cat_w.get(base..base + CLASSES) {
                for (o, w) in s.iter_mut().zip(row) {
                    *o += w * v;
                }
            }
        }
        s
    }

    /// Serialises as little-endian `f32`s: bias, category biases, unsafe weights,
    /// category weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 * (1 + CLASSES + self.w.len() + self.cat_w.len()));
        for x in std::iter::once(&self.bias)
            .chain(&self.cat_bias)
            .chain(&self.w)
            .chain(&self.cat_w)
        {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    /// Reads what [`Weights::to_bytes`] wrote.
    ///
    /// # Errors
    /// When the length is not that of a model of this shape.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let want = 4 * (1 + CLASSES + DIM + CAT_DIM * CLASSES);
        if bytes.len() != want {
            return Err(format!("model of {} bytes, expected {want}", bytes.len()));
        }
        let mut floats = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let bias = floats.next().unwrap_or(0.0);
        let mut cat_bias = [0.0; CLASSES];
        for b in &mut cat_bias {
            *b = floats.next().unwrap_or(0.0);
        }
        let w: Vec<f32> = floats.by_ref().take(DIM).collect();
        let cat_w: Vec<f32> = floats.collect();
        Ok(Self {
            bias,
            w,
            cat_bias,
            cat_w,
        })
    }
}

/// A small deterministic generator (xorshift64*), for the shuffles and the folds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = usize::try_from(self.next() % (i as u64 + 1)).unwrap_or(0);
            v.swap(i, j);
        }
    }
}

/// One AdaGrad step on weight `w` with accumulator `g2`.
fn step(w: &mut f32, g2: &mut f32, grad: f32, rate: f32) {
    *g2 += grad * grad;
    *w -= rate * grad / (g2.sqrt() + 1e-6);
}

/// Fits both heads on `examples` (deterministic: same data, same params, same weights).
pub fn train(examples: &[&Example], p: &Params) -> Weights {
    let mut m = train_unsafe_head(examples, p);
    train_category_head(&mut m, examples, p);
    m
}

/// Fits the unsafe head only (the category head stays zero): all the cross-validation
/// needs.
pub fn train_unsafe_head(examples: &[&Example], p: &Params) -> Weights {
    let mut rng = Rng(p.seed | 1);
    let n_unsafe = examples.iter().filter(|e| e.unsafe_).count().max(1);
    let n_safe = (examples.len() - examples.iter().filter(|e| e.unsafe_).count()).max(1);
    let n = examples.len().max(1) as f32;
    // each class weighs half of the total
    let (w_unsafe, w_safe) = (n / (2.0 * n_unsafe as f32), n / (2.0 * n_safe as f32));

    let mut m = Weights {
        bias: 0.0,
        w: vec![0.0; DIM],
        cat_bias: [0.0; CLASSES],
        cat_w: vec![0.0; CAT_DIM * CLASSES],
    };
    let mut g2 = vec![0.0_f32; DIM];
    let mut g2_bias = 0.0_f32;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    for _ in 0..p.epochs {
        rng.shuffle(&mut order);
        for &k in &order {
            let e = examples[k];
            let y = if e.unsafe_ { 1.0 } else { 0.0 };
            let weight = if e.unsafe_ { w_unsafe } else { w_safe };
            let g = (m.p_unsafe(&e.x) - y) * weight;
            for (i, v) in &e.x {
                let i = *i as usize;
                if let (Some(w), Some(acc)) = (m.w.get_mut(i), g2.get_mut(i)) {
                    let grad = g * v + p.l2 * *w;
                    step(w, acc, grad, p.rate);
                }
            }
            step(&mut m.bias, &mut g2_bias, g, p.rate);
        }
    }
    m
}

/// Fits the category head of `m`: a softmax over the unsafe texts' classes.
pub fn train_category_head(m: &mut Weights, examples: &[&Example], p: &Params) {
    let mut rng = Rng(p.seed.rotate_left(29) | 1);
    let labelled: Vec<(&Example, usize)> = examples
        .iter()
        .filter(|e| e.unsafe_)
        .filter_map(|e| e.class.map(|c| (*e, c)))
        .collect();
    let mut cg2 = vec![0.0_f32; CAT_DIM * CLASSES];
    let mut cg2_bias = [0.0_f32; CLASSES];
    let mut order: Vec<usize> = (0..labelled.len()).collect();
    for _ in 0..p.epochs {
        rng.shuffle(&mut order);
        for &k in &order {
            let (e, class) = labelled[k];
            let s = m.class_scores(&e.x);
            let max = s.iter().copied().fold(f32::MIN, f32::max);
            let exp: Vec<f32> = s.iter().map(|z| (z - max).exp()).collect();
            let total: f32 = exp.iter().sum();
            for c in 0..CLASSES {
                let g = exp[c] / total - if c == class { 1.0 } else { 0.0 };
                step(&mut m.cat_bias[c], &mut cg2_bias[c], g, p.rate);
                // a class the text already leaves at ~0 (or takes at ~1) has nothing to
                // learn from it: skipping it makes the head several times faster to fit
                if g.abs() < 1e-3 {
                    continue;
                }
                for (i, v) in &e.x {
                    let j = cat_index(*i) * CLASSES + c;
                    if let (Some(w), Some(acc)) = (m.cat_w.get_mut(j), cg2.get_mut(j)) {
                        let grad = g * v + p.l2 * *w;
                        step(w, acc, grad, p.rate);
                    }
                }
            }
        }
    }
}

/// The fold (0..k) of every example: stratified by (label, class), each stratum shuffled
/// with the seed and dealt round-robin, so every fold has its share of every category.
pub fn folds(examples: &[Example], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng(seed.rotate_left(17) | 1);
    let mut strata: std::collections::BTreeMap<(bool, Option<usize>), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        strata.entry((e.unsafe_, e.class)).or_default().push(i);
    }
    let mut out = vec![0; examples.len()];
    let mut next = 0;
    for members in strata.values_mut() {
        rng.shuffle(members);
        for i in members.iter() {
            out[*i] = next % k.max(1);
            next += 1;
        }
    }
    out
}

/// Out-of-fold `p(unsafe)` of every example: for each of `k` folds, a model trained on the
/// other folds scores it.
pub fn out_of_fold(examples: &[Example], k: usize, p: &Params) -> Vec<f32> {
    let fold = folds(examples, k, p.seed);
    let mut out = vec![0.0; examples.len()];
    for f in 0..k {
        let train_set: Vec<&Example> = examples
            .iter()
            .zip(&fold)
            .filter(|(_, g)| **g != f)
            .map(|(e, _)| e)
            .collect();
        let m = train_unsafe_head(&train_set, p);
        for (i, e) in examples.iter().enumerate() {
            if fold[i] == f {
                out[i] = m.p_unsafe(&e.x);
            }
        }
    }
    out
}

/// The share of safe texts the model alone would refuse (p ≥ `t`) that the hold threshold
/// may cost; the rules and the contact screen refuse some more. 1 % until round 5, then
/// 1.75 % (raised while the whole chaperone's out-of-fold false refusals stayed at or under
/// round 4's). Since round 6 it is picked together with `guard::MODEL_SAFE_BELOW`: on a
/// grid (shares in steps of 0.25 points, thresholds of 0.05), the pair with the fewest
/// out-of-fold false refusals of the whole chaperone whose recall is at least that of the
/// pair before, on the same data (docs/safety.md).
pub const HOLD_BUDGET: f64 = 0.02;
/// The share of safe texts whose refusal may be a deny rather than a hold.
pub const DENY_BUDGET: f64 = 0.0025;

/// The thresholds, from out-of-fold scores (`p`, unsafe?): the hold threshold is the
/// lowest on a grid of hundredths at which at most [`HOLD_BUDGET`] of the safe texts score
/// at or above it; the deny threshold likewise for [`DENY_BUDGET`] (never below the hold
/// threshold). Returns (hold, deny).
pub fn thresholds(scored: &[(f32, bool)]) -> (f32, f32) {
    let safe: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let rate = |t: f32| -> f64 {
        safe.iter().filter(|p| **p >= t).count() as f64 / safe.len().max(1) as f64
    };
    let lowest = |budget: f64| -> f32 {
        (1..100)
            .map(|c| c as f32 / 100.0)
            .find(|t| rate(*t) <= budget)
            .unwrap_or(1.0)
    };
    let hold = lowest(HOLD_BUDGET);
    (hold, lowest(DENY_BUDGET).max(hold))
}

/// Recall and false-refusal rate of `p ≥ t` on scored texts.
pub fn rates(scored: &[(f32, bool)], t: f32) -> (f64, f64) {
    let (mut tp, mut pos, mut fp, mut neg) = (0, 0, 0, 0);
    for (p, u) in scored {
        if *u {
            pos += 1;
            tp += usize::from(*p >= t);
        } else {
            neg += 1;
            fp += usize::from(*p >= t);
        }
    }
    (tp as f64 / pos.max(1) as f64, fp as f64 / neg.max(1) as f64)
}
