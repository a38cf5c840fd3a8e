//! The 402 challenge: the v1 body (docs/rules.md#payments, the reference's "Payments
//! (x402)") and the v2 `PAYMENT-REQUIRED` header (coinbase/x402
//! `specs/transports-v2/http.md`).

use serde_json::{Value, json};

use ishtar_domain::ports::{PaymentChallenge, PaymentRequirement};

use crate::chain::{
    USDC_EIP712_NAME, USDC_EIP712_VERSION, caip2_network_name, is_usdc_base, v1_network_name,
};
use crate::wire::{
    Eip712Extra, PaymentRequiredResponse, PaymentRequiredV2, PaymentRequirements,
    PaymentRequirementsV2, ResourceInfo, X402_VERSION, X402_VERSION_2, encode_header,
};

/// The `error` text of the challenge.
pub const CHALLENGE_ERROR: &str = "payment required";
/// The resource's MIME type.
pub const MIME_TYPE: &str = "application/json";

/// One requirement on the wire under `network`, with `extra` (the pinned EIP-712 domain)
/// when the asset is USDC on Base.
pub(crate) fn requirements(
    req: &PaymentRequirement,
    network: &str,
    output_schema: Option<Value>,
) -> PaymentRequirements {
    PaymentRequirements {
        scheme: req.scheme.clone(),
        network: network.to_owned(),
        max_amount_required: req.amount.to_string(),
        resource: req.resource.clone(),
        description: req.description.clone(),
        pay_to: req.pay_to.clone(),
        asset: req.asset.clone(),
        mime_type: MIME_TYPE.to_owned(),
        output_schema,
        extra: (v1_network_name(network).is_some() && is_usdc_base(&req.asset)).then(|| {
            Eip712Extra {
                name: USDC_EIP712_NAME.to_owned(),
                version: USDC_EIP712_VERSION.to_owned(),
            }
        }),
        max_timeout_seconds: req.max_timeout_seconds,
    }
}

/// The typed challenge: the requirement as configured (the reference's entry, e.g.
/// `eip155:8453`), then the same requirement under the network's other name (`base`, the
/// x402 v1 name real SDKs match on). Both carry `outputSchema: {"orderId": …}`.
#[must_use]
pub fn challenge(req: &PaymentRequirement, order_id: &str) -> PaymentRequiredResponse {
    let output_schema = || Some(json!({ "orderId": order_id }));
    let mut accepts = vec![requirements(req, &req.network, output_schema())];
    let other = match v1_network_name(&req.network) {
        Some(v1) if v1 != req.network => Some(v1),
        Some(_) => caip2_network_name(&req.network),
        None => None,
    };
    if let Some(other) = other {
        accepts.push(requirements(req, other, output_schema()));
    }
    PaymentRequiredResponse {
        x402_version: X402_VERSION,
        error: CHALLENGE_ERROR.to_owned(),
        accepts,
    }
}

/// The 402 body: `{"x402Version":1,"error":"payment required","accepts":[…]}`; see
/// [`challenge`].
#[must_use]
pub fn challenge_body(req: &PaymentRequirement, order_id: &str) -> Value {
    serde_json::to_value(challenge(req, order_id)).unwrap_or_else(|_| {
        // Unreachable for these plain types; the bare shape is still a valid 402 body.
        json!({ "x402Version": X402_VERSION, "error": CHALLENGE_ERROR, "accepts": [] })
    })
}

/// One requirement in the v2 shape: CAIP-2 network, `amount`, and `extra` with the pinned
/// EIP-712 domain when the asset is USDC on Base. `None` when the network has no CAIP-2 id
/// this adapter knows (only Base mainnet).
pub(crate) fn requirements_v2(req: &PaymentRequirement) -> Option<PaymentRequirementsV2> {
    let network = caip2_network_name(&req.network)?;
    let mut extra = serde_json::Map::new();
    if is_usdc_base(&req.asset) {
        extra.insert("name".to_owned(), Value::from(USDC_EIP712_NAME));
        extra.insert("version".to_owned(), Value::from(USDC_EIP712_VERSION));
    }
    Some(PaymentRequirementsV2 {
        scheme: req.scheme.clone(),
        network: network.to_owned(),
        amount: req.amount.to_string(),
        asset: req.asset.clone(),
        pay_to: req.pay_to.clone(),
        max_timeout_seconds: req.max_timeout_seconds,
        extra,
    })
}

/// The v2 `PaymentRequired`: `x402Version` 2, `resource` with the full URL, and one
/// `accepts` entry under the CAIP-2 id (empty when the network is not Base).
#[must_use]
pub fn challenge_v2(req: &PaymentRequirement) -> PaymentRequiredV2 {
    PaymentRequiredV2 {
        x402_version: X402_VERSION_2,
        error: Some(CHALLENGE_ERROR.to_owned()),
        resource: ResourceInfo {
            url: req.resource_url.clone(),
            description: Some(req.description.clone()),
            mime_type: Some(MIME_TYPE.to_owned()),
        },
        accepts: requirements_v2(req).into_iter().collect(),
        extensions: None,
    }
}

/// The `PAYMENT-REQUIRED` header value: standard base64 of [`challenge_v2`]'s JSON.
#[must_use]
pub fn payment_required_header(req: &PaymentRequirement) -> String {
    encode_header(&challenge_v2(req))
}

/// Both forms of the challenge: the v1 body and the v2 header.
#[must_use]
pub fn payment_challenge(req: &PaymentRequirement, order_id: &str) -> PaymentChallenge {
    PaymentChallenge {
        // Serialising a `Value` cannot fail (its map keys are strings).
        body: serde_json::to_vec(&challenge_body(req, order_id)).unwrap_or_default(),
        header: payment_required_header(req),
    }
}
