//! A guard that answers by rule.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ishtar_domain::ProviderError;
use ishtar_domain::ports::{Guard, GuardVerdict};

/// A per-text answer for [`GuardRule::ByText`].
type ByText = Arc<dyn Fn(&str) -> Result<GuardVerdict, ProviderError> + Send + Sync>;

/// How a [`ScriptedGuard`] answers once its queue is empty.
#[derive(Clone)]
pub enum GuardRule {
    /// [`GuardVerdict::Safe`] to everything.
    AllowAll,
    /// [`GuardVerdict::Unsure`] (category `S0`) to everything: the chaperone holds it.
    HoldAll,
    /// [`GuardVerdict::Unsafe`] (category `S1`) to everything: the chaperone denies it.
    DenyAll,
    /// [`ProviderError::unavailable`] to everything (the classifier is down).
    Fail,
    /// Whatever the closure says for the text.
    ByText(ByText),
}

impl fmt::Debug for GuardRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllowAll => f.write_str("AllowAll"),
            Self::HoldAll => f.write_str("HoldAll"),
            Self::DenyAll => f.write_str("DenyAll"),
            Self::Fail => f.write_str("Fail"),
            Self::ByText(_) => f.write_str("ByText(..)"),
        }
    }
}

impl GuardRule {
    fn answer(&self, text: &str) -> Result<GuardVerdict, ProviderError> {
        match self {
            Self::AllowAll => Ok(GuardVerdict::Safe),
            Self::HoldAll => Ok(GuardVerdict::Unsure(vec!["S0".to_owned()])),
            Self::DenyAll => Ok(GuardVerdict::Unsafe(vec!["S1".to_owned()])),
            Self::Fail => Err(ProviderError::unavailable("scripted guard is down")),
            Self::ByText(f) => f(text),
        }
    }
}

/// A [`Guard`] that answers from a queue of verdicts, then by a [`GuardRule`], and records
/// every text it was asked about.
///
/// ```
/// use ishtar_domain::ports::{Guard, GuardVerdict};
/// use ishtar_test_kit::ScriptedGuard;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let guard = ScriptedGuard::by_text(|text| {
///     if text.contains("minor") {
///         Ok(GuardVerdict::Unsafe(vec!["S4".into()]))
///     } else {
///         Ok(GuardVerdict::Safe)
///     }
/// });
/// guard.then(Ok(GuardVerdict::Unsure(vec!["S2".into()]))); // the first answer
/// assert_eq!(guard.classify("hello").await.unwrap(), GuardVerdict::Unsure(vec!["S2".into()]));
/// assert_eq!(guard.classify("hello").await.unwrap(), GuardVerdict::Safe);
/// assert!(matches!(guard.classify("a minor").await, Ok(GuardVerdict::Unsafe(_))));
/// assert_eq!(guard.seen(), ["hello", "hello", "a minor"]);
/// # });
/// ```
#[derive(Debug)]
pub struct ScriptedGuard {
    rule: Mutex<GuardRule>,
    queue: Mutex<VecDeque<Result<GuardVerdict, ProviderError>>>,
    seen: Mutex<Vec<String>>,
}

impl ScriptedGuard {
    /// A guard that answers by `rule` (and has nothing queued).
    pub fn new(rule: GuardRule) -> Self {
        Self {
            rule: Mutex::new(rule),
            queue: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    /// Says [`GuardVerdict::Safe`] to everything.
    pub fn allow_all() -> Self {
        Self::new(GuardRule::AllowAll)
    }

    /// Says [`GuardVerdict::Unsure`] to everything.
    pub fn hold_all() -> Self {
        Self::new(GuardRule::HoldAll)
    }

    /// Says [`GuardVerdict::Unsafe`] to everything.
    pub fn deny_all() -> Self {
        Self::new(GuardRule::DenyAll)
    }

    /// Fails with [`ProviderError::unavailable`] on everything.
    pub fn failing() -> Self {
        Self::new(GuardRule::Fail)
    }

    /// Answers each text with `f(text)`.
    pub fn by_text(
        f: impl Fn(&str) -> Result<GuardVerdict, ProviderError> + Send + Sync + 'static,
    ) -> Self {
        Self::new(GuardRule::ByText(Arc::new(f)))
    }

    /// Replaces the rule used once the queue is empty.
    pub fn set_rule(&self, rule: GuardRule) {
        *self.rule.lock().unwrap() = rule;
    }

    /// Queues `answer` for the next call that finds no earlier queued answer.
    pub fn then(&self, answer: Result<GuardVerdict, ProviderError>) -> &Self {
        self.queue.lock().unwrap().push_back(answer);
        self
    }

    /// Every text classified so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// How many texts were classified so far.
    pub fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[async_trait]
impl Guard for ScriptedGuard {
    async fn classify(&self, text: &str) -> Result<GuardVerdict, ProviderError> {
        self.seen.lock().unwrap().push(text.to_owned());
        let queued = self.queue.lock().unwrap().pop_front();
        match queued {
            Some(answer) => answer,
            None => {
                let rule = self.rule.lock().unwrap().clone();
                rule.answer(text)
            }
        }
    }
}
