//! Decoding `X-PAYMENT` (x402 v1) and `PAYMENT-SIGNATURE` (v2), and the local pre-checks
//! (docs/rules.md#payments), run before any network call. Every failure is
//! [`PaymentError::Invalid`] with a reason an agent can act on. The authorization checks
//! (payTo, amount, time window, signature) are the same in both versions; v2 also checks
//! that `accepted` is the requirement the venue offered.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ethers_core::types::{Address, U256};
use serde_json::Value;
use time::OffsetDateTime;

use ishtar_domain::ports::{
    CheckedPayment, PaymentError, PaymentHeader, PaymentRequirement, PaymentVersion,
};

use crate::chain::{
    BASE_CAIP2, BASE_V1, USDC_BASE, caip2_network_name, is_usdc_base, v1_network_name,
};
use crate::eip3009::{TransferWithAuthorization, recover_signer};
use crate::wire::{
    ExactEvmPayload, PaymentPayload, PaymentPayloadV2, X402_VERSION, X402_VERSION_2,
};

/// The v1 payment header.
pub const X_PAYMENT: &str = "X-PAYMENT";
/// The v2 payment header.
pub const PAYMENT_SIGNATURE: &str = "PAYMENT-SIGNATURE";

/// The longest payment header accepted. An EOA payload is about 700 bytes of base64 in v1,
/// about 1.3 KB in v2 (it repeats the requirement and the resource).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Facilitators want `validBefore` at least this far ahead (x402 TS and x402-rs both use 6 s).
pub const VALID_BEFORE_BUFFER_SECS: i64 = 6;

/// How far beyond `maxTimeoutSeconds` a `validBefore` may lie. SDKs sign `now +
/// maxTimeoutSeconds` (some a fixed `now + 600`); a `validBefore` much later is usually a
/// millisecond timestamp, and an authorization that stays spendable for days.
pub const VALID_BEFORE_SLACK_SECS: u64 = 3600;

/// Standard alphabet, padding optional (the spec says padded; being lenient costs nothing).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn invalid(reason: impl Into<String>) -> PaymentError {
    PaymentError::Invalid(reason.into())
}

pub(crate) fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(s)
        .map_err(|e| format!("not standard base64: {e}"))
}

/// Base64 → JSON object with `x402Version` = `version`, named `name` in every reason.
fn decode_json(header: &str, name: &str, version: u64) -> Result<Value, String> {
    let header = header.trim();
    if header.is_empty() {
        return Err(format!("{name} is empty"));
    }
    if header.len() > MAX_HEADER_BYTES {
        return Err(format!("{name} is longer than {MAX_HEADER_BYTES} bytes"));
    }
    let bytes = decode_base64(header).map_err(|e| format!("{name} is {e}"))?;
    let json: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{name} is not base64 of JSON: {e}"))?;
    let Some(object) = json.as_object() else {
        return Err(format!(
            "{name} must hold a JSON object (an x402 payment payload)"
        ));
    };
    let (other, other_name) = if version == X402_VERSION {
        (X402_VERSION_2, PAYMENT_SIGNATURE)
    } else {
        (X402_VERSION, X_PAYMENT)
    };
    match object.get("x402Version") {
        None => return Err(format!("x402Version is missing (expected {version})")),
        Some(v) if v.as_u64() == Some(version) => {}
        Some(v) if v.as_u64() == Some(other) => {
            return Err(format!(
                "x402Version must be {version}, got {v}; send an x402 version-{other} payload in {other_name}, a version-{version} payload in {name}"
            ));
        }
        Some(v) => {
            return Err(format!(
                "x402Version must be {version}, got {v}; this venue speaks x402 version 1 ({X_PAYMENT}) and 2 ({PAYMENT_SIGNATURE})"
            ));
        }
    }
    Ok(json)
}

/// Decodes an `X-PAYMENT` header: base64 of a JSON x402 v1 payment payload.
/// Returns the typed payload and the JSON as sent.
///
/// # Errors
/// A reason naming what is malformed: empty, too long, not base64, not JSON, not an
/// object, the wrong `x402Version`, or a missing or mistyped field (with its path).
pub fn decode_payment_header(header: &str) -> Result<(PaymentPayload, Value), String> {
    let json = decode_json(header, X_PAYMENT, X402_VERSION)?;
    let payload: PaymentPayload = serde_path_to_error::deserialize(&json)
        .map_err(|e| format!("payment payload: {}: {}", e.path(), e.inner()))?;
    Ok((payload, json))
}

/// Decodes a `PAYMENT-SIGNATURE` header: base64 of a JSON x402 v2 payment payload
/// (`accepted`, `payload`, optional `resource` and `extensions`). Returns the typed payload
/// and the JSON as sent.
///
/// # Errors
/// As [`decode_payment_header`], for version 2.
pub fn decode_payment_signature(header: &str) -> Result<(PaymentPayloadV2, Value), String> {
    let json = decode_json(header, PAYMENT_SIGNATURE, X402_VERSION_2)?;
    let payload: PaymentPayloadV2 = serde_path_to_error::deserialize(&json)
        .map_err(|e| format!("payment payload: {}: {}", e.path(), e.inner()))?;
    Ok((payload, json))
}

fn parse_address(field: &str, s: &str) -> Result<Address, PaymentError> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| invalid(format!("{field} must be 0x + 40 hex digits")))?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!("{field} must be 0x + 40 hex digits")));
    }
    hex.parse()
        .map_err(|_| invalid(format!("{field} must be 0x + 40 hex digits")))
}

fn parse_decimal(field: &str, s: &str) -> Result<U256, PaymentError> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "{field} must be a decimal integer string, got {s:?}"
        )));
    }
    U256::from_dec_str(s).map_err(|_| invalid(format!("{field} is out of range")))
}

fn parse_hex_bytes(field: &str, s: &str, what: &str) -> Result<Vec<u8>, PaymentError> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| invalid(format!("{field} must be 0x-prefixed hex ({what})")))?;
    hex::decode(hex).map_err(|_| invalid(format!("{field} is not valid hex ({what})")))
}

/// Seconds as `i64` for comparisons with `now` (anything beyond is "far future").
fn seconds(v: U256) -> i64 {
    if v.bits() > 63 {
        i64::MAX
    } else {
        i64::try_from(v.low_u64()).unwrap_or(i64::MAX)
    }
}

/// Runs [`precheck`] or [`precheck_v2`] by the header's version.
///
/// # Errors
/// [`PaymentError::Invalid`] with the first failed check's reason.
pub fn precheck_payment(
    header: &PaymentHeader,
    requirement: &PaymentRequirement,
    now: OffsetDateTime,
) -> Result<CheckedPayment, PaymentError> {
    match header.version {
        PaymentVersion::V1 => precheck(&header.value, requirement, now),
        PaymentVersion::V2 => precheck_v2(&header.value, requirement, now),
    }
}

/// The requirement must be one this adapter can check: `exact`, Base mainnet, USDC.
fn check_requirement(requirement: &PaymentRequirement) -> Result<(), PaymentError> {
    if requirement.scheme != "exact" {
        return Err(invalid(format!(
            "this venue cannot check the {:?} scheme",
            requirement.scheme
        )));
    }
    if v1_network_name(&requirement.network).is_none() {
        return Err(invalid(format!(
            "this venue cannot check payments on {:?}",
            requirement.network
        )));
    }
    if !is_usdc_base(&requirement.asset) {
        return Err(invalid(format!(
            "this venue only takes USDC on Base ({USDC_BASE}), not {}",
            requirement.asset
        )));
    }
    Ok(())
}

fn pay_to(requirement: &PaymentRequirement) -> Result<Address, PaymentError> {
    requirement
        .pay_to
        .trim()
        .parse::<Address>()
        .map_err(|_| invalid("this venue's payTo is not an address (operator configuration)"))
}

/// Decodes `header` (`X-PAYMENT`, x402 v1) and runs every local pre-check against
/// `requirement` at `now`: version and shape, scheme `exact`, network Base (`eip155:8453` or
/// `base`), the requirement's asset is USDC on Base, then the authorization's checks
/// (`to` = payTo, the exact amount, the time window, the EIP-712 signature recovers to
/// `from`).
///
/// # Errors
/// [`PaymentError::Invalid`] with the first failed check's reason.
pub fn precheck(
    header: &str,
    requirement: &PaymentRequirement,
    now: OffsetDateTime,
) -> Result<CheckedPayment, PaymentError> {
    let (payload, json) = decode_payment_header(header).map_err(invalid)?;

    if payload.scheme != "exact" {
        return Err(invalid(format!(
            "scheme must be \"exact\", got {:?}",
            payload.scheme
        )));
    }
    check_requirement(requirement)?;
    if v1_network_name(&payload.network) != Some(BASE_V1) {
        return Err(invalid(format!(
            "network must be \"{BASE_CAIP2}\" or \"{BASE_V1}\", got {:?}",
            payload.network
        )));
    }
    let (payer, nonce) = check_authorization(&payload.payload, requirement, "", now)?;
    Ok(CheckedPayment {
        version: PaymentVersion::V1,
        payer,
        nonce,
        payload: json.to_string().into_bytes(),
    })
}

/// Decodes `header` (`PAYMENT-SIGNATURE`, x402 v2) and runs every local pre-check against
/// `requirement` at `now`: version and shape; `accepted` is the offered requirement (scheme
/// `exact`, network `eip155:8453`, the same asset, amount and payTo); then the
/// authorization's checks, as in [`precheck`].
///
/// # Errors
/// [`PaymentError::Invalid`] with the first failed check's reason.
pub fn precheck_v2(
    header: &str,
    requirement: &PaymentRequirement,
    now: OffsetDateTime,
) -> Result<CheckedPayment, PaymentError> {
    let (payload, json) = decode_payment_signature(header).map_err(invalid)?;
    let accepted = &payload.accepted;

    if accepted.scheme != "exact" {
        return Err(invalid(format!(
            "accepted.scheme must be \"exact\", got {:?}",
            accepted.scheme
        )));
    }
    check_requirement(requirement)?;
    if Some(accepted.network.as_str()) != caip2_network_name(&requirement.network) {
        return Err(invalid(format!(
            "accepted.network must be \"{BASE_CAIP2}\" (x402 v2 names networks in CAIP-2), got {:?}",
            accepted.network
        )));
    }
    if !is_usdc_base(&accepted.asset) {
        return Err(invalid(format!(
            "accepted.asset must be {USDC_BASE} (USDC on Base), got {}",
            accepted.asset
        )));
    }
    if accepted.amount != requirement.amount.to_string() {
        return Err(invalid(format!(
            "accepted.amount must be {}, got {:?}",
            requirement.amount, accepted.amount
        )));
    }
    let accepted_pay_to = parse_address("accepted.payTo", &accepted.pay_to)?;
    if accepted_pay_to != pay_to(requirement)? {
        return Err(invalid(format!(
            "accepted.payTo must be {}, got {}",
            requirement.pay_to, accepted.pay_to
        )));
    }
    let (payer, nonce) = check_authorization(&payload.payload, requirement, "accepted.", now)?;
    Ok(CheckedPayment {
        version: PaymentVersion::V2,
        payer,
        nonce,
        payload: json.to_string().into_bytes(),
    })
}

/// The checks common to both versions, on `payload.authorization` and `payload.signature`:
/// `to` = payTo, `value` = the amount exactly, `validAfter ≤ now`, `validBefore ≥ now + 6 s`
/// and not more than `maxTimeoutSeconds + 1 h` ahead, and the EIP-712 signature recovers to
/// `from`. Returns the payer and the nonce, both lower-case hex, so one authorization is the
/// same nonce whichever version carried it. `prefix` names where the requirement's fields
/// live in this version's payload (`""` in v1, `"accepted."` in v2).
fn check_authorization(
    payload: &ExactEvmPayload,
    requirement: &PaymentRequirement,
    prefix: &str,
    now: OffsetDateTime,
) -> Result<(String, String), PaymentError> {
    let a = &payload.authorization;
    let from = parse_address("authorization.from", &a.from)?;
    let to = parse_address("authorization.to", &a.to)?;
    let value = parse_decimal("authorization.value", &a.value)?;
    let valid_after = parse_decimal("authorization.validAfter", &a.valid_after)?;
    let valid_before = parse_decimal("authorization.validBefore", &a.valid_before)?;
    let nonce_bytes = parse_hex_bytes("authorization.nonce", &a.nonce, "32 bytes")?;
    let nonce: [u8; 32] = nonce_bytes
        .as_slice()
        .try_into()
        .map_err(|_| invalid("authorization.nonce must be 32 bytes (0x + 64 hex digits)"))?;
    let signature = parse_hex_bytes("payload.signature", &payload.signature, "r‖s‖v")?;

    if to != pay_to(requirement)? {
        return Err(invalid(format!(
            "authorization.to must be payTo ({}), got {}",
            requirement.pay_to, a.to
        )));
    }
    if value != U256::from(requirement.amount) {
        let field = if prefix.is_empty() {
            "maxAmountRequired"
        } else {
            "accepted.amount"
        };
        return Err(invalid(format!(
            "authorization.value must be exactly {} ({field}), got {}",
            requirement.amount, a.value
        )));
    }

    let now_s = now.unix_timestamp();
    if seconds(valid_after) > now_s {
        return Err(invalid(format!(
            "authorization is not valid yet: validAfter {} is after now ({now_s}); times are unix seconds",
            a.valid_after
        )));
    }
    let before = seconds(valid_before);
    if before < now_s.saturating_add(VALID_BEFORE_BUFFER_SECS) {
        return Err(invalid(format!(
            "authorization has expired or expires within {VALID_BEFORE_BUFFER_SECS} s: validBefore {} (now {now_s})",
            a.valid_before
        )));
    }
    let longest = requirement
        .max_timeout_seconds
        .saturating_add(VALID_BEFORE_SLACK_SECS);
    let longest = i64::try_from(longest).unwrap_or(i64::MAX);
    if before > now_s.saturating_add(longest) {
        return Err(invalid(format!(
            "authorization window is too long: validBefore {} is more than {longest} s after now ({now_s}); use unix seconds and validBefore = now + {prefix}maxTimeoutSeconds",
            a.valid_before
        )));
    }

    let message = TransferWithAuthorization {
        from,
        to,
        value,
        valid_after,
        valid_before,
        nonce,
    };
    let signer = recover_signer(&message, &signature).map_err(invalid)?;
    if signer != from {
        return Err(invalid(format!(
            "signature does not recover to authorization.from (recovered {signer:#x}); sign EIP-712 TransferWithAuthorization over the domain {{name:\"USD Coin\", version:\"2\", chainId:8453, verifyingContract:{USDC_BASE}}}"
        )));
    }
    Ok((format!("{from:#x}"), format!("0x{}", hex::encode(nonce))))
}
