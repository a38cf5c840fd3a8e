//! x402 version-1 payments for Ishtar (design.md §3 "Payments (x402)", wire-formats.md §1).
//!
//! - [`challenge_body`]: the 402 body, the reference's `eip155:8453` entry first, then the
//!   same requirement under `base`, the v1 name real SDKs match on.
//! - [`precheck`]: decodes `X-PAYMENT` and checks it locally (scheme, network, asset, payTo,
//!   exact amount, time window, EIP-712 `TransferWithAuthorization` signature over USDC on
//!   Base recovering to `from`) before any network call.
//! - [`X402Facilitator`]: the domain's `Facilitator` port over a facilitator's `/verify` and
//!   `/settle`, with CDP API-key JWTs when a key is configured. Settle is never retried.
//!
//! ethers-core (deprecated upstream) is used only in [`eip3009`] (design.md §9).
//! Operator and agent documentation: `docs/payments.md`.

pub mod cdp;
pub mod chain;
mod challenge;
mod client;
pub mod eip3009;
mod payload;
pub mod wire;

pub use cdp::CdpAuth;
pub use challenge::{CHALLENGE_ERROR, MIME_TYPE, challenge, challenge_body};
pub use client::{
    ConfigError, FacilitatorConfig, MAX_RESPONSE_BYTES, X402Facilitator, payment_response_header,
    requirements_v1,
};
pub use payload::{
    MAX_HEADER_BYTES, VALID_BEFORE_BUFFER_SECS, VALID_BEFORE_SLACK_SECS, decode_payment_header,
    precheck,
};
