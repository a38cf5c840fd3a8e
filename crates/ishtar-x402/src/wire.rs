//! x402 wire types, field names exactly as on the wire: version 1 (docs/wire-formats.md,
//! "x402 v1 over HTTP") and version 2 (coinbase/x402 `specs/x402-specification-v2.md` §5 and §7,
//! `specs/transports-v2/http.md`; the SDK types `typescript/packages/core/src/types/
//! payments.ts` and `python/x402/schemas/payments.py`).
//!
//! Field order is declaration order (serde_json keeps it): the challenge's `accepts` entries
//! follow the reference's order, then `extra` and `maxTimeoutSeconds`; the v2 types follow
//! the v2 spec's examples.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// x402 version 1 (`X-PAYMENT`, the 402 body).
pub const X402_VERSION: u64 = 1;
/// x402 version 2 (`PAYMENT-SIGNATURE`, the `PAYMENT-REQUIRED` header).
pub const X402_VERSION_2: u64 = 2;

/// The 402 body: `{"x402Version":1,"error":…,"accepts":[…]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequiredResponse {
    pub x402_version: u64,
    pub error: String,
    pub accepts: Vec<PaymentRequirements>,
}

/// One `accepts` entry, and the facilitator's `paymentRequirements` (§1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
    /// `exact`.
    pub scheme: String,
    /// `base` for v1 facilitators and SDKs; the challenge's first entry says `eip155:8453`.
    pub network: String,
    /// Decimal string, atomic units.
    pub max_amount_required: String,
    pub resource: String,
    pub description: String,
    pub pay_to: String,
    pub asset: String,
    /// Required by CDP and the zod schema even though the spec calls it optional.
    pub mime_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// The EIP-712 domain `name` and `version` of the asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Eip712Extra>,
    pub max_timeout_seconds: u64,
}

/// `extra` of an EVM `exact` requirement: the token's EIP-712 domain name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eip712Extra {
    pub name: String,
    pub version: String,
}

/// The decoded `X-PAYMENT` header for the EVM `exact` scheme (§1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
    pub x402_version: u64,
    pub scheme: String,
    pub network: String,
    pub payload: ExactEvmPayload,
}

/// `payload` of an EVM `exact` payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactEvmPayload {
    /// `0x` hex; 65 bytes (r‖s‖v) for an ordinary account.
    pub signature: String,
    pub authorization: Authorization,
}

/// The EIP-3009 `TransferWithAuthorization` message; every value is a string on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    pub from: String,
    pub to: String,
    /// Decimal string, atomic units.
    pub value: String,
    /// Unix seconds, decimal string.
    pub valid_after: String,
    /// Unix seconds, decimal string.
    pub valid_before: String,
    /// `0x` + 64 hex (bytes32).
    pub nonce: String,
}

/// v2 `ResourceInfo`: the protected resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    /// The full URL.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// v2 `PaymentRequirements`: an entry of `accepts`, the payload's `accepted`, and the
/// facilitator's `paymentRequirements`. The network is CAIP-2 (`eip155:8453`) and the
/// amount is `amount` (v1: `maxAmountRequired`); the resource moved to [`ResourceInfo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirementsV2 {
    pub scheme: String,
    pub network: String,
    /// Decimal string, atomic units.
    pub amount: String,
    pub asset: String,
    pub pay_to: String,
    pub max_timeout_seconds: u64,
    /// Scheme data: for EVM `exact`, the EIP-712 domain `name` and `version`. Required by
    /// the TS type; the Python SDK defaults it to `{}`.
    #[serde(default)]
    pub extra: serde_json::Map<String, Value>,
}

/// v2 `PaymentRequired`, carried base64 in the `PAYMENT-REQUIRED` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequiredV2 {
    pub x402_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub resource: ResourceInfo,
    pub accepts: Vec<PaymentRequirementsV2>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
}

/// v2 `PaymentPayload` (the decoded `PAYMENT-SIGNATURE`) for the EVM `exact` scheme: the
/// chosen requirement rides in `accepted` instead of v1's top-level `scheme`/`network`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayloadV2 {
    pub x402_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    pub accepted: PaymentRequirementsV2,
    pub payload: ExactEvmPayload,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
}

/// The body of `POST {facilitator}/verify` (§1.6; v2 spec §7.1): `x402Version` is the
/// payload's, `paymentPayload` the decoded JSON object (never the base64 string), and
/// `paymentRequirements` the requirement in that version's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest<R = PaymentRequirements> {
    pub x402_version: u64,
    pub payment_payload: Value,
    pub payment_requirements: R,
}

/// The v2 verify and settle body.
pub type VerifyRequestV2 = VerifyRequest<PaymentRequirementsV2>;

/// The body of `POST {facilitator}/settle`: the same shape as verify's.
pub type SettleRequest = VerifyRequest;

/// The facilitator's verify answer, on 200 and (CDP) on 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    pub is_valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// CDP's human-readable text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
}

/// The facilitator's settle answer (200, or 400 with `success:false`), and the JSON inside
/// `X-PAYMENT-RESPONSE` (v1) and `PAYMENT-RESPONSE` (v2; the same fields, `network` in
/// CAIP-2). `transaction` and `payer` may be missing on failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// CDP's human-readable text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The transaction hash; `""` on failure.
    #[serde(default)]
    pub transaction: String,
    #[serde(default)]
    pub network: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
}

/// CDP's generic error body (401, 402 `payment_method_required`, 5xx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdpError {
    pub error_type: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// Standard base64 (with padding) of the JSON of `value`: the encoding of every x402 header
/// in both versions (`X-PAYMENT`, `X-PAYMENT-RESPONSE`, `PAYMENT-REQUIRED`,
/// `PAYMENT-SIGNATURE`, `PAYMENT-RESPONSE`; TS `safeBase64Encode`, Python `base64.b64encode`).
#[must_use]
pub fn encode_header<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs and `Value`s cannot fail; an empty object is the
    // harmless fallback if it ever did.
    let json = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    STANDARD.encode(json)
}

/// Decodes an `X-PAYMENT-RESPONSE` or `PAYMENT-RESPONSE` header (for clients and tests).
///
/// # Errors
/// When the header is not base64 of a settle response.
pub fn decode_payment_response(header: &str) -> Result<SettleResponse, String> {
    let bytes = crate::payload::decode_base64(header.trim())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not a settlement response: {e}"))
}

/// Decodes a `PAYMENT-REQUIRED` header (for clients and tests).
///
/// # Errors
/// When the header is not base64 of a v2 `PaymentRequired`.
pub fn decode_payment_required(header: &str) -> Result<PaymentRequiredV2, String> {
    let bytes = crate::payload::decode_base64(header.trim())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not a v2 PaymentRequired: {e}"))
}
