//! Word handling shared by the local embedder and the template writer.

use std::collections::BTreeMap;

/// Common English function words: ignored as features and never offered as interests.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are",
    "around", "as", "at", "be", "because", "been", "being", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "down", "each", "even", "ever", "for", "from", "get", "gets",
    "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i",
    "if", "im", "in", "into", "is", "it", "its", "just", "like", "likes", "liking", "love",
    "loves", "loving", "me", "more", "most", "much", "my", "myself", "no", "not", "of", "off",
    "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own", "really",
    "same", "she", "should", "so", "some", "someone", "something", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "thing", "things", "this", "those",
    "through", "to", "too", "under", "until", "up", "us", "very", "want", "wants", "was", "way",
    "we", "well", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "your", "yours", "yourself",
];

/// Words that name contact channels or places: never echoed into generated prose, so a
/// template can never nudge anyone towards moving off the venue.
#[rustfmt::skip]
const CONTACT_WORDS: &[&str] = &[
    "addr", "address", "avenue", "call", "contact", "discord", "dm", "dms", "email", "emails",
    "eth", "facebook", "gmail", "hotmail", "insta", "instagram", "kik", "linkedin", "mail",
    "messenger", "number", "onlyfans", "outlook", "phone", "road", "signal", "skype", "snap",
    "snapchat", "street", "telegram", "text", "texting", "tiktok", "twitter", "venmo", "wallet",
    "wechat", "whatsapp", "yahoo", "zip",
];

/// Spelled-out numbers: a phone number can be written in words, so none is ever echoed.
#[rustfmt::skip]
const NUMBER_WORDS: &[&str] = &[
    "billion", "eight", "eighteen", "eighty", "eleven", "fifteen", "fifty", "five", "forty",
    "four", "fourteen", "hundred", "million", "nine", "nineteen", "ninety", "oh", "one", "seven",
    "seventeen", "seventy", "six", "sixteen", "sixty", "ten", "thirteen", "thirty", "thousand",
    "three", "twelve", "twenty", "two", "zero",
];

/// Lower-cased runs of alphanumeric characters, in order.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// A whitespace-separated token that might carry contact data: an e-mail or social handle
/// (`@`), a URL or domain (`://`, `www`, a dot between letters), a path, or any digit
/// (phone numbers, street numbers, wallet addresses).
fn looks_like_contact(token: &str) -> bool {
    if token.contains('@')
        || token.contains("://")
        || token.contains("www")
        || token.contains('/')
        || token.contains('\\')
        || token.chars().any(|c| c.is_ascii_digit() || c.is_numeric())
    {
        return true;
    }
    let chars: Vec<char> = token.chars().collect();
    chars
        .windows(3)
        .any(|w| w[0].is_alphabetic() && w[1] == '.' && w[2].is_alphabetic())
}

/// The distinctive words of a heart with their counts: lower-cased, purely alphabetic,
/// 3 to 24 characters, no stop words, contact words or number words, and nothing from a
/// token that looks like contact data. These are the only heart words generated prose may repeat.
pub(crate) fn interest_words(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for token in text.split_whitespace() {
        if looks_like_contact(token) {
            continue;
        }
        for piece in token.split(|c: char| !c.is_alphabetic()) {
            let len = piece.chars().count();
            if !(3..=24).contains(&len) {
                continue;
            }
            let word = piece.to_lowercase();
            if is_stop_word(&word)
                || CONTACT_WORDS.binary_search(&word.as_str()).is_ok()
                || NUMBER_WORDS.binary_search(&word.as_str()).is_ok()
            {
                continue;
            }
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts
}

/// Up to `n` words, most frequent first, ties alphabetical: deterministic.
pub(crate) fn top_words(counts: &BTreeMap<String, usize>, n: usize) -> Vec<String> {
    let mut ranked: Vec<(&String, &usize)> = counts.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    ranked.into_iter().take(n).map(|(w, _)| w.clone()).collect()
}

/// `"a"`, `"a and b"`, `"a, b and c"`.
pub(crate) fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(CONTACT_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(NUMBER_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn contact_like_tokens_never_become_interests() {
        let counts = interest_words(
            "Hiking! Mail me at jo@example.com or see https://jo.example/profile, \
             call 555-0100 or five five five, wallet 0xabc, site jo.dev, @jo_insta, \
             42nd street. Hiking again.",
        );
        let words: Vec<&str> = counts.keys().map(String::as_str).collect();
        assert_eq!(words, ["hiking", "see", "site"]);
        assert_eq!(counts.get("hiking"), Some(&2));
    }

    #[test]
    fn lists_join_in_english() {
        let l = |v: &[&str]| join_list(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(l(&[]), "");
        assert_eq!(l(&["a"]), "a");
        assert_eq!(l(&["a", "b"]), "a and b");
        assert_eq!(l(&["a", "b", "c"]), "a, b and c");
    }
}
