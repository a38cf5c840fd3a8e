//! The structured preferences inside a heart (`heart.prefs`): optional mutual hard filters.
//!
//! Schema (agent skill, "Structured preferences"): `self` {gender, age (18+), ethnicity,
//! languages[], kids (open|want|have|no), substances (none|social|smoker)}; `seek`
//! {genders[], ageMin, ageMax, languages[], ethnicities[], dealbreakers.substances[]}.
//! Missing data never excludes. Unknown keys are ignored so the doc can grow.

use serde::Deserialize;

/// One problem found in `heart.prefs`, with its path from the heart's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefsIssue {
    pub path: String,
    pub message: String,
}

/// What a persona says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SelfPrefs {
    pub gender: Option<String>,
    pub age: Option<i64>,
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    pub kids: Option<String>,
    pub substances: Option<String>,
}

/// Substances the persona will not date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Dealbreakers {
    #[serde(default)]
    pub substances: Vec<String>,
}

/// What a persona requires of the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeekPrefs {
    #[serde(default)]
    pub genders: Vec<String>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub ethnicities: Vec<String>,
    #[serde(default)]
    pub dealbreakers: Dealbreakers,
}

/// `heart.prefs`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Prefs {
    #[serde(rename = "self", default)]
    pub self_: SelfPrefs,
    #[serde(default)]
    pub seek: SeekPrefs,
}

pub const KIDS: &[&str] = &["open", "want", "have", "no"];
pub const SUBSTANCES: &[&str] = &["none", "social", "smoker"];

impl Prefs {
    /// Parses and checks `heart.prefs`. `Ok(None)` when the heart has no prefs (or is a
    /// string); every problem is reported, each with its path.
    ///
    /// # Errors
    /// The list of problems.
    pub fn from_heart(heart: &serde_json::Value) -> Result<Option<Prefs>, Vec<PrefsIssue>> {
        let Some(raw) = heart.get("prefs") else {
            return Ok(None);
        };
        if raw.is_null() {
            return Ok(None);
        }
        let issue = |path: &str, message: &str| PrefsIssue {
            path: format!(
                "heart.prefs{}{path}",
                if path.is_empty() { "" } else { "." }
            ),
            message: message.to_owned(),
        };
        let prefs: Prefs = match Prefs::deserialize(raw) {
            Ok(p) => p,
            Err(e) => return Err(vec![issue("", &e.to_string())]),
        };
        let mut issues = Vec::new();
        let s = &prefs.self_;
        if let Some(age) = s.age
            && !(18..=120).contains(&age)
        {
            issues.push(issue("self.age", "must be from 18 to 120"));
        }
        if let Some(k) = &s.kids
            && !KIDS.contains(&k.as_str())
        {
            issues.push(issue("self.kids", "must be one of open, want, have, no"));
        }
        if let Some(x) = &s.substances
            && !SUBSTANCES.contains(&x.as_str())
        {
            issues.push(issue(
                "self.substances",
                "must be one of none, social, smoker",
            ));
        }
        let k = &prefs.seek;
        for (name, v) in [("seek.ageMin", k.age_min), ("seek.ageMax", k.age_max)] {
            if let Some(a) = v
                && !(18..=120).contains(&a)
            {
                issues.push(issue(name, "must be from 18 to 120"));
            }
        }
        if let (Some(lo), Some(hi)) = (k.age_min, k.age_max)
            && lo > hi
        {
            issues.push(issue("seek.ageMax", "must not be below ageMin"));
        }
        for (i, x) in k.dealbreakers.substances.iter().enumerate() {
            if !SUBSTANCES.contains(&x.as_str()) {
                issues.push(issue(
                    &format!("seek.dealbreakers.substances[{i}]"),
                    "must be one of none, social, smoker",
                ));
            }
        }
        if issues.is_empty() {
            Ok(Some(prefs))
        } else {
            Err(issues)
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

    #[test]
    fn wrong_types_are_reported_and_absent_prefs_are_fine() {
        assert!(Prefs::from_heart(&json!({"prefs": {"self": {"age": "old"}}})).is_err());
        assert_eq!(Prefs::from_heart(&json!({"about": "x"})), Ok(None));
        assert_eq!(Prefs::from_heart(&json!("just prose")), Ok(None));
    }
}
