//! The chaperone (design.md §3): every write that can be published passes here.
//!
//! Pure rules first — the operator's denylist, then personal-data screening — then the
//! [`Guard`] port (a safety classifier). Fail-closed: a guard that errors, times out or
//! answers something unreadable yields a recoverable [`Verdict::Hold`], never an allow.

use std::fmt;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use time::OffsetDateTime;

use crate::ports::{ChaperoneLog, Guard, GuardVerdict};

/// The chaperone's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
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

    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow)
    }
}

/// Where a screened text would be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Heart,
    Gambit,
    Turn,
    Post,
    Report,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Heart => "heart",
            Surface::Gambit => "gambit",
            Surface::Turn => "turn",
            Surface::Post => "post",
            Surface::Report => "report",
        }
    }
}

/// One line of the chaperone log: never the text itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaperoneEntry {
    pub surface: Surface,
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    pub verdict: &'static str,
    pub reason: String,
    pub at: OffsetDateTime,
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

/// Operator-editable denied phrases, each with the label the deny reason shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Denylist {
    entries: Vec<(String, String)>, // (label, normalised phrase with edge spaces)
}

impl Denylist {
    /// Parses `label: phrase` entries, one a line or `;`-separated. An entry without a
    /// label is its own label.
    ///
    /// # Errors
    /// A message when an entry is empty after its label or longer than 200 characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for raw in text
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if raw.chars().count() > 200 {
                return Err("a denylist entry is longer than 200 characters".to_owned());
            }
            let (label, phrase) = match raw.split_once(':') {
                Some((l, p)) => (l.trim(), p.trim()),
                None => (raw, raw),
            };
            let norm = normalise(phrase);
            if norm.trim().is_empty() {
                return Err(format!("denylist entry {raw:?} has no phrase"));
            }
            entries.push((label.to_owned(), norm));
        }
        Ok(Self { entries })
    }

    /// The label of the first entry found in `text`.
    pub fn find(&self, text: &str) -> Option<&str> {
        let norm = normalise(text);
        self.entries
            .iter()
            .find(|(_, phrase)| norm.contains(phrase.as_str()))
            .map(|(label, _)| label.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[expect(clippy::unwrap_used, reason = "constant patterns, covered by tests")]
static PII: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("email", r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}"),
        (
            "email",
            r"(?i)\b[a-z0-9._%+-]+\s*[\[(]\s*at\s*[\])]\s*[a-z0-9-]+\s*[\[(]\s*dot\s*[\])]\s*[a-z]{2,}",
        ),
        ("url", r"(?i)\b(https?://|www\.)\S+"),
        (
            "url",
            r"(?i)\b[a-z0-9][a-z0-9-]*\.(com|net|org|io|me|co|app|xyz|ly|gg|dev|link|site|info|biz|page|bio)\b(/\S*)?",
        ),
        ("phone number", r"\+\d[\d\s().-]{7,}\d"),
        ("phone number", r"\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b"),
        (
            "social handle",
            r"(?i)\b(tg|telegram|insta|instagram|ig|snap|snapchat|twitter|whatsapp|discord|signal|kik|onlyfans|tiktok|wechat|line)\s*[:=]\s*@?[a-z0-9_.]{2,}",
        ),
        ("social handle", r"(?i)(^|[\s(\[,;:])@[a-z0-9_][a-z0-9_.]{1,}"),
        ("wallet address", r"\b0x[a-fA-F0-9]{40}\b"),
        ("wallet address", r"\bbc1[a-z0-9]{25,60}\b"),
        ("wallet address", r"(?i)\b[a-z0-9-]{3,}\.eth\b"),
        (
            "street address",
            r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square)\b",
        ),
    ]
    .into_iter()
    .map(|(kind, re)| (kind, Regex::new(re).unwrap()))
    .collect()
});

/// The kind of the first piece of personal data found in `text`, if any.
pub fn find_pii(text: &str) -> Option<&'static str> {
    PII.iter()
        .find(|(_, re)| re.is_match(text))
        .map(|(kind, _)| *kind)
}

/// The pure rules alone: denylist, then personal data.
pub fn screen_rules(text: &str, denylist: &Denylist) -> Option<Verdict> {
    if let Some(label) = denylist.find(text) {
        return Some(Verdict::Deny(format!("denylist: {label}")));
    }
    find_pii(text).map(|kind| Verdict::Deny(format!("pii: {kind}")))
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
        crate::ProviderError::Unavailable(_) => "unreachable",
        crate::ProviderError::Malformed(_) => "unparseable answer",
        crate::ProviderError::Rejected(_) => "refused",
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
        assert!(Denylist::parse("label:").is_err());
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
            ProviderError::Unavailable("timeout".into()),
            ProviderError::Malformed("maybe".into()),
            ProviderError::Rejected("quota".into()),
        ] {
            let mut guard = MockGuard::new();
            let e = std::sync::Mutex::new(Some(err));
            guard.expect_classify().returning(move |_| {
                Err(e
                    .lock()
                    .ok()
                    .and_then(|mut g| g.take())
                    .unwrap_or(ProviderError::Unavailable(String::new())))
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
