//! The local guard's trained classifier: logistic regression over hashed features of the
//! normalised text, beside the rules (issue 11).
//!
//! - [`features`]: word unigrams, word bigrams and character 3–5-grams of
//!   [`textnorm::normalise`]d text, and the rules' word families (each one present, and
//!   pairs within 8 tokens), hashed to 2^18 indexes.
//! - [`train`]: the two heads (unsafe vs safe; which category), fitted by AdaGrad with a
//!   fixed seed and fixed epochs, and the rule that picks the thresholds from k-fold
//!   cross-validation on the training data.
//! - [`data`]: which files are trained on (never the evaluation sets).
//!
//! The build script (`build.rs`) trains the model from the committed data on every build
//! where the data or the training code changed and writes the weights to `OUT_DIR`; this
//! module includes them. Nothing trained is committed.
//!
//! Decision ([`Classifier::judge`]): `p(unsafe)` at or above [`DENY_AT`] is a deny, at or
//! above [`HOLD_AT`] a hold (the console reviews it; never an allow), below it the model
//! has no objection. The guard combines this with the rules (`guard.rs`).

pub mod data;
pub mod features;
pub mod train;

use std::sync::LazyLock;

use ishtar_domain::textnorm::{self, Normalised};

use train::{CLASSES, Weights};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/classifier_meta.rs"));
}

pub use generated::{DENY_AT, HOLD_AT, TRAINING_COUNTS, TRAINING_REPORT, TRAINING_SECONDS};

// The thresholds the build chose are ordered and leave room on both sides.
const _: () = assert!(0.0 < HOLD_AT && HOLD_AT <= DENY_AT && DENY_AT < 1.0);

/// The weights `build.rs` trained.
static MODEL_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/classifier.bin"));

/// The model trained at build time, read once.
static TRAINED: LazyLock<Result<Classifier, String>> = LazyLock::new(|| {
    Ok(Classifier::new(
        Weights::from_bytes(MODEL_BYTES)?,
        HOLD_AT,
        DENY_AT,
    ))
});

/// The matchmaker's gambit and report for two hearts (for [`data::matchmaker_prose`]).
pub fn write_prose(a: &str, b: &str, handle_a: &str, handle_b: &str) -> Vec<String> {
    use ishtar_domain::ports::PersonaSketch;
    let sketch = |handle: &str, heart: &str| PersonaSketch {
        handle: handle.to_owned(),
        heart_text: heart.to_owned(),
    };
    let (a, b) = (sketch(handle_a, a), sketch(handle_b, b));
    vec![
        crate::TemplateWriter::write_gambit(&a, &b),
        crate::TemplateWriter::write_report(&a, &b),
    ]
}

/// Every training text, as `build.rs` assembles them: the files ([`data::load`]), then the
/// matchmaker's prose written from them ([`data::matchmaker_prose`]).
///
/// # Errors
/// When a training file cannot be read.
pub fn training_texts(dir: &std::path::Path) -> std::io::Result<data::TrainingData> {
    let mut d = data::load(dir)?;
    let prose = data::matchmaker_prose(&d.texts, &write_prose);
    d.texts
        .extend(prose.into_iter().map(|t| ("matchmaker".to_owned(), t)));
    Ok(d)
}

/// What the classifier makes of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Below the hold threshold: no objection.
    Allow,
    /// Between the thresholds: hold for review.
    Hold,
    /// At or above the deny threshold.
    Deny,
}

/// The classifier's judgement of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The unsafe head's probability.
    pub p_unsafe: f32,
    /// The band `p_unsafe` falls in.
    pub band: Band,
    /// The category head's pick (`contact`, `S1`…`S14`), meaningful when the band is not
    /// [`Band::Allow`].
    pub category: String,
}

/// A trained model and its thresholds.
#[derive(Debug, Clone)]
pub struct Classifier {
    weights: Weights,
    hold_at: f32,
    deny_at: f32,
}

impl Classifier {
    /// A classifier from trained weights and its two thresholds.
    pub fn new(weights: Weights, hold_at: f32, deny_at: f32) -> Self {
        Self {
            weights,
            hold_at,
            deny_at,
        }
    }

    /// The model `build.rs` trained from the committed data, with the thresholds it chose.
    ///
    /// # Errors
    /// When the embedded weights do not read (a build fault; the guard then holds).
    pub fn trained() -> Result<&'static Classifier, String> {
        TRAINED.as_ref().map_err(Clone::clone)
    }

    /// Judges a normalised text.
    pub fn judge(&self, n: &Normalised) -> Judgement {
        self.judge_with(n, &crate::rules::token_concepts(n))
    }

    /// Judges a normalised text whose tokens' word families are known (the rules find
    /// them on the way: `rules::score_risk_and_concepts`).
    pub fn judge_with(&self, n: &Normalised, concepts: &[Vec<u8>]) -> Judgement {
        let x = features::features(n, concepts);
        let p_unsafe = self.weights.p_unsafe(&x);
        let band = if p_unsafe >= self.deny_at {
            Band::Deny
        } else if p_unsafe >= self.hold_at {
            Band::Hold
        } else {
            Band::Allow
        };
        // the category head only matters when something is refused
        let category = if band == Band::Allow {
            String::new()
        } else {
            let s = self.weights.class_scores(&x);
            let best = (0..CLASSES).fold(0, |b, c| if s[c] > s[b] { c } else { b });
            train::class_name(best)
        };
        Judgement {
            p_unsafe,
            band,
            category,
        }
    }

    /// Judges raw text (normalising it first).
    pub fn judge_text(&self, text: &str) -> Judgement {
        self.judge(&textnorm::normalise(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn crate_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_trained_model_loads_with_its_thresholds() {
        let c = Classifier::trained().expect("the build's model reads");
        assert_eq!(c.hold_at, HOLD_AT);
    }

    /// The build's cross-validation figures and the training set, for docs/safety.md.
    #[test]
    #[expect(clippy::print_stdout, reason = "a figures report")]
    fn the_training_report() {
        println!("\n{TRAINING_REPORT}");
        println!("thresholds: hold at {HOLD_AT}, deny at {DENY_AT}");
        println!("training texts kept (category, unsafe, safe): {TRAINING_COUNTS:?}");
        let (cv, fit) = TRAINING_SECONDS;
        println!("build script: {cv:.1} s to load and cross-validate, {fit:.1} s to fit");
        let (u, s): (usize, usize) = TRAINING_COUNTS
            .iter()
            .fold((0, 0), |(u, s), (_, a, b)| (u + a, s + b));
        assert!(u >= 1000 && s >= 1000, "{u} unsafe, {s} safe");
    }

    #[test]
    fn a_known_unsafe_and_benign_pair_is_classified_right() {
        let c = Classifier::trained().expect("the build's model reads");
        let bad = c.judge_text("send me nudes or I post the pics I already have of you");
        assert_eq!(bad.band, Band::Deny, "{bad:?}");
        assert_eq!(bad.category, "S3", "{bad:?}");
        let good = c.judge_text("I'd kill for good tacos and a long walk after");
        assert_eq!(good.band, Band::Allow, "{good:?}");
    }

    #[test]
    fn the_bands_follow_the_thresholds() {
        let weights = |bias: f32| Weights {
            bias,
            w: vec![0.0; features::DIM],
            cat_bias: [0.0; CLASSES],
            cat_w: vec![0.0; train::CAT_DIM * CLASSES],
        };
        let n = textnorm::normalise("anything at all");
        // p = σ(bias): 0.5 with bias 0
        for (bias, band) in [(-1.0, Band::Allow), (0.0, Band::Hold), (2.0, Band::Deny)] {
            let c = Classifier::new(weights(bias), 0.4, 0.8);
            assert_eq!(c.judge(&n).band, band, "bias {bias}");
        }
        // exactly at a threshold is the stricter band
        let c = Classifier::new(weights(0.0), 0.5, 0.5);
        assert_eq!(c.judge(&n).band, Band::Deny);
    }

    #[test]
    fn weights_round_trip_through_bytes() {
        let c = Classifier::trained().expect("the build's model reads");
        let back = Weights::from_bytes(&c.weights.to_bytes()).expect("reads back");
        assert_eq!(back, c.weights);
        assert!(Weights::from_bytes(&[0; 12]).is_err());
    }

    /// Training twice on the same data gives the same weights, and the thresholds the
    /// build chose are what the rule picks again (slow in a debug build: a few seconds).
    #[test]
    fn training_is_deterministic_and_the_build_used_the_committed_data() {
        let data = training_texts(crate_dir()).expect("the training data reads");
        let (examples, _) = train::prepare(
            data.texts.iter().map(|(_, t)| t),
            &crate::rules::token_concepts,
        );
        // a tenth of the data keeps this quick; the determinism does not depend on size
        let some: Vec<&train::Example> = examples.iter().step_by(10).collect();
        let p = train::Params::default();
        assert_eq!(train::train(&some, &p), train::train(&some, &p));
        // the model in the binary is the model of all the data
        let all: Vec<&train::Example> = examples.iter().collect();
        let c = Classifier::trained().expect("the build's model reads");
        assert_eq!(
            train::train(&all, &p),
            c.weights,
            "retrain the build (data changed?)"
        );
    }

    #[test]
    fn the_training_data_is_clean_and_never_an_evaluation_set() {
        let data = data::load(crate_dir()).expect("the training data reads");
        assert!(data.bad.is_empty(), "unreadable lines: {:?}", data.bad);
        let files = data::training_files(crate_dir()).expect("lists");
        for f in &files {
            let name = f.to_string_lossy();
            assert!(
                !data::EVALUATION_ONLY.iter().any(|e| name.ends_with(e)),
                "{name} is an evaluation set"
            );
            assert!(
                !name.contains("blind") && !name.contains("holdout8"),
                "{name}"
            );
        }
        for (file, t) in &data.texts {
            assert!(
                !t.unsafe_ || train::class_of(&t.category).is_some(),
                "{file}: an unsafe text of unknown category {:?}",
                t.category
            );
        }
    }
}

/// Cross-validation experiments on the training data only (run by hand, release):
/// `ISHTAR_CV="epochs=12,rate=0.2,l2=1e-5,chars=0.5,lo=3,hi=5;..." cargo test --release
/// -p ishtar-ai-local --lib cv_experiments -- --ignored --nocapture`.
#[cfg(test)]
mod experiments {
    use super::*;
    use crate::LocalGuard;
    use ishtar_domain::StoreError;
    use ishtar_domain::chaperone::{Chaperone, Denylist};
    use ishtar_domain::ports::{ChaperoneEntry, ChaperoneLog, Surface};
    use std::path::Path;

    struct NoLog;

    #[async_trait::async_trait]
    impl ChaperoneLog for NoLog {
        async fn record(&self, _entry: ChaperoneEntry) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn config(spec: &str) -> (train::Params, features::FeatureConfig) {
        let (mut p, mut f) = (train::Params::default(), features::FEATURES);
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, "0"));
            let x: f64 = v.parse().unwrap_or(0.0);
            match k {
                "epochs" => p.epochs = x as usize,
                "rate" => p.rate = x as f32,
                "l2" => p.l2 = x as f32,
                "seed" => p.seed = x as u64,
                "chars" => f.chars = x as f32,
                "word" => f.word = x as f32,
                "bigram" => f.bigram = x as f32,
                "lo" => f.char_range.0 = x as usize,
                "hi" => f.char_range.1 = x as usize,
                "concept" => f.concept = x as f32,
                "pair" => f.pair = x as f32,
                "window" => f.window = x as usize,
                _ => {}
            }
        }
        (p, f)
    }

    /// Recall at the lowest threshold whose false refusals stay within `budget`.
    fn recall_at(scored: &[(f32, bool)], budget: f64) -> (f32, f64) {
        let mut safe: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
        safe.sort_by(|a, b| b.total_cmp(a));
        let allowed = (budget * safe.len() as f64).floor() as usize;
        let t = safe.get(allowed).map_or(0.0, |x| x + 1e-6);
        (t, train::rates(scored, t).0)
    }

    /// Where the classifier's time goes, per text (run by hand, release).
    #[test]
    #[ignore = "a measurement, run by hand"]
    #[expect(clippy::print_stdout, reason = "a measurement")]
    fn classifier_timing() {
        let data = training_texts(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("reads");
        let texts: Vec<&str> = data.texts.iter().map(|(_, t)| t.text.as_str()).collect();
        let c = Classifier::trained().expect("loads");
        let norms: Vec<Normalised> = texts.iter().map(|t| textnorm::normalise(t)).collect();
        let time = |name: &str, f: &mut dyn FnMut()| {
            let started = std::time::Instant::now();
            for _ in 0..5 {
                f();
            }
            println!(
                "{name}: {:.2} µs a text",
                started.elapsed().as_secs_f64() * 1e6 / (5 * texts.len()) as f64
            );
        };
        let concepts: Vec<Vec<Vec<u8>>> = norms.iter().map(crate::rules::token_concepts).collect();
        let feats: Vec<features::Sparse> = norms
            .iter()
            .zip(&concepts)
            .map(|(n, k)| features::features(n, k))
            .collect();
        time("token_concepts", &mut || {
            for n in &norms {
                std::hint::black_box(crate::rules::token_concepts(n));
            }
        });
        time("features", &mut || {
            for (n, k) in norms.iter().zip(&concepts) {
                std::hint::black_box(features::features(n, k));
            }
        });
        time("p_unsafe", &mut || {
            for x in &feats {
                std::hint::black_box(c.weights.p_unsafe(x));
            }
        });
        time("class_scores", &mut || {
            for x in &feats {
                std::hint::black_box(c.weights.class_scores(x));
            }
        });
        time("judge_with", &mut || {
            for (n, k) in norms.iter().zip(&concepts) {
                std::hint::black_box(c.judge_with(n, k));
            }
        });
        let mean = feats.iter().map(Vec::len).sum::<usize>() / feats.len();
        println!("{} texts, {mean} features a text on average", texts.len());
    }

    /// Writes, for every training text, its source, label, category, out-of-fold
    /// `p(unsafe)` (the build's folds and settings), the rules' scores and the whole
    /// rules-only chaperone's reason, as TSV to `$ISHTAR_OOF` (run by hand, release): the
    /// data the combination of rules and classifier is chosen on (training data only).
    #[tokio::test]
    #[ignore = "an experiment, run by hand"]
    #[expect(clippy::print_stdout, reason = "an experiment")]
    async fn out_of_fold_dump() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = std::env::var("ISHTAR_OOF").expect("ISHTAR_OOF names the output file");
        let data = training_texts(dir).expect("reads");
        let guard = std::sync::Arc::new(LocalGuard::rules_only(std::sync::Arc::new(
            crate::LocalEmbedder,
        )));
        let chaperone = Chaperone::new(guard.clone(), std::sync::Arc::new(NoLog));
        let (examples, info) = train::prepare(
            data.texts.iter().map(|(_, t)| t),
            &crate::rules::token_concepts,
        );
        let oof = train::out_of_fold(&examples, 5, &train::Params::default());
        let scored: Vec<(f32, bool)> = oof
            .iter()
            .zip(&examples)
            .map(|(p, e)| (*p, e.unsafe_))
            .collect();
        let (hold, _) = train::thresholds(&scored);
        // (unsafe, refused by the contact screen, by the rules, the rules' own overrule
        // threshold, p) per text
        let mut judged = Vec::new();
        let mut tsv = String::new();
        for (k, e) in examples.iter().enumerate() {
            let (src, t) = &data.texts[info.kept[k]];
            let a = guard.assess(&t.text).await.expect("assesses");
            let v = chaperone
                .screen(Surface::Turn, &t.text, &Denylist::default())
                .await;
            let own = crate::guard::overrule_below(&a.total);
            judged.push((
                e.unsafe_,
                v.reason().starts_with("pii"),
                v.reason().starts_with("guard"),
                own,
                oof[k],
            ));
            let rules: Vec<String> = a.total.iter().map(|x| format!("{x:.2}")).collect();
            tsv.push_str(&format!(
                "{src}\t{}\t{}\t{:.4}\t{}\t{}\t{}\n",
                u8::from(e.unsafe_),
                t.category,
                oof[k],
                rules.join(","),
                v.reason().replace(['\t', '\n'], " "),
                t.text.replace(['\t', '\n'], " "),
            ));
        }
        std::fs::write(out, tsv).expect("writes");
        // The whole chaperone out of fold, for each threshold below which a confident-safe
        // classifier overrules a rules refusal (`guard::MODEL_SAFE_BELOW`; guarded ones below
        // their own `guard::overrule_below` at most).
        println!("hold {hold:.2}; overrule below -> recall, false refusals (all training texts)");
        for t in [
            0.0_f32, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
        ] {
            let (mut u, mut ur, mut s, mut sr) = (0, 0, 0, 0);
            for (unsafe_, pii, rules, own, p) in &judged {
                let below = if *own < crate::guard::MODEL_SAFE_BELOW {
                    t.min(*own)
                } else {
                    t
                };
                let refused = *pii || *p >= hold || (*rules && *p >= below);
                if *unsafe_ {
                    u += 1;
                    ur += usize::from(refused);
                } else {
                    s += 1;
                    sr += usize::from(refused);
                }
            }
            println!(
                "  {t:.2}: {:.2} % ({ur}/{u}), {:.2} % ({sr}/{s})",
                100.0 * ur as f64 / u as f64,
                100.0 * sr as f64 / s as f64
            );
        }
    }

    #[tokio::test]
    #[ignore = "an experiment, run by hand"]
    #[expect(clippy::print_stdout, reason = "an experiment")]
    async fn cv_experiments() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let data = training_texts(dir).expect("reads");
        let specs = std::env::var("ISHTAR_CV").unwrap_or_default();
        // the whole chaperone before the classifier: contact screen, rules, similarity
        let chaperone = Chaperone::new(
            std::sync::Arc::new(LocalGuard::rules_only(std::sync::Arc::new(
                crate::LocalEmbedder,
            ))),
            std::sync::Arc::new(NoLog),
        );
        let mut rules_refuse: Vec<bool> = Vec::new();
        for (_, t) in &data.texts {
            let v = chaperone
                .screen(Surface::Turn, &t.text, &Denylist::default())
                .await;
            rules_refuse.push(!v.is_allow());
            if std::env::var("ISHTAR_CV_SHOW").is_ok() && !t.unsafe_ && !v.is_allow() {
                println!("RULES REFUSE [{}] ({}) {}", t.category, v.reason(), t.text);
            }
        }
        for spec in specs.split(';') {
            let (p, f) = config(spec);
            let started = std::time::Instant::now();
            let (examples, info) = train::prepare_with(
                data.texts.iter().map(|(_, t)| t),
                &crate::rules::token_concepts,
                &f,
            );
            let oof = train::out_of_fold(&examples, 5, &p);
            let scored: Vec<(f32, bool)> = oof
                .iter()
                .zip(&examples)
                .map(|(p, e)| (*p, e.unsafe_))
                .collect();
            let mut line = format!("{spec:50} ");
            for b in [0.005, 0.01, 0.02] {
                let (t, r) = recall_at(&scored, b);
                line.push_str(&format!(
                    " fr{:.1}%: {:.1}% (t {t:.2})",
                    100.0 * b,
                    100.0 * r
                ));
            }
            println!("{line}  [{:.1}s]", started.elapsed().as_secs_f64());
            // with the rules, by source, at the rule's thresholds
            let (hold, _) = train::thresholds(&scored);
            for src in ["fixtures+exemplars", "data/train"] {
                let (mut u, mut ur, mut um, mut s, mut sr, mut sm) = (0, 0, 0, 0, 0, 0);
                for (k, e) in examples.iter().enumerate() {
                    let i = info.kept[k];
                    let from_train = data.texts[i].0.starts_with("data/train");
                    if from_train != (src == "data/train") {
                        continue;
                    }
                    let r = rules_refuse[i];
                    let m = oof[k] >= hold;
                    if e.unsafe_ {
                        u += 1;
                        ur += usize::from(r);
                        um += usize::from(r || m);
                    } else {
                        s += 1;
                        sr += usize::from(r);
                        sm += usize::from(r || m);
                    }
                }
                println!(
                    "    {src:20} hold {hold:.2}: rules {:.1}% / {:.2}%, rules+model {:.1}% / {:.2}%  ({u} unsafe, {s} safe)",
                    100.0 * ur as f64 / u.max(1) as f64,
                    100.0 * sr as f64 / s.max(1) as f64,
                    100.0 * um as f64 / u.max(1) as f64,
                    100.0 * sm as f64 / s.max(1) as f64,
                );
            }
        }
    }
}
