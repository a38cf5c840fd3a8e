//! x402 payments for Ishtar, versions 1 and 2 side by side (docs/rules.md#payments,
//! docs/wire-formats.md; v2: coinbase/x402 `specs/x402-specification-v2.md`,
//! `specs/transports-v2/http.md`).
//!
//! - [`challenge_body`]: the v1 402 body, the reference's `eip155:8453` entry first, then the
//!   same requirement under `base`, the v1 name real SDKs match on; [`payment_required_header`]:
//!   the v2 `PAYMENT-REQUIRED` header (base64 of a `PaymentRequired` with the full resource
//!   URL and one `eip155:8453` entry).
//! - [`precheck`] (`X-PAYMENT`, v1) and [`precheck_v2`] (`PAYMENT-SIGNATURE`, v2): decode the
//!   header and check it locally (scheme, network, asset, payTo, exact amount, time window,
//!   EIP-712 `TransferWithAuthorization` signature over USDC on Base recovering to `from`)
//!   before any network call.
//! - [`X402Facilitator`]: the domain's `Facilitator` port over a facilitator's `/verify` and
//!   `/settle`, in the version the client paid in, with CDP API-key JWTs when a key is
//!   configured. Settle is never retried.
//!
//! Header names and the HTTP wiring live in `ishtar-http` (`routes/payments.rs`); this crate
//! owns the JSON shapes and their base64 encoding.
//! ethers-core (deprecated upstream) is used only in [`eip3009`]
//! (docs/rules.md#dependency-pitfalls).
//! Operator and agent documentation: `docs/payments.md`.

pub mod cdp;
pub mod chain;
mod challenge;
mod client;
pub mod eip3009;
mod payload;
pub mod wire;

pub use cdp::CdpAuth;
pub use challenge::{
    CHALLENGE_ERROR, MIME_TYPE, challenge, challenge_body, challenge_v2, payment_challenge,
    payment_required_header,
};
pub use client::{
    ConfigError, FacilitatorConfig, MAX_RESPONSE_BYTES, X402Facilitator, payment_response_header,
    requirements_v1,
};
pub use payload::{
    MAX_HEADER_BYTES, PAYMENT_SIGNATURE, VALID_BEFORE_BUFFER_SECS, VALID_BEFORE_SLACK_SECS,
    X_PAYMENT, decode_payment_header, decode_payment_signature, precheck, precheck_payment,
    precheck_v2,
};
