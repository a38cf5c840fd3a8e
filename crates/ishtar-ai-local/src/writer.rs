//! [`TemplateWriter`]: the matchmaker's prose from fixed templates, no model, no network.

use std::collections::BTreeMap;

use async_trait::async_trait;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{PersonaSketch, Writer};

use crate::text::{interest_words, join_list, top_words};

/// Small themes the report can name; a heart touches a theme when it uses one of its words.
#[rustfmt::skip]
const THEMES: &[(&str, &[&str])] = &[
    ("the outdoors", &[
        "camping", "climbing", "cycling", "garden", "gardening", "hike", "hikes", "hiking",
        "kayaking", "mountain", "mountains", "nature", "outdoors", "sailing", "surfing", "trail",
        "trails", "walks",
    ]),
    ("food", &[
        "baking", "brunch", "coffee", "cook", "cooking", "food", "pasta", "ramen", "recipes",
        "restaurants", "tea", "vegan", "vegetarian", "wine",
    ]),
    ("music", &[
        "band", "concerts", "festivals", "guitar", "jazz", "music", "piano", "singing", "vinyl",
    ]),
    ("books", &[
        "books", "library", "literature", "novel", "novels", "poetry", "read", "reading",
        "writing",
    ]),
    ("travel", &[
        "abroad", "languages", "travel", "traveling", "travelling", "trips",
    ]),
    ("the arts", &[
        "art", "cinema", "dance", "dancing", "drawing", "film", "films", "movies", "museums",
        "painting", "photography", "theater", "theatre",
    ]),
    ("games", &[
        "board", "chess", "games", "gaming", "puzzles", "sudoku",
    ]),
    ("animals", &[
        "animals", "cat", "cats", "dog", "dogs", "horses", "pets",
    ]),
    ("sport", &[
        "basketball", "fitness", "football", "gym", "running", "soccer", "sports", "swimming",
        "tennis", "yoga",
    ]),
    ("family", &[
        "children", "family", "kids", "parents",
    ]),
    ("science", &[
        "coding", "computers", "math", "physics", "programming", "science", "software", "tech",
    ]),
];

/// How many shared words a gambit names.
const GAMBIT_WORDS: usize = 3;
/// How many words a report lists per heading.
const REPORT_WORDS: usize = 6;

/// A deterministic writer for running without a model gateway.
///
/// It repeats only the two handles, fixed template words, and *interest words*: words found
/// in the hearts that are purely alphabetic, 3–24 letters, not function words, not number
/// words, not names of contact channels (`email`, `whatsapp`, …) and not taken from any
/// token that looks like contact data (anything with `@`, `://`, `www`, `/`, a digit, or a
/// dot between letters).
/// So no URL, number or contact detail from a heart can reach the gambit or the report.
/// The chaperone still screens both before they are published.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateWriter;

struct Comparison {
    shared: Vec<String>,
    only_a: Vec<String>,
    only_b: Vec<String>,
    distinct_total: usize,
    shared_total: usize,
}

fn compare(a: &str, b: &str) -> Comparison {
    let wa = interest_words(a);
    let wb = interest_words(b);
    let shared: BTreeMap<String, usize> = wa
        .iter()
        .filter_map(|(w, n)| wb.get(w).map(|m| (w.clone(), n + m)))
        .collect();
    let only = |x: &BTreeMap<String, usize>, y: &BTreeMap<String, usize>| {
        x.iter()
            .filter(|(w, _)| !y.contains_key(*w))
            .map(|(w, n)| (w.clone(), *n))
            .collect::<BTreeMap<_, _>>()
    };
    let only_a = only(&wa, &wb);
    let only_b = only(&wb, &wa);
    Comparison {
        distinct_total: shared.len() + only_a.len() + only_b.len(),
        shared_total: shared.len(),
        shared: top_words(&shared, REPORT_WORDS),
        only_a: top_words(&only_a, REPORT_WORDS),
        only_b: top_words(&only_b, REPORT_WORDS),
    }
}

/// The themes a heart touches, in table order.
fn themes(text: &str) -> Vec<&'static str> {
    let words = interest_words(text);
    THEMES
        .iter()
        .filter(|(_, ws)| ws.iter().any(|w| words.contains_key(*w)))
        .map(|(name, _)| *name)
        .collect()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl TemplateWriter {
    /// The gambit for a couple (see [`Writer::gambit`]).
    pub fn write_gambit(a: &PersonaSketch, b: &PersonaSketch) -> String {
        let c = compare(&a.heart_text, &b.heart_text);
        let shared: Vec<String> = c.shared.into_iter().take(GAMBIT_WORDS).collect();
        if shared.is_empty() {
            format!(
                "{} and {}, the matchmaker thinks you two may have more in common than a \
                 first glance shows. Say hello and find out.",
                a.handle, b.handle
            )
        } else {
            format!(
                "{} and {}, the matchmaker thinks you two should compare notes on {}, \
                 which both of your hearts mention.",
                a.handle,
                b.handle,
                join_list(&shared)
            )
        }
    }

    /// The compatibility report for a couple (see [`Writer::report`]).
    pub fn write_report(a: &PersonaSketch, b: &PersonaSketch) -> String {
        let c = compare(&a.heart_text, &b.heart_text);
        let (ha, hb) = (&a.handle, &b.handle);
        let mut paragraphs = Vec::new();

        paragraphs.push(if c.shared.is_empty() {
            format!(
                "Compatibility report for {ha} and {hb}. Their hearts share none of their \
                 distinctive words, so any fit here lies in what the hearts leave unsaid."
            )
        } else {
            let pct = c.shared_total * 100 / c.distinct_total.max(1);
            format!(
                "Compatibility report for {ha} and {hb}. Both hearts mention {}. Of the \
                 distinctive words across both hearts, about {pct}% appear in each.",
                join_list(&c.shared)
            )
        });

        let ta = themes(&a.heart_text);
        let tb = themes(&b.heart_text);
        let shared_themes: Vec<&str> = ta.iter().filter(|t| tb.contains(t)).copied().collect();
        let only_ta: Vec<&str> = ta.iter().filter(|t| !tb.contains(t)).copied().collect();
        let only_tb: Vec<&str> = tb.iter().filter(|t| !ta.contains(t)).copied().collect();
        let mut themes_par = if shared_themes.is_empty() {
            "The hearts do not meet on any of the common themes the matchmaker looks for."
                .to_owned()
        } else {
            format!("Themes they share: {}.", join_list(&owned(&shared_themes)))
        };
        if !only_ta.is_empty() {
            themes_par.push_str(&format!(
                " Only {ha} brings up {}.",
                join_list(&owned(&only_ta))
            ));
        }
        if !only_tb.is_empty() {
            themes_par.push_str(&format!(
                " Only {hb} brings up {}.",
                join_list(&owned(&only_tb))
            ));
        }
        paragraphs.push(themes_par);

        let mut diff = String::from("Where they differ:");
        match (c.only_a.is_empty(), c.only_b.is_empty()) {
            (true, true) => diff.push_str(" their words show no differences to report."),
            _ => {
                if !c.only_a.is_empty() {
                    diff.push_str(&format!(
                        " {ha}'s heart alone mentions {}.",
                        join_list(&c.only_a)
                    ));
                }
                if !c.only_b.is_empty() {
                    diff.push_str(&format!(
                        " {hb}'s heart alone mentions {}.",
                        join_list(&c.only_b)
                    ));
                }
            }
        }
        paragraphs.push(diff);

        paragraphs.push(
            "This report compares the words of two hearts, not the people behind them. \
             It is a starting point for a conversation, not a verdict."
                .to_owned(),
        );
        paragraphs.join("\n\n")
    }
}

#[async_trait]
impl Writer for TemplateWriter {
    async fn gambit(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError> {
        Ok(Self::write_gambit(&a, &b))
    }

    async fn report(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError> {
        Ok(Self::write_report(&a, &b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(handle: &str, heart: &str) -> PersonaSketch {
        PersonaSketch {
            handle: handle.to_owned(),
            heart_text: heart.to_owned(),
        }
    }

    fn ada() -> PersonaSketch {
        sketch(
            "ada",
            "I love hiking, jazz and cooking ramen. Email me: ada@example.com, \
             www.ada.dev, +1 555 0100. Chess on Sundays.",
        )
    }

    fn bo() -> PersonaSketch {
        sketch(
            "bo",
            "Jazz clubs, hiking trails and ramen shops. Instagram @bo_hikes, \
             https://bo.example/me. I have two cats.",
        )
    }

    const CONTACT_BITS: &[&str] = &[
        "@",
        "example",
        "www",
        "http",
        "555",
        "0100",
        "email",
        "instagram",
        "bo_hikes",
        ".dev",
    ];

    #[tokio::test]
    async fn the_gambit_names_both_handles_and_shared_interests() {
        let g = TemplateWriter
            .gambit(ada(), bo())
            .await
            .expect("never errors");
        assert_eq!(
            g,
            "ada and bo, the matchmaker thinks you two should compare notes on hiking, jazz \
             and ramen, which both of your hearts mention."
        );
        for bit in CONTACT_BITS {
            assert!(!g.to_lowercase().contains(bit), "{bit} in {g}");
        }
    }

    #[tokio::test]
    async fn the_gambit_is_neutral_when_nothing_is_shared() {
        let g = TemplateWriter
            .gambit(sketch("ada", "chess"), sketch("bo", "call 555 0100"))
            .await
            .expect("never errors");
        assert!(g.starts_with("ada and bo, the matchmaker thinks"), "{g}");
        assert!(!g.contains("555"));
    }

    #[tokio::test]
    async fn shared_contact_data_is_never_repeated() {
        let heart = "Write to me at me@example.com or +44 20 7946 0958, whatsapp me, \
                     visit example.org";
        let g = TemplateWriter
            .gambit(sketch("ada", heart), sketch("bo", heart))
            .await
            .expect("never errors");
        let r = TemplateWriter
            .report(sketch("ada", heart), sketch("bo", heart))
            .await
            .expect("never errors");
        for text in [&g, &r] {
            for bit in ["@", "example", "44", "7946", "whatsapp", ".org"] {
                assert!(!text.to_lowercase().contains(bit), "{bit} in {text}");
            }
        }
    }

    #[tokio::test]
    async fn the_report_compares_overlap_themes_and_differences() {
        let r = TemplateWriter
            .report(ada(), bo())
            .await
            .expect("never errors");
        let paragraphs: Vec<&str> = r.split("\n\n").collect();
        assert_eq!(paragraphs.len(), 4, "{r}");
        assert!(paragraphs[0].contains("ada and bo"));
        assert!(paragraphs[0].contains("Both hearts mention hiking, jazz and ramen."));
        assert!(paragraphs[1].contains("Themes they share: the outdoors, food and music."));
        assert!(paragraphs[1].contains("Only ada brings up games."));
        assert!(paragraphs[1].contains("Only bo brings up animals."));
        assert!(paragraphs[2].contains("ada's heart alone mentions"));
        assert!(paragraphs[2].contains("chess"));
        assert!(paragraphs[2].contains("cats"));
        assert!(
            !paragraphs[2].contains("two"),
            "number words are never echoed"
        );
        assert!(paragraphs[3].contains("not a verdict"));
        for bit in CONTACT_BITS {
            assert!(!r.to_lowercase().contains(bit), "{bit} in {r}");
        }
        assert_eq!(
            r,
            TemplateWriter::write_report(&ada(), &bo()),
            "deterministic"
        );
    }

    #[tokio::test]
    async fn empty_hearts_still_get_a_readable_report() {
        let r = TemplateWriter
            .report(sketch("ada", ""), sketch("bo", ""))
            .await
            .expect("never errors");
        assert!(r.contains("share none of their distinctive words"));
        assert!(r.contains("no differences to report"));
        assert!(r.ends_with("not a verdict."));
    }
}
