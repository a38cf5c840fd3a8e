//! Checking a Didit webhook (docs/rules.md#webhooks), step by step: fail closed with no
//! secret; require `X-Signature` and an `X-Timestamp` within ±[`WEBHOOK_TOLERANCE_S`] of
//! `now` (the replay window); HMAC-SHA256 of the **exact raw body**, compared in constant
//! time; only then parse the JSON, and read its decision (`decision.rs`).

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use time::{OffsetDateTime, UtcOffset};

use ishtar_domain::ports::{IdentityEvent, WebhookError};

use crate::{DiditClient, WEBHOOK_TOLERANCE_S, decision};

/// Webhook bodies larger than this are refused before hashing (Didit sends image URLs,
/// not images).
const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

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

impl DiditClient {
    /// `IdentityProvider::verify_webhook`.
    pub(crate) fn check_webhook(
        &self,
        raw_body: &[u8],
        signature: Option<&str>,
        timestamp: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<IdentityEvent, WebhookError> {
        let secret = self
            .webhook_secret
            .as_ref()
            .ok_or(WebhookError::Unconfigured)?;
        let signature = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(WebhookError::MissingSignature)?;
        let ts: i64 = timestamp
            .map(str::trim)
            .and_then(|t| t.parse().ok())
            .ok_or(WebhookError::MissingTimestamp)?;
        if now.unix_timestamp().abs_diff(ts) > WEBHOOK_TOLERANCE_S {
            return Err(WebhookError::StaleTimestamp);
        }
        if raw_body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge);
        }
        let given = hex::decode(signature).map_err(|_| WebhookError::BadSignature)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .map_err(|_| WebhookError::BadSignature)?;
        mac.update(raw_body);
        // `verify_slice` compares in constant time (and refuses a wrong length).
        mac.verify_slice(&given)
            .map_err(|_| WebhookError::BadSignature)?;

        // Authentic: only now is the body read.
        let body = parse(raw_body)?;
        let facts = decision::read(body.decision.as_ref(), now.to_offset(UtcOffset::UTC).date());
        Ok(IdentityEvent {
            webhook_type: body.webhook_type,
            session_id: body.session_id,
            status: body.status,
            vendor_data: body.vendor_data.or(facts.vendor_data),
            age_over_18: facts.age_over_18,
        })
    }
}

/// Parses an authentic body. A NUL character anywhere in it is refused: no real delivery
/// carries one, and Postgres cannot store one in text.
fn parse(raw_body: &[u8]) -> Result<WebhookBody, WebhookError> {
    let body: Value = serde_json::from_slice(raw_body).map_err(|_| WebhookError::MalformedBody)?;
    if has_nul(&body) {
        return Err(WebhookError::MalformedBody);
    }
    let body: WebhookBody =
        serde_json::from_value(body).map_err(|_| WebhookError::MalformedBody)?;
    if body.session_id.trim().is_empty() {
        return Err(WebhookError::MalformedBody);
    }
    Ok(body)
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

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use crate::DiditConfig;
    use ishtar_domain::ports::IdentityProvider;
    use secrecy::SecretString;
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
            .map_err(|e| e.to_string())
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
}
