//! Payments (docs/rules.md#payments): the compatibility report, paid once.
//!
//! Order of effects: local pre-checks → facilitator verify → settle → persist the receipt,
//! mark the order fulfilled and accrue the buyback (one transaction) → compose the report
//! (the writer, chaperoned). Any failure before the receipt is persisted marks the order
//! `failed` and answers "payment not verified". Exactly once: the first request to claim
//! an order settles it; concurrent retries wait for that outcome, and every later request
//! is served the stored receipt and report without settling again.
//!
//! The order's states and moves are [`crate::states::OrderState`]'s machine: this use case
//! picks the event ([`OrderStep::challenge`], [`OrderStep::claim`], [`OrderStep::fail`],
//! [`OrderStep::fulfil`] with the receipt) and the store persists the step, guarded by the
//! states the machine allows it from.
//!
//! x402 versions: a payment arrives as a [`PaymentHeader`] of version 1 (`X-PAYMENT`) or 2
//! (`PAYMENT-SIGNATURE`); the facilitator adapter verifies and settles it in that version, and
//! the answer's settlement header follows it. The claim and the receipt's uniqueness (per
//! order, per EIP-3009 nonce) do not depend on the version: one authorization, sent once in
//! each version, settles once.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::auth::{self, AuthError};
use crate::chaperone::Chaperone;
use crate::error::StoreError;
use crate::model::{CoupleId, OwnerId};
use crate::ports::{
    Clock, CoupleStore, Facilitator, NewOrder, OrderView, OwnerStore, PaymentChallenge,
    PaymentError, PaymentHeader, PaymentRequirement, PaymentStore, PaymentVersion, PersonaSketch,
    Receipt, Surface, Writer,
};
use crate::sanitize;
use crate::settings::SettingsService;
use crate::states::OrderStep;

/// The report's price: 5.00 USDC in base units (6 decimals).
pub const REPORT_PRICE: u64 = 5_000_000;
/// USDC on Base.
pub const USDC_BASE: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
/// How long a concurrent retry waits for the first request's settlement.
pub const SETTLE_WAIT_MS: u64 = 30_000;

/// `cr:<ownerId>:<coupleId|0>:<utcDay>` with the UTC day as `YYYY-MM-DD`.
pub fn order_id(owner: OwnerId, couple: Option<CoupleId>, at: OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!(
        "cr:{}:{}:{:04}-{:02}-{:02}",
        owner.0,
        couple.map_or(0, |c| c.0),
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// The buyback share of `amount` at `bps` basis points (rounded down).
pub fn buyback(amount: u64, bps: u32) -> u64 {
    amount.saturating_mul(u64::from(bps)) / 10_000
}

/// How the venue asks to be paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOptions {
    /// `ISHTAR_X402_PAY_TO`; `None` → every payment fails its pre-check.
    pub pay_to: Option<String>,
    /// `ISHTAR_X402_NETWORK`.
    pub network: String,
    /// `ISHTAR_PUBLIC_URL`: the resource's full URL (x402 v2 `resource.url`) is this plus
    /// [`resource`](Self::resource).
    pub public_url: String,
    /// The path the report is served at (x402 `resource`), as the HTTP layer routes it:
    /// the domain names no route, so whoever serves the report says where.
    pub resource: String,
}

impl Default for PaymentOptions {
    fn default() -> Self {
        Self {
            pay_to: None,
            network: "eip155:8453".into(),
            public_url: String::new(),
            resource: String::new(),
        }
    }
}

impl PaymentOptions {
    /// The report's requirement.
    pub fn requirement(&self) -> PaymentRequirement {
        PaymentRequirement {
            scheme: "exact".into(),
            network: self.network.clone(),
            amount: REPORT_PRICE,
            asset: USDC_BASE.into(),
            pay_to: self.pay_to.clone().unwrap_or_default(),
            resource: self.resource.clone(),
            resource_url: format!(
                "{}{}",
                self.public_url.trim().trim_end_matches('/'),
                self.resource
            ),
            description: "Ishtar compatibility_report".into(),
            max_timeout_seconds: 300,
        }
    }
}

/// The outcome of a report request.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportOutcome {
    /// No payment attached: pay this.
    Challenge {
        /// The order opened for this request; the payment must name it.
        order_id: String,
        /// What to pay, to whom, on which network.
        requirement: PaymentRequirement,
    },
    /// Paid (now or before): the report.
    Delivered {
        /// The order that was paid.
        order_id: String,
        /// The stored receipt of the settlement.
        receipt_id: i64,
        /// The compatibility report text.
        report: String,
        /// The settlement header's value, in `version`.
        payment_response: String,
        /// The version of the request's payment header (v1 when it carried none).
        version: PaymentVersion,
    },
}

/// Why a report request failed.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The request named no owner.
    #[error("ownerId required")]
    OwnerRequired,
    /// The owner is neither side of the couple asked about.
    #[error("owner not in this couple")]
    NotYourCouple,
    /// The operator has set no receiving address (`ISHTAR_X402_PAY_TO`): a challenge
    /// would name nobody to pay, so none is served.
    #[error("payments not configured")]
    NotConfigured,
    /// 402: the payment did not clear; the order is `failed`.
    #[error("payment not verified: {0}")]
    NotVerified(String),
    /// The payment is settled but the report could not be composed yet; a retry delivers it
    /// without paying again.
    #[error("report pending")]
    ReportPending {
        /// The settled order.
        order_id: String,
        /// The stored receipt of the settlement.
        receipt_id: i64,
    },
    /// The owner token is missing or wrong.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The payments use case.
pub struct Payments {
    pub(crate) store: Arc<dyn PaymentStore>,
    pub(crate) owners: Arc<dyn OwnerStore>,
    pub(crate) couples: Arc<dyn CoupleStore>,
    pub(crate) facilitator: Arc<dyn Facilitator>,
    pub(crate) writer: Arc<dyn Writer>,
    pub(crate) chaperone: Arc<Chaperone>,
    pub(crate) settings: Arc<SettingsService>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) options: PaymentOptions,
}

impl Payments {
    /// The 402 challenge (v1 body, v2 header), in the facilitator's wire format.
    pub fn challenge(&self, requirement: &PaymentRequirement, order_id: &str) -> PaymentChallenge {
        self.facilitator.challenge(requirement, order_id)
    }

    /// `POST /api/premium/compatibility-report`.
    ///
    /// # Errors
    /// [`PayError`].
    #[tracing::instrument(skip_all, fields(owner.id = ?owner, couple.id = ?couple))]
    pub async fn compatibility_report(
        &self,
        owner: Option<OwnerId>,
        couple: Option<CoupleId>,
        payment: Option<PaymentHeader>,
        bearer: Option<&str>,
    ) -> Result<ReportOutcome, PayError> {
        let payment = payment
            .map(|h| PaymentHeader {
                value: h.value.trim().to_owned(),
                ..h
            })
            .filter(|h| !h.value.is_empty());
        let version = payment.as_ref().map_or(PaymentVersion::V1, |h| h.version);
        let owner = owner.ok_or(PayError::OwnerRequired)?;
        auth::authorize(&*self.owners, owner, bearer).await?;
        if let Some(c) = couple {
            let view = self
                .couples
                .couple(c)
                .await?
                .ok_or(PayError::NotYourCouple)?;
            view.sides(owner).ok_or(PayError::NotYourCouple)?;
        }
        let now = self.clock.now();
        let requirement = self.options.requirement();
        let order = NewOrder {
            id: order_id(owner, couple, now),
            owner,
            couple,
            amount: requirement.amount,
        };

        // Paid already (today, for this owner and couple): deliver, settle nothing.
        if let Some(OrderView {
            receipt: Some(receipt),
            report,
            ..
        }) = self.store.order(order.id.clone()).await?
        {
            return self.deliver(&order, receipt, report, version).await;
        }
        if self
            .options
            .pay_to
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
        {
            return Err(PayError::NotConfigured);
        }
        let Some(header) = payment else {
            self.store
                .move_order(order.clone(), OrderStep::challenge(), now)
                .await?;
            return Ok(ReportOutcome::Challenge {
                order_id: order.id,
                requirement,
            });
        };

        let payment = match self.facilitator.precheck(&header, &requirement, now) {
            Ok(p) => p,
            Err(e) => return Err(self.refuse(&order, e).await),
        };
        if self.store.nonce_used(payment.nonce.clone()).await? {
            return Err(self
                .refuse(
                    &order,
                    PaymentError::Invalid("authorization already used".into()),
                )
                .await);
        }
        if !self
            .store
            .move_order(order.clone(), OrderStep::claim(), now)
            .await?
        {
            // Another request is settling this order: its outcome is ours.
            self.store
                .wait_settled(order.id.clone(), SETTLE_WAIT_MS)
                .await?;
            let view = self.store.order(order.id.clone()).await?;
            return match view {
                Some(OrderView {
                    receipt: Some(receipt),
                    report,
                    ..
                }) => self.deliver(&order, receipt, report, version).await,
                Some(v) => Err(PayError::NotVerified(
                    v.reason.unwrap_or_else(|| "payment in progress".into()),
                )),
                None => Err(PayError::NotVerified("payment in progress".into())),
            };
        }
        if let Err(e) = self.facilitator.verify(&payment, &requirement).await {
            return Err(self.refuse(&order, e).await);
        }
        let settlement = match self.facilitator.settle(&payment, &requirement).await {
            Ok(s) => s,
            Err(e) => return Err(self.refuse(&order, e).await),
        };
        let share = buyback(order.amount, self.settings.current().buyback_bps);
        let receipt_id = self
            .store
            .record_payment(
                order.id.clone(),
                settlement.clone(),
                payment.nonce,
                order.amount,
                share,
                self.clock.now(),
            )
            .await?;
        tracing::info!(order.id = %order.id, receipt.id = receipt_id, "payment settled");
        self.deliver(
            &order,
            Receipt {
                id: receipt_id,
                settlement,
            },
            None,
            version,
        )
        .await
    }

    async fn refuse(&self, order: &NewOrder, e: PaymentError) -> PayError {
        let reason = e.to_string();
        // The order row may not exist yet (a first request that carries a payment): it is
        // created `challenged` first, as a `fail` needs an order to move.
        if let Err(se) = self
            .store
            .move_order(order.clone(), OrderStep::challenge(), self.clock.now())
            .await
        {
            tracing::error!(error = %se, "could not record the order");
        }
        if let Err(se) = self
            .store
            .move_order(
                order.clone(),
                OrderStep::fail(reason.clone()),
                self.clock.now(),
            )
            .await
        {
            tracing::error!(error = %se, "could not mark the order failed");
        }
        tracing::info!(order.id = %order.id, reason = %reason, "payment not verified");
        PayError::NotVerified(reason)
    }

    /// Composes (once) and returns the report of a paid order.
    async fn deliver(
        &self,
        order: &NewOrder,
        receipt: Receipt,
        stored: Option<String>,
        version: PaymentVersion,
    ) -> Result<ReportOutcome, PayError> {
        let payment_response = self
            .facilitator
            .response_header(&receipt.settlement, version);
        let report = match stored {
            Some(r) => r,
            None => {
                let Some(report) = self.compose(order).await? else {
                    return Err(PayError::ReportPending {
                        order_id: order.id.clone(),
                        receipt_id: receipt.id,
                    });
                };
                self.store
                    .save_report(order.id.clone(), report.clone(), self.clock.now())
                    .await?;
                report
            }
        };
        Ok(ReportOutcome::Delivered {
            order_id: order.id.clone(),
            receipt_id: receipt.id,
            report,
            payment_response,
            version,
        })
    }

    /// The writer's report over the couple's two hearts (or the owner's own doc), if the
    /// chaperone allows it.
    async fn compose(&self, order: &NewOrder) -> Result<Option<String>, StoreError> {
        let sketch = |handle: String, heart: &serde_json::Value| PersonaSketch {
            handle,
            heart_text: sanitize::json_text(heart),
        };
        let (a, b) = match order.couple {
            Some(c) => match self.store.couple_hearts(c).await? {
                Some(((ha, a), (hb, b))) => (sketch(ha, &a), sketch(hb, &b)),
                None => return Ok(None),
            },
            None => match self.store.owner_heart(order.owner).await? {
                Some(h) => (
                    sketch("you".into(), &h),
                    sketch("your ideal match".into(), &h),
                ),
                None => return Ok(None),
            },
        };
        let text = match self.writer.report(a, b).await {
            Ok(t) => sanitize::clean(&t).trim().to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "writer unavailable for a paid report");
                return Ok(None);
            }
        };
        let denylist = self.settings.current().denylist.clone();
        let verdict = self
            .chaperone
            .screen(Surface::Report, &text, &denylist)
            .await;
        self.chaperone
            .record(Surface::Report, "order", None, &verdict, self.clock.now())
            .await;
        Ok(verdict.is_allow().then_some(text).filter(|t| !t.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{
        CheckedPayment, MockChaperoneLog, MockClock, MockCoupleStore, MockFacilitator, MockGuard,
        MockOwnerStore, MockPaymentStore, MockSettingsStore, MockWriter, Settlement,
    };
    use crate::states::{OrderEvent, OrderState};
    use time::macros::datetime;

    struct Mocks {
        store: MockPaymentStore,
        facilitator: MockFacilitator,
    }

    async fn payments(m: Mocks) -> Payments {
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_by_token()
            .returning(|_| Ok(Some(OwnerId(1))));
        let mut settings = MockSettingsStore::new();
        settings.expect_all().returning(|| Ok(vec![]));
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-11-23 12:00 UTC));
        let mut guard = MockGuard::new();
        guard
            .expect_classify()
            .returning(|_| Ok(crate::ports::GuardVerdict::Safe));
        let mut log = MockChaperoneLog::new();
        log.expect_record().returning(|_| Ok(()));
        let mut writer = MockWriter::new();
        writer
            .expect_report()
            .returning(|_, _| Ok("A fine match.".into()));
        Payments {
            store: Arc::new(m.store),
            owners: Arc::new(owners),
            couples: Arc::new(MockCoupleStore::new()),
            facilitator: Arc::new(m.facilitator),
            writer: Arc::new(writer),
            chaperone: Arc::new(Chaperone::new(Arc::new(guard), Arc::new(log))),
            settings: Arc::new(
                SettingsService::load(Arc::new(settings), &[])
                    .await
                    .expect("settings"),
            ),
            clock: Arc::new(clock),
            options: PaymentOptions {
                pay_to: Some("0xabc".into()),
                network: "eip155:8453".into(),
                public_url: "https://ishtar.example/".into(),
                resource: "/api/premium/compatibility-report".into(),
            },
        }
    }

    fn v1(value: &str) -> PaymentHeader {
        PaymentHeader {
            version: PaymentVersion::V1,
            value: value.into(),
        }
    }

    fn v2(value: &str) -> PaymentHeader {
        PaymentHeader {
            version: PaymentVersion::V2,
            value: value.into(),
        }
    }

    fn checked() -> CheckedPayment {
        CheckedPayment {
            version: PaymentVersion::V1,
            payer: "0xp".into(),
            nonce: "0xn".into(),
            payload: b"{}".to_vec(),
        }
    }

    fn settlement() -> Settlement {
        Settlement {
            payer: "0xp".into(),
            transaction: "0xt".into(),
            network: "base".into(),
        }
    }

    #[tokio::test]
    async fn a_failed_pre_check_marks_the_order_failed_and_asks_no_facilitator() {
        let mut store = MockPaymentStore::new();
        store.expect_order().returning(|_| Ok(None));
        let mut seq = mockall::Sequence::new();
        store
            .expect_move_order()
            .withf(|_, step, _| step.to() == OrderState::Challenged)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(true));
        store
            .expect_move_order()
            .withf(|_, step, _| {
                step.to() == OrderState::Failed
                    && step.reason() == Some("amount 1 is not 5000000")
                    && step.from().contains(&OrderState::Settling)
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(true));
        let mut facilitator = MockFacilitator::new();
        facilitator
            .expect_precheck()
            .returning(|_, _, _| Err(PaymentError::Invalid("amount 1 is not 5000000".into())));
        facilitator.expect_verify().never();
        facilitator.expect_settle().never();
        let p = payments(Mocks { store, facilitator }).await;
        let r = p
            .compatibility_report(Some(OwnerId(1)), None, Some(v1("x")), Some("ish_t"))
            .await;
        assert!(
            matches!(r, Err(PayError::NotVerified(ref m)) if m == "amount 1 is not 5000000"),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_concurrent_retry_waits_and_is_served_the_winners_receipt_without_settling() {
        let mut store = MockPaymentStore::new();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        store.expect_order().returning(move |id| {
            // First look: nothing paid yet; after waiting: the winner's receipt.
            if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                Ok(None)
            } else {
                Ok(Some(OrderView {
                    id,
                    status: OrderState::Fulfilled,
                    reason: None,
                    report: Some("stored".into()),
                    receipt: Some(Receipt {
                        id: 9,
                        settlement: settlement(),
                    }),
                }))
            }
        });
        store.expect_nonce_used().returning(|_| Ok(false));
        store
            .expect_move_order()
            .withf(|_, step, _| step.event() == OrderEvent::Claim)
            .returning(|_, _, _| Ok(false));
        store
            .expect_wait_settled()
            .times(1)
            .returning(|_, _| Ok(()));
        store.expect_record_payment().never();
        let mut facilitator = MockFacilitator::new();
        facilitator
            .expect_precheck()
            .returning(|_, _, _| Ok(checked()));
        facilitator.expect_verify().never();
        facilitator.expect_settle().never();
        facilitator
            .expect_response_header()
            .returning(|_, _| "hdr".into());
        let p = payments(Mocks { store, facilitator }).await;
        let r = p
            .compatibility_report(Some(OwnerId(1)), None, Some(v1("x")), Some("ish_t"))
            .await;
        assert!(
            matches!(r, Ok(ReportOutcome::Delivered { receipt_id: 9, ref report, .. }) if report == "stored"),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn the_winner_verifies_settles_records_then_composes() {
        let mut store = MockPaymentStore::new();
        let mut seq = mockall::Sequence::new();
        store.expect_order().returning(|_| Ok(None));
        store.expect_nonce_used().returning(|_| Ok(false));
        store
            .expect_move_order()
            .withf(|_, step, _| step == &OrderStep::claim())
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(true));
        store
            .expect_record_payment()
            .withf(|_, _, nonce, amount, buyback, _| {
                nonce == "0xn" && *amount == REPORT_PRICE && *buyback == 500_000
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _, _, _| Ok(3));
        store
            .expect_owner_heart()
            .returning(|_| Ok(Some(serde_json::json!({"about": "tea"}))));
        store
            .expect_save_report()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(()));
        let mut facilitator = MockFacilitator::new();
        facilitator
            .expect_precheck()
            .returning(|_, _, _| Ok(checked()));
        facilitator
            .expect_verify()
            .times(1)
            .returning(|_, _| Ok(()));
        facilitator
            .expect_settle()
            .times(1)
            .returning(|_, _| Ok(settlement()));
        facilitator
            .expect_response_header()
            .returning(|_, _| "hdr".into());
        let p = payments(Mocks { store, facilitator }).await;
        let r = p
            .compatibility_report(Some(OwnerId(1)), None, Some(v1("x")), Some("ish_t"))
            .await;
        assert!(
            matches!(r, Ok(ReportOutcome::Delivered { receipt_id: 3, .. })),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_v2_payment_is_checked_settled_and_answered_in_v2() {
        let mut store = MockPaymentStore::new();
        store.expect_order().returning(|_| Ok(None));
        store.expect_nonce_used().returning(|_| Ok(false));
        store
            .expect_move_order()
            .withf(|_, step, _| step == &OrderStep::claim())
            .times(1)
            .returning(|_, _, _| Ok(true));
        store
            .expect_record_payment()
            .times(1)
            .returning(|_, _, _, _, _, _| Ok(4));
        store
            .expect_owner_heart()
            .returning(|_| Ok(Some(serde_json::json!({"about": "tea"}))));
        store.expect_save_report().returning(|_, _, _| Ok(()));
        let mut facilitator = MockFacilitator::new();
        facilitator
            .expect_precheck()
            .withf(|h, req, _| {
                h.version == PaymentVersion::V2
                    && h.value == "sig"
                    && req.resource_url == "https://ishtar.example/api/premium/compatibility-report"
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(CheckedPayment {
                    version: PaymentVersion::V2,
                    ..checked()
                })
            });
        facilitator
            .expect_verify()
            .withf(|p, _| p.version == PaymentVersion::V2)
            .times(1)
            .returning(|_, _| Ok(()));
        facilitator
            .expect_settle()
            .withf(|p, _| p.version == PaymentVersion::V2)
            .times(1)
            .returning(|_, _| Ok(settlement()));
        facilitator
            .expect_response_header()
            .withf(|_, v| *v == PaymentVersion::V2)
            .returning(|_, _| "v2hdr".into());
        let p = payments(Mocks { store, facilitator }).await;
        let r = p
            .compatibility_report(Some(OwnerId(1)), None, Some(v2(" sig ")), Some("ish_t"))
            .await;
        assert!(
            matches!(r, Ok(ReportOutcome::Delivered { receipt_id: 4, version: PaymentVersion::V2, ref payment_response, .. }) if payment_response == "v2hdr"),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_paid_order_resent_in_v2_is_served_in_v2_without_settling() {
        let mut store = MockPaymentStore::new();
        store.expect_order().returning(|id| {
            Ok(Some(OrderView {
                id,
                status: OrderState::Fulfilled,
                reason: None,
                report: Some("stored".into()),
                receipt: Some(Receipt {
                    id: 9,
                    settlement: settlement(),
                }),
            }))
        });
        store.expect_move_order().never();
        let mut facilitator = MockFacilitator::new();
        facilitator.expect_precheck().never();
        facilitator.expect_settle().never();
        facilitator
            .expect_response_header()
            .withf(|_, v| *v == PaymentVersion::V2)
            .times(1)
            .returning(|_, _| "v2hdr".into());
        let p = payments(Mocks { store, facilitator }).await;
        let r = p
            .compatibility_report(Some(OwnerId(1)), None, Some(v2("sig")), Some("ish_t"))
            .await;
        assert!(
            matches!(
                r,
                Ok(ReportOutcome::Delivered {
                    receipt_id: 9,
                    version: PaymentVersion::V2,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn the_requirement_carries_the_path_and_the_full_url() {
        let opts = PaymentOptions {
            public_url: " https://ishtar.example/ ".into(),
            resource: "/api/premium/compatibility-report".into(),
            ..PaymentOptions::default()
        };
        let req = opts.requirement();
        assert_eq!(req.resource, "/api/premium/compatibility-report");
        assert_eq!(
            req.resource_url,
            "https://ishtar.example/api/premium/compatibility-report"
        );
    }

    #[test]
    fn order_ids_are_per_owner_couple_and_utc_day() {
        let late = datetime!(2026-11-23 23:59:59 -05:00); // already the 24th in UTC
        assert_eq!(order_id(OwnerId(7), None, late), "cr:7:0:2026-11-24");
        assert_eq!(
            order_id(
                OwnerId(7),
                Some(CoupleId(12)),
                datetime!(2026-11-23 00:00 UTC)
            ),
            "cr:7:12:2026-11-23"
        );
    }

    #[test]
    fn buyback_is_basis_points_rounded_down() {
        assert_eq!(buyback(REPORT_PRICE, 1000), 500_000);
        assert_eq!(buyback(3, 5000), 1);
        assert_eq!(buyback(REPORT_PRICE, 0), 0);
    }
}
