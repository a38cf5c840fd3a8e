//! The facilitator client: the domain's [`Facilitator`] port over `POST {base}/verify` and
//! `POST {base}/settle` (docs/wire-formats.md#facilitator-verify-and-settle), in the version
//! the client paid in: `{"x402Version":1|2, "paymentPayload", "paymentRequirements"}` with the
//! requirement in that version's shape (v1: `base`, `maxAmountRequired`, …; v2: `eip155:8453`,
//! `amount`, …). The answers have one shape in both versions.
//!
//! Fail-closed: anything but a clear yes is an error. Neither call is retried by this
//! adapter: settle because a retry can charge twice, verify because a second try buys
//! little (hyper already resends a request that never left a stale pooled connection) and
//! one code path is easier to reason about.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::Value;
use time::OffsetDateTime;

use ishtar_domain::ports::{
    CheckedPayment, Facilitator, PaymentChallenge, PaymentError, PaymentHeader, PaymentRequirement,
    PaymentVersion, Settlement,
};

use crate::cdp::CdpAuth;
use crate::chain::{BASE_CAIP2, BASE_V1, caip2_network_name, v1_network_name};
use crate::wire::{
    CdpError, PaymentRequirements, SettleResponse, VerifyRequest, VerifyRequestV2, VerifyResponse,
    X402_VERSION, X402_VERSION_2, encode_header,
};

/// The most bytes read from a facilitator answer.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Facilitator settings (docs/payments.md#settings).
#[derive(Debug, Clone)]
pub struct FacilitatorConfig {
    /// `ISHTAR_X402_FACILITATOR_URL`, e.g. `https://api.cdp.coinbase.com/platform/v2/x402`.
    /// Unset: every verify and settle is `Unavailable` (every payment is not verified).
    pub base_url: Option<String>,
    /// `ISHTAR_CDP_API_KEY_ID`. With the secret, every request carries a fresh CDP JWT.
    pub cdp_api_key_id: Option<String>,
    /// `ISHTAR_CDP_API_KEY_SECRET`: EC PEM (ES256) or base64 Ed25519 (EdDSA).
    pub cdp_api_key_secret: Option<SecretString>,
    /// Per request, connect to last byte. Settle waits for the chain: allow seconds.
    pub timeout: Duration,
}

impl Default for FacilitatorConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            cdp_api_key_id: None,
            cdp_api_key_secret: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why a [`FacilitatorConfig`] cannot be used (raised at start-up, never per request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("ISHTAR_X402_FACILITATOR_URL: {0}")]
    BaseUrl(String),
    #[error("CDP API key: {0}")]
    CdpKey(String),
    #[error("HTTP client: {0}")]
    Http(String),
}

/// The x402 facilitator adapter.
pub struct X402Facilitator {
    base: Option<url::Url>,
    auth: Option<CdpAuth>,
    http: reqwest::Client,
    timeout: Duration,
}

impl fmt::Debug for X402Facilitator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X402Facilitator")
            .field("base", &self.base.as_ref().map(url::Url::as_str))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The payload [`crate::precheck_payment`] kept in a [`CheckedPayment`], as JSON again.
fn decoded(payment: &CheckedPayment) -> Result<Value, PaymentError> {
    serde_json::from_slice(&payment.payload)
        .map_err(|e| PaymentError::Invalid(format!("payment payload: {e}")))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn unavailable(m: impl Into<String>) -> PaymentError {
    PaymentError::Unavailable(m.into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Verify,
    Settle,
}

impl Call {
    fn path(self) -> &'static str {
        match self {
            Call::Verify => "verify",
            Call::Settle => "settle",
        }
    }
}

impl X402Facilitator {
    /// Checks the settings and builds the client. An empty string counts as unset.
    ///
    /// # Errors
    /// A base URL that is not http(s), a key id without a secret (or the reverse), or a
    /// secret that is not a usable CDP key.
    pub fn new(config: FacilitatorConfig) -> Result<Self, ConfigError> {
        let base = match non_empty(config.base_url.as_deref()) {
            None => None,
            Some(s) => {
                let u = url::Url::parse(s.trim_end_matches('/'))
                    .map_err(|e| ConfigError::BaseUrl(e.to_string()))?;
                if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                    return Err(ConfigError::BaseUrl("must be an http(s) URL".to_owned()));
                }
                if u.query().is_some() || u.fragment().is_some() {
                    return Err(ConfigError::BaseUrl(
                        "must not carry a query or fragment".to_owned(),
                    ));
                }
                Some(u)
            }
        };
        let secret = config
            .cdp_api_key_secret
            .as_ref()
            .filter(|s| !secrecy::ExposeSecret::expose_secret(*s).trim().is_empty());
        let auth = match (non_empty(config.cdp_api_key_id.as_deref()), secret) {
            (None, None) => None,
            (Some(id), Some(secret)) => {
                Some(CdpAuth::new(id, secret).map_err(ConfigError::CdpKey)?)
            }
            (Some(_), None) => {
                return Err(ConfigError::CdpKey(
                    "ISHTAR_CDP_API_KEY_ID is set but ISHTAR_CDP_API_KEY_SECRET is not".to_owned(),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::CdpKey(
                    "ISHTAR_CDP_API_KEY_SECRET is set but ISHTAR_CDP_API_KEY_ID is not".to_owned(),
                ));
            }
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ishtar-x402/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Self {
            base,
            auth,
            http,
            timeout: config.timeout,
        })
    }

    /// Whether a facilitator URL is configured.
    #[must_use]
    pub fn is_configured(&self) -> bool {
        self.base.is_some()
    }

    /// The body sent to `/verify` and `/settle`, in the payment's version: [`Self::request_body`]
    /// for v1, [`Self::request_body_v2`] for v2.
    ///
    /// # Errors
    /// As those.
    pub fn request_json(
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<Value, PaymentError> {
        let json = match payment.version {
            PaymentVersion::V1 => serde_json::to_value(Self::request_body(payment, requirement)?),
            PaymentVersion::V2 => {
                serde_json::to_value(Self::request_body_v2(payment, requirement)?)
            }
        };
        json.map_err(|e| PaymentError::Invalid(format!("payment payload: {e}")))
    }

    /// The v2 body: `x402Version` 2, the payload exactly as decoded (its `accepted` was
    /// checked against the offer), and the requirement as the `PAYMENT-REQUIRED` header
    /// offers it (CAIP-2 network, `amount`, `extra`).
    ///
    /// # Errors
    /// When the requirement's network is not Base, or the payload is not a v2 object.
    pub fn request_body_v2(
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<VerifyRequestV2, PaymentError> {
        let requirements = crate::challenge::requirements_v2(requirement).ok_or_else(|| {
            PaymentError::Invalid(format!(
                "this venue cannot check payments on {:?}",
                requirement.network
            ))
        })?;
        let payload = decoded(payment)?;
        if payload.get("x402Version").and_then(Value::as_u64) != Some(X402_VERSION_2) {
            return Err(PaymentError::Invalid(
                "payment payload is not an x402 version-2 object".to_owned(),
            ));
        }
        Ok(VerifyRequestV2 {
            x402_version: X402_VERSION_2,
            payment_payload: payload,
            payment_requirements: requirements,
        })
    }

    /// The v1 body: `x402Version` 1, the payload as decoded (its `network` put in the v1
    /// name), and the requirement in the v1 name.
    ///
    /// # Errors
    /// When the requirement's network is not Base, or the payload is not an object.
    pub fn request_body(
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<VerifyRequest, PaymentError> {
        let network = v1_network_name(&requirement.network).ok_or_else(|| {
            PaymentError::Invalid(format!(
                "this venue cannot check payments on {:?}",
                requirement.network
            ))
        })?;
        let mut payload = decoded(payment)?;
        let Some(object) = payload.as_object_mut() else {
            return Err(PaymentError::Invalid(
                "payment payload is not a JSON object".to_owned(),
            ));
        };
        object.insert("network".to_owned(), Value::String(network.to_owned()));
        Ok(VerifyRequest {
            x402_version: X402_VERSION,
            payment_payload: payload,
            payment_requirements: crate::challenge::requirements(requirement, network, None),
        })
    }

    /// POSTs `body` to `{base}/{call}` and returns the status and at most
    /// [`MAX_RESPONSE_BYTES`] of the answer.
    async fn post(&self, call: Call, body: &Value) -> Result<(StatusCode, Vec<u8>), PaymentError> {
        let Some(base) = &self.base else {
            return Err(unavailable("facilitator not configured"));
        };
        let url = url::Url::parse(&format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            call.path()
        ))
        .map_err(|e| unavailable(format!("facilitator URL: {e}")))?;
        let mut request = self.http.post(url.clone()).json(body);
        if let Some(auth) = &self.auth {
            let jwt = auth
                .jwt("POST", &url, OffsetDateTime::now_utc())
                .map_err(|e| unavailable(format!("CDP auth: {e}")))?;
            request = request.bearer_auth(jwt);
        }
        let what = call.path();
        let mut response = request.send().await.map_err(|e| {
            tracing::warn!(call = what, error = %e, "x402 facilitator request failed");
            transport_error(call, &e, self.timeout)
        })?;
        let status = response.status();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        tracing::warn!(call = what, %status, "x402 facilitator answer too large");
                        return Err(unavailable(format!(
                            "facilitator {what} answer is larger than {MAX_RESPONSE_BYTES} bytes"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(call = what, error = %e, "x402 facilitator answer failed");
                    return Err(transport_error(call, &e, self.timeout));
                }
            }
        }
        Ok((status, bytes))
    }
}

fn transport_error(call: Call, e: &reqwest::Error, timeout: Duration) -> PaymentError {
    let what = call.path();
    let tail = if call == Call::Settle {
        " (the payment may still settle; it was not retried)"
    } else {
        ""
    };
    if e.is_timeout() {
        unavailable(format!(
            "facilitator {what} timed out after {} ms{tail}",
            timeout.as_millis()
        ))
    } else if e.is_connect() {
        unavailable(format!("facilitator unreachable ({what})"))
    } else {
        unavailable(format!("facilitator {what} failed{tail}"))
    }
}

/// Names a non-answer: CDP's generic error, a credentials problem, or the bare status.
fn describe_failure(call: Call, status: StatusCode, body: &[u8]) -> PaymentError {
    let what = call.path();
    let cdp = serde_json::from_slice::<CdpError>(body).ok();
    let kind = cdp.as_ref().map(|e| e.error_type.as_str());
    tracing::warn!(
        call = what,
        %status,
        error_type = kind.unwrap_or(""),
        error_message = cdp.as_ref().map_or("", |e| e.error_message.as_str()),
        correlation_id = cdp.as_ref().and_then(|e| e.correlation_id.as_deref()).unwrap_or(""),
        "x402 facilitator gave no usable answer"
    );
    let code = status.as_u16();
    match (code, kind) {
        (401 | 403, _) => unavailable(format!(
            "facilitator rejected our credentials on {what} (HTTP {code})"
        )),
        (_, Some(kind)) => unavailable(format!("facilitator {what} error (HTTP {code}): {kind}")),
        _ if status.is_success() => unavailable(format!(
            "facilitator {what} answered something that is not an x402 response"
        )),
        _ => unavailable(format!("facilitator {what} error (HTTP {code})")),
    }
}

fn reason(code: Option<String>, message: Option<String>, fallback: &str) -> String {
    let code = code.filter(|s| !s.trim().is_empty());
    let message = message.filter(|s| !s.trim().is_empty());
    match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        (None, Some(m)) => m,
        (None, None) => fallback.to_owned(),
    }
}

/// Reads a verify answer, whatever its status (CDP says no with 400 and a full body).
fn interpret_verify(status: StatusCode, body: &[u8]) -> Result<(), PaymentError> {
    match serde_json::from_slice::<VerifyResponse>(body) {
        Ok(v) if v.is_valid && status.is_success() => Ok(()),
        Ok(v) if v.is_valid => {
            tracing::warn!(%status, "x402 facilitator said isValid with a failure status");
            Err(unavailable(format!(
                "facilitator verify answered isValid with HTTP {}",
                status.as_u16()
            )))
        }
        Ok(v) => {
            let r = reason(
                v.invalid_reason,
                v.invalid_message,
                "payment refused by the facilitator",
            );
            tracing::info!(%status, reason = %r, "x402 facilitator refused the payment");
            Err(PaymentError::Refused(r))
        }
        Err(_) => Err(describe_failure(Call::Verify, status, body)),
    }
}

/// Reads a settle answer, whatever its status (CDP says no with 400 and a full body).
/// A `success:true` with a transaction hash is a settlement even under an odd status:
/// the money has moved, and refusing the report then would charge for nothing.
fn interpret_settle(
    status: StatusCode,
    body: &[u8],
    payment: &CheckedPayment,
) -> Result<Settlement, PaymentError> {
    match serde_json::from_slice::<SettleResponse>(body) {
        Ok(s) if s.success && !s.transaction.trim().is_empty() => {
            if !status.is_success() {
                tracing::warn!(%status, tx = %s.transaction, "x402 settle succeeded with a failure status");
            }
            let payer = s
                .payer
                .filter(|p| !p.trim().is_empty())
                .map_or_else(|| payment.payer.clone(), |p| p.to_ascii_lowercase());
            if payer != payment.payer {
                tracing::warn!(payer = %payer, from = %payment.payer, "x402 settle names another payer");
            }
            let network = if s.network.trim().is_empty() {
                match payment.version {
                    PaymentVersion::V1 => BASE_V1,
                    PaymentVersion::V2 => BASE_CAIP2,
                }
                .to_owned()
            } else {
                s.network
            };
            Ok(Settlement {
                payer,
                transaction: s.transaction,
                network,
            })
        }
        Ok(s) if s.success => {
            tracing::warn!(%status, "x402 settle said success without a transaction");
            Err(unavailable(
                "facilitator settle said success without a transaction hash",
            ))
        }
        Ok(s) => {
            let r = reason(
                s.error_reason,
                s.error_message,
                "settlement refused by the facilitator",
            );
            tracing::info!(%status, reason = %r, "x402 facilitator refused to settle");
            Err(PaymentError::Refused(r))
        }
        Err(_) => Err(describe_failure(Call::Settle, status, body)),
    }
}

#[async_trait]
impl Facilitator for X402Facilitator {
    fn precheck(
        &self,
        header: &PaymentHeader,
        requirement: &PaymentRequirement,
        now: OffsetDateTime,
    ) -> Result<CheckedPayment, PaymentError> {
        crate::payload::precheck_payment(header, requirement, now)
    }

    async fn verify(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<(), PaymentError> {
        let body = Self::request_json(payment, requirement)?;
        let (status, bytes) = self.post(Call::Verify, &body).await?;
        interpret_verify(status, &bytes)
    }

    async fn settle(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<Settlement, PaymentError> {
        let body = Self::request_json(payment, requirement)?;
        // Exactly one attempt, whatever happens (a retry can charge twice).
        let (status, bytes) = self.post(Call::Settle, &body).await?;
        interpret_settle(status, &bytes, payment)
    }

    fn response_header(&self, settlement: &Settlement, version: PaymentVersion) -> String {
        payment_response_header(settlement, version)
    }

    fn challenge(&self, requirement: &PaymentRequirement, order_id: &str) -> PaymentChallenge {
        crate::challenge::payment_challenge(requirement, order_id)
    }
}

/// The settlement header's value (`X-PAYMENT-RESPONSE` for v1, `PAYMENT-RESPONSE` for v2):
/// standard base64 of `{"success":true,"transaction":…,"network":…,"payer":…}`, the network
/// named as that version names it (`base` / `eip155:8453`) whichever version settled it.
#[must_use]
pub fn payment_response_header(settlement: &Settlement, version: PaymentVersion) -> String {
    let network = match version {
        PaymentVersion::V1 => v1_network_name(&settlement.network),
        PaymentVersion::V2 => caip2_network_name(&settlement.network),
    }
    .map_or_else(|| settlement.network.clone(), str::to_owned);
    encode_header(&SettleResponse {
        success: true,
        error_reason: None,
        error_message: None,
        transaction: settlement.transaction.clone(),
        network,
        payer: Some(settlement.payer.clone()),
    })
}

/// The `paymentRequirements` sent to the facilitator for `requirement` (v1 network name,
/// no `outputSchema`), or `None` when its network is not Base. For tests and logs.
#[must_use]
pub fn requirements_v1(requirement: &PaymentRequirement) -> Option<PaymentRequirements> {
    v1_network_name(&requirement.network)
        .map(|n| crate::challenge::requirements(requirement, n, None))
}
