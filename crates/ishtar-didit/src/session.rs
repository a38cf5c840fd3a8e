//! Creating verification sessions: `POST {base}/v3/session/` (docs/wire-formats.md#didit-sessions).
//!
//! Fails closed without credentials (no request is made); the whole call is bounded by the
//! configured timeout; the answer is read up to `MAX_RESPONSE_BYTES` and its `url` must be
//! http(s) before a human is sent there.

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::IdentitySession;

use crate::DiditClient;

/// The most bytes read from a session-creation answer.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The part of the session-creation answer we use.
#[derive(Deserialize)]
struct SessionCreated {
    session_id: String,
    url: String,
}

impl DiditClient {
    /// `IdentityProvider::create_session`: builds the request body and posts it within the
    /// configured timeout.
    pub(crate) async fn start_session(
        &self,
        vendor_data: String,
    ) -> Result<IdentitySession, ProviderError> {
        let (Some(key), Some(workflow_id)) = (&self.api_key, &self.workflow_id) else {
            return Err(ProviderError::unconfigured(
                "identity provider not configured",
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
            .map_err(|_| ProviderError::unavailable("timeout"))?
    }

    async fn post_session(
        &self,
        key: &SecretString,
        body: &Value,
    ) -> Result<IdentitySession, ProviderError> {
        let mut key = HeaderValue::from_str(key.expose_secret())
            .map_err(|_| ProviderError::unavailable("api key is not a valid header"))?;
        key.set_sensitive(true);
        let mut res = self
            .http
            .post(self.session_url.clone())
            .header("x-api-key", key)
            .json(body)
            .send()
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    "timeout"
                } else {
                    "connect failed"
                };
                ProviderError::unavailable(why).with_source(e)
            })?;
        let status = res.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| ProviderError::unavailable("read failed").with_source(e))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderError::malformed("answer too large"));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let snippet: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
            tracing::warn!(status = status.as_u16(), body = %snippet, "didit session creation failed");
            let why = format!("status {}", status.as_u16());
            return Err(
                if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                    ProviderError::unavailable(why)
                } else {
                    ProviderError::rejected(why)
                },
            );
        }
        let created: SessionCreated = serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::malformed("expected {\"session_id\", \"url\"}").with_source(e)
        })?;
        if created.session_id.trim().is_empty() {
            return Err(ProviderError::malformed("empty session_id"));
        }
        let url = url::Url::parse(created.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| ProviderError::malformed("session url is not http(s)"))?;
        Ok(IdentitySession {
            session_id: created.session_id,
            url: url.into(),
        })
    }
}
