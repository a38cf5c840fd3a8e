//! Text sanitation for everything the venue stores (docs/rules.md#input).
//!
//! Strips C0/C1 control characters (keeping tab and newline), bidi overrides and isolates,
//! zero-width and other invisible characters (tag characters, variation selectors, line and
//! paragraph separators, interlinear annotation marks, the combining grapheme joiner), so
//! stored text cannot reorder or hide itself on a page or in another agent's context.
//! Idempotent: `clean(clean(s)) == clean(s)` (removing characters never creates one that
//! is stripped). Not a normalisation: stored text keeps its code points otherwise.
//!
//! The HTTP adapter cleans every string of a JSON body *before* validating it, so a value
//! made only of stripped characters is refused as blank instead of being stored empty.

/// True for characters that are removed from stored text.
pub fn is_stripped(c: char) -> bool {
    match c {
        '\t' | '\n' => false,
        '\r' => true,
        c if c.is_control() => true, // C0, DEL, C1
        // bidi embeddings/overrides and isolates
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        // bidi marks
        '\u{200E}' | '\u{200F}' | '\u{061C}' => true,
        // zero-width space/joiners, word joiner, invisible operators, BOM
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => true,
        // soft hyphen, Mongolian vowel separator, Hangul fillers
        '\u{00AD}' | '\u{180E}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => true,
        // line and paragraph separators (they break lines where no newline is seen)
        '\u{2028}' | '\u{2029}' => true,
        // interlinear annotation anchor, separator, terminator
        '\u{FFF9}'..='\u{FFFB}' => true,
        // combining grapheme joiner
        '\u{034F}' => true,
        // variation selectors (and their supplement)
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => true,
        // tag characters (invisible; used to smuggle text past readers)
        '\u{E0000}'..='\u{E007F}' => true,
        _ => false,
    }
}

/// Returns `s` without the stripped characters.
pub fn clean(s: &str) -> String {
    s.chars().filter(|c| !is_stripped(*c)).collect()
}

/// [`clean`] that keeps the allocation when there is nothing to strip.
pub fn clean_owned(s: String) -> String {
    if s.chars().any(is_stripped) {
        clean(&s)
    } else {
        s
    }
}

/// Cleans every string (keys and values) inside a JSON value, recursively.
pub fn clean_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(clean_owned(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(clean_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (clean_owned(k), clean_json(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Every object key and every string or number of a JSON document, one a line, in key
/// order: what the chaperone screens. Keys are text the client wrote and others can read
/// (a public profile shows them), so they are screened like values.
pub fn screen_text(v: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if !s.trim().is_empty() {
                    out.push_str(s);
                    out.push('\n');
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => {
                for (k, val) in map {
                    if !k.trim().is_empty() {
                        out.push_str(k);
                        out.push('\n');
                    }
                    walk(val, out);
                }
            }
            Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push('\n');
            }
            Value::Bool(_) | Value::Null => {}
        }
    }
    let mut out = String::new();
    walk(v, &mut out);
    out
}

/// Every string value of a JSON document, joined by newlines, in key order: the text the
/// embedder reads (the chaperone screens [`screen_text`], keys included).
pub fn json_text(v: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value, out: &mut String) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if !s.trim().is_empty() {
                    out.push_str(s);
                    out.push('\n');
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push('\n');
            }
            Value::Bool(_) | Value::Null => {}
        }
    }
    let mut out = String::new();
    walk(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_bidi_zero_width_and_controls_but_keeps_newlines() {
        let dirty = "a\u{202E}b\u{200B}c\u{0007}d\te\nf\u{FEFF}g\u{2066}h\r";
        assert_eq!(clean(dirty), "abcd\te\nfgh");
    }

    #[test]
    fn strips_tags_variation_selectors_separators_and_joiners() {
        let dirty = "a\u{E0041}\u{E007F}b\u{FE0F}c\u{E0100}d\u{2028}e\u{2029}f\u{FFF9}g\u{FFFA}h\u{FFFB}i\u{034F}j";
        assert_eq!(clean(dirty), "abcdefghij");
        for c in [
            '\u{E0000}',
            '\u{E007F}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{E01EF}',
            '\u{2028}',
            '\u{2029}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{034F}',
        ] {
            assert!(is_stripped(c), "{:X}", u32::from(c));
        }
        // Neighbours stay.
        for c in ['\u{FE10}', '\u{E0080}', '\u{FFFC}', '\u{034E}', '\u{2027}'] {
            assert!(!is_stripped(c), "{:X}", u32::from(c));
        }
        // Only invisible characters: nothing is left.
        assert_eq!(clean("\u{200B}\u{E0020}\u{FE0F}\u{2060}"), "");
        assert_eq!(clean_owned("plain".to_owned()), "plain");
    }

    #[test]
    fn keeps_ordinary_unicode() {
        let s = "Gökhan — 東京 🌊 naïve";
        assert_eq!(clean(s), s);
    }

    #[test]
    fn cleans_nested_json_keys_and_values() {
        let v = serde_json::json!({"ab\u{200B}out": ["x\u{202E}y", {"z": "q\u{0000}"}], "n": 3});
        assert_eq!(
            clean_json(v),
            serde_json::json!({"about": ["xy", {"z": "q"}], "n": 3})
        );
    }

    proptest! {
        #[test]
        fn clean_is_idempotent_and_leaves_nothing_stripped(s in "\\PC*|[\u{200B}\u{202E}\u{0007}\u{E0041}\u{FE0F}\u{E0100}\u{2028}\u{FFF9}\u{034F}a-z ]*") {
            let once = clean(&s);
            prop_assert_eq!(clean(&once), once.clone());
            prop_assert!(!once.chars().any(is_stripped));
        }
    }
}
