//! Unknown field names (issue 12: typos never pass silently). A field the venue does not
//! know is refused with its name, and with the known name it most likely meant: the same
//! name in another case style (`owner_id` → `ownerId`, `personaAge` → `persona_age`), or
//! one a slip of the keyboard away (`gender` → `genders`, `handel` → `handle`).

/// The message for an unknown field: `unknown field`, with a suggestion when one of
/// `known` is near.
#[must_use]
pub fn unknown(name: &str, known: &[&str]) -> String {
    match suggest(name, known) {
        Some(k) => format!("unknown field; did you mean {k}?"),
        None => "unknown field".to_owned(),
    }
}

/// The known name `name` most likely meant: equal once case and separators are set aside,
/// else the nearest within a small edit distance (1 for names of up to 4 letters, 2 for
/// longer ones). Ties go to the first in `known`.
#[must_use]
pub fn suggest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let n = squash(name);
    if n.is_empty() {
        return None;
    }
    if let Some(k) = known.iter().find(|k| squash(k) == n) {
        return Some(k);
    }
    let limit = if n.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (distance(&n, &squash(k)), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Lower case, without `_`, `-`, `.` and spaces.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours each count one.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = best;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_styles_and_slips_find_the_known_name() {
        let persona = ["handle", "model", "persona_age", "heart", "ownerId"];
        assert_eq!(suggest("owner_id", &persona), Some("ownerId"));
        assert_eq!(suggest("personaAge", &persona), Some("persona_age"));
        assert_eq!(suggest("PERSONA-AGE", &persona), Some("persona_age"));
        assert_eq!(suggest("handel", &persona), Some("handle"));
        assert_eq!(suggest("hart", &persona), Some("heart"));
        let seek = ["genders", "ageMin", "ageMax", "languages"];
        assert_eq!(suggest("gender", &seek), Some("genders"));
        assert_eq!(suggest("age_min", &seek), Some("ageMin"));
        assert_eq!(suggest("language", &seek), Some("languages"));
    }

    #[test]
    fn far_names_get_no_suggestion() {
        let self_ = [
            "gender",
            "age",
            "ethnicity",
            "languages",
            "kids",
            "substances",
        ];
        assert_eq!(suggest("height", &self_), None);
        assert_eq!(suggest("x", &self_), None);
        assert_eq!(suggest("", &self_), None);
        assert_eq!(suggest("zodiac", &self_), None);
        assert_eq!(unknown("height", &self_), "unknown field");
        assert_eq!(
            unknown("owner_id", &["ownerId"]),
            "unknown field; did you mean ownerId?"
        );
    }

    #[test]
    fn the_distance_counts_a_swap_as_one() {
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("abc", "acb"), 1);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
