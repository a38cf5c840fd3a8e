//! Text normalisation for judging (issue 11): one place that undoes the usual disguises
//! before the contact screen, the local guard and the reserved-handle check look at text.
//!
//! - [`fold`]: NFKC (full-width, math alphanumerics, circled letters, ligatures), invisible
//!   characters dropped, and every non-ASCII lookalike whose UTS #39 confusable prototype is
//!   ASCII replaced by it (Cyrillic `е` → `e`, Greek `ο` → `o`); other accents are stripped
//!   (`é` → `e`). Case and punctuation are kept. ASCII text passes through unchanged.
//! - [`normalise`]: the folded text cut into lower-case tokens, with
//!   - apostrophes inside words dropped (`I'm` → `im`);
//!   - leet folded in tokens that mix letters with digits or symbols (`s3x` → `sex`,
//!     `k!ll` → `kill`; see [`LEET`]), except numbers with a unit (`15yo` → `15 yo`,
//!     `f16` → `f 16`, `9th` → `9 th`) and digit strings with a stray `o`/`l` (`O132` → `0132`);
//!   - de-spacing: three or more one-letter tokens in a row are joined (`s e x`,
//!     `d.i.s.c.o.r.d`);
//!   - number words turned into digits (`five five five` → `5 5 5`, `twenty one` → `21`,
//!     `oh` and `o` as zero only next to another number).
//! - [`handle_key`]: the key two handles collide on: leet folded throughout, `l`/`1`/`|` as
//!   `i`, only letters and digits kept, then the UTS #39 skeleton (`rn` ~ `m`).
//!
//! Pure and allocation-light: one pass per view, no regex.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::confusable_detection::skeleton as uts39_skeleton;

/// Leet and symbol substitutions applied inside tokens that mix letters with digits or
/// symbols. `2` is left alone (it usually means "to").
pub const LEET: &[(char, char)] = &[
    ('0', 'o'),
    ('1', 'i'),
    ('3', 'e'),
    ('4', 'a'),
    ('5', 's'),
    ('6', 'g'),
    ('7', 't'),
    ('8', 'b'),
    ('9', 'g'),
    ('@', 'a'),
    ('$', 's'),
    ('!', 'i'),
    ('|', 'i'),
];

fn leet(c: char) -> Option<char> {
    LEET.iter().find(|(from, _)| *from == c).map(|(_, to)| *to)
}

/// Characters that render as nothing (or nearly): dropped before judging.
fn is_ignorable(c: char) -> bool {
    crate::sanitize::is_stripped(c)
        || matches!(c,
            '\u{034F}'              // combining grapheme joiner
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{E0100}'..='\u{E01EF}'
            | '\u{E0000}'..='\u{E007F}' // tags
            | '\u{2028}' | '\u{2029}')
}

/// The ASCII stand-in for one non-ASCII character, if it has one: its confusable prototype
/// when that is ASCII letters or digits, else the character without its accents.
fn ascii_stand_in(c: char, out: &mut String) -> bool {
    let mut buf = [0u8; 4];
    let proto: String = uts39_skeleton(c.encode_utf8(&mut buf))
        .filter(|p| !is_combining_mark(*p))
        .collect();
    if !proto.is_empty() && proto.chars().all(|p| p.is_ascii_alphanumeric()) {
        out.push_str(&proto);
        return true;
    }
    let bare: String = std::iter::once(c)
        .nfd()
        .filter(|p| !is_combining_mark(*p))
        .collect();
    if !bare.is_empty() && bare.chars().all(|p| p.is_ascii_alphanumeric()) {
        out.push_str(&bare);
        return true;
    }
    false
}

/// NFKC, invisible characters dropped, lookalikes replaced by their ASCII prototypes (see
/// the module docs). Case and punctuation kept; pure ASCII input is returned as is.
pub fn fold(s: &str) -> String {
    if s.is_ascii() && !s.chars().any(is_ignorable) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !is_ignorable(*c)).nfkc() {
        match c {
            c if is_ignorable(c) => {}
            c if c.is_ascii() => out.push(c),
            // Typographic quotes and dashes people use in place of ASCII ones.
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{00B4}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{2033}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2022}' | '\u{00B7}' | '\u{2024}' | '\u{3002}' => out.push('.'),
            c if c.is_whitespace() => out.push(' '),
            c => {
                if !ascii_stand_in(c, &mut out) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters (and digits other than a plain number).
    Word,
    /// Only digits, written as digits.
    Digits,
    /// Digits that were written as number words (`five`, `oh`).
    Spelled,
}

/// One token of [`Normalised`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Lower-case ASCII (or other letters that have no ASCII stand-in).
    pub text: String,
    /// Whether it is a word, a number in digits or a number spelled out.
    pub kind: TokenKind,
    /// The separator characters between the previous token and this one, as folded
    /// (whitespace collapsed to one space).
    pub gap: String,
    /// True when leet was folded in this token.
    pub leet: bool,
    /// True when this token was joined from spaced letters (`i m o n l y` → `imonly`): its
    /// word boundaries are lost.
    pub despaced: bool,
}

impl Token {
    /// Whether the token is a number, in digits or spelled out (phone numbers and ages are
    /// found on these).
    pub fn is_number(&self) -> bool {
        matches!(self.kind, TokenKind::Digits | TokenKind::Spelled)
    }

    /// The value of a number token of up to 9 digits.
    pub fn value(&self) -> Option<u32> {
        if self.is_number() && self.text.len() <= 9 {
            self.text.parse().ok()
        } else {
            None
        }
    }
}

/// A text ready to be judged: see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// [`fold`] of the text: case and punctuation kept.
    pub plain: String,
    /// The text's tokens in order: words and numbers with leet, number words and spaced
    /// letters folded.
    pub tokens: Vec<Token>,
    /// The tokens joined by single spaces, with a space at both ends, so phrases match on
    /// word boundaries: `" im 15 yo "`.
    pub words: String,
    /// The byte offset in `words` where each token starts.
    starts: Vec<usize>,
}

impl Normalised {
    /// The index of the token at byte `offset` of [`Normalised::words`] (the next token
    /// when the offset is a space).
    pub fn token_at(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1).min(self.tokens.len().saturating_sub(1)),
        }
    }

    /// The tokens joined with their (folded) gaps: like the text, lower-cased, leet folded,
    /// de-spaced and with numbers as digits, punctuation kept: `"jane at example dot com"`,
    /// `"discord: jane_doe"`.
    pub fn folded(&self) -> String {
        let mut out = String::with_capacity(self.words.len() + 16);
        for t in &self.tokens {
            out.push_str(&t.gap);
            out.push_str(&t.text);
        }
        out
    }

    /// Runs of number tokens separated only by phone-like separators (spaces, `.`, `-`,
    /// `(`, `)`, `/`, `+`, `,`): the candidates for phone numbers written in disguise.
    pub fn digit_runs(&self) -> Vec<DigitRun> {
        let mut runs = Vec::new();
        let mut cur: Option<DigitRun> = None;
        for t in &self.tokens {
            if t.is_number() {
                let joinable = cur.is_some() && phone_gap(&t.gap);
                match (&mut cur, joinable) {
                    (Some(run), true) => run.push(t),
                    _ => {
                        if let Some(run) = cur.take() {
                            runs.push(run);
                        }
                        let mut run = DigitRun {
                            lead: t.gap.trim().chars().last(),
                            ..DigitRun::default()
                        };
                        run.push(t);
                        cur = Some(run);
                    }
                }
            } else if let Some(run) = cur.take() {
                runs.push(run);
            }
        }
        runs.extend(cur);
        runs
    }
}

/// A separator that may sit inside a phone number.
fn phone_gap(gap: &str) -> bool {
    gap.chars().count() <= 4
        && gap
            .chars()
            .all(|c| matches!(c, ' ' | '.' | '-' | '(' | ')' | '/' | '+' | ',' | '_' | '*'))
}

/// A run of numbers, see [`Normalised::digit_runs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigitRun {
    /// All the digits, in order.
    pub digits: String,
    /// Each group's digit count.
    pub groups: Vec<usize>,
    /// The separators between groups (trimmed of spaces; empty for a space).
    pub seps: Vec<String>,
    /// Some group was written in words.
    pub spelled: bool,
    /// The last non-space character before the run (`$`, `+`, …).
    pub lead: Option<char>,
}

impl DigitRun {
    fn push(&mut self, t: &Token) {
        if !self.groups.is_empty() {
            self.seps.push(t.gap.trim().to_owned());
        }
        self.digits.push_str(&t.text);
        self.groups.push(t.text.len());
        self.spelled |= t.kind == TokenKind::Spelled;
    }

    /// True when the run reads as a phone number: seven or more digits in two or more
    /// groups (or one group of ten or more), and not a list of years, a date, an amount
    /// with thousands separators, or a decimal.
    pub fn is_phone_like(&self) -> bool {
        let n = self.digits.len();
        if n < 7 || matches!(self.lead, Some('$' | '€' | '£' | '#')) {
            return false;
        }
        if self.groups.len() == 1 {
            return n >= 10;
        }
        if self.spelled {
            return true;
        }
        // 1,000,000 and 1.000.000
        let thousands = self.groups.iter().skip(1).all(|g| *g == 3)
            && self.groups.first().is_some_and(|g| *g <= 3)
            && self.seps.iter().all(|s| s == "," || s == ".")
            && self.seps.iter().all(|s| Some(s) == self.seps.first());
        if thousands {
            return false;
        }
        // Years and dates: 2015 2019, 2024-12-25, 12/25/2024.
        let mut at = 0;
        let mut yearish = 0;
        let mut small = 0;
        for g in &self.groups {
            let part = &self.digits[at..at + g];
            at += g;
            if *g == 4 && (part.starts_with("19") || part.starts_with("20")) {
                yearish += 1;
            } else if *g <= 2 {
                small += 1;
            }
        }
        if yearish > 0 && yearish + small == self.groups.len() && small <= 2 {
            return false;
        }
        true
    }
}

const UNITS: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];
const TEENS: &[&str] = &[
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: &[&str] = &[
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// The value of a number word (`oh` and `o` excluded: they are zero only beside numbers).
fn number_word(w: &str) -> Option<u32> {
    let idx = |list: &[&str]| list.iter().position(|x| *x == w);
    if let Some(i) = idx(UNITS) {
        return u32::try_from(i).ok();
    }
    if let Some(i) = idx(TEENS) {
        return u32::try_from(i + 10).ok();
    }
    if let Some(i) = idx(TENS) {
        return u32::try_from(i * 10 + 20).ok();
    }
    match w {
        "fourty" => Some(40),
        "nought" | "nil" => Some(0),
        _ => None,
    }
}

/// Units a number may carry glued to it: `15yo`, `16f`, `9th`, `200hr`.
const NUMBER_SUFFIXES: &[&str] = &[
    "am", "cm", "f", "ft", "h", "hr", "hrs", "ish", "k", "kg", "km", "lbs", "m", "mg", "mins",
    "nd", "pm", "rd", "s", "st", "th", "usd", "x", "y", "yo", "yr", "yrs",
];
/// Letters that may lead a number: `f16`, `m15`, `age15`.
const NUMBER_PREFIXES: &[&str] = &["age", "f", "m", "x"];

/// Splits a raw token into (text, kind, leet) pieces.
fn classify(raw: &str, out: &mut Vec<(String, TokenKind, bool)>) {
    let lower: String = raw
        .chars()
        .filter(|c| !matches!(c, '\'' | '`'))
        .flat_map(char::to_lowercase)
        .collect();
    if lower.is_empty() {
        return;
    }
    let has_digit = lower.chars().any(|c| c.is_ascii_digit());
    let has_symbol = lower.chars().any(is_leet_symbol);
    let has_letter = lower.chars().any(char::is_alphabetic);
    if !has_digit && !has_symbol {
        out.push((lower, TokenKind::Word, false));
        return;
    }
    if has_digit && !has_letter && !has_symbol {
        out.push((lower, TokenKind::Digits, false));
        return;
    }
    // A number with a unit: 15yo, 200hr, 9th / f16, age15.
    let digit_end = lower
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(lower.len(), |(i, _)| i);
    if digit_end > 0 && NUMBER_SUFFIXES.contains(&&lower[digit_end..]) {
        out.push((lower[..digit_end].to_owned(), TokenKind::Digits, false));
        out.push((lower[digit_end..].to_owned(), TokenKind::Word, false));
        return;
    }
    let digit_start = lower
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(lower.len(), |(i, _)| i);
    if digit_start > 0
        && NUMBER_PREFIXES.contains(&&lower[..digit_start])
        && lower[digit_start..].chars().all(|c| c.is_ascii_digit())
    {
        out.push((lower[..digit_start].to_owned(), TokenKind::Word, false));
        out.push((lower[digit_start..].to_owned(), TokenKind::Digits, false));
        return;
    }
    // Digits with a stray o / l / i: a phone number in leet (O132, l5).
    let digits = lower.chars().filter(char::is_ascii_digit).count();
    let strays = lower
        .chars()
        .filter(|c| matches!(c, 'o' | 'l' | 'i'))
        .count();
    if digits + strays == lower.chars().count() && digits >= strays && digits > 0 {
        let text = lower
            .chars()
            .map(|c| match c {
                'o' => '0',
                'l' | 'i' => '1',
                c => c,
            })
            .collect();
        out.push((text, TokenKind::Digits, true));
        return;
    }
    // Leet: fold digits and symbols to letters.
    let text: String = lower.chars().map(|c| leet(c).unwrap_or(c)).collect();
    out.push((text, TokenKind::Word, true));
}

/// True for a character that may sit inside a token as leet (`s3x`, `k!ll`, `a$$`).
fn is_leet_symbol(c: char) -> bool {
    matches!(c, '@' | '$' | '!' | '|')
}

/// Cuts folded text into raw tokens with their gaps.
fn raw_tokens(plain: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = plain.chars().collect();
    let mut out = Vec::new();
    let mut gap = String::new();
    let mut tok = String::new();
    let word_char = |c: char| c.is_alphanumeric();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let inside = !tok.is_empty();
        let keep = word_char(c)
            // an apostrophe between letters: I'm, don't
            || (matches!(c, '\'' | '`') && inside && next.is_some_and(char::is_alphabetic))
            // leet symbols between word characters, or `$` ending a word (a$$)
            || (is_leet_symbol(c)
                && inside
                && (next.is_some_and(|n| word_char(n) || is_leet_symbol(n))
                    || (c == '$' && prev.is_some_and(|p| p.is_alphabetic() || p == '$'))
                    || (c == '!' && prev.is_some_and(|p| p.is_alphabetic()) && next.is_some_and(char::is_alphabetic))));
        if keep {
            tok.push(c);
        } else {
            if !tok.is_empty() {
                out.push((std::mem::take(&mut gap), std::mem::take(&mut tok)));
            }
            if c.is_whitespace() {
                if !gap.ends_with(' ') {
                    gap.push(' ');
                }
            } else {
                gap.push(c);
            }
        }
    }
    if !tok.is_empty() {
        out.push((gap, tok));
    }
    out
}

/// Normalises `text` for judging (see the module docs).
pub fn normalise(text: &str) -> Normalised {
    let plain = fold(text);
    let mut tokens: Vec<Token> = Vec::new();
    let mut pieces = Vec::with_capacity(4);
    for (gap, raw) in raw_tokens(&plain) {
        pieces.clear();
        classify(&raw, &mut pieces);
        for (i, (t, kind, leet)) in pieces.drain(..).enumerate() {
            tokens.push(Token {
                text: t,
                kind,
                gap: if i == 0 { gap.clone() } else { String::new() },
                leet,
                despaced: false,
            });
        }
    }
    let tokens = number_words(despace(tokens));
    let mut words = String::with_capacity(plain.len() + 2);
    let mut starts = Vec::with_capacity(tokens.len());
    words.push(' ');
    for t in &tokens {
        starts.push(words.len());
        words.push_str(&t.text);
        words.push(' ');
    }
    Normalised {
        plain,
        tokens,
        words,
        starts,
    }
}

/// Joins three or more one-character tokens in a row, spaced alike, when at least two are
/// letters (`s e x`, `d.i.s.c.o.r.d`, `k 1 d s`); digits among them are read as leet.
/// Digits that end such a run are one number (`i m o n l y 1 5` → `imonly 15`). A change of
/// separator ends a run (`j.a.n.e @ g m a i l . c o m` → `jane @ gmail . com`).
fn despace(tokens: Vec<Token>) -> Vec<Token> {
    let single = |t: &Token| t.kind != TokenKind::Spelled && t.text.chars().count() == 1;
    let joinable = |g: &str| {
        g.chars().count() <= 3
            && g.chars()
                .all(|c| matches!(c, ' ' | '.' | '-' | '_' | '*' | ',' | '/' | '~' | '+'))
    };
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let mut j = i + 1;
        if single(&tokens[i])
            && let Some(run_gap) = tokens.get(i + 1).map(|t| t.gap.as_str())
            && joinable(run_gap)
        {
            while j < tokens.len() && single(&tokens[j]) && tokens[j].gap == run_gap {
                j += 1;
            }
        }
        let (mut a, mut b) = (i, j);
        while a < b && tokens[a].kind == TokenKind::Digits {
            a += 1;
        }
        while b > a && tokens[b - 1].kind == TokenKind::Digits {
            b -= 1;
        }
        let letters = tokens[a..b]
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .count();
        if b - a < 3 || letters < 2 {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        out.extend(tokens[i..a].iter().cloned());
        let mut joined = tokens[a].clone();
        joined.text.clear();
        joined.kind = TokenKind::Word;
        joined.despaced = true;
        for t in &tokens[a..b] {
            joined
                .text
                .extend(t.text.chars().map(|c| leet(c).unwrap_or(c)));
            joined.leet |= t.kind == TokenKind::Digits;
        }
        out.push(joined);
        if j - b >= 2 {
            let mut number = tokens[b].clone();
            for t in &tokens[b + 1..j] {
                number.text.push_str(&t.text);
            }
            out.push(number);
        } else {
            out.extend(tokens[b..j].iter().cloned());
        }
        i = j;
    }
    out
}

/// Number words to digits (see the module docs).
fn number_words(mut tokens: Vec<Token>) -> Vec<Token> {
    for t in &mut tokens {
        if t.kind == TokenKind::Word
            && let Some(v) = number_word(&t.text)
        {
            t.text = v.to_string();
            t.kind = TokenKind::Spelled;
        }
    }
    // `oh` / `o` as zero beside another number.
    for i in 0..tokens.len() {
        if tokens[i].kind == TokenKind::Word && matches!(tokens[i].text.as_str(), "oh" | "o") {
            let prev = i.checked_sub(1).and_then(|j| tokens.get(j));
            let next = tokens.get(i + 1);
            if prev.is_some_and(Token::is_number) || next.is_some_and(Token::is_number) {
                tokens[i].text = "0".to_owned();
                tokens[i].kind = TokenKind::Spelled;
            }
        }
    }
    // twenty one → 21
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if t.kind == TokenKind::Spelled
            && t.text.len() == 1
            && t.text != "0"
            && matches!(t.gap.as_str(), " " | "-")
            && let Some(prev) = out.last_mut()
            && prev.kind == TokenKind::Spelled
            && prev.text.len() == 2
            && prev.text.ends_with('0')
            && prev.text != "10"
        {
            prev.text.pop();
            prev.text.push_str(&t.text);
            continue;
        }
        out.push(t);
    }
    out
}

/// The key on which two handles collide: [`fold`], lower case, leet folded everywhere,
/// `l`/`1`/`|`/`!` as `i`, only letters and digits kept, then the UTS #39 skeleton.
/// `matchmakеr` (Cyrillic `е`), `M4tchmaker`, `ｍａｔｃｈｍａｋｅｒ`, `match maker` and
/// `matchrnaker` all have the key of `matchmaker`.
pub fn handle_key(handle: &str) -> String {
    let folded: String = fold(handle)
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| leet(c).unwrap_or(c))
        .map(|c| if c == 'l' { 'i' } else { c })
        .filter(|c| c.is_alphanumeric())
        .collect();
    uts39_skeleton(&folded).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> String {
        normalise(s).words.trim().to_owned()
    }

    #[test]
    fn fold_undoes_width_math_letters_and_lookalikes() {
        assert_eq!(fold("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "jane@example.com");
        assert_eq!(fold("𝐣𝐚𝐧𝐞 ⓙⓐⓝⓔ"), "jane jane");
        // Cyrillic а, е, о, р, с; Greek ο, ν
        assert_eq!(fold("\u{0430}\u{0435}\u{043E}\u{0440}\u{0441}"), "aeopc");
        assert_eq!(fold("\u{03BF}"), "o");
        assert_eq!(fold("café naïve"), "cafe naive");
        assert_eq!(fold("s\u{200B}e\u{00AD}x"), "sex");
        assert_eq!(fold("plain ascii: stays!"), "plain ascii: stays!");
        assert_eq!(fold("don’t"), "don't");
    }

    #[test]
    fn leet_is_folded_in_mixed_tokens_only() {
        assert_eq!(words("s3x k!ll a$$ n00dz"), "sex kill ass noodz");
        assert_eq!(words("I'm 15, born 2009"), "im 15 born 2009");
        assert_eq!(
            words("15yo 16F f17 9th 200/hr"),
            "15 yo 16 f f 17 9 th 200 hr"
        );
        assert_eq!(words("call 555 O132"), "call 555 0132");
        assert!(normalise("s3x").tokens[0].leet);
    }

    #[test]
    fn spaced_letters_are_joined() {
        assert_eq!(words("s e x"), "sex");
        assert_eq!(words("add me on d.i.s.c.o.r.d"), "add me on discord");
        assert_eq!(words("k-i-d-s"), "kids");
        assert_eq!(words("a b"), "a b");
        assert_eq!(words("i m o n l y 1 5"), "imonly 15");
        assert_eq!(
            normalise("j.a.n.e @ g m a i l . c o m").folded(),
            "jane @ gmail . com"
        );
    }

    #[test]
    fn number_words_become_digits() {
        assert_eq!(words("five five five, oh one three two"), "5 5 5 0 1 3 2");
        assert_eq!(words("I'm fifteen"), "im 15");
        assert_eq!(words("twenty-one and forty two"), "21 and 42");
        assert_eq!(words("oh well"), "oh well");
    }

    #[test]
    fn phone_numbers_in_disguise_are_digit_runs() {
        let phone = |s: &str| {
            normalise(s)
                .digit_runs()
                .iter()
                .any(DigitRun::is_phone_like)
        };
        for t in [
            "five five five one two three four",
            "4 1 5 5 5 5 0 1 3 2",
            "call 415.555.0132",
            "(four one five) five five five - oh one three two",
            "４１５５５５０１３２",
            "4l5 555 Ol32",
        ] {
            assert!(phone(t), "{t}");
        }
        for t in [
            "Born in 1990, I moved twice: 2015 and 2019.",
            "I lived there 2015 2019 2021",
            "married 2012-06-30",
            "I once won $1,000,000 in monopoly money",
            "I have 2 dogs, 3 cats and 1 parrot",
            "5'9\", 31 years old, 10 miles",
            "one of the best, one two punch",
        ] {
            assert!(!phone(t), "{t}");
        }
    }

    #[test]
    fn handle_keys_collide_on_lookalikes() {
        let key = handle_key("matchmaker");
        for h in [
            "matchmak\u{0435}r",
            "M4tchmaker",
            "ｍａｔｃｈｍａｋｅｒ",
            "Match Maker",
            "match_maker",
            "matchrnaker",
            "MATCHMAKER",
        ] {
            assert_eq!(handle_key(h), key, "{h}");
        }
        assert_eq!(handle_key("1shtar"), handle_key("ishtar"));
        assert_eq!(handle_key("lshtar"), handle_key("Ishtar"));
        assert_eq!(handle_key("adm1n"), handle_key("admin"));
        assert_ne!(handle_key("matchmakers"), key);
        assert_ne!(handle_key("wren"), key);
    }
}
