//! Live operating settings (docs/rules.md#the-operator-console): a fixed allow-list of keys,
//! each value validated.
//!
//! The store keeps the raw strings; [`Settings`] is the parsed, validated snapshot the use
//! cases read. [`SettingsService`] caches the snapshot in memory so hot paths (the geo gate,
//! admission) never wait on the database, and refreshes it when a value changes.

use std::sync::{Arc, RwLock};

use crate::chaperone::Denylist;
use crate::error::StoreError;
use crate::ports::SettingsStore;

/// The keys an operator may set, in console order.
pub const KEYS: &[&str] = &[
    "cap",
    "beat_interval_s",
    "match_k",
    "min_fit",
    "geo_denied",
    "denylist",
    "buyback_bps",
    "mode",
    "retention_days",
];

/// The denylist shipped with the venue; operators edit it as the `denylist` setting.
/// One entry a line (or `;`-separated): `label: phrase`.
pub const DEFAULT_DENYLIST: &str = "prohibited framing: sugar daddy
prohibited framing: sugar baby
prohibited framing: pay for dates
prohibited framing: pay per meet
solicitation: escort services
solicitation: sugar arrangement
minors: barely legal
minors: jailbait
harassment: kill yourself";

/// A parsed, validated settings snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Maximum admitted personas.
    pub cap: u32,
    /// Seconds between match beats.
    pub beat_interval_s: u32,
    /// Mutual top-k of the matcher.
    pub match_k: u32,
    /// Minimum cosine similarity for a couple.
    pub min_fit: f32,
    /// ISO 3166-1 alpha-2 codes, upper-case.
    pub geo_denied: Vec<String>,
    /// Operator-editable phrases the chaperone denies.
    pub denylist: Denylist,
    /// Share of each payment set aside for the buyback, in basis points.
    pub buyback_bps: u32,
    /// Operating mode, reported by `/health`.
    pub mode: String,
    /// Days operational data is kept.
    pub retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cap: 1000,
            beat_interval_s: 300,
            match_k: 5,
            min_fit: 0.3,
            geo_denied: Vec::new(),
            denylist: Denylist::parse(DEFAULT_DENYLIST).unwrap_or_default(),
            buyback_bps: 1000,
            mode: "day0".to_owned(),
            retention_days: 30,
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// The key is not one of [`KEYS`] (secrets such as the admin token are never settings).
    #[error("key not allowed")]
    KeyNotAllowed,
    /// A blank value for a key that needs one (only `geo_denied` and `denylist` may be empty).
    #[error("value required")]
    ValueRequired,
    /// The value does not validate; the message says what is expected, e.g. "expected a whole
    /// number from 5 to 86400".
    #[error("{0}")]
    BadValue(String),
}

fn int_in(value: &str, min: u32, max: u32) -> Result<u32, SettingError> {
    let n: u32 = value.trim().parse().map_err(|_| {
        SettingError::BadValue(format!("expected a whole number from {min} to {max}"))
    })?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(SettingError::BadValue(format!(
            "expected a whole number from {min} to {max}"
        )))
    }
}

/// Parses a comma-separated list of ISO 3166-1 alpha-2 country codes.
pub fn parse_countries(value: &str) -> Result<Vec<String>, SettingError> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.len() != 2 || !part.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(SettingError::BadValue(format!(
                "{part:?} is not a two-letter country code"
            )));
        }
        let code = part.to_ascii_uppercase();
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

impl Settings {
    /// Applies one `key = value`, validating the value. Leaves `self` unchanged on error.
    ///
    /// # Errors
    /// [`SettingError`] naming what is wrong.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        if !KEYS.contains(&key) {
            return Err(SettingError::KeyNotAllowed);
        }
        // Postgres cannot store a NUL in text, and no setting needs one (issue 11).
        if value.contains('\0') {
            return Err(SettingError::BadValue(
                "must not contain NUL characters".to_owned(),
            ));
        }
        // An empty list is a legitimate value for the two list settings.
        if value.trim().is_empty() && !matches!(key, "geo_denied" | "denylist") {
            return Err(SettingError::ValueRequired);
        }
        match key {
            "cap" => self.cap = int_in(value, 0, 10_000_000)?,
            "beat_interval_s" => self.beat_interval_s = int_in(value, 5, 86_400)?,
            "match_k" => self.match_k = int_in(value, 1, 100)?,
            "min_fit" => {
                let f: f32 = value.trim().parse().map_err(|_| {
                    SettingError::BadValue("expected a number from -1 to 1".to_owned())
                })?;
                if !(-1.0..=1.0).contains(&f) {
                    return Err(SettingError::BadValue(
                        "expected a number from -1 to 1".to_owned(),
                    ));
                }
                self.min_fit = f;
            }
            "geo_denied" => self.geo_denied = parse_countries(value)?,
            "denylist" => {
                self.denylist =
                    Denylist::parse(value).map_err(|e| SettingError::BadValue(e.to_string()))?
            }
            "buyback_bps" => self.buyback_bps = int_in(value, 0, 10_000)?,
            "mode" => {
                let v = value.trim();
                if v.len() > 32
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(SettingError::BadValue(
                        "expected up to 32 letters, digits, '_' or '-'".to_owned(),
                    ));
                }
                self.mode = v.to_owned();
            }
            "retention_days" => self.retention_days = int_in(value, 1, 3650)?,
            _ => return Err(SettingError::KeyNotAllowed),
        }
        Ok(())
    }

    /// Builds a snapshot from stored pairs. A stored value that no longer validates is
    /// skipped with a warning, so a bad row cannot take the venue down.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut s = Self::default();
        for (k, v) in pairs {
            if let Err(e) = s.apply(k, v) {
                tracing::warn!(setting.key = k, error = %e, "ignoring stored setting");
            }
        }
        s
    }
}

/// Reads and writes live settings, keeping a validated snapshot in memory.
pub struct SettingsService {
    store: Arc<dyn SettingsStore>,
    snapshot: RwLock<Arc<Settings>>,
}

impl SettingsService {
    /// Loads the stored settings. `initial` values (from the environment) are written only
    /// for keys the store does not hold yet, so the console's later edits win.
    ///
    /// # Errors
    /// A store error, or an initial value that does not validate.
    pub async fn load(
        store: Arc<dyn SettingsStore>,
        initial: &[(&str, String)],
    ) -> Result<Self, LoadSettingsError> {
        let stored = store.all().await?;
        for (key, value) in initial {
            if !stored.iter().any(|(k, _)| k == key) {
                Settings::default()
                    .apply(key, value)
                    .map_err(|e| LoadSettingsError::Initial(key.to_string(), e))?;
                store.put(key, value).await?;
            }
        }
        let service = Self {
            store,
            snapshot: RwLock::new(Arc::new(Settings::default())),
        };
        service.reload().await?;
        Ok(service)
    }

    /// The current snapshot (cheap: an `Arc` clone).
    pub fn current(&self) -> Arc<Settings> {
        match self.snapshot.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the store (other instances may have changed a value).
    ///
    /// # Errors
    /// The store's error.
    pub async fn reload(&self) -> Result<Arc<Settings>, StoreError> {
        let pairs = self.store.all().await?;
        let fresh = Arc::new(Settings::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
        match self.snapshot.write() {
            Ok(mut g) => *g = fresh.clone(),
            Err(poisoned) => *poisoned.into_inner() = fresh.clone(),
        }
        Ok(fresh)
    }

    /// Validates and stores one setting; the new snapshot applies at once.
    ///
    /// # Errors
    /// [`SetError::Invalid`] for a refused key or value; [`SetError::Store`] otherwise.
    pub async fn set(&self, key: &str, value: &str) -> Result<Arc<Settings>, SetError> {
        let mut next = (*self.current()).clone();
        next.apply(key, value)?;
        self.store.put(key, value.trim()).await?;
        Ok(self.reload().await?)
    }
}

/// Why settings could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
pub enum LoadSettingsError {
    /// The stored settings could not be read or an initial value could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An initial value from the environment (the key, then why) does not validate; the
    /// venue does not start.
    #[error("initial setting {0}: {1}")]
    Initial(String, SettingError),
}

/// Why a setting could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// The key or value was refused; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] SettingError),
    /// The store failed; the snapshot in memory is unchanged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        assert_eq!(
            Settings::default().apply("admin_token", "x"),
            Err(SettingError::KeyNotAllowed)
        );
    }

    #[test]
    fn values_are_validated() {
        let mut s = Settings::default();
        assert_eq!(s.apply("cap", ""), Err(SettingError::ValueRequired));
        assert!(matches!(
            s.apply("cap", "-1"),
            Err(SettingError::BadValue(_))
        ));
        assert!(matches!(
            s.apply("min_fit", "2"),
            Err(SettingError::BadValue(_))
        ));
        assert!(matches!(
            s.apply("geo_denied", "USA"),
            Err(SettingError::BadValue(_))
        ));
        assert_eq!(s, Settings::default(), "a refused value changes nothing");
        s.apply("geo_denied", " us, kp ,US").expect("valid list");
        assert_eq!(s.geo_denied, vec!["US", "KP"]);
        s.apply("geo_denied", "").expect("an empty list clears it");
        assert!(s.geo_denied.is_empty());
        s.apply("cap", "50").expect("valid cap");
        assert_eq!(s.cap, 50);
    }

    #[test]
    fn a_nul_character_is_a_bad_value_for_every_key() {
        let mut s = Settings::default();
        for key in KEYS {
            assert_eq!(
                s.apply(key, "a\0b"),
                Err(SettingError::BadValue(
                    "must not contain NUL characters".to_owned()
                )),
                "{key}"
            );
        }
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn a_bad_stored_value_is_skipped_not_fatal() {
        let s = Settings::from_pairs([("cap", "lots"), ("mode", "open")]);
        assert_eq!(s.cap, Settings::default().cap);
        assert_eq!(s.mode, "open");
    }
}
