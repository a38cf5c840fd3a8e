//! Trains the local guard's classifier from the committed data, so no trained artefact is
//! ever committed: the same data and code give the same weights, bit for bit.
//!
//! Reads the training files (`src/classifier/data.rs` says which; the evaluation sets are
//! never among them), normalises and featurises every text, picks the decision thresholds
//! by 5-fold cross-validation on that data (`train::thresholds`), then fits the model on all
//! of it. Writes to `OUT_DIR`:
//!
//! - `classifier.bin`: the weights (`train::Weights::to_bytes`), included by
//!   `src/classifier.rs`;
//! - `classifier_meta.rs`: the thresholds, the training set's size per category, and the
//!   cross-validation figures, as constants.
//!
//! Runs again only when the data or the training code changes.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[allow(dead_code, reason = "the build script uses the training half")]
#[path = "src/rules/concepts.rs"]
mod concepts;
#[allow(dead_code, reason = "the build script uses the training half")]
#[path = "src/classifier/data.rs"]
mod data;

/// What `concepts.rs` expects of its parent module (`src/rules.rs`).
const SLOTS: usize = 15;
/// What `concepts.rs` expects of its parent module (`src/rules.rs`).
type Scores = [f32; SLOTS];
#[allow(dead_code, reason = "the build script uses the training half")]
#[path = "src/classifier/features.rs"]
mod features;
#[allow(dead_code, reason = "the build script uses the template writer only")]
#[path = "src/text.rs"]
mod text;
#[allow(dead_code, reason = "the build script uses the training half")]
#[path = "src/classifier/train.rs"]
mod train;
#[allow(dead_code, reason = "the build script uses the template writer only")]
#[path = "src/writer.rs"]
mod writer;

/// Folds of the cross-validation that picks the thresholds.
const FOLDS: usize = 5;

/// The template writer's gambit and report for two hearts (as `classifier::write_prose`).
fn write_prose(a: &str, b: &str, handle_a: &str, handle_b: &str) -> Vec<String> {
    use ishtar_domain::ports::PersonaSketch;
    let sketch = |handle: &str, heart: &str| PersonaSketch {
        handle: handle.to_owned(),
        heart_text: heart.to_owned(),
    };
    let (a, b) = (sketch(handle_a, a), sketch(handle_b, b));
    vec![
        writer::TemplateWriter::write_gambit(&a, &b),
        writer::TemplateWriter::write_report(&a, &b),
    ]
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    for f in [
        "build.rs",
        "src/classifier/data.rs",
        "src/classifier/features.rs",
        "src/classifier/train.rs",
        "src/rules/concepts.rs",
        "src/text.rs",
        "src/writer.rs",
        data::TRAINING_DIR,
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    for f in data::training_files(&dir)? {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    // The evaluation sets are read only to drop training texts that are near copies of
    // theirs (data.rs). The whole directory is watched (cargo scans a directory for any
    // change), so a set that appears later, or grows, reruns this script: watching only
    // the files that exist would miss a new one, and a path that does not exist would
    // rerun this script on every build.
    println!("cargo:rerun-if-changed=tests/fixtures");

    let started = Instant::now();
    let mut loaded = data::load(&dir)?;
    // the matchmaker's own prose, written from the training texts (data.rs)
    let prose = data::matchmaker_prose(&loaded.texts, &write_prose);
    loaded
        .texts
        .extend(prose.into_iter().map(|t| ("matchmaker".to_owned(), t)));
    for (file, line, e) in &loaded.bad {
        // A file being written may end mid-line; the test suite insists on clean files.
        println!("cargo:warning=training data {file}:{line} skipped: {e}");
    }
    let (examples, prepared) = train::prepare(
        loaded.texts.iter().map(|(_, t)| t),
        &concepts::token_concepts,
    );
    let params = train::Params::default();

    let oof = train::out_of_fold(&examples, FOLDS, &params);
    let scored: Vec<(f32, bool)> = oof
        .iter()
        .zip(&examples)
        .map(|(p, e)| (*p, e.unsafe_))
        .collect();
    let (hold, deny) = train::thresholds(&scored);
    let cv_seconds = started.elapsed().as_secs_f64();

    let all: Vec<&train::Example> = examples.iter().collect();
    let fit_started = Instant::now();
    let model = train::train(&all, &params);
    let fit_seconds = fit_started.elapsed().as_secs_f64();
    std::fs::write(out.join("classifier.bin"), model.to_bytes())?;

    // Per class, out-of-fold recall at the hold threshold and false refusals.
    let mut report = String::new();
    let (r_hold, f_hold) = train::rates(&scored, hold);
    let (r_deny, f_deny) = train::rates(&scored, deny);
    writeln!(
        report,
        "{FOLDS}-fold cross-validation on {} training texts ({} unsafe, {} safe), the model alone:",
        examples.len(),
        examples.iter().filter(|e| e.unsafe_).count(),
        examples.iter().filter(|e| !e.unsafe_).count(),
    )?;
    writeln!(
        report,
        "  p >= {hold:.2} (hold or deny): recall {:.1} %, false refusals {:.2} %",
        100.0 * r_hold,
        100.0 * f_hold
    )?;
    writeln!(
        report,
        "  p >= {deny:.2} (deny): recall {:.1} %, false refusals {:.2} %",
        100.0 * r_deny,
        100.0 * f_deny
    )?;
    writeln!(
        report,
        "  per category (unsafe refused / safe refused at {hold:.2}):"
    )?;
    for cat in prepared.counts.keys() {
        let class = train::class_of(cat);
        let of = |u: bool| -> Vec<(f32, bool)> {
            examples
                .iter()
                .zip(&oof)
                .filter(|(e, _)| e.unsafe_ == u && e.class == class)
                .map(|(e, p)| (*p, e.unsafe_))
                .collect()
        };
        let (bad, good) = (of(true), of(false));
        let n = |s: &[(f32, bool)]| s.iter().filter(|(p, _)| *p >= hold).count();
        if class.is_some() {
            writeln!(
                report,
                "    {cat:8} {:>4}/{:<4} {:>4}/{:<4}",
                n(&bad),
                bad.len(),
                n(&good),
                good.len()
            )?;
        }
    }
    let other: Vec<(f32, bool)> = examples
        .iter()
        .zip(&oof)
        .filter(|(e, _)| e.class.is_none())
        .map(|(e, p)| (*p, e.unsafe_))
        .collect();
    writeln!(
        report,
        "    other safe (ordinary, none, matchmaker) {}/{}",
        other.iter().filter(|(p, _)| *p >= hold).count(),
        other.len()
    )?;
    writeln!(
        report,
        "  dropped: {} near copies of evaluation texts, {} duplicates, {} label conflicts; {} unreadable lines",
        loaded.near_evaluation,
        prepared.duplicates,
        prepared.conflicts,
        loaded.bad.len()
    )?;

    let mut meta = String::new();
    writeln!(
        meta,
        "// Generated by build.rs from the training data: do not edit."
    )?;
    writeln!(
        meta,
        "/// `p(unsafe)` at or above which the classifier holds (chosen by {FOLDS}-fold cross-validation)."
    )?;
    writeln!(meta, "pub const HOLD_AT: f32 = {hold:?};")?;
    writeln!(
        meta,
        "/// `p(unsafe)` at or above which the classifier denies (chosen likewise)."
    )?;
    writeln!(meta, "pub const DENY_AT: f32 = {deny:?};")?;
    writeln!(
        meta,
        "/// Training texts kept per category label: (unsafe, safe)."
    )?;
    writeln!(
        meta,
        "pub const TRAINING_COUNTS: &[(&str, usize, usize)] = &["
    )?;
    for (cat, (u, s)) in &prepared.counts {
        writeln!(meta, "    ({cat:?}, {u}, {s}),")?;
    }
    writeln!(meta, "];")?;
    writeln!(
        meta,
        "/// The cross-validation figures and what was dropped, as printed by the tests."
    )?;
    writeln!(meta, "pub const TRAINING_REPORT: &str = {report:?};")?;
    writeln!(
        meta,
        "/// Seconds the build script spent: loading and cross-validating, then the final fit."
    )?;
    writeln!(
        meta,
        "pub const TRAINING_SECONDS: (f64, f64) = ({cv_seconds:?}, {fit_seconds:?});"
    )?;
    std::fs::write(out.join("classifier_meta.rs"), meta)?;
    Ok(())
}
