//! Fail-closed stand-ins for the providers an embedded venue has no credentials for:
//! payments (x402), sign-in (Privy) and identity checks (Didit). Each refuses everything,
//! as the real adapters do when their settings are unset (the binary's behaviour with no
//! `ISHTAR_X402_FACILITATOR_URL`, `ISHTAR_PRIVY_*` or `ISHTAR_DIDIT_*`), without pulling in
//! their HTTP and crypto stacks. Bring the real adapter to turn a feature on.

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::ProviderError;
use ishtar_domain::ports::{
    AuthVerifier, CheckedPayment, Facilitator, IdentityEvent, IdentityProvider, IdentitySession,
    LoginError, PaymentChallenge, PaymentError, PaymentHeader, PaymentRequirement, PaymentVersion,
    Settlement, VerifiedLogin, WebhookError,
};

/// What every refusal of [`PaymentsNotConfigured`] says.
pub const NO_FACILITATOR: &str = "facilitator not configured";
/// What every refusal of [`SignInNotConfigured`] says (as `ishtar-privy` unconfigured).
pub const NO_SIGN_IN: &str = "privy not configured";
/// What every webhook refusal of [`IdentityNotConfigured`] says (as `ishtar-didit`).
pub const NO_WEBHOOK_SECRET: &str = "webhook secret not configured";

/// No x402 facilitator: every payment is refused as unavailable; nothing is settled. With
/// the default options (no `pay_to`) the venue answers "not configured" before asking it.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaymentsNotConfigured;

#[async_trait]
impl Facilitator for PaymentsNotConfigured {
    fn precheck(
        &self,
        _header: &PaymentHeader,
        _requirement: &PaymentRequirement,
        _now: OffsetDateTime,
    ) -> Result<CheckedPayment, PaymentError> {
        Err(PaymentError::Unavailable(NO_FACILITATOR.to_owned()))
    }

    async fn verify(
        &self,
        _payment: &CheckedPayment,
        _requirement: &PaymentRequirement,
    ) -> Result<(), PaymentError> {
        Err(PaymentError::Unavailable(NO_FACILITATOR.to_owned()))
    }

    async fn settle(
        &self,
        _payment: &CheckedPayment,
        _requirement: &PaymentRequirement,
    ) -> Result<Settlement, PaymentError> {
        Err(PaymentError::Unavailable(NO_FACILITATOR.to_owned()))
    }

    fn response_header(&self, _settlement: &Settlement, _version: PaymentVersion) -> String {
        String::new()
    }

    /// A challenge that accepts nothing: there is no way to pay this venue.
    fn challenge(&self, _requirement: &PaymentRequirement, order_id: &str) -> PaymentChallenge {
        let body = serde_json::json!({
            "x402Version": 1, "error": NO_FACILITATOR, "accepts": [], "orderId": order_id,
        });
        PaymentChallenge {
            // Serialising a `Value` cannot fail (its map keys are strings).
            body: serde_json::to_vec(&body).unwrap_or_default(),
            header: String::new(),
        }
    }
}

/// No sign-in provider: every token is refused, so every invite claim is `401`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInNotConfigured;

#[async_trait]
impl AuthVerifier for SignInNotConfigured {
    async fn verify(
        &self,
        _token: &str,
        _now: OffsetDateTime,
    ) -> Result<VerifiedLogin, LoginError> {
        Err(LoginError::Unconfigured(NO_SIGN_IN))
    }
}

/// No identity provider: no session is ever started and every webhook is rejected.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityNotConfigured;

#[async_trait]
impl IdentityProvider for IdentityNotConfigured {
    async fn create_session(&self, _vendor_data: String) -> Result<IdentitySession, ProviderError> {
        Err(ProviderError::unavailable("unconfigured"))
    }

    fn verify_webhook(
        &self,
        _raw_body: &[u8],
        _signature: Option<String>,
        _timestamp: Option<String>,
        _now: OffsetDateTime,
    ) -> Result<IdentityEvent, WebhookError> {
        Err(WebhookError::Unconfigured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement() -> PaymentRequirement {
        PaymentRequirement {
            scheme: "exact".into(),
            network: "eip155:8453".into(),
            amount: 5_000_000,
            asset: "0xusdc".into(),
            pay_to: "0xabc".into(),
            resource: "/api/premium/compatibility-report".into(),
            resource_url: "http://127.0.0.1/api/premium/compatibility-report".into(),
            description: "report".into(),
            max_timeout_seconds: 60,
        }
    }

    #[test]
    fn payments_refuse_every_header_and_accept_nothing() {
        let header = PaymentHeader {
            version: PaymentVersion::V2,
            value: "e30=".into(),
        };
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            PaymentsNotConfigured.precheck(&header, &requirement(), now),
            Err(PaymentError::Unavailable(NO_FACILITATOR.into()))
        );
        let challenge = PaymentsNotConfigured.challenge(&requirement(), "ord-1");
        let body: serde_json::Value =
            serde_json::from_slice(&challenge.body).expect("the challenge is JSON");
        assert_eq!(body["accepts"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn sign_in_and_identity_fail_closed() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            SignInNotConfigured.verify("any.jwt.token", now).await,
            Err(LoginError::Unconfigured(NO_SIGN_IN))
        );
        assert!(matches!(
            IdentityNotConfigured.create_session("owner:1".into()).await,
            Err(ProviderError::Unavailable { .. })
        ));
        assert_eq!(
            IdentityNotConfigured
                .verify_webhook(b"{}", Some("sig".into()), None, now)
                .map_err(|e| e.to_string()),
            Err(NO_WEBHOOK_SECRET.to_owned())
        );
    }
}
