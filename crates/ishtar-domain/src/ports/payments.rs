//! Payments: x402 verification and settlement ([`Facilitator`], adapter `ishtar-x402`) and
//! the orders, receipts and buyback ledger ([`PaymentStore`]). Use case `crate::payments`.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::model::{CoupleId, OwnerId};
use crate::states::{OrderState, OrderStep};

/// What the venue asks to be paid: one `accepts` entry of the x402 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequirement {
    /// `exact`.
    pub scheme: String,
    /// As the challenge shows it (`eip155:8453`); the adapter also accepts the v1 name.
    pub network: String,
    /// Base units of the asset (USDC: 6 decimals; 5.00 → `5000000`).
    pub amount: u64,
    /// The token contract.
    pub asset: String,
    /// The receiving address.
    pub pay_to: String,
    /// The resource path (`/api/premium/compatibility-report`), as the v1 body shows it.
    pub resource: String,
    /// The resource's full URL (the venue's public URL + the path), as v2 shows it.
    pub resource_url: String,
    /// What is being bought, shown to the payer (the compatibility report).
    pub description: String,
    /// How long the payer's authorization may take to settle, in seconds
    /// (`maxTimeoutSeconds`).
    pub max_timeout_seconds: u64,
}

/// The x402 protocol version a payment speaks, told by the header it came in
/// (`X-PAYMENT`: 1, `PAYMENT-SIGNATURE`: 2). The venue answers in the same version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaymentVersion {
    /// x402 version 1: `X-PAYMENT` in, the 402 JSON body and `X-PAYMENT-RESPONSE` out.
    #[default]
    V1,
    /// x402 version 2: `PAYMENT-SIGNATURE` in, `PAYMENT-REQUIRED` and `PAYMENT-RESPONSE` out.
    V2,
}

/// A payment header as the client sent it: its (base64) value and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentHeader {
    /// Which header it came in, hence which version it speaks.
    pub version: PaymentVersion,
    /// The header's raw value (base64 JSON), not yet decoded.
    pub value: String,
}

/// The 402 challenge in both versions, rendered by the facilitator adapter in its wire
/// format; the domain passes it on without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentChallenge {
    /// The v1 402 body, serialised (JSON, served as `application/json`).
    pub body: Vec<u8>,
    /// The v2 `PAYMENT-REQUIRED` header value.
    pub header: String,
}

/// A payment header that passed the local pre-checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPayment {
    /// The version it was sent in; verify and settle speak it to the facilitator.
    pub version: PaymentVersion,
    /// The payer (`authorization.from`), lower-case hex.
    pub payer: String,
    /// The EIP-3009 nonce (32 bytes hex, lower case): one authorization, one use, whichever
    /// version carried it.
    pub nonce: String,
    /// The payment payload in the bytes the adapter that checked it chose (the x402 adapter:
    /// the decoded JSON), passed back to it for verify and settle. The domain never reads it.
    pub payload: Vec<u8>,
}

/// What a settled payment left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The address that paid, as the facilitator reported it.
    pub payer: String,
    /// The on-chain transaction hash.
    pub transaction: String,
    /// The network it settled on, as the facilitator named it.
    pub network: String,
}

/// Why a payment was not accepted. `reason` is what the agent is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The header could not be decoded or failed a local pre-check; nothing was sent.
    #[error("{0}")]
    Invalid(String),
    /// The facilitator said no (its reason).
    #[error("{0}")]
    Refused(String),
    /// The facilitator is unset, unreachable, slow, or answered garbage.
    #[error("{0}")]
    Unavailable(String),
}

/// x402 verification and settlement through a facilitator.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Facilitator: Send + Sync {
    /// Decodes the base64 payment header (in its version) and runs every local pre-check
    /// (scheme, network, asset, payTo, amount, time window, EIP-712 signature) — no network.
    fn precheck(
        &self,
        header: &PaymentHeader,
        requirement: &PaymentRequirement,
        now: OffsetDateTime,
    ) -> Result<CheckedPayment, PaymentError>;
    /// `POST {facilitator}/verify`, in the payment's version.
    async fn verify(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<(), PaymentError>;
    /// `POST {facilitator}/settle`, in the payment's version. MUST NOT be retried by the
    /// adapter (a retry can charge twice); the domain calls it at most once per order.
    async fn settle(
        &self,
        payment: &CheckedPayment,
        requirement: &PaymentRequirement,
    ) -> Result<Settlement, PaymentError>;
    /// The base64 settlement response header value for `version` (`X-PAYMENT-RESPONSE`
    /// for v1, `PAYMENT-RESPONSE` for v2).
    fn response_header(&self, settlement: &Settlement, version: PaymentVersion) -> String;
    /// The 402 challenge for `requirement` and `order_id`, in both versions.
    fn challenge(&self, requirement: &PaymentRequirement, order_id: &str) -> PaymentChallenge;
}

/// An order as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// The order id, `cr:<ownerId>:<coupleId|0>:<utcDay>` (docs/rules.md#payments).
    pub id: String,
    /// Where the order stands ([`OrderState`]'s machine decides how it moves).
    pub status: OrderState,
    /// Why the order failed, when it did (what the agent was told).
    pub reason: Option<String>,
    /// The generated report, once saved; a paid retry returns it as stored.
    pub report: Option<String>,
    /// The receipt, once the payment was recorded (at most one per order).
    pub receipt: Option<Receipt>,
}

/// A persisted receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The receipt's row id.
    pub id: i64,
    /// What the facilitator's settle answered.
    pub settlement: Settlement,
}

/// A new or re-challenged order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The order id, `cr:<ownerId>:<coupleId|0>:<utcDay>`: one order per owner, couple and
    /// UTC day.
    pub id: String,
    /// The paying owner.
    pub owner: OwnerId,
    /// The couple the report is about; `None` for a report on the owner's own doc.
    pub couple: Option<CoupleId>,
    /// The price in USDC base units (`5000000` for 5.00).
    pub amount: u64,
}

/// A couple's two sides for a report: (handle, heart) each.
pub type CoupleHearts = ((String, serde_json::Value), (String, serde_json::Value));

/// What the store needs for payments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait PaymentStore: Send + Sync {
    /// The order with id `id` and its receipt, if any; `None` when no such order exists.
    async fn order(&self, id: String) -> Result<Option<OrderView>, StoreError>;
    /// Persists `step`, a transition the domain's [`OrderState`] machine decided, in one
    /// atomic statement: when the order has no row and [`OrderStep::creates`], it is
    /// inserted in [`OrderStep::to`]; otherwise it is moved to [`OrderStep::to`] only while
    /// its state is one of [`OrderStep::from`]. The reason becomes [`OrderStep::reason`];
    /// a move to `settling` also stamps the claim time. Returns whether the order was
    /// written: of concurrent [`OrderStep::claim`]s exactly one gets `true`. The store
    /// decides nothing: it never writes a state the step does not name.
    async fn move_order(
        &self,
        order: NewOrder,
        step: OrderStep,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Waits (up to `timeout_ms`) until the order is no longer `settling`.
    async fn wait_settled(&self, id: String, timeout_ms: u64) -> Result<(), StoreError>;
    /// Whether an EIP-3009 authorization nonce already paid for something.
    async fn nonce_used(&self, nonce: String) -> Result<bool, StoreError>;
    /// One transaction: the receipt (unique per order), the order moved as
    /// [`OrderStep::fulfil`] (to `fulfilled`, guarded by its [`OrderStep::from`]), the
    /// buyback accrued once. Returns the receipt id.
    async fn record_payment(
        &self,
        order_id: String,
        settlement: Settlement,
        auth_nonce: String,
        amount: u64,
        buyback: u64,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError>;
    /// Stores the generated report on the order, only if it has none yet: the first
    /// report saved wins and a later call changes nothing (idempotent). A missing order is
    /// not an error (nothing is written).
    async fn save_report(
        &self,
        order_id: String,
        report: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The owner's latest dating doc, for a report with no couple.
    async fn owner_heart(&self, owner: OwnerId) -> Result<Option<serde_json::Value>, StoreError>;
    /// Both personas' hearts of a couple: (handle, heart) twice.
    async fn couple_hearts(&self, couple: CoupleId) -> Result<Option<CoupleHearts>, StoreError>;
}
