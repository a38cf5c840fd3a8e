//! The classifier's training data: which files, and how their lines are read.
//!
//! Like `features.rs`, compiled into both the library and the build script. Paths are
//! relative to the crate's directory.
//!
//! Trained on: the red-team sets the rules were tuned on (`tests/fixtures/redteam.jsonl`,
//! `redteam-holdout.jsonl` and `redteam-holdout2…7.jsonl`), the similarity exemplars
//! (`src/exemplars.tsv`) and every `*.jsonl` file in `data/train/`. **Never** trained on:
//! `redteam-holdout8.jsonl`, `redteam-blind.jsonl`, `redteam-blind2.jsonl`,
//! `redteam-blind3.jsonl` … `redteam-blind12.jsonl` — the sets that measure it
//! ([`EVALUATION_ONLY`]).
//!
//! **Decontamination.** A training text that is the same as an evaluation text, or a near
//! copy of one ([`near_copy`]: the same words, or word uni- and bigrams with a cosine of
//! [`NEAR_COPY`] or more), is dropped when the data is loaded: otherwise the evaluation
//! would partly measure memory. The evaluation files are read for that comparison only, by
//! the program; only the number dropped is reported, never which texts.

/// The red-team sets trained on (besides `data/train/`).
pub const TRAINING_FIXTURES: &[&str] = &[
    "tests/fixtures/redteam.jsonl",
    "tests/fixtures/redteam-holdout.jsonl",
    "tests/fixtures/redteam-holdout2.jsonl",
    "tests/fixtures/redteam-holdout3.jsonl",
    "tests/fixtures/redteam-holdout4.jsonl",
    "tests/fixtures/redteam-holdout5.jsonl",
    "tests/fixtures/redteam-holdout6.jsonl",
    "tests/fixtures/redteam-holdout7.jsonl",
];

/// The exemplars of the similarity signal (`<category>\t<text>`, `safe` or `S1`…`S14`).
pub const EXEMPLARS: &str = "src/exemplars.tsv";

/// The directory of further training texts: every `*.jsonl` file in it.
pub const TRAINING_DIR: &str = "data/train";

/// The sets that measure the classifier: never read for training.
pub const EVALUATION_ONLY: &[&str] = &[
    "tests/fixtures/redteam-holdout8.jsonl",
    "tests/fixtures/redteam-blind.jsonl",
    "tests/fixtures/redteam-blind2.jsonl",
    "tests/fixtures/redteam-blind3.jsonl",
    "tests/fixtures/redteam-blind4.jsonl",
    "tests/fixtures/redteam-blind5.jsonl",
    "tests/fixtures/redteam-blind6.jsonl",
    "tests/fixtures/redteam-blind7.jsonl",
    "tests/fixtures/redteam-blind8.jsonl",
    "tests/fixtures/redteam-blind9.jsonl",
    "tests/fixtures/redteam-blind10.jsonl",
    "tests/fixtures/redteam-blind11.jsonl",
    "tests/fixtures/redteam-blind12.jsonl",
];

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub text: String,
    /// True for `"label": "unsafe"`.
    pub unsafe_: bool,
    /// `contact`, `S1`…`S14`, or for a safe text the category it imitates (`ordinary`).
    pub category: String,
}

/// Reads a JSONL set (`{"text", "label", "category"}` a line). Blank lines are skipped;
/// a line that does not parse, or whose label is neither `safe` nor `unsafe`, is
/// returned as an error with its line number (one-based).
pub fn read_jsonl(content: &str) -> (Vec<Labelled>, Vec<(usize, String)>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                let field = |k: &str| {
                    v.get(k)
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| format!("no string {k:?}"))
                };
                let label = field("label")?;
                if label != "safe" && label != "unsafe" {
                    return Err(format!("label {label:?}"));
                }
                Ok(Labelled {
                    text: field("text")?,
                    unsafe_: label == "unsafe",
                    category: field("category")?,
                })
            });
        match parsed {
            Ok(l) => ok.push(l),
            Err(e) => bad.push((i + 1, e)),
        }
    }
    (ok, bad)
}

/// Reads the exemplars (`<category>\t<text>`; `#` comments): `safe` lines are safe with
/// category `ordinary`, `S<k>` lines unsafe.
pub fn read_exemplars(content: &str) -> Vec<Labelled> {
    content
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (label, text) = l.split_once('\t')?;
            Some(Labelled {
                text: text.trim().to_owned(),
                unsafe_: label != "safe",
                category: if label == "safe" {
                    "ordinary".to_owned()
                } else {
                    label.to_owned()
                },
            })
        })
        .collect()
}

/// The training files, in a fixed order: the fixtures, the exemplars, then `data/train/`'s
/// `*.jsonl` files sorted by name. `dir` is the crate's directory.
///
/// # Errors
/// When `data/train/` cannot be listed (a missing directory is no error: no files).
pub fn training_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<std::path::PathBuf> =
        TRAINING_FIXTURES.iter().map(|f| dir.join(f)).collect();
    files.push(dir.join(EXEMPLARS));
    let train = dir.join(TRAINING_DIR);
    if train.is_dir() {
        let mut extra: Vec<std::path::PathBuf> = std::fs::read_dir(&train)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        extra.sort();
        files.extend(extra);
    }
    Ok(files)
}

/// How alike (cosine of word uni- and bigram sets) a training text may be to an evaluation
/// text before it is dropped.
pub const NEAR_COPY: f64 = 0.7;

/// The word unigrams and bigrams of a text (after normalisation), hashed, sorted, unique.
pub fn shingles(text: &str) -> Vec<u64> {
    let n = ishtar_domain::textnorm::normalise(text);
    let words: Vec<&str> = n.tokens.iter().map(|t| t.text.as_str()).collect();
    let hash = |parts: &[&str]| {
        parts.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, p| {
            p.bytes().chain(std::iter::once(b' ')).fold(h, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        })
    };
    let mut out: Vec<u64> = words.iter().map(|w| hash(&[w])).collect();
    out.extend(words.windows(2).map(hash));
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether two texts' [`shingles`] are the same or have a cosine of [`NEAR_COPY`] or more.
pub fn near_copy(a: &[u64], b: &[u64]) -> bool {
    if a.is_empty() || b.is_empty() {
        return a == b;
    }
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    // the cosine is at most sqrt(small / large)
    if (small.len() as f64) < NEAR_COPY * NEAR_COPY * large.len() as f64 {
        return false;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 >= NEAR_COPY * ((a.len() * b.len()) as f64).sqrt()
}

/// The texts of the evaluation sets that exist under `dir` (unreadable lines skipped: a
/// set may be being written).
pub fn evaluation_texts(dir: &std::path::Path) -> Vec<String> {
    EVALUATION_ONLY
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .flat_map(|content| read_jsonl(&content).0.into_iter().map(|l| l.text))
        .collect()
}

/// Every training text with the file it came from, in [`training_files`] order, without
/// near copies of evaluation texts (see the module docs). Lines that do not parse are
/// returned apart, as (file, line number, error).
///
/// # Errors
/// When a file cannot be read.
pub fn load(dir: &std::path::Path) -> std::io::Result<TrainingData> {
    let evaluation: Vec<Vec<u64>> = evaluation_texts(dir).iter().map(|t| shingles(t)).collect();
    let mut data = TrainingData::default();
    for path in training_files(dir)? {
        let content = std::fs::read_to_string(&path)?;
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let texts = if name == EXEMPLARS {
            read_exemplars(&content)
        } else {
            let (ok, bad) = read_jsonl(&content);
            data.bad
                .extend(bad.into_iter().map(|(l, e)| (name.clone(), l, e)));
            ok
        };
        for t in texts {
            let mine = shingles(&t.text);
            if evaluation.iter().any(|e| near_copy(&mine, e)) {
                data.near_evaluation += 1;
            } else {
                data.texts.push((name.clone(), t));
            }
        }
    }
    Ok(data)
}

/// Handles for the matchmaker's prose (any will do; several, so none becomes a feature).
const HANDLES: &[&str] = &[
    "wren", "moss", "ash", "juniper", "kit", "rowan", "sol", "bea", "theo", "ivy",
];

/// The matchmaker's own prose, as safe training texts (category `matchmaker`): the guard
/// screens the template writer's gambits and reports too, and their wording ("you two
/// should compare notes on …") is like no one's heart. Hearts are three safe texts of
/// `data/train/` and the exemplars (not the red-team sets: the test
/// `the_matchmakers_own_prose_passes_the_guard` builds its hearts from those), and every
/// third pair of neighbouring hearts gets a gambit and a report. `write(a, b, handle_a,
/// handle_b)` is the template writer (`TemplateWriter::write_gambit` and `write_report`).
pub fn matchmaker_prose(
    texts: &[(String, Labelled)],
    write: &dyn Fn(&str, &str, &str, &str) -> Vec<String>,
) -> Vec<Labelled> {
    let safe: Vec<&str> = texts
        .iter()
        .filter(|(file, t)| !t.unsafe_ && !file.starts_with("tests/"))
        .map(|(_, t)| t.text.as_str())
        .collect();
    let hearts: Vec<String> = safe.chunks(3).map(|c| c.join(" ")).collect();
    let mut out = Vec::new();
    for (k, pair) in hearts.windows(2).enumerate().step_by(3) {
        let (ha, hb) = (HANDLES[k % HANDLES.len()], HANDLES[(k + 3) % HANDLES.len()]);
        for text in write(&pair[0], &pair[1], ha, hb) {
            out.push(Labelled {
                text,
                unsafe_: false,
                category: "matchmaker".to_owned(),
            });
        }
    }
    out
}

/// What [`load`] read.
#[derive(Debug, Default)]
pub struct TrainingData {
    /// (file, text), in order.
    pub texts: Vec<(String, Labelled)>,
    /// (file, line number, error) of the lines that did not parse.
    pub bad: Vec<(String, usize, String)>,
    /// Texts dropped as near copies of evaluation texts.
    pub near_evaluation: usize,
}
