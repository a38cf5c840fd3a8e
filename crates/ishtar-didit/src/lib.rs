//! Didit identity and age verification (docs/identity.md, docs/wire-formats.md), as the domain's
//! [`IdentityProvider`] port.
//!
//! - [`DiditClient::create_session`]: `POST {base}/v3/session/` with `x-api-key`, a body of
//!   `workflow_id`, `vendor_data` (our owner reference) and, if configured, `callback`;
//!   reads `session_id` and `url` from the answer. No API key or workflow → `Unavailable`
//!   without any request. Time is bounded; 5xx/timeouts are `Unavailable`, other refusals
//!   `Rejected`, unreadable answers `Malformed`. (`session.rs`)
//! - [`DiditClient::verify_webhook`] (docs/rules.md#webhooks): fail closed with no secret; require
//!   `X-Signature` and an `X-Timestamp` within ±300 s of `now`; HMAC-SHA256 of the **exact
//!   raw body** compared in constant time; only then parse the JSON. (`webhook.rs`) The
//!   decision's document data is reduced to one bit (`age_over_18`) and never kept.
//!   (`decision.rs`)
//!
//! Only the raw-body `X-Signature` is accepted: `X-Signature-V2` and `X-Signature-Simple`
//! have unconfirmed or weaker definitions (docs/wire-formats.md#didit-webhooks).
//!
//! Depends on the domain for the port; nothing here knows about the store or HTTP serving.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{IdentityEvent, IdentityProvider, IdentitySession, WebhookError};

mod decision;
mod session;
mod webhook;

/// Didit's API base (`ISHTAR_DIDIT_BASE_URL` default).
pub const DEFAULT_BASE_URL: &str = "https://verification.didit.me";

/// The session-creation path, trailing slash included (docs/wire-formats.md#didit-sessions).
pub const SESSION_PATH: &str = "/v3/session/";

/// How far `X-Timestamp` may be from `now`, either way, in seconds.
pub const WEBHOOK_TOLERANCE_S: u64 = 300;

/// The default bound on a session-creation call, all told.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Didit settings.
#[derive(Debug, Clone)]
pub struct DiditConfig {
    /// `ISHTAR_DIDIT_BASE_URL`: scheme and host (and an optional path prefix), without
    /// `/v3/session/`.
    pub base_url: String,
    /// `ISHTAR_DIDIT_API_KEY`, sent as `x-api-key`. `None` or empty → sessions unavailable.
    pub api_key: Option<SecretString>,
    /// `ISHTAR_DIDIT_WORKFLOW_ID` (a uuid from the Console). `None` or blank → sessions
    /// unavailable.
    pub workflow_id: Option<String>,
    /// Where Didit sends the human's browser after the flow (`callback`). Optional. The
    /// redirect's `status` query parameter is forgeable and must never grant anything.
    pub callback_url: Option<String>,
    /// `ISHTAR_DIDIT_WEBHOOK_SECRET`. `None` or empty → every webhook is rejected.
    pub webhook_secret: Option<SecretString>,
    /// Bound on one session-creation call (connect, request and answer).
    pub timeout: Duration,
}

impl Default for DiditConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            workflow_id: None,
            callback_url: None,
            webhook_secret: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The Didit adapter: session client and webhook verifier.
#[derive(Clone)]
pub struct DiditClient {
    http: reqwest::Client,
    session_url: url::Url,
    api_key: Option<SecretString>,
    workflow_id: Option<String>,
    callback_url: Option<String>,
    webhook_secret: Option<SecretString>,
    timeout: Duration,
}

impl fmt::Debug for DiditClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiditClient")
            .field("session_url", &self.session_url.as_str())
            .field("sessions_configured", &self.sessions_configured())
            .field("webhooks_configured", &self.webhooks_configured())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn non_blank_secret(s: Option<SecretString>) -> Option<SecretString> {
    s.filter(|s| !s.expose_secret().is_empty())
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl DiditClient {
    /// Builds the client. Missing credentials are allowed (the matching calls then fail
    /// closed); a malformed base URL is a start-up error.
    ///
    /// # Errors
    /// A short message when the base URL is not an http(s) URL or the HTTP client cannot
    /// be built.
    pub fn new(cfg: DiditConfig) -> Result<Self, String> {
        let base = cfg.base_url.trim().trim_end_matches('/');
        let session_url = url::Url::parse(&format!("{base}{SESSION_PATH}"))
            .map_err(|_| "didit base url is not a url".to_owned())?;
        if !matches!(session_url.scheme(), "https" | "http") || session_url.host().is_none() {
            return Err("didit base url must be http(s)".into());
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ishtar-venue/1")
            .build()
            .map_err(|_| "didit http client could not be built".to_owned())?;
        Ok(Self {
            http,
            session_url,
            api_key: non_blank_secret(cfg.api_key),
            workflow_id: non_blank(cfg.workflow_id),
            callback_url: non_blank(cfg.callback_url),
            webhook_secret: non_blank_secret(cfg.webhook_secret),
            timeout: cfg.timeout,
        })
    }

    /// Whether an API key and a workflow are set (sessions can be created).
    pub fn sessions_configured(&self) -> bool {
        self.api_key.is_some() && self.workflow_id.is_some()
    }

    /// Whether a webhook secret is set (webhooks can be accepted).
    pub fn webhooks_configured(&self) -> bool {
        self.webhook_secret.is_some()
    }

    /// The session-creation URL (`{base}/v3/session/`).
    pub fn session_url(&self) -> &str {
        self.session_url.as_str()
    }
}

#[async_trait]
impl IdentityProvider for DiditClient {
    async fn create_session(&self, vendor_data: String) -> Result<IdentitySession, ProviderError> {
        self.start_session(vendor_data).await
    }

    fn verify_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<String>,
        timestamp: Option<String>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, WebhookError> {
        self.check_webhook(raw_body, signature.as_deref(), timestamp.as_deref(), now)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;

    #[test]
    fn config_defaults_and_bad_base_urls() {
        let c = DiditClient::new(DiditConfig::default()).unwrap();
        assert_eq!(c.session_url(), "https://verification.didit.me/v3/session/");
        assert!(!c.sessions_configured() && !c.webhooks_configured());
        for bad in ["", "not a url", "ftp://x.example", "verification.didit.me"] {
            let r = DiditClient::new(DiditConfig {
                base_url: bad.into(),
                ..DiditConfig::default()
            });
            assert!(r.is_err(), "{bad}");
        }
        // Secrets never show in Debug.
        let c = DiditClient::new(DiditConfig {
            api_key: Some("sekrit-key".into()),
            webhook_secret: Some("sekrit-hook".into()),
            ..DiditConfig::default()
        })
        .unwrap();
        assert!(!format!("{c:?}").contains("sekrit"));
    }
}
