//! A persona's matching profile (docs/matcher.md, "What is matched").
//!
//! The profile is the owner's latest *allowed* dating-doc version (its prose embedded, its
//! `prefs` the hard filters, both ways), plus the persona's own `heart`: the heart's prose
//! is added to the doc's, and the heart's `prefs`, when it has some, replace the doc's. A
//! doc version the chaperone held or denied is never used; an owner without an allowed
//! version is matched on the persona's heart alone.

use sha2::{Digest, Sha256};

use crate::prefs::Prefs;
use crate::sanitize;

/// Part of every profile key: bump it when the rule that builds the embedded text changes,
/// so every profile is embedded again.
pub const PROFILE_RULE: &str = "ishtar-profile/v1";

/// The prose of a heart: every string and number in it, in key order, except what is under
/// its top-level `prefs` (the filters are matched exactly, not embedded).
#[must_use]
pub fn prose(heart: &serde_json::Value) -> String {
    match heart.as_object() {
        Some(map) if map.contains_key("prefs") => {
            let mut without = map.clone();
            without.remove("prefs");
            sanitize::json_text(&serde_json::Value::Object(without))
        }
        _ => sanitize::json_text(heart),
    }
}

/// What the chaperone screens of a dating doc: every key and value of its heart,
/// `prefs` included ([`sanitize::screen_text`]), so nothing shown to anyone — a key of the
/// public profile, say — escapes it.
#[must_use]
pub fn screened(heart: &serde_json::Value) -> String {
    sanitize::screen_text(heart)
}

/// The text embedded for a persona: the doc's prose, then the persona's.
#[must_use]
pub fn text(doc: Option<&serde_json::Value>, heart: &serde_json::Value) -> String {
    let mut out = doc.map(prose).unwrap_or_default();
    out.push_str(&prose(heart));
    out
}

/// The embedding cache key of a profile: a hash of the rule and the two content hashes,
/// so a new doc version or a changed heart is a new key (embedded at the next beat) and an
/// unchanged profile is never embedded twice.
#[must_use]
pub fn key(doc_hash: Option<&str>, heart_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(PROFILE_RULE.as_bytes());
    h.update(b"\n");
    h.update(doc_hash.unwrap_or("-").as_bytes());
    h.update(b"\n");
    h.update(heart_hash.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hard filters in force: the persona's own `prefs` when it gave an object, else the
/// doc's. Unreadable prefs count as none (both were validated when they were submitted).
#[must_use]
pub fn prefs(own: Option<&serde_json::Value>, doc: Option<&serde_json::Value>) -> Option<Prefs> {
    let chosen = match own {
        Some(v) if v.is_object() => v,
        _ => doc.filter(|v| v.is_object())?,
    };
    serde::Deserialize::deserialize(chosen).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prose_leaves_the_filters_out() {
        let heart = json!({"about": "bread", "prefs": {"self": {"gender": "woman"}}});
        assert_eq!(prose(&heart), "bread\n");
    }

    #[test]
    fn the_text_is_the_docs_prose_then_the_personas() {
        let doc = json!({"about": "quiet mornings", "prefs": {"seek": {"genders": ["man"]}}});
        let heart = json!({"about": "sourdough"});
        assert_eq!(text(Some(&doc), &heart), "quiet mornings\nsourdough\n");
        assert_eq!(text(None, &heart), "sourdough\n");
    }

    #[test]
    fn a_new_doc_version_is_a_new_key() {
        assert_ne!(key(Some("d1"), "h"), key(Some("d2"), "h"));
        assert_ne!(key(None, "h"), key(Some("d1"), "h"));
        assert_eq!(key(Some("d1"), "h"), key(Some("d1"), "h"));
    }

    #[test]
    fn the_personas_prefs_replace_the_docs() {
        let doc = json!({"seek": {"genders": ["man"]}});
        let own = json!({"seek": {"genders": ["woman"]}});
        let p = prefs(Some(&own), Some(&doc)).expect("prefs");
        assert_eq!(p.seek.genders, vec!["woman"]);
        let p = prefs(None, Some(&doc)).expect("prefs");
        assert_eq!(p.seek.genders, vec!["man"]);
        assert!(prefs(None, None).is_none());
    }
}
