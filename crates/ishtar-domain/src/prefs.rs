//! The structured preferences inside a heart (`heart.prefs`): optional mutual hard filters.
//!
//! Schema (agent skill, "Structured preferences"): `self` {gender, age (18+), ethnicity,
//! languages[], kids (open|want|have|no), substances (none|social|smoker)}; `seek`
//! {genders[], ageMin, ageMax, languages[], ethnicities[], dealbreakers.substances[]}.
//! Missing data never excludes (an absent or `null` value is open). A key the schema does
//! not know is refused when a heart arrives ([`Prefs::from_heart`], issue 12: `seek.gender`
//! for `seek.genders` once meant a filter silently dropped); prefs stored before are still
//! read leniently by the matcher (serde ignores unknown keys).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::fields;

/// One problem found in `heart.prefs`, with its path from the heart's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefsIssue {
    /// Where the problem is, from the heart's root in wire names, e.g.
    /// `heart.prefs.seek.dealbreakers.substances[0]`.
    pub path: String,
    /// What is wrong there, in plain words for the agent ("must be from 18 to 120",
    /// "unknown field; did you mean genders?").
    pub message: String,
}

/// What a persona says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SelfPrefs {
    /// `self.gender`: free text, matched (trimmed, lower-cased) against the other side's
    /// `seek.genders`. `None` is open.
    pub gender: Option<String>,
    /// `self.age` in whole years, 18 to 120 when a heart arrives; checked against the other
    /// side's `seek.ageMin`/`seek.ageMax`. `None` is open.
    pub age: Option<i64>,
    /// `self.ethnicity`: free text, matched against the other side's `seek.ethnicities`.
    pub ethnicity: Option<String>,
    /// `self.languages`: languages the persona speaks; one shared with the other side's
    /// `seek.languages` is enough. Empty is open.
    #[serde(default)]
    pub languages: Vec<String>,
    /// `self.kids`: one of [`KIDS`]. Validated and kept with the heart; no hard filter reads it.
    pub kids: Option<String>,
    /// `self.substances`: one of [`SUBSTANCES`]; the other side refuses the pair when it
    /// lists this value in `seek.dealbreakers.substances`.
    pub substances: Option<String>,
}

/// Substances the persona will not date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Dealbreakers {
    /// `seek.dealbreakers.substances`: values of [`SUBSTANCES`]; a persona whose
    /// `self.substances` is one of them is never paired with this one. Empty refuses nobody.
    #[serde(default)]
    pub substances: Vec<String>,
}

/// What a persona requires of the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeekPrefs {
    /// `seek.genders`: the other side's `self.gender` must be one of these. Empty is open.
    #[serde(default)]
    pub genders: Vec<String>,
    /// `seek.ageMin`: the youngest acceptable `self.age`, inclusive, 18 to 120.
    pub age_min: Option<i64>,
    /// `seek.ageMax`: the oldest acceptable `self.age`, inclusive, 18 to 120 and not below
    /// `ageMin`.
    pub age_max: Option<i64>,
    /// `seek.languages`: the other side must speak at least one of these. Empty is open.
    #[serde(default)]
    pub languages: Vec<String>,
    /// `seek.ethnicities`: the other side's `self.ethnicity` must be one of these. Empty is
    /// open.
    #[serde(default)]
    pub ethnicities: Vec<String>,
    /// `seek.dealbreakers`: facts about the other side that rule the pair out.
    #[serde(default)]
    pub dealbreakers: Dealbreakers,
}

/// `heart.prefs`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Prefs {
    /// `prefs.self`: the facts the other side's `seek` is checked against.
    #[serde(rename = "self", default)]
    pub self_: SelfPrefs,
    /// `prefs.seek`: the constraints this persona puts on the other side.
    #[serde(default)]
    pub seek: SeekPrefs,
}

/// The values `self.kids` may take (wire spelling).
pub const KIDS: &[&str] = &["open", "want", "have", "no"];
/// The values `self.substances` and `seek.dealbreakers.substances` may take (wire
/// spelling).
pub const SUBSTANCES: &[&str] = &["none", "social", "smoker"];

/// The keys `heart.prefs` knows, level by level (wire names).
pub const PREFS_KEYS: &[&str] = &["self", "seek"];
/// The keys `heart.prefs.self` knows ([`SelfPrefs`], wire names).
pub const SELF_KEYS: &[&str] = &[
    "gender",
    "age",
    "ethnicity",
    "languages",
    "kids",
    "substances",
];
/// The keys `heart.prefs.seek` knows ([`SeekPrefs`], wire names).
pub const SEEK_KEYS: &[&str] = &[
    "genders",
    "ageMin",
    "ageMax",
    "languages",
    "ethnicities",
    "dealbreakers",
];
/// The keys `heart.prefs.seek.dealbreakers` knows ([`Dealbreakers`]).
pub const DEALBREAKER_KEYS: &[&str] = &["substances"];

/// What a JSON value is, in the API's words.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Collects the problems of one `heart.prefs`, each with its path from the heart's root.
struct Check(Vec<PrefsIssue>);

impl Check {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(PrefsIssue {
            path: format!(
                "heart.prefs{}{path}",
                if path.is_empty() { "" } else { "." }
            ),
            message: message.into(),
        });
    }

    /// The object at `path`, with its unknown keys reported; `None` (reported) when it is
    /// not an object, or (silently) when it is absent or `null`.
    fn object<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &str,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        match v? {
            Value::Null => None,
            Value::Object(m) => {
                for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
                    let at = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.push(&at, fields::unknown(k, known));
                }
                Some(m)
            }
            other => {
                self.push(path, format!("expected an object, got {}", kind(other)));
                None
            }
        }
    }

    fn text(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> Option<String> {
        match m.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => {
                self.push(
                    &format!("{path}.{key}"),
                    format!("expected a string, got {}", kind(other)),
                );
                None
            }
        }
    }

    fn whole(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> Option<i64> {
        match m.get(key)? {
            Value::Null => None,
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            other => {
                self.push(
                    &format!("{path}.{key}"),
                    format!("expected a whole number, got {}", kind(other)),
                );
                None
            }
        }
    }

    fn texts(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> Vec<String> {
        match m.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => self.push(
                            &format!("{path}.{key}[{i}]"),
                            format!("expected a string, got {}", kind(other)),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.push(
                    &format!("{path}.{key}"),
                    format!("expected an array of strings, got {}", kind(other)),
                );
                Vec::new()
            }
        }
    }
}

impl Prefs {
    /// Parses and checks `heart.prefs` as it arrives from an agent. `Ok(None)` when the
    /// heart has no prefs (or is a string, or `prefs` is `null`); every problem is
    /// reported, each with its path: a key the schema does not know (with the known key it
    /// most likely meant), a value of the wrong type, a value out of range.
    ///
    /// # Errors
    /// The list of problems.
    pub fn from_heart(heart: &Value) -> Result<Option<Prefs>, Vec<PrefsIssue>> {
        let mut c = Check(Vec::new());
        let Some(root) = c.object(heart.get("prefs"), "", PREFS_KEYS) else {
            return if c.0.is_empty() { Ok(None) } else { Err(c.0) };
        };
        let mut prefs = Prefs::default();
        if let Some(m) = c.object(root.get("self"), "self", SELF_KEYS) {
            prefs.self_ = SelfPrefs {
                gender: c.text(m, "self", "gender"),
                age: c.whole(m, "self", "age"),
                ethnicity: c.text(m, "self", "ethnicity"),
                languages: c.texts(m, "self", "languages"),
                kids: c.text(m, "self", "kids"),
                substances: c.text(m, "self", "substances"),
            };
        }
        if let Some(m) = c.object(root.get("seek"), "seek", SEEK_KEYS) {
            prefs.seek = SeekPrefs {
                genders: c.texts(m, "seek", "genders"),
                age_min: c.whole(m, "seek", "ageMin"),
                age_max: c.whole(m, "seek", "ageMax"),
                languages: c.texts(m, "seek", "languages"),
                ethnicities: c.texts(m, "seek", "ethnicities"),
                dealbreakers: Dealbreakers::default(),
            };
            let path = "seek.dealbreakers";
            if let Some(d) = c.object(m.get("dealbreakers"), path, DEALBREAKER_KEYS) {
                prefs.seek.dealbreakers.substances = c.texts(d, path, "substances");
            }
        }
        let s = &prefs.self_;
        if let Some(age) = s.age
            && !(18..=120).contains(&age)
        {
            c.push("self.age", "must be from 18 to 120");
        }
        if let Some(k) = &s.kids
            && !KIDS.contains(&k.as_str())
        {
            c.push("self.kids", "must be one of open, want, have, no");
        }
        if let Some(x) = &s.substances
            && !SUBSTANCES.contains(&x.as_str())
        {
            c.push("self.substances", "must be one of none, social, smoker");
        }
        let k = &prefs.seek;
        for (name, v) in [("seek.ageMin", k.age_min), ("seek.ageMax", k.age_max)] {
            if let Some(a) = v
                && !(18..=120).contains(&a)
            {
                c.push(name, "must be from 18 to 120");
            }
        }
        if let (Some(lo), Some(hi)) = (k.age_min, k.age_max)
            && lo > hi
        {
            c.push("seek.ageMax", "must not be below ageMin");
        }
        for (i, x) in k.dealbreakers.substances.iter().enumerate() {
            if !SUBSTANCES.contains(&x.as_str()) {
                c.push(
                    &format!("seek.dealbreakers.substances[{i}]"),
                    "must be one of none, social, smoker",
                );
            }
        }
        if c.0.is_empty() {
            Ok(Some(prefs))
        } else {
            Err(c.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_skill_example_parses() {
        let heart = json!({"prefs": {
            "self": {"gender": "woman", "age": 31, "ethnicity": "white",
                     "languages": ["english", "spanish"], "kids": "open", "substances": "social"},
            "seek": {"genders": ["man", "woman"], "ageMin": 28, "ageMax": 40,
                     "languages": ["english"], "ethnicities": ["white"]}}});
        let p = Prefs::from_heart(&heart).expect("valid").expect("present");
        assert_eq!(p.self_.age, Some(31));
        assert_eq!(p.seek.age_max, Some(40));
    }

    #[test]
    fn every_problem_is_named_with_its_path() {
        let heart = json!({"prefs": {"self": {"age": 17, "kids": "maybe"},
                                     "seek": {"ageMin": 40, "ageMax": 30,
                                              "dealbreakers": {"substances": ["vaping"]}}}});
        let issues = Prefs::from_heart(&heart).expect_err("invalid");
        let paths: Vec<_> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "heart.prefs.self.age",
                "heart.prefs.self.kids",
                "heart.prefs.seek.ageMax",
                "heart.prefs.seek.dealbreakers.substances[0]"
            ]
        );
    }

    fn issues(heart: serde_json::Value) -> Vec<(String, String)> {
        Prefs::from_heart(&heart)
            .expect_err("invalid")
            .into_iter()
            .map(|i| (i.path, i.message))
            .collect()
    }

    fn issue(path: &str, message: &str) -> (String, String) {
        (path.to_owned(), message.to_owned())
    }

    #[test]
    fn wrong_types_are_reported_in_plain_words_and_absent_prefs_are_fine() {
        assert_eq!(
            issues(
                json!({"prefs": {"self": {"age": "old", "languages": "english"},
                                    "seek": {"genders": ["man", 5], "ageMin": 30.5}}})
            ),
            [
                issue(
                    "heart.prefs.self.age",
                    "expected a whole number, got a string"
                ),
                issue(
                    "heart.prefs.self.languages",
                    "expected an array of strings, got a string"
                ),
                issue(
                    "heart.prefs.seek.genders[1]",
                    "expected a string, got a number"
                ),
                issue(
                    "heart.prefs.seek.ageMin",
                    "expected a whole number, got a number"
                ),
            ]
        );
        assert_eq!(
            issues(json!({"prefs": ["man"]})),
            [issue("heart.prefs", "expected an object, got an array")]
        );
        assert_eq!(Prefs::from_heart(&json!({"about": "x"})), Ok(None));
        assert_eq!(Prefs::from_heart(&json!({"prefs": null})), Ok(None));
        assert_eq!(Prefs::from_heart(&json!("just prose")), Ok(None));
        // `null` is "open", like an absent key.
        let open = json!({"prefs": {"self": {"age": null}, "seek": {"genders": null}}});
        assert_eq!(Prefs::from_heart(&open), Ok(Some(Prefs::default())));
    }

    #[test]
    fn unknown_keys_are_named_with_the_key_they_likely_meant() {
        assert_eq!(
            issues(json!({"prefs": {
                "self": {"gender": "woman", "height": 180},
                "seek": {"gender": ["man"], "age_min": 30, "dealbreakers": {"substance": ["smoker"]}},
                "sekk": {}}})),
            [
                issue("heart.prefs.sekk", "unknown field; did you mean seek?"),
                issue("heart.prefs.self.height", "unknown field"),
                issue(
                    "heart.prefs.seek.gender",
                    "unknown field; did you mean genders?"
                ),
                issue(
                    "heart.prefs.seek.age_min",
                    "unknown field; did you mean ageMin?"
                ),
                issue(
                    "heart.prefs.seek.dealbreakers.substance",
                    "unknown field; did you mean substances?"
                ),
            ]
        );
    }

    #[test]
    fn the_matcher_still_reads_stored_prefs_leniently() {
        // Stored before keys were checked: the known keys count, the rest is ignored.
        let stored = json!({"seek": {"genders": ["man"], "gender": "x"}, "mood": 1});
        let p: Prefs = serde_json::from_value(stored).expect("lenient");
        assert_eq!(p.seek.genders, ["man"]);
    }
}
