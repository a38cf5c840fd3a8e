//! The chaperone (docs/rules.md#the-chaperone): every write that can be published passes here.
//!
//! Pure rules first — the operator's denylist, then personal-data screening — then the
//! [`Guard`] port (a safety classifier). Fail-closed: a guard that errors, times out or
//! answers something unreadable yields a recoverable [`Verdict::Hold`], never an allow; so
//! does a guard that is unsure ([`GuardVerdict::Unsure`]): the item waits for review.
//!
//! Both rule gates judge the text after [`textnorm::normalise`] too, so contact details in
//! disguise (full-width, lookalike letters, `at`/`dot`, number words, spaced digits, leet,
//! "add me on discord") are caught here whatever guard is configured.

use std::fmt;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use time::OffsetDateTime;

use crate::ports::{ChaperoneEntry, ChaperoneLog, Guard, GuardVerdict, Surface};
use crate::textnorm;

/// The chaperone's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Publishable: no rule matched and the guard answered safe.
    Allow,
    /// Could not be checked; retried later. The reason names the gate.
    Hold(String),
    /// Confirmed not publishable. The reason names the gate.
    Deny(String),
}

impl Verdict {
    /// `allow`, `hold` or `deny`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Hold(_) => "hold",
            Verdict::Deny(_) => "deny",
        }
    }

    /// The reason shown to the agent (`"allowed"` for an allow).
    pub fn reason(&self) -> &str {
        match self {
            Verdict::Allow => "allowed",
            Verdict::Hold(r) | Verdict::Deny(r) => r,
        }
    }

    /// Whether the text may be published.
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow)
    }
}

impl ChaperoneEntry {
    /// The log line for `verdict` on a write of `target_type`.
    pub fn new(
        surface: Surface,
        target_type: &'static str,
        target_id: Option<i64>,
        verdict: &Verdict,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            surface,
            target_type,
            target_id,
            verdict: verdict.kind(),
            reason: verdict.reason().to_owned(),
            at,
        }
    }
}

/// Lower-cases and turns every run of non-alphanumerics into one space, with a space at
/// both ends, so phrases match on word boundaries whatever the punctuation
/// (`"Sugar-Daddy!"` → `" sugar daddy "`).
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// Why a denylist setting was refused; the message is what the operator is shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenylistError {
    /// An entry is longer than 200 characters.
    #[error("a denylist entry is longer than 200 characters")]
    TooLong,
    /// An entry has a label but no phrase (the entry as written).
    #[error("denylist entry {0:?} has no phrase")]
    NoPhrase(String),
}

/// Operator-editable denied phrases, each with the label the deny reason shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Denylist {
    /// (label, phrase by [`normalise`], phrase by [`textnorm::normalise`]), both with edge
    /// spaces.
    entries: Vec<(String, String, String)>,
}

impl Denylist {
    /// Parses `label: phrase` entries, one a line or `;`-separated. An entry without a
    /// label is its own label.
    ///
    /// # Errors
    /// [`DenylistError`] when an entry is longer than 200 characters or has no phrase after
    /// its label.
    pub fn parse(text: &str) -> Result<Self, DenylistError> {
        let mut entries = Vec::new();
        for raw in text
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if raw.chars().count() > 200 {
                return Err(DenylistError::TooLong);
            }
            let (label, phrase) = match raw.split_once(':') {
                Some((l, p)) => (l.trim(), p.trim()),
                None => (raw, raw),
            };
            let norm = normalise(phrase);
            if norm.trim().is_empty() {
                return Err(DenylistError::NoPhrase(raw.to_owned()));
            }
            let words = textnorm::normalise(phrase).words;
            entries.push((label.to_owned(), norm, words));
        }
        Ok(Self { entries })
    }

    /// The label of the first entry found in `text`, as written or after
    /// [`textnorm::normalise`] (so `sug4r d-a-d-d-y` is found too).
    pub fn find(&self, text: &str) -> Option<&str> {
        if self.entries.is_empty() {
            return None;
        }
        self.find_normalised(text, &textnorm::normalise(text))
    }

    /// [`Denylist::find`] on a text already normalised.
    pub fn find_normalised(&self, text: &str, norm: &textnorm::Normalised) -> Option<&str> {
        if self.entries.is_empty() {
            return None;
        }
        let plain = normalise(text);
        self.entries
            .iter()
            .find(|(_, phrase, words)| {
                plain.contains(phrase.as_str())
                    || (words.trim() != "" && norm.words.contains(words.as_str()))
            })
            .map(|(label, _, _)| label.as_str())
    }

    /// How many entries the list has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entries (then it never matches).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Top-level domains the spelled-out forms (`example dot com`) are matched against.
const TLDS: &str = "com|net|org|io|me|co|app|xyz|ly|gg|dev|link|site|info|biz|page|bio|tv|uk|de|fr|ru|edu|us|ca|au|online|club|live|fm|to|cc|ai|sh";

/// Platforms whose name alone says "contact me elsewhere".
const PLATFORMS: &str = "discord|snapchat|snap chat|instagram|insta gram|telegram|tele gram|whatsapp|whats app|kik|onlyfans|only fans|fansly|cashapp|cash app|venmo|wechat|skype|tiktok|paypal|zelle|viber|wickr|threema|imessage|facetime|hinge|tinder|bumble|grindr|twitter|linkedin|reddit|twitch|facebook|messenger|session app|line app|line id|kakao|kakaotalk|element|matrix id|keybase|teams|bluesky|mastodon|tumblr|patreon|substack|hangouts|google meet|google chat|zoom call|zoom link|feeld|raya|okcupid|badoo|happn|bird app|the gram|ghost app|blue app|green app";
/// Short or everyday names of platforms: they count only with a clear contact cue.
const PLATFORMS_WEAK: &str =
    "snap|sc|insta|ig|gram|tg|tele|signal|fb|wa|whatsap|watsapp|wapp|kick|dc|cord|x";

/// A pattern list: each kind with its regex, first match wins.
struct Patterns {
    set: regex::RegexSet,
    kinds: Vec<&'static str>,
}

impl Patterns {
    #[expect(clippy::unwrap_used, reason = "constant patterns, covered by tests")]
    fn new(list: &[(&'static str, String)]) -> Self {
        Self {
            set: regex::RegexSet::new(list.iter().map(|(_, re)| re.as_str())).unwrap(),
            kinds: list.iter().map(|(k, _)| *k).collect(),
        }
    }

    fn first(&self, text: &str) -> Option<&'static str> {
        self.first_where(text, |_| true)
    }

    /// The kind of the first pattern that matches and whose kind `keep` accepts.
    fn first_where(&self, text: &str, keep: impl Fn(&str) -> bool) -> Option<&'static str> {
        self.set
            .matches(text)
            .iter()
            .filter_map(|i| self.kinds.get(i).copied())
            .find(|k| keep(k))
    }
}

/// The classic forms, matched on the text as written and on its [`textnorm::fold`].
static PII: LazyLock<Patterns> = LazyLock::new(|| {
    let list: Vec<(&'static str, String)> = vec![
        ("email", r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}".into()),
        (
            "email",
            r"(?i)\b[a-z0-9._%+-]+\s*[\[(]\s*at\s*[\])]\s*[a-z0-9-]+\s*[\[(]\s*dot\s*[\])]\s*[a-z]{2,}".into(),
        ),
        ("url", r"(?i)\b(https?://|www\.)\S+".into()),
        (
            "url",
            r"(?i)\b[a-z0-9][a-z0-9-]*\.(com|net|org|io|me|co|app|xyz|ly|gg|dev|link|site|info|biz|page|bio)\b(/\S*)?".into(),
        ),
        ("phone number", r"\+\d[\d\s().-]{7,}\d".into()),
        ("phone number", r"\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b".into()),
        (
            "social handle",
            format!(r"(?i)\b(tg|telegram|insta|instagram|ig|snap|snapchat|twitter|whatsapp|discord|signal|kik|onlyfans|tiktok|wechat|line|{PLATFORMS})\s*[:=]\s*@?[a-z0-9_.]{{2,}}"),
        ),
        ("social handle", r"(?i)(^|[\s(\[,;:])@[a-z0-9_][a-z0-9_.]{1,}".into()),
        // "drop your @", "what's ur @?"
        ("contact request", r"(?i)\b(?:your|ur|my|yr)\s+@(?:\s|$|[?.,!])".into()),
        // discord tags (name#1234) and payment tags ($name)
        ("social handle", r"(?i)\b[a-z0-9_.]{2,32}#\d{4}\b".into()),
        ("social handle", r"(?i)(^|[\s(\[,;:])\$[a-z][a-z0-9_-]{2,}".into()),
        ("wallet address", r"\b0x[a-fA-F0-9]{40}\b".into()),
        ("wallet address", r"\bbc1[a-z0-9]{25,60}\b".into()),
        ("wallet address", r"(?i)\b[a-z0-9-]{3,}\.eth\b".into()),
        (
            "street address",
            r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square)\b".into(),
        ),
    ];
    Patterns::new(&list)
});

/// Spelled-out and spaced forms, matched on the folded text (lower case, leet folded,
/// numbers as digits, punctuation kept).
static PII_SPELLED: LazyLock<Patterns> = LazyLock::new(|| {
    let at = r"(?:@|[\[({<]\s*at\s*[\])}>]|\bat\b(?:\s*sign\b)?|\bat\s*symbol\b)";
    let dot = r"(?:\.|[\[({<]\s*dot\s*[\])}>]|\bdot\b|\bpunto\b|\bpunkt\b|\bpoint\b)";
    let list: Vec<(&'static str, String)> = vec![
        (
            "email",
            format!(
                r"\b[a-z0-9._%+-]{{2,}}\s*{at}\s*[a-z0-9-]{{2,}}(?:\s*{dot}\s*[a-z0-9-]{{2,}})*?\s*{dot}\s*(?:{TLDS})\b"
            ),
        ),
        (
            "email",
            format!(
                r"\b[a-z0-9._%+-]{{2,}}\s*{at}\s*(?:gmail|googlemail|yahoo|hotmail|outlook|protonmail|proton|icloud|aol|gmx|yandex|zoho|fastmail|tutanota)\b"
            ),
        ),
        (
            "url",
            r"\b(?:h\s*t\s*t\s*p\s*s?|w\s*w\s*w)\s*(?::\s*/\s*/|\bdot\b|\.)".into(),
        ),
        (
            "social handle",
            // `insta: wren`, `ig - wren`, `tg -> wren`; not `instagram-free`
            format!(
                r"\b(?:{PLATFORMS}|{PLATFORMS_WEAK})(?:\s*[:=>]|\s+[-–]|\s*->|\s*→)\s*@?[a-z0-9_.]{{3,}}"
            ),
        ),
        (
            "social handle",
            format!(r"\b(?:{PLATFORMS}|{PLATFORMS_WEAK})\s+@[a-z0-9_.]{{2,}}"),
        ),
    ];
    Patterns::new(&list)
});

/// Invitations to a platform or to swap details, matched on the words view (lower-case
/// tokens separated by single spaces).
static CONTACT_CUES: LazyLock<Patterns> = LazyLock::new(|| Patterns::new(&contact_cue_list()));

fn contact_cue_list() -> Vec<(&'static str, String)> {
    let strong = PLATFORMS;
    let any = format!("{PLATFORMS}|{PLATFORMS_WEAK}");
    let ask = "add|find|follow|hit|msg|message|dm|text|txt|ping|reach|contact|call|friend|catch|chat|talk|holla|hmu|look|search|sub|subscribe|subscribed|write|slide|slide into|join|meet|see|facetime|video|vc|voice";
    vec![
        (
            "social handle",
            format!(r" (?:{ask})(?: with)?(?: me| us)?(?: up)?(?: on| at| via| over| thru| through| in| into)(?: my| the| our)? (?:{any}) "),
        ),
        ("social handle", format!(r" hmu (?:on |at |via )?(?:{any}) ")),
        (
            "social handle",
            format!(r" (?:my|our|me on|me at) (?:{any})(?: handle| username| user name| user| name| id| tag| addy| at| link| dms?| inbox| in bio| in my bio| below| above| same as)"),
        ),
        (
            "social handle",
            format!(r" (?:{strong}|snap|insta|ig|tg|kik) (?:me|handle|username|user name|userid|user id|id|tag|addy|dms?|inbox)(?: |$)"),
        ),
        (
            "social handle",
            format!(r" (?:move|take|switch|continue|go|hop|jump|come|get|chat|talk|text|message|carry on|swap|exchange|trade|migrate|shift|head)(?: this| it| things| us| we| the convo| the conversation| the chat| our chat| our convo| over| somewhere| off here| off this)* (?:to|on|onto|over to|over on|in|into|via)(?: my| the)? (?:{strong}|snap|insta|ig|tg|signal|kik) "),
        ),
        (
            "social handle",
            format!(r" (?:are you|r u|ru|you|u|ya|are u|is your|do you have|you got|u got|got) (?:on )?(?:{strong}) "),
        ),
        (
            // "telegram or signal?": asks which, like a request for details
            "contact request",
            format!(r" (?:{strong}|signal|telegram|tg) (?:or|and) (?:{any}) "),
        ),
        (
            "social handle",
            format!(r" (?:im|i m|i am|find me|catch me|look me up|look for me|search for me|me) on (?:{any}) (?:as|under|at|its|it s|username|name|handle|same) "),
        ),
        (
            "social handle",
            r" (?:my|our|check out my|sub to my|subscribe to my|join my) (?:onlyfans|only fans|fansly|manyvids|chaturbate|of page|0f page|patreon) ".into(),
        ),
        (
            "contact request",
            // not "what's your number one movie"
            r" (?:give me|send me|send|drop|drop me|share|exchange|swap|trade|pass me|slip me|text me|dm me|whats|what is|can i get|can i have|may i have|could i get|get) (?:your|ur|my|our|yours|numbers|emails)(?: real| personal| cell| mobile| private| phone)? (?:phone|number|numbers|digits|cell|mobile|email|emails|e mail|socials|handle|handles|contact|contacts|contact info|contact details|address|addy|whatsapp|snap|insta|telegram|discord|signal|kik|number too|info)(?: +$| [^0-9 ])".into(),
        ),
        (
            "contact request",
            r" (?:call|text|txt|ring|phone|whatsapp|imessage|message|reach) me (?:at|on) (?:[0-9]|plus|\+)".into(),
        ),
        (
            "contact request",
            r" (?:off|outside|away from) (?:this|the|here|ishtar|the venue|this app|this site|this platform|platform|venue)(?: app| site| platform| venue)? (?:and|so|to|where|we can|lets|let s) ".into(),
        ),
        (
            "contact request",
            r" (?:lets|let s|we should|wanna|want to|can we|could we) (?:go|move|take this|take it|talk|chat|continue|move this|get) (?:off|outside)(?: of)? (?:here|this|the app|the site|platform|ishtar|the venue|venue|app) ".into(),
        ),
        ("social handle", r" link in (?:my |the )?bio ".into()),
        (
            "contact request",
            // "let's take this somewhere else", "find me elsewhere"
            r" (?:take|move|continue|talk|chat|text|dm|dms|message|find|reach|look|add|follow|hit)(?: \w+){0,4} (?:somewhere else|elsewhere|another app|a different app|the other app|off here|off this app|outside this app|outside here|outside the app) ".into(),
        ),
        (
            "contact request",
            // "I'll send you my number if you send yours"
            r" (?:send|give|text|dm|pass|slip) you my (?:number|digits|email|cell|phone|socials|handle|snap|insta|whatsapp|telegram|discord) ".into(),
        ),
        (
            "email",
            // "my name at the big g mail"
            r" (?:at|on) (?:the )?(?:big )?(?:g|gee) ?mail ".into(),
        ),
    ]
}

/// [`CONTACT_CUES`] with `l` read as `i`, for texts with leet (`te1egram`, `onIyfans`).
static CONTACT_CUES_LEET: LazyLock<Patterns> = LazyLock::new(|| {
    let list: Vec<(&'static str, String)> = contact_cue_list()
        .into_iter()
        .map(|(k, p)| (k, p.replace('l', "i")))
        .collect();
    Patterns::new(&list)
});

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static SPACED_AROUND_AT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*([@.])\s*").unwrap());

/// The kind of the first piece of personal data found in `text`, if any. Contact details
/// are found after normalisation ([`textnorm`]): full-width and lookalike letters, `at`/`dot`
/// spelled out, digits as words or spaced apart, leet, and invitations to another platform.
pub fn find_pii(text: &str) -> Option<&'static str> {
    find_pii_normalised(text, &textnorm::normalise(text))
}

/// [`find_pii`] on a text already normalised (`norm` must be `textnorm::normalise(text)`).
pub fn find_pii_normalised(text: &str, norm: &textnorm::Normalised) -> Option<&'static str> {
    if let Some(kind) = PII.first(text) {
        return Some(kind);
    }
    if norm.plain != text
        && let Some(kind) = PII.first(&norm.plain)
    {
        return Some(kind);
    }
    // `jane @ example . com`
    if norm.plain.contains('@') {
        let squeezed = SPACED_AROUND_AT.replace_all(&norm.plain, "$1");
        if let Some(kind) = PII.first(&squeezed).filter(|k| *k == "email") {
            return Some(kind);
        }
    }
    let folded = norm.folded();
    if let Some(kind) = PII_SPELLED.first(&folded) {
        return Some(kind);
    }
    if spelled_domain(&folded) {
        return Some("url");
    }
    if norm
        .digit_runs()
        .iter()
        .any(textnorm::DigitRun::is_phone_like)
    {
        return Some("phone number");
    }
    // Soft cues (a request to swap details, a platform beside a talk word) give way to a
    // text that says it stays here ("I won't share my number until the venue introduces
    // us", "I'm on discord for gaming but let's keep chatting here"); the classifier still
    // reads it. Handles, numbers, addresses and invitations to a platform always count.
    let soft = |k: &str| !(k == "contact request" && stays_here(norm));
    if let Some(kind) = CONTACT_CUES.first_where(&norm.words, soft) {
        return Some(kind);
    }
    let leet = norm.tokens.iter().any(|t| t.leet);
    let leet_words = leet.then(|| norm.words.replace('l', "i"));
    if let Some(words) = &leet_words
        && let Some(kind) = CONTACT_CUES_LEET.first_where(words, soft)
    {
        return Some(kind);
    }
    if my_platform_is_a_handle(&norm.words)
        || leet_words.as_deref().is_some_and(my_platform_is_a_handle)
    {
        return Some("social handle");
    }
    (platform_invite(norm) && !stays_here(norm)).then_some("social handle")
}

/// Says the conversation stays on the venue, or that details are not shared yet:
/// `let's keep chatting here`, `I won't share my number until the venue introduces us`,
/// `moving to another app on day one is a red flag`. Each of these was read on training
/// texts against the unsafe contact texts it would let through (docs/safety.md, round 5).
fn stays_here(norm: &textnorm::Normalised) -> bool {
    STAY_HERE.is_match(&norm.words)
}

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static STAY_HERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:(?:keep|keeping|stay|staying|carry on|continue|chat|chatting|talk|talking) (?:\w+ ){0,2}(?:here|on here|on the venue|on this app|on this site)\b|here (?:first|for now)|on the venue|red flags?|(?:wont|won t|dont|don t|never|not|rather not|do not|will not) (?:\w+ )?(?:share|give|send|swap|exchange|hand out|move|switch)\b|not ready to|(?:until|when) (?:the venue|the app|the intro|the introduction|we meet|we re introduced|we are introduced|we ve met)|rules are rules)",
    )
    .unwrap()
});

/// Words that follow `my insta is` when what follows is not a handle (`my signal is
/// terrible`, `my whatsapp is mostly memes`). Not `the`, `just`, `private`: riddles start
/// that way (`my insta is the name of my dog plus 99`).
const NOT_A_HANDLE: &[&str] = &[
    "a",
    "an",
    "only",
    "awful",
    "bad",
    "basically",
    "boring",
    "dead",
    "deleted",
    "down",
    "dreadful",
    "filled",
    "full",
    "gone",
    "how",
    "inactive",
    "mainly",
    "mostly",
    "never",
    "not",
    "nothing",
    "off",
    "out",
    "patchy",
    "really",
    "rubbish",
    "so",
    "spotty",
    "terrible",
    "too",
    "useless",
    "very",
    "weak",
    "what",
    "where",
];

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static MY_PLATFORM_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r" (?:my|our) (?:{PLATFORMS}|{PLATFORMS_WEAK}) is ([a-z0-9_.]+)"
    ))
    .unwrap()
});

/// `my snap is wren_bakes`: a platform said to be mine, then something shaped like a handle
/// (not an everyday word that says what the account is like: `my signal is terrible`).
fn my_platform_is_a_handle(words: &str) -> bool {
    MY_PLATFORM_IS.captures_iter(words).any(|c| {
        c.get(1).is_some_and(|m| {
            let w = m.as_str();
            !NOT_A_HANDLE.contains(&w)
        })
    })
}

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static SPELLED_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b([a-z0-9-]{{2,}})\s*(?:[\[({{<]\s*dot\s*[\])}}>]|\bdot\b)\s*(?:{TLDS})\b(?:\s+([a-z]+))?"
    ))
    .unwrap()
});

/// `janedoe dot com`, `wren [dot] io`; not the prose of `the dot com crash` or `the best
/// dot com was my old page`.
fn spelled_domain(folded: &str) -> bool {
    const NOT_A_NAME: &[&str] = &[
        "the", "a", "an", "best", "old", "first", "whole", "that", "this", "big", "any", "every",
        "one", "early", "late", "era", "of",
    ];
    const PROSE_AFTER: &[&str] = &[
        "crash",
        "bubble",
        "boom",
        "era",
        "days",
        "burst",
        "age",
        "years",
        "company",
        "companies",
        "startup",
        "startups",
        "millionaire",
        "millionaires",
        "stocks",
        "stock",
    ];
    SPELLED_DOMAIN.captures_iter(folded).any(|c| {
        let name = c.get(1).map_or("", |m| m.as_str());
        let after = c.get(2).map_or("", |m| m.as_str());
        !NOT_A_NAME.contains(&name) && !PROSE_AFTER.contains(&after)
    })
}

/// A platform named beside words of talking or finding (`we can keep talking on WhatsApp`,
/// `I'm marco on insta, come say hi`, `search marco on telegram`), unless it is said to be
/// left or absent (`I deleted my instagram`) or is the family's group chat, its memes and
/// stickers (`our WhatsApp family chat`; round 6, checked against every unsafe contact text
/// of the training data: none lost).
fn platform_invite(norm: &textnorm::Normalised) -> bool {
    let words = &norm.words;
    let mut platforms: Vec<usize> = PLATFORM_NAMES
        .find_iter(words)
        .map(|m| norm.token_at(m.start()))
        .collect();
    platforms.extend(split_platforms(norm));
    if platforms.is_empty() {
        return false;
    }
    let talk: Vec<usize> = TALK_WORDS
        .find_iter(words)
        .map(|m| norm.token_at(m.start()))
        .collect();
    let veto: Vec<usize> = PLATFORM_VETO
        .find_iter(words)
        .map(|m| norm.token_at(m.start()))
        .collect();
    platforms.iter().any(|p| {
        talk.iter().any(|t| t.abs_diff(*p) <= 6 && t != p)
            && !veto.iter().any(|v| v.abs_diff(*p) <= 3)
    })
}

/// Platform names cut in two to slip past the screen (`sig nal`, `disc ord`, `whats app`
/// is already a name): token positions where two adjacent words join into one.
fn split_platforms(norm: &textnorm::Normalised) -> Vec<usize> {
    const JOINED: &[&str] = &[
        "discord",
        "snapchat",
        "instagram",
        "telegram",
        "whatsapp",
        "signal",
        "onlyfans",
        "wechat",
        "skype",
        "tiktok",
        "facebook",
        "messenger",
        "twitter",
        "viber",
        "threema",
        "wickr",
        "kakaotalk",
        "fansly",
        "linkedin",
    ];
    norm.tokens
        .windows(2)
        .enumerate()
        .filter(|(_, w)| {
            let (a, b) = (&w[0].text, &w[1].text);
            a.len() >= 2
                && b.len() >= 2
                && a.chars().chain(b.chars()).all(|c| c.is_ascii_lowercase())
                && JOINED.iter().any(|p| {
                    p.len() == a.len() + b.len()
                        && p.starts_with(a.as_str())
                        && p.ends_with(b.as_str())
                })
        })
        .map(|(i, _)| i)
        .collect()
}

#[expect(clippy::unwrap_used, reason = "constant patterns, covered by tests")]
static PLATFORM_NAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(?:{PLATFORMS}|(?:on|via|my|the|over) (?:insta|snap|ig|tg|sc|gram|signal)|(?:my|our) (?:youtube|channel|blog|vlog|stream)|(?:the other|another|a different|the other dating) (?:app|site|platform))\b"
    ))
    .unwrap()
});

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static TALK_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:talk|talking|chat|chatting|text|texting|txt|message|messaging|msg|dm|dms|reach|find|search|add|hit|hmu|continue|move|switch|say hi|follow|sub|subscribe|link|bio|ping|call|facetime|video|username|handle|user|id|same name|same handle|same pic|same photo|same picture|same profile|same username|my name|look me up|lets|let s|contact|write|slide|join|catch me|find me)\b",
    )
    .unwrap()
});

#[expect(clippy::unwrap_used, reason = "a constant pattern, covered by tests")]
static PLATFORM_VETO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:deleted|delete|deleting|quit|quitting|hate|hates|free|off|not|never|no|dont|don t|banned|without|left|leave|detox|break from|addicted|scroll|scrolling|doomscroll|servers?|bot|bots|streamer|stream|group chat|family chat|family group|groups|memes|stickers|gifs|spam|feed)\b",
    )
    .unwrap()
});

/// The pure rules alone: denylist, then personal data.
pub fn screen_rules(text: &str, denylist: &Denylist) -> Option<Verdict> {
    let norm = textnorm::normalise(text);
    if let Some(label) = denylist.find_normalised(text, &norm) {
        return Some(Verdict::Deny(format!("denylist: {label}")));
    }
    find_pii_normalised(text, &norm).map(|kind| Verdict::Deny(format!("pii: {kind}")))
}

/// The chaperone: rules, then the guard, and a log of every verdict.
pub struct Chaperone {
    guard: Arc<dyn Guard>,
    log: Arc<dyn ChaperoneLog>,
}

impl fmt::Debug for Chaperone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Chaperone")
    }
}

impl Chaperone {
    /// A chaperone asking `guard` after the rules and recording every verdict in `log`.
    pub fn new(guard: Arc<dyn Guard>, log: Arc<dyn ChaperoneLog>) -> Self {
        Self { guard, log }
    }

    /// Screens `text`. Never fails: a guard failure is a hold.
    #[tracing::instrument(skip_all, fields(surface = surface.as_str()))]
    pub async fn screen(&self, surface: Surface, text: &str, denylist: &Denylist) -> Verdict {
        if let Some(v) = screen_rules(text, denylist) {
            return v;
        }
        match self.guard.classify(text).await {
            Ok(GuardVerdict::Safe) => Verdict::Allow,
            Ok(GuardVerdict::Unsafe(categories)) => {
                let cats = if categories.is_empty() {
                    "unspecified".to_owned()
                } else {
                    categories.join(",")
                };
                Verdict::Deny(format!("guard_unsafe: {cats}"))
            }
            Ok(GuardVerdict::Unsure(categories)) => {
                let cats = if categories.is_empty() {
                    "unspecified".to_owned()
                } else {
                    categories.join(",")
                };
                Verdict::Hold(format!("guard_unsure: {cats}"))
            }
            Err(e) => {
                tracing::warn!(error = %e, "guard unavailable; holding");
                Verdict::Hold(format!("guard_unavailable: {}", short_cause(&e)))
            }
        }
    }

    /// Records a verdict (without the text). A log failure is logged, not raised: the
    /// verdict itself already decided what happens to the write.
    pub async fn record(
        &self,
        surface: Surface,
        target_type: &'static str,
        target_id: Option<i64>,
        verdict: &Verdict,
        at: OffsetDateTime,
    ) {
        let entry = ChaperoneEntry::new(surface, target_type, target_id, verdict, at);
        if let Err(e) = self.log.record(entry).await {
            tracing::error!(error = %e, "could not write the chaperone log");
        }
    }
}

fn short_cause(e: &crate::ProviderError) -> &'static str {
    match e {
        crate::ProviderError::Unavailable { .. } | crate::ProviderError::Unconfigured(_) => {
            "unreachable"
        }
        crate::ProviderError::Malformed { .. } => "unparseable answer",
        crate::ProviderError::Rejected { .. } => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderError;
    use crate::ports::{MockChaperoneLog, MockGuard};

    fn denylist() -> Denylist {
        Denylist::parse(crate::settings::DEFAULT_DENYLIST).expect("default parses")
    }

    fn chaperone(guard: MockGuard) -> Chaperone {
        let mut log = MockChaperoneLog::new();
        log.expect_record().returning(|_| Ok(()));
        Chaperone::new(Arc::new(guard), Arc::new(log))
    }

    #[test]
    fn denylist_matches_on_words_whatever_the_punctuation() {
        let d = denylist();
        assert_eq!(
            d.find("Looking for a SUGAR-daddy!"),
            Some("prohibited framing")
        );
        assert_eq!(d.find("I like sugary daddies"), None);
    }

    #[test]
    fn denylist_parses_labels_and_bare_phrases() {
        let d = Denylist::parse("a: x y; zed").expect("parses");
        assert_eq!(d.find("so x  y"), Some("a"));
        assert_eq!(d.find("zed!"), Some("zed"));
        assert_eq!(
            Denylist::parse("label:").map_err(|e| e.to_string()),
            Err("denylist entry \"label:\" has no phrase".to_owned())
        );
        assert_eq!(
            Denylist::parse(&"x".repeat(201)).map_err(|e| e.to_string()),
            Err("a denylist entry is longer than 200 characters".to_owned())
        );
    }

    #[test]
    fn personal_data_is_found() {
        let cases = [
            ("write me at jo.doe+x@mail.example.org", "email"),
            ("jo (at) gmail (dot) com", "email"),
            ("see https://example.com/me", "url"),
            ("my site is jodoe.me", "url"),
            ("call +44 20 7946 0958", "phone number"),
            ("text (415) 555-0132 after six", "phone number"),
            ("find me @jo_doe there", "social handle"),
            ("insta: jodoe", "social handle"),
            (
                "tips to 0x52908400098527886E0F7030069857D2E4169EE7",
                "wallet address",
            ),
            ("I'm jodoe.eth", "wallet address"),
            ("I live at 221 Baker Street", "street address"),
        ];
        for (text, kind) in cases {
            assert_eq!(find_pii(text), Some(kind), "{text}");
        }
    }

    #[test]
    fn ordinary_prose_is_not_personal_data() {
        let texts = [
            "I run 10 miles down the road on Sundays and drive to the coast.",
            "Born in 1990, I moved twice: 2015 and 2019. I have 2 dogs.",
            "I love Node.js, Rust and long walks; 5'9\", 31 years old.",
            "Email is not my thing; I prefer letters.",
        ];
        for t in texts {
            assert_eq!(find_pii(t), None, "{t}");
        }
    }

    #[test]
    fn contact_details_in_disguise_are_found() {
        let cases = [
            ("drop your @ and I'll follow you", "contact request"),
            (
                "I'll send you my number if you send yours",
                "contact request",
            ),
            (
                "let's take this somewhere else, you know where",
                "contact request",
            ),
            (
                "my handle on the bird app is the same as here",
                "social handle",
            ),
            ("mail me: my first name at the big g mail", "email"),
            ("hit me up on sig nal, same name as here", "social handle"),
            ("find me on disc ord, I'm wren", "social handle"),
            (
                "you'll find me on bluesky under the same handle",
                "social handle",
            ),
            (
                "find my youtube channel, it's my name with no spaces",
                "social handle",
            ),
            (
                "I'm on the other app too, same pic, say hi",
                "social handle",
            ),
            (
                "\u{FF4A}\u{FF41}\u{FF4E}\u{FF45}\u{FF20}\u{FF45}\u{FF58}\u{FF41}\u{FF4D}\u{FF50}\u{FF4C}\u{FF45}\u{FF0E}\u{FF43}\u{FF4F}\u{FF4D}",
                "email",
            ),
            ("jane at example dot com", "email"),
            ("write to jane [at] example [dot] org", "email"),
            ("j a n e @ e x a m p l e . c o m", "email"),
            ("jane99 at gmail", "email"),
            ("j\u{0430}ne@ex\u{0430}mple.com", "email"),
            ("my page: janedoe dot com", "url"),
            ("five five five one two three four", "phone number"),
            ("4 1 5 - 5 5 5 - 0 1 3 2", "phone number"),
            ("call 4l5 555 Ol32", "phone number"),
            (
                "text me: four one five, five five five, oh one three two",
                "phone number",
            ),
            ("add me on discord", "social handle"),
            ("add me on d1sc0rd", "social handle"),
            ("my snap is wren_bakes", "social handle"),
            ("insta - wren.bakes", "social handle"),
            ("tg @wrenbakes", "social handle"),
            ("let's take this to whatsapp", "social handle"),
            ("hmu on kik", "social handle"),
            ("subscribe to my onlyfans", "social handle"),
            ("cashapp $wrenbakes", "social handle"),
            ("venmo me", "social handle"),
            ("wren#4821 on the usual app", "social handle"),
            ("are you on telegram?", "social handle"),
            ("join my telegram group, lots more there", "social handle"),
            ("add me to the whatsapp group", "social handle"),
            ("send me your number", "contact request"),
            // a riddle for a handle is still a handle
            (
                "my insta is the name of my cat plus 99, find it",
                "social handle",
            ),
            // saying it stays here does not excuse a handle
            (
                "let's keep chatting here, but my snap is wren.bakes",
                "social handle",
            ),
            (
                "forget the venue's intro, send me your number",
                "contact request",
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(find_pii(text), Some(kind), "{text}");
        }
    }

    #[test]
    fn everyday_words_that_look_like_contact_cues_are_not() {
        let texts = [
            "I hate snap decisions and mixed signals.",
            "Family discord at Thanksgiving is my cardio.",
            "I deleted my instagram last year and feel great.",
            "Cash only at the farmers market, so I carry bills.",
            "I'm at home most evenings; dot paintings are my hobby.",
            "Born 1990, 5'9\", I have 2 dogs and 1 cat.",
            "One two three, count with me: my favourite song.",
            "I work at a lab downtown and signal for every lane change.",
            "I met my best friend in line at a concert.",
            "Talk to me about face painting and book clubs.",
            "I met my ex on another app years ago.",
            "I watch youtube cooking videos to relax.",
            "I'd love to travel somewhere else next summer.",
            "Where are you @ with the book?",
            "We can chat about the twit who ter-rorised my garden.",
            // a platform in passing, beside a word that says we stay here
            "I'm on discord for my book club, but I'd like to keep talking here.",
            "I won't share my number until the venue introduces us.",
            "Asking to swap your number on day one is a red flag.",
            // what the account is like, not what it is called
            "My signal is terrible at my mum's farm, so replies may be slow.",
            "My whatsapp is mostly recipes from my aunt.",
            "My cashapp is only for splitting pizza with coworkers.",
            // a platform beside the family's group chat, its memes and stickers
            "Whatsapp family chat update: my aunt has discovered voice messages.",
            "I blame TikTok and my group chat for my screen time.",
            "I can't keep up with WhatsApp groups, my family chat has 400 unread messages.",
            // the era, not an address
            "The dot com crash ended my first startup.",
        ];
        for t in texts {
            assert_eq!(find_pii(t), None, "{t}");
        }
    }

    #[test]
    fn the_denylist_sees_through_leet_and_spacing() {
        let d = denylist();
        assert_eq!(
            d.find("looking for a sug4r d-a-d-d-y"),
            Some("prohibited framing")
        );
        assert_eq!(d.find("j a i l b a i t"), Some("minors"));
    }

    #[tokio::test]
    async fn an_unsure_guard_holds_for_review() {
        let mut guard = MockGuard::new();
        guard
            .expect_classify()
            .returning(|_| Ok(GuardVerdict::Unsure(vec!["S4".into()])));
        let v = chaperone(guard)
            .screen(Surface::Heart, "hello", &denylist())
            .await;
        assert_eq!(v, Verdict::Hold("guard_unsure: S4".into()));
    }

    #[tokio::test]
    async fn rules_deny_before_the_guard_is_asked() {
        let mut guard = MockGuard::new();
        guard.expect_classify().never();
        let v = chaperone(guard)
            .screen(Surface::Heart, "dm me @someone", &denylist())
            .await;
        assert_eq!(v, Verdict::Deny("pii: social handle".into()));
    }

    #[tokio::test]
    async fn guard_unsafe_is_a_deny_with_categories() {
        let mut guard = MockGuard::new();
        guard
            .expect_classify()
            .returning(|_| Ok(GuardVerdict::Unsafe(vec!["S1".into(), "S10".into()])));
        let v = chaperone(guard)
            .screen(Surface::Turn, "hello", &denylist())
            .await;
        assert_eq!(v, Verdict::Deny("guard_unsafe: S1,S10".into()));
    }

    #[tokio::test]
    async fn every_guard_failure_is_a_hold_never_an_allow() {
        for err in [
            ProviderError::unavailable("timeout"),
            ProviderError::malformed("maybe"),
            ProviderError::rejected("quota"),
        ] {
            let mut guard = MockGuard::new();
            let e = std::sync::Mutex::new(Some(err));
            guard.expect_classify().returning(move |_| {
                Err(e
                    .lock()
                    .ok()
                    .and_then(|mut g| g.take())
                    .unwrap_or(ProviderError::unavailable(String::new())))
            });
            let v = chaperone(guard)
                .screen(Surface::Heart, "hello", &denylist())
                .await;
            assert_eq!(v.kind(), "hold");
            assert!(v.reason().starts_with("guard_unavailable: "), "{v:?}");
        }
    }

    #[tokio::test]
    async fn safe_text_is_allowed() {
        let mut guard = MockGuard::new();
        guard
            .expect_classify()
            .returning(|_| Ok(GuardVerdict::Safe));
        let v = chaperone(guard)
            .screen(Surface::Heart, "I like hiking and bad puns.", &denylist())
            .await;
        assert_eq!(v, Verdict::Allow);
    }
}
