//! Anchor words for the phrase signals: a cheap, exact gate in front of each regex.
//!
//! One `RegexSet` of every signal makes one lazy DFA whose states combine every pattern's
//! progress; on text it has not seen it keeps building new states (measured ≈ 70 µs for a
//! new 200-character text). Instead each signal's regex runs alone, and only when the text
//! has one of its *anchors*: words that every match of the pattern must contain.
//!
//! The anchors are derived from the pattern itself, once, by a small parser for the regex
//! subset the signals use (literals, `\b`, `\d`, `\w`, classes, `(?:…)`, `|`, `?`, `*`,
//! `+`, `{m,n}`): a concatenation needs any one of its parts' anchors (the rarest is
//! taken), an alternation needs one anchor of each branch, an optional part none. A
//! literal run that starts a word becomes a prefix anchor (`hour` for `hours?`): the gate
//! passes when some token starts with it. A pattern with a branch that has no literal word
//! (a bare `\d+`) gets no anchors and always runs. So the gate never hides a match: it is
//! a necessary condition, checked with one hash lookup per token prefix.

use std::collections::HashSet;

use super::concepts::FxMap;

/// A parsed pattern.
#[derive(Debug, Clone)]
enum Node {
    Lit(char),
    /// `\b`
    Boundary,
    /// `\d`
    Digit,
    /// Any other single-character item (`\d`, `\w`, `[…]`, `.`).
    Class,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn alt(&mut self) -> Node {
        let mut branches = vec![self.concat()];
        while self.peek() == Some(b'|') {
            self.i += 1;
            branches.push(self.concat());
        }
        if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alt(branches)
        }
    }

    fn concat(&mut self) -> Node {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom();
            let atom = self.quantified(atom);
            items.push(atom);
        }
        Node::Concat(items)
    }

    fn atom(&mut self) -> Node {
        let c = self.s[self.i];
        self.i += 1;
        match c {
            b'(' => {
                // `(?:`, `(?-u)` / `(?i)` flag groups, or a plain group
                if self.peek() == Some(b'?') {
                    self.i += 1;
                    while let Some(f) = self.peek() {
                        self.i += 1;
                        if f == b':' {
                            break;
                        }
                        if f == b')' {
                            return Node::Concat(Vec::new());
                        }
                    }
                }
                let inner = self.alt();
                if self.peek() == Some(b')') {
                    self.i += 1;
                }
                inner
            }
            b'\\' => {
                let e = self.s.get(self.i).copied().unwrap_or(b'\\');
                self.i += 1;
                match e {
                    b'b' => Node::Boundary,
                    b'd' => Node::Digit,
                    b'w' | b's' | b'D' | b'W' | b'S' | b'B' => Node::Class,
                    other => Node::Lit(char::from(other)),
                }
            }
            b'[' => {
                while let Some(k) = self.peek() {
                    self.i += 1;
                    if k == b'\\' {
                        self.i += 1;
                    } else if k == b']' {
                        break;
                    }
                }
                Node::Class
            }
            b'.' | b'^' | b'$' => Node::Class,
            other => Node::Lit(char::from(other)),
        }
    }

    fn quantified(&mut self, atom: Node) -> Node {
        match self.peek() {
            Some(b'?') | Some(b'*') => {
                self.i += 1;
                Node::Repeat(Box::new(atom), 0)
            }
            Some(b'+') => {
                self.i += 1;
                Node::Repeat(Box::new(atom), 1)
            }
            Some(b'{') => {
                let start = self.i;
                let mut j = self.i + 1;
                while j < self.s.len() && self.s[j] != b'}' {
                    j += 1;
                }
                let inside =
                    std::str::from_utf8(&self.s[start + 1..j.min(self.s.len())]).unwrap_or("");
                self.i = (j + 1).min(self.s.len());
                let min = inside
                    .split(',')
                    .next()
                    .and_then(|m| m.trim().parse::<u32>().ok())
                    .unwrap_or(0);
                Node::Repeat(Box::new(atom), min)
            }
            _ => atom,
        }
    }
}

fn parse(pattern: &str) -> Node {
    let mut p = Parser {
        s: pattern.as_bytes(),
        i: 0,
    };
    let mut top = Vec::new();
    while p.i < p.s.len() {
        top.push(p.alt());
        if p.peek() == Some(b')') {
            p.i += 1;
        }
    }
    Node::Concat(top)
}

/// Every path through the node can be empty.
fn nullable(n: &Node) -> bool {
    match n {
        Node::Lit(_) | Node::Class | Node::Digit => false,
        Node::Boundary => true,
        Node::Concat(items) => items.iter().all(nullable),
        Node::Alt(bs) => bs.iter().any(nullable),
        Node::Repeat(inner, min) => *min == 0 || nullable(inner),
    }
}

/// Every non-empty path through the node ends with a space or `\b`.
fn ends_at_boundary(n: &Node) -> bool {
    match n {
        Node::Lit(c) => *c == ' ',
        Node::Boundary => true,
        Node::Class | Node::Digit => false,
        Node::Concat(items) => {
            let last = items.iter().rposition(|i| !nullable(i)).unwrap_or(0);
            items
                .get(last..)
                .is_some_and(|rest| rest.iter().all(ends_at_boundary))
        }
        Node::Alt(bs) => bs.iter().all(ends_at_boundary),
        Node::Repeat(inner, _) => ends_at_boundary(inner),
    }
}

/// The anchor for "a token starting with a digit".
const DIGIT: &str = "#";

/// Words so common that anchoring on them gates nothing.
const COMMON: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "get",
    "go", "have", "he", "her", "him", "his", "i", "if", "im", "in", "is", "it", "just", "like",
    "me", "my", "no", "not", "of", "on", "or", "s", "she", "so", "t", "that", "the", "them",
    "they", "this", "to", "u", "up", "ur", "us", "was", "we", "what", "when", "will", "with",
    "you", "your", "ill", "all", "out", "one", "m", "ll", "d", "re", "ve", "about", "how", "want",
    "make", "new", "now", "don", "dont", "who", "would", "there", "their", "been",
];

/// The cost of anchoring on a set of prefixes: common or short words cost more.
fn cost(set: &HashSet<String>) -> u32 {
    set.iter()
        .map(|a| match a.strip_prefix('=') {
            _ if a == DIGIT => 10,
            Some(w) if COMMON.contains(&w) => 50,
            Some(w) if w.len() <= 2 => 5,
            Some(_) => 1,
            None if COMMON.contains(&a.as_str()) || a.len() == 1 => 60,
            None if a.len() == 2 => 20,
            None if a.len() == 3 => 3,
            None => 1,
        })
        .sum()
}

/// Anchors of a node: every match contains a token starting with one of them (or, for
/// `=word`, equal to it). `None`: no such guarantee. `start` says whether the node begins
/// at a word start, `end` whether a word ends right after it.
fn anchors(n: &Node, start: bool, end: bool) -> Option<HashSet<String>> {
    match n {
        // The words view holds only letters, digits and single spaces: a branch that needs
        // any other character never matches.
        Node::Lit(c) if !c.is_ascii_alphanumeric() && *c != ' ' => Some(HashSet::new()),
        Node::Lit(_) | Node::Boundary | Node::Class | Node::Digit => None,
        Node::Repeat(inner, min) => {
            if *min == 0 {
                None
            } else if matches!(**inner, Node::Digit) && start {
                Some(HashSet::from([DIGIT.to_owned()]))
            } else {
                // a repeated item is followed by its own start again: not by a word end
                anchors(inner, start, false)
            }
        }
        Node::Alt(bs) => {
            let mut out = HashSet::new();
            for b in bs {
                out.extend(anchors(b, start, end)?);
            }
            Some(out)
        }
        Node::Concat(items) => {
            let mut options: Vec<HashSet<String>> = Vec::new();
            let mut boundary = start;
            let mut run = String::new();
            let mut run_ok = false;
            // A run that starts a word is a prefix anchor; one that also ends it (a space or
            // `\b` follows) is a whole word (`=word`).
            let flush =
                |run: &mut String, ok: bool, whole: bool, options: &mut Vec<HashSet<String>>| {
                    if ok && !run.is_empty() {
                        let a = if whole {
                            format!("={run}")
                        } else {
                            run.clone()
                        };
                        options.push(HashSet::from([a]));
                    }
                    run.clear();
                };
            for (k, item) in items.iter().enumerate() {
                // a word ends after this item when a space or `\b` follows (or, for the
                // last item, when one follows the whole concatenation)
                let next_ends = match items.get(k + 1) {
                    Some(Node::Lit(' ') | Node::Boundary) => true,
                    Some(_) => false,
                    None => end,
                };
                match item {
                    Node::Lit(c) if c.is_ascii_alphanumeric() => {
                        if run.is_empty() {
                            run_ok = boundary;
                        }
                        run.push(*c);
                        boundary = false;
                    }
                    Node::Lit(' ') => {
                        flush(&mut run, run_ok, true, &mut options);
                        boundary = true;
                    }
                    Node::Lit(_) => return Some(HashSet::new()),
                    Node::Digit => {
                        flush(&mut run, run_ok, false, &mut options);
                        if boundary {
                            options.push(HashSet::from([DIGIT.to_owned()]));
                        }
                        boundary = false;
                    }
                    Node::Boundary => {
                        flush(&mut run, run_ok, true, &mut options);
                        boundary = true;
                    }
                    Node::Class => {
                        flush(&mut run, run_ok, false, &mut options);
                        boundary = false;
                    }
                    other => {
                        flush(&mut run, run_ok, false, &mut options);
                        if let Some(a) = anchors(other, boundary, next_ends) {
                            options.push(a);
                        }
                        boundary = ends_at_boundary(other) && (!nullable(other) || boundary);
                    }
                }
            }
            flush(&mut run, run_ok, end, &mut options);
            options.into_iter().min_by_key(cost)
        }
    }
}

/// The anchor prefixes of a pattern (`None`: the pattern always runs).
pub fn of_pattern(pattern: &str) -> Option<Vec<String>> {
    let set = anchors(&parse(pattern), true, false)?;
    let mut v: Vec<String> = set.into_iter().collect();
    v.sort();
    Some(v)
}

/// The gate: which signals can match a text, from its tokens.
pub struct Gate {
    /// Whole word → signal indices (as a bit set over up to 64 signals).
    words: FxMap<u64>,
    /// Prefix → signal indices.
    prefixes: FxMap<u64>,
    lens: Vec<usize>,
    always: u64,
}

impl Gate {
    /// A gate for `patterns` (signal `i` is bit `i`; at most 64).
    pub fn new<'a>(patterns: impl Iterator<Item = &'a str>) -> Self {
        let mut words: FxMap<u64> = FxMap::default();
        let mut prefixes: FxMap<u64> = FxMap::default();
        let mut always = 0u64;
        for (i, p) in patterns.enumerate() {
            let bit = 1u64 << i;
            match of_pattern(p) {
                Some(list) => {
                    for a in list {
                        match a.strip_prefix('=') {
                            Some(w) => *words.entry(w.to_owned()).or_default() |= bit,
                            None => *prefixes.entry(a).or_default() |= bit,
                        }
                    }
                }
                None => always |= bit,
            }
        }
        let mut lens: Vec<usize> = prefixes
            .keys()
            .filter(|p| p.as_str() != DIGIT)
            .map(String::len)
            .collect();
        lens.sort_unstable();
        lens.dedup();
        Self {
            words,
            prefixes,
            lens,
            always,
        }
    }

    /// The signals whose anchors some token starts with (plus those that always run).
    pub fn open<'a>(&self, tokens: impl Iterator<Item = &'a str>) -> u64 {
        let mut open = self.always;
        for t in tokens {
            if t.starts_with(|c: char| c.is_ascii_digit())
                && let Some(b) = self.prefixes.get(DIGIT)
            {
                open |= b;
            }
            if let Some(b) = self.words.get(t) {
                open |= b;
            }
            for &l in &self.lens {
                if l > t.len() {
                    break;
                }
                if let Some(b) = t.get(..l).and_then(|p| self.prefixes.get(p)) {
                    open |= b;
                }
            }
        }
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_the_words_every_match_needs() {
        let a = |p: &str| of_pattern(p);
        assert_eq!(
            a(r"\b(?:kill|murder) (?:you|u)\b"),
            Some(vec!["=kill".into(), "=murder".into()])
        );
        // the rarest part of a concatenation; a word followed by a space is a whole word
        assert_eq!(
            a(r"\bi know where (?:you|u) live\b"),
            Some(vec!["=know".into()])
        );
        // an optional part gives nothing; a suffix class leaves a prefix
        assert_eq!(a(r"\b(?:a )?hours? ago\b"), Some(vec!["hour".into()]));
        // a branch that starts with a number: a token starting with a digit
        assert_eq!(
            a(r"\b(?:\d+ dollars|\d{3} \d{2})\b"),
            Some(vec!["#".into(), "=dollars".into()])
        );
        // a branch with no word at all: always runs
        assert_eq!(a(r"(?:\w+ )?\b(?:\w+)\b"), None);
        // a branch that needs punctuation never matches the words view
        assert_eq!(a(r"\b(?:\| ?sh|curl)\b"), Some(vec!["=curl".into()]));
        assert_eq!(
            a(r"\b(?:fif|six)teen\b"),
            Some(vec!["fif".into(), "six".into()])
        );
        // a literal that does not start a word is not an anchor
        assert_eq!(
            a(r"\b(?:fif|six)teen\b"),
            Some(vec!["fif".into(), "six".into()])
        );
    }
}
