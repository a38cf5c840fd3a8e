//! Didit identity and age verification (docs/identity.md, docs/wire-formats.md), as the domain's
//! [`IdentityProvider`] port.
//!
//! - [`DiditClient::create_session`]: `POST {base}/v3/session/` with `x-api-key`, a body of
//!   `workflow_id`, `vendor_data` (our owner reference) and, if configured, `callback`;
//!   reads `session_id` and `url` from the answer. No API key or workflow → `Unavailable`
//!   without any request. Time is bounded; 5xx/timeouts are `Unavailable`, other refusals
//!   `Rejected`, unreadable answers `Malformed`.
//! - [`DiditClient::verify_webhook`] (docs/rules.md#webhooks): fail closed with no secret; require
//!   `X-Signature` and an `X-Timestamp` within ±300 s of `now`; HMAC-SHA256 of the **exact
//!   raw body** compared in constant time; only then parse the JSON. The decision's
//!   document data is reduced to one bit (`age_over_18`) and never kept.
//!
//! Only the raw-body `X-Signature` is accepted: `X-Signature-V2` and `X-Signature-Simple`
//! have unconfirmed or weaker definitions (docs/wire-formats.md#didit-webhooks).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use time::{Date, OffsetDateTime, UtcOffset};

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{IdentityEvent, IdentityProvider, IdentitySession};

/// Didit's API base (`ISHTAR_DIDIT_BASE_URL` default).
pub const DEFAULT_BASE_URL: &str = "https://verification.didit.me";

/// The session-creation path, trailing slash included (docs/wire-formats.md#didit-sessions).
pub const SESSION_PATH: &str = "/v3/session/";

/// How far `X-Timestamp` may be from `now`, either way, in seconds.
pub const WEBHOOK_TOLERANCE_S: u64 = 300;

/// The default bound on a session-creation call, all told.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes read from a session-creation answer.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Webhook bodies larger than this are refused before hashing (Didit sends image URLs,
/// not images).
const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

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

/// The part of the session-creation answer we use.
#[derive(Deserialize)]
struct SessionCreated {
    session_id: String,
    url: String,
}

/// The part of a webhook body we use. Everything else (including `metadata` and the
/// decision's document fields) is dropped after parsing.
#[derive(Deserialize)]
struct WebhookBody {
    webhook_type: String,
    session_id: String,
    status: String,
    #[serde(default)]
    vendor_data: Option<String>,
    #[serde(default)]
    decision: Option<Value>,
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

    async fn post_session(
        &self,
        key: &SecretString,
        body: &Value,
    ) -> Result<IdentitySession, ProviderError> {
        let mut key = HeaderValue::from_str(key.expose_secret())
            .map_err(|_| ProviderError::Unavailable("api key is not a valid header".into()))?;
        key.set_sensitive(true);
        let mut res = self
            .http
            .post(self.session_url.clone())
            .header("x-api-key", key)
            .json(body)
            .send()
            .await
            .map_err(|e| {
                ProviderError::Unavailable(if e.is_timeout() {
                    "timeout".into()
                } else {
                    "connect failed".into()
                })
            })?;
        let status = res.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|_| ProviderError::Unavailable("read failed".into()))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderError::Malformed("answer too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let snippet: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
            tracing::warn!(status = status.as_u16(), body = %snippet, "didit session creation failed");
            let why = format!("status {}", status.as_u16());
            return Err(
                if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                    ProviderError::Unavailable(why)
                } else {
                    ProviderError::Rejected(why)
                },
            );
        }
        let created: SessionCreated = serde_json::from_slice(&bytes)
            .map_err(|_| ProviderError::Malformed("expected {\"session_id\", \"url\"}".into()))?;
        if created.session_id.trim().is_empty() {
            return Err(ProviderError::Malformed("empty session_id".into()));
        }
        let url = url::Url::parse(created.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| ProviderError::Malformed("session url is not http(s)".into()))?;
        Ok(IdentitySession {
            session_id: created.session_id,
            url: url.into(),
        })
    }

    /// The webhook check, step by step (see the crate docs).
    fn check_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<&str>,
        timestamp: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, &'static str> {
        let secret = self
            .webhook_secret
            .as_ref()
            .ok_or("webhook secret not configured")?;
        let signature = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or("missing signature")?;
        let ts: i64 = timestamp
            .map(str::trim)
            .and_then(|t| t.parse().ok())
            .ok_or("missing timestamp")?;
        if now.unix_timestamp().abs_diff(ts) > WEBHOOK_TOLERANCE_S {
            return Err("stale timestamp");
        }
        if raw_body.len() > MAX_WEBHOOK_BYTES {
            return Err("body too large");
        }
        let given = hex::decode(signature).map_err(|_| "bad signature")?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .map_err(|_| "bad signature")?;
        mac.update(raw_body);
        // `verify_slice` compares in constant time (and refuses a wrong length).
        mac.verify_slice(&given).map_err(|_| "bad signature")?;

        // Authentic: only now is the body read. A NUL character anywhere in it is refused:
        // no real delivery carries one, and Postgres cannot store one in text.
        let body: Value = serde_json::from_slice(raw_body).map_err(|_| "malformed body")?;
        if has_nul(&body) {
            return Err("malformed body");
        }
        let body: WebhookBody = serde_json::from_value(body).map_err(|_| "malformed body")?;
        if body.session_id.trim().is_empty() {
            return Err("malformed body");
        }
        let today = now.to_offset(UtcOffset::UTC).date();
        let (age_over_18, decision_vendor_data) = match &body.decision {
            Some(d) => (
                age_over_18(d, today),
                d.get("vendor_data")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
            None => (None, None),
        };
        Ok(IdentityEvent {
            webhook_type: body.webhook_type,
            session_id: body.session_id,
            status: body.status,
            vendor_data: body.vendor_data.or(decision_vendor_data),
            age_over_18,
        })
    }
}

/// Whether any string of a JSON value, keys included, holds a NUL character.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The document entries of a decision: `id_verification` (v2), `id_verifications` (v3,
/// a list) and `kyc` (v1). Wire-formats.md does not pin these down; see docs/identity.md.
fn documents(decision: &Value) -> Vec<&Value> {
    let mut docs = Vec::new();
    for key in ["id_verification", "kyc"] {
        if let Some(d) = decision.get(key).filter(|d| d.is_object()) {
            docs.push(d);
        }
    }
    if let Some(list) = decision.get("id_verifications").and_then(Value::as_array) {
        docs.extend(list.iter().filter(|d| d.is_object()));
    }
    docs
}

/// Whether someone born on `dob` is 18 or older on `today`.
fn adult_on(dob: Date, today: Date) -> bool {
    let mut years = today.year() - dob.year();
    if (u8::from(today.month()), today.day()) < (u8::from(dob.month()), dob.day()) {
        years -= 1;
    }
    years >= 18
}

fn parse_dob(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, format).ok()
}

/// One bit from the decision: over 18 by the document's date of birth (else its `age`).
/// Several documents must all agree; a document showing a minor wins. `None` when no
/// document carries either field.
fn age_over_18(decision: &Value, today: Date) -> Option<bool> {
    let verdicts: Vec<bool> = documents(decision)
        .into_iter()
        .filter_map(|doc| {
            let by_dob = doc
                .get("date_of_birth")
                .and_then(Value::as_str)
                .and_then(parse_dob)
                .map(|dob| adult_on(dob, today));
            by_dob.or_else(|| {
                doc.get("age")
                    .and_then(Value::as_f64)
                    .map(|age| age >= 18.0)
            })
        })
        .collect();
    if verdicts.is_empty() {
        None
    } else {
        Some(verdicts.iter().all(|&adult| adult))
    }
}

#[async_trait]
impl IdentityProvider for DiditClient {
    async fn create_session(&self, vendor_data: String) -> Result<IdentitySession, ProviderError> {
        let (Some(key), Some(workflow_id)) = (&self.api_key, &self.workflow_id) else {
            return Err(ProviderError::Unavailable(
                "identity provider not configured".into(),
            ));
        };
        let mut body = serde_json::json!({
            "workflow_id": workflow_id,
            "vendor_data": vendor_data,
        });
        if let Some(cb) = &self.callback_url {
            body["callback"] = Value::String(cb.clone());
        }
        tokio::time::timeout(self.timeout, self.post_session(key, &body))
            .await
            .map_err(|_| ProviderError::Unavailable("timeout".into()))?
    }

    fn verify_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<String>,
        timestamp: Option<String>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, String> {
        self.check_webhook(raw_body, signature.as_deref(), timestamp.as_deref(), now)
            .map_err(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use serde_json::json;

    const SECRET: &str = "whsec-test-secret";
    const NOW: i64 = 1_800_000_000;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    }

    fn webhook_client() -> DiditClient {
        DiditClient::new(DiditConfig {
            webhook_secret: Some(SECRET.into()),
            ..DiditConfig::default()
        })
        .unwrap()
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn ts(at: i64) -> String {
        at.to_string()
    }

    /// Shaped like Didit's `status.updated` (docs/wire-formats.md#didit-webhooks), with a v2-style
    /// decision. Spacing and a float as a Python sender writes them: re-serialising would
    /// change the bytes and break the HMAC.
    fn approved_body(dob: &str) -> Vec<u8> {
        format!(
            r#"{{"session_id": "11111111-2222-3333-4444-555555555555", "status": "Approved","webhook_type":"status.updated","vendor_data":"owner:42","workflow_id":"wf-1","created_at":1799999990,"timestamp":1799999990,"decision":{{"session_id":"11111111-2222-3333-4444-555555555555","status":"Approved","vendor_data":"owner:42","id_verification":{{"status":"Approved","document_type":"Passport","document_number":"BK123456","first_name":"Zoë","last_name":"Åström","date_of_birth":"{dob}","age":null}},"face":{{"face_match_similarity":9.70e1}}}}}}"#
        )
        .into_bytes()
    }

    fn verify(
        c: &DiditClient,
        body: &[u8],
        sig: Option<&str>,
        at: Option<&str>,
    ) -> Result<IdentityEvent, String> {
        c.verify_webhook(body, sig.map(str::to_owned), at.map(str::to_owned), now())
    }

    #[test]
    fn a_signed_approved_webhook_is_parsed_with_the_age_bit() {
        let body = approved_body("1990-01-01");
        let ev = verify(
            &webhook_client(),
            &body,
            Some(&sign(SECRET, &body)),
            Some(&ts(NOW - 5)),
        )
        .unwrap();
        assert_eq!(
            ev,
            IdentityEvent {
                webhook_type: "status.updated".into(),
                session_id: "11111111-2222-3333-4444-555555555555".into(),
                status: "Approved".into(),
                vendor_data: Some("owner:42".into()),
                age_over_18: Some(true),
            }
        );
    }

    #[test]
    fn a_minor_by_date_of_birth_is_not_over_18() {
        // NOW is 2027-01-15; born 2009-01-16 → 17 the day before the 18th birthday.
        assert_eq!(now().date().to_string(), "2027-01-15");
        let body = approved_body("2009-01-16");
        let ev = verify(
            &webhook_client(),
            &body,
            Some(&sign(SECRET, &body)),
            Some(&ts(NOW)),
        )
        .unwrap();
        assert_eq!(ev.age_over_18, Some(false));
        let body = approved_body("2009-01-15");
        let ev = verify(
            &webhook_client(),
            &body,
            Some(&sign(SECRET, &body)),
            Some(&ts(NOW)),
        )
        .unwrap();
        assert_eq!(ev.age_over_18, Some(true), "18 today");
    }

    #[test]
    fn a_signed_declined_webhook_is_parsed() {
        let body = serde_json::to_vec(&json!({
            "session_id": "s-2",
            "status": "Declined",
            "webhook_type": "status.updated",
            "vendor_data": "owner:7",
            "decision": {"status": "Declined", "id_verifications": [{"status": "Declined"}]},
        }))
        .unwrap();
        let ev = verify(
            &webhook_client(),
            &body,
            Some(&sign(SECRET, &body)),
            Some(&ts(NOW + 10)),
        )
        .unwrap();
        assert_eq!(ev.status, "Declined");
        assert_eq!(ev.session_id, "s-2");
        assert_eq!(ev.vendor_data.as_deref(), Some("owner:7"));
        assert_eq!(ev.age_over_18, None, "no date of birth, no age");
    }

    #[test]
    fn other_event_types_parse_fine() {
        let body = serde_json::to_vec(&json!({
            "session_id": "s-3",
            "status": "In Progress",
            "webhook_type": "data.updated",
        }))
        .unwrap();
        let ev = verify(
            &webhook_client(),
            &body,
            Some(&sign(SECRET, &body)),
            Some(&ts(NOW)),
        )
        .unwrap();
        assert_eq!(ev.webhook_type, "data.updated");
        assert_eq!(ev.status, "In Progress");
        assert_eq!(ev.vendor_data, None);
        assert_eq!(ev.age_over_18, None);
    }

    #[test]
    fn a_nul_character_anywhere_is_a_malformed_body() {
        let c = webhook_client();
        for body in [
            json!({"session_id": "s-\u{0}1", "status": "Approved", "webhook_type": "status.updated"}),
            json!({"session_id": "s-1", "status": "Approved\u{0}", "webhook_type": "status.updated"}),
            json!({"session_id": "s-1", "status": "Approved", "webhook_type": "status.updated",
                   "vendor_data": "ishtar:owner:1\u{0}"}),
            json!({"session_id": "s-1", "status": "Approved", "webhook_type": "status.updated",
                   "decision": {"id_verification": {"first_name": "A\u{0}"}}}),
            json!({"session_id": "s-1", "status": "Approved", "webhook_type": "status.updated",
                   "metadata": {"k\u{0}": 1}}),
        ] {
            let body = serde_json::to_vec(&body).unwrap();
            assert!(
                body.windows(6).any(|w| w == b"\\u0000"),
                "escaped on the wire"
            );
            assert_eq!(
                verify(&c, &body, Some(&sign(SECRET, &body)), Some(&ts(NOW))),
                Err("malformed body".into())
            );
        }
    }

    #[test]
    fn a_forged_signature_is_rejected() {
        let body = approved_body("1990-01-01");
        let c = webhook_client();
        for sig in [
            sign("another-secret", &body),
            "00".repeat(32),
            "deadbeef".into(),
            "not hex at all".into(),
            format!("sha256={}", sign(SECRET, &body)),
        ] {
            assert_eq!(
                verify(&c, &body, Some(&sig), Some(&ts(NOW))),
                Err("bad signature".into()),
                "{sig}"
            );
        }
        // Upper-case hex of the right MAC is the same bytes: accepted.
        let upper = sign(SECRET, &body).to_uppercase();
        assert!(verify(&c, &body, Some(&upper), Some(&ts(NOW))).is_ok());
    }

    #[test]
    fn a_body_tampered_after_signing_is_rejected() {
        let body = approved_body("2012-01-01");
        let sig = sign(SECRET, &body);
        let tampered = String::from_utf8(body)
            .unwrap()
            .replace("2012-01-01", "1990-01-01");
        assert_eq!(
            verify(
                &webhook_client(),
                tampered.as_bytes(),
                Some(&sig),
                Some(&ts(NOW))
            ),
            Err("bad signature".into())
        );
        // Re-serialising the parsed body (same JSON value) also fails: the raw bytes count.
        let body = approved_body("1990-01-01");
        let sig = sign(SECRET, &body);
        let reserialised =
            serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
        assert_ne!(reserialised, body);
        assert_eq!(
            verify(&webhook_client(), &reserialised, Some(&sig), Some(&ts(NOW))),
            Err("bad signature".into())
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let body = approved_body("1990-01-01");
        let sig = sign(SECRET, &body);
        let c = webhook_client();
        for at in [NOW - 301, NOW + 301, NOW - 86_400, NOW + 86_400, 0] {
            assert_eq!(
                verify(&c, &body, Some(&sig), Some(&ts(at))),
                Err("stale timestamp".into()),
                "{at}"
            );
        }
        for at in [NOW - 300, NOW + 300] {
            assert!(verify(&c, &body, Some(&sig), Some(&ts(at))).is_ok(), "{at}");
        }
        // Milliseconds are not seconds.
        assert_eq!(
            verify(&c, &body, Some(&sig), Some(&ts(NOW * 1000))),
            Err("stale timestamp".into())
        );
    }

    #[test]
    fn missing_headers_are_rejected() {
        let body = approved_body("1990-01-01");
        let sig = sign(SECRET, &body);
        let c = webhook_client();
        assert_eq!(
            verify(&c, &body, None, Some(&ts(NOW))),
            Err("missing signature".into())
        );
        assert_eq!(
            verify(&c, &body, Some("  "), Some(&ts(NOW))),
            Err("missing signature".into())
        );
        assert_eq!(
            verify(&c, &body, Some(&sig), None),
            Err("missing timestamp".into())
        );
        for bad in ["", "soon", "1.5e9", "1800000000.0"] {
            assert_eq!(
                verify(&c, &body, Some(&sig), Some(bad)),
                Err("missing timestamp".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_a_secret_every_webhook_is_rejected() {
        let body = approved_body("1990-01-01");
        for secret in [None, Some(SecretString::from(""))] {
            let c = DiditClient::new(DiditConfig {
                webhook_secret: secret,
                ..DiditConfig::default()
            })
            .unwrap();
            assert!(!c.webhooks_configured());
            // Even a body "signed" with the empty key.
            assert_eq!(
                verify(&c, &body, Some(&sign("", &body)), Some(&ts(NOW))),
                Err("webhook secret not configured".into())
            );
        }
    }

    #[test]
    fn an_unparseable_body_after_a_good_signature_is_malformed() {
        let c = webhook_client();
        for body in [
            &b"not json"[..],
            br#"{"session_id":"s","status":"Approved"}"#,
            br#"{"session_id":"","status":"Approved","webhook_type":"status.updated"}"#,
            br#"{"session_id":1,"status":"Approved","webhook_type":"status.updated"}"#,
            br#"[]"#,
        ] {
            assert_eq!(
                verify(&c, body, Some(&sign(SECRET, body)), Some(&ts(NOW))),
                Err("malformed body".into())
            );
        }
    }

    #[test]
    fn the_age_bit_reads_every_known_decision_shape() {
        let today = now().date();
        for (decision, want) in [
            (
                json!({"id_verification": {"date_of_birth": "2000-02-29"}}),
                Some(true),
            ),
            (json!({"kyc": {"date_of_birth": "2010-05-05"}}), Some(false)),
            (json!({"id_verifications": [{"age": 34}]}), Some(true)),
            (json!({"id_verifications": [{"age": 17}]}), Some(false)),
            (
                json!({"id_verifications": [{"date_of_birth": "1990-01-01"}, {"age": 16}]}),
                Some(false),
            ),
            (
                json!({"id_verification": {"date_of_birth": "1990-01-01T00:00:00Z"}}),
                Some(true),
            ),
            (
                json!({"id_verification": {"date_of_birth": "garbage", "age": 20}}),
                Some(true),
            ),
            (json!({"id_verification": null}), None),
            (json!({"id_verification": "x", "kyc": 3}), None),
            (json!({}), None),
        ] {
            assert_eq!(age_over_18(&decision, today), want, "{decision}");
        }
        // Born 29 Feb: adult on 1 Mar of the 18th year, not on 28 Feb.
        let dob = parse_dob("2008-02-29").unwrap();
        assert!(!adult_on(dob, parse_dob("2026-02-28").unwrap()));
        assert!(adult_on(dob, parse_dob("2026-03-01").unwrap()));
    }

    // -------------------------------------------------------------------------------
    // Session creation against a fake Didit on loopback.

    mod fake {
        use std::net::TcpListener;
        use std::sync::{Arc, Mutex};
        use std::time::Duration;

        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

        #[derive(Debug, Clone, Copy)]
        pub enum Behaviour {
            Good,
            Status(u16),
            Hang,
            Garbage,
            BadUrl,
        }

        #[derive(Debug, Clone)]
        pub struct Seen {
            pub method: String,
            pub path: String,
            pub api_key: Option<String>,
            pub content_type: Option<String>,
            pub body: serde_json::Value,
        }

        pub struct FakeDidit {
            pub base: String,
            pub seen: Arc<Mutex<Vec<Seen>>>,
            handle: actix_web::dev::ServerHandle,
        }

        impl FakeDidit {
            pub fn start(behaviour: Behaviour) -> Self {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = listener.local_addr().unwrap().port();
                let seen = Arc::new(Mutex::new(Vec::new()));
                let s = seen.clone();
                let server = HttpServer::new(move || {
                    let seen = s.clone();
                    App::new().default_service(web::to(
                        move |req: HttpRequest, body: web::Bytes| {
                            let seen = seen.clone();
                            async move {
                                let header = |n: &str| {
                                    req.headers()
                                        .get(n)
                                        .and_then(|v| v.to_str().ok())
                                        .map(str::to_owned)
                                };
                                let parsed: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap_or_default();
                                seen.lock().unwrap().push(Seen {
                                    method: req.method().to_string(),
                                    path: req.path().to_owned(),
                                    api_key: header("x-api-key"),
                                    content_type: header("content-type"),
                                    body: parsed.clone(),
                                });
                                let created = serde_json::json!({
                                    "session_id": "5a7e0000-0000-4000-8000-000000000001",
                                    "session_number": 1234,
                                    "session_token": "tok",
                                    "url": "https://verify.didit.me/session/tok",
                                    "vendor_data": parsed.get("vendor_data"),
                                    "metadata": null,
                                    "status": "Not Started",
                                    "workflow_id": parsed.get("workflow_id"),
                                    "callback": parsed.get("callback"),
                                });
                                match behaviour {
                                    Behaviour::Good => HttpResponse::Created().json(created),
                                    Behaviour::Status(code) => HttpResponse::build(
                                        actix_web::http::StatusCode::from_u16(code).unwrap(),
                                    )
                                    .json(serde_json::json!({"detail": "nope"})),
                                    Behaviour::Hang => {
                                        tokio::time::sleep(Duration::from_secs(30)).await;
                                        HttpResponse::Created().json(created)
                                    }
                                    Behaviour::Garbage => {
                                        HttpResponse::Created().body("<html>hello</html>")
                                    }
                                    Behaviour::BadUrl => {
                                        HttpResponse::Created().json(serde_json::json!({
                                            "session_id": "s",
                                            "url": "javascript:alert(1)",
                                        }))
                                    }
                                }
                            }
                        },
                    ))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                let handle = server.handle();
                tokio::spawn(server);
                Self {
                    base: format!("http://127.0.0.1:{port}"),
                    seen,
                    handle,
                }
            }

            pub fn seen(&self) -> Vec<Seen> {
                self.seen.lock().unwrap().clone()
            }
        }

        impl Drop for FakeDidit {
            fn drop(&mut self) {
                drop(self.handle.stop(false));
            }
        }
    }

    use fake::{Behaviour, FakeDidit};

    fn session_client(base: &str, callback: Option<&str>) -> DiditClient {
        DiditClient::new(DiditConfig {
            base_url: base.to_owned(),
            api_key: Some("didit-api-key".into()),
            workflow_id: Some("0f0e0d0c-0000-4000-8000-00000000abcd".into()),
            callback_url: callback.map(str::to_owned),
            webhook_secret: None,
            timeout: Duration::from_millis(700),
        })
        .unwrap()
    }

    #[tokio::test]
    async fn create_session_posts_the_documented_request() {
        let didit = FakeDidit::start(Behaviour::Good);
        // A trailing slash on the base is tolerated.
        let c = session_client(
            &format!("{}/", didit.base),
            Some("https://venue.example/done"),
        );
        let s = c.create_session("owner:42".into()).await.unwrap();
        assert_eq!(
            s,
            IdentitySession {
                session_id: "5a7e0000-0000-4000-8000-000000000001".into(),
                url: "https://verify.didit.me/session/tok".into(),
            }
        );
        let seen = didit.seen();
        assert_eq!(seen.len(), 1);
        let r = &seen[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v3/session/");
        assert_eq!(r.api_key.as_deref(), Some("didit-api-key"));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            r.body,
            json!({
                "workflow_id": "0f0e0d0c-0000-4000-8000-00000000abcd",
                "vendor_data": "owner:42",
                "callback": "https://venue.example/done",
            })
        );
    }

    #[tokio::test]
    async fn the_callback_is_omitted_when_unset() {
        let didit = FakeDidit::start(Behaviour::Good);
        let c = session_client(&didit.base, None);
        c.create_session("owner:1".into()).await.unwrap();
        let body = &didit.seen()[0].body;
        assert!(body.get("callback").is_none(), "{body}");
        assert_eq!(body["vendor_data"], "owner:1");
    }

    #[tokio::test]
    async fn server_errors_are_unavailable_and_refusals_rejected() {
        for (code, unavailable) in [
            (500, true),
            (503, true),
            (429, true),
            (401, false),
            (400, false),
        ] {
            let didit = FakeDidit::start(Behaviour::Status(code));
            let r = session_client(&didit.base, None)
                .create_session("owner:1".into())
                .await;
            match r {
                Err(ProviderError::Unavailable(m)) if unavailable => {
                    assert_eq!(m, format!("status {code}"));
                }
                Err(ProviderError::Rejected(m)) if !unavailable => {
                    assert_eq!(m, format!("status {code}"));
                }
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_hanging_provider_times_out_quickly() {
        let didit = FakeDidit::start(Behaviour::Hang);
        let started = std::time::Instant::now();
        let r = session_client(&didit.base, None)
            .create_session("owner:1".into())
            .await;
        assert!(
            matches!(&r, Err(ProviderError::Unavailable(m)) if m == "timeout"),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn garbage_answers_are_malformed() {
        for b in [Behaviour::Garbage, Behaviour::BadUrl] {
            let didit = FakeDidit::start(b);
            let r = session_client(&didit.base, None)
                .create_session("owner:1".into())
                .await;
            assert!(
                matches!(r, Err(ProviderError::Malformed(_))),
                "{b:?}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_unavailable() {
        // Bind a port, then close it: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = session_client(&format!("http://127.0.0.1:{port}"), None)
            .create_session("owner:1".into())
            .await;
        assert!(matches!(r, Err(ProviderError::Unavailable(_))), "{r:?}");
    }

    #[tokio::test]
    async fn unconfigured_sessions_fail_without_a_request() {
        let didit = FakeDidit::start(Behaviour::Good);
        for (key, workflow) in [
            (None, Some("wf")),
            (Some("k"), None),
            (Some(""), Some("wf")),
            (Some("k"), Some("  ")),
        ] {
            let c = DiditClient::new(DiditConfig {
                base_url: didit.base.clone(),
                api_key: key.map(SecretString::from),
                workflow_id: workflow.map(str::to_owned),
                ..DiditConfig::default()
            })
            .unwrap();
            assert!(!c.sessions_configured());
            let r = c.create_session("owner:1".into()).await;
            assert!(
                matches!(&r, Err(ProviderError::Unavailable(m)) if m == "identity provider not configured"),
                "{r:?}"
            );
        }
        assert!(didit.seen().is_empty());
    }

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
