//! A writer with canned prose.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ishtar_domain::ProviderError;
use ishtar_domain::ports::{PersonaSketch, Writer};

use super::{ErrorFactory, provider_down};

/// Which [`Writer`] method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterCallKind {
    /// [`Writer::gambit`].
    Gambit,
    /// [`Writer::report`].
    Report,
}

/// One call a [`ScriptedWriter`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterCall {
    /// Gambit or report.
    pub kind: WriterCallKind,
    /// The first persona.
    pub a: PersonaSketch,
    /// The second persona.
    pub b: PersonaSketch,
}

/// A [`Writer`] that answers with set texts (by default `"gambit: <a> & <b>"` and
/// `"report: <a> & <b>"` from the two handles), records every call, and can be told to fail.
///
/// ```
/// use ishtar_domain::ProviderError;
/// use ishtar_domain::ports::{PersonaSketch, Writer};
/// use ishtar_test_kit::{ScriptedWriter, WriterCallKind};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sketch = |h: &str| PersonaSketch { handle: h.into(), heart_text: "likes tea".into() };
/// let writer = ScriptedWriter::default();
/// let gambit = writer.gambit(sketch("ana"), sketch("bo")).await.unwrap();
/// assert_eq!(gambit, "gambit: ana & bo");
/// writer.set_report("A fine match.");
/// assert_eq!(writer.report(sketch("ana"), sketch("bo")).await.unwrap(), "A fine match.");
/// writer.fail_with(|| ProviderError::rejected("quota"));
/// assert!(writer.gambit(sketch("ana"), sketch("bo")).await.is_err());
/// assert_eq!(writer.calls()[1].kind, WriterCallKind::Report);
/// assert_eq!(writer.calls().len(), 3);
/// # });
/// ```
#[derive(Default)]
pub struct ScriptedWriter {
    gambit: Mutex<Option<String>>,
    report: Mutex<Option<String>>,
    failure: Mutex<Option<ErrorFactory>>,
    calls: Mutex<Vec<WriterCall>>,
}

impl fmt::Debug for ScriptedWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedWriter")
            .field("gambit", &self.gambit)
            .field("report", &self.report)
            .field("failing", &self.failure.lock().unwrap().is_some())
            .field("calls", &self.calls)
            .finish()
    }
}

impl ScriptedWriter {
    /// A writer whose every gambit is `gambit` and every report is `report`.
    pub fn new(gambit: impl Into<String>, report: impl Into<String>) -> Self {
        let w = Self::default();
        w.set_gambit(gambit);
        w.set_report(report);
        w
    }

    /// Every later gambit is `text`.
    pub fn set_gambit(&self, text: impl Into<String>) {
        *self.gambit.lock().unwrap() = Some(text.into());
    }

    /// Every later report is `text`.
    pub fn set_report(&self, text: impl Into<String>) {
        *self.report.lock().unwrap() = Some(text.into());
    }

    /// Every later call fails with [`ProviderError::Unavailable`].
    pub fn fail(&self) {
        self.fail_with(provider_down);
    }

    /// Every later call fails with what `error` makes.
    pub fn fail_with(&self, error: impl Fn() -> ProviderError + Send + Sync + 'static) {
        *self.failure.lock().unwrap() = Some(Arc::new(error));
    }

    /// Later calls succeed again.
    pub fn recover(&self) {
        *self.failure.lock().unwrap() = None;
    }

    /// Every call so far, in order (failed ones too).
    pub fn calls(&self) -> Vec<WriterCall> {
        self.calls.lock().unwrap().clone()
    }

    fn answer(
        &self,
        kind: WriterCallKind,
        a: PersonaSketch,
        b: PersonaSketch,
    ) -> Result<String, ProviderError> {
        let (set, label) = match kind {
            WriterCallKind::Gambit => (self.gambit.lock().unwrap().clone(), "gambit"),
            WriterCallKind::Report => (self.report.lock().unwrap().clone(), "report"),
        };
        let text = set.unwrap_or_else(|| format!("{label}: {} & {}", a.handle, b.handle));
        self.calls.lock().unwrap().push(WriterCall { kind, a, b });
        match &*self.failure.lock().unwrap() {
            Some(make) => Err(make()),
            None => Ok(text),
        }
    }
}

#[async_trait]
impl Writer for ScriptedWriter {
    async fn gambit(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError> {
        self.answer(WriterCallKind::Gambit, a, b)
    }

    async fn report(&self, a: PersonaSketch, b: PersonaSketch) -> Result<String, ProviderError> {
        self.answer(WriterCallKind::Report, a, b)
    }
}
