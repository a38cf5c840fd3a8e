//! Orders, receipts and the buyback ledger (the Postgres store's `payments.rs`).
//!
//! One settle per order: a claim ([`OrderStep::claim`]) moves an order to `settling`
//! under the store's lock, so of concurrent claims exactly one sees it claimable.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId};
use ishtar_domain::ports::{CoupleHearts, NewOrder, OrderView, PaymentStore, Receipt, Settlement};
use ishtar_domain::states::{OrderState, OrderStep};

use crate::MemoryStore;
use crate::state::{self, Buyback, Order, State, missing};

/// How often a waiting retry looks at a settling order.
const POLL: Duration = Duration::from_millis(10);

fn amount(a: u64) -> i64 {
    i64::try_from(a).unwrap_or(i64::MAX)
}

impl State {
    /// Persists `step` for `o` (see [`PaymentStore::move_order`]); true when written.
    fn move_order(
        &mut self,
        o: NewOrder,
        step: &OrderStep,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if let Some(stored) = self.orders.get_mut(&o.id) {
            if !step.from().contains(&stored.status) {
                return Ok(false);
            }
            stored.status = step.to();
            stored.reason = step.reason().map(str::to_owned);
            return Ok(true);
        }
        if !step.creates() {
            return Ok(false);
        }
        if !self.owners.contains(o.owner.0) {
            return Err(missing("owner"));
        }
        if o.couple.is_some_and(|c| !self.couples.contains(c.0)) {
            return Err(missing("couple"));
        }
        self.orders.insert(
            o.id,
            Order {
                owner: Some(o.owner.0),
                couple: o.couple.map(|c| c.0),
                amount: amount(o.amount),
                status: step.to(),
                reason: step.reason().map(str::to_owned),
                report: None,
                created_at: at,
            },
        );
        Ok(true)
    }
}

#[async_trait]
impl PaymentStore for MemoryStore {
    async fn order(&self, id: String) -> Result<Option<OrderView>, StoreError> {
        let s = self.lock();
        let Some(o) = s.orders.get(&id) else {
            return Ok(None);
        };
        let receipt = s
            .receipts
            .rows
            .iter()
            .find(|(_, r)| r.order_id == id)
            .map(|(rid, r)| Receipt {
                id: *rid,
                settlement: Settlement {
                    payer: r.payer.clone(),
                    transaction: r.transaction.clone(),
                    network: r.network.clone(),
                },
            });
        Ok(Some(OrderView {
            status: o.status,
            reason: o.reason.clone(),
            report: o.report.clone(),
            receipt,
            id,
        }))
    }

    async fn move_order(
        &self,
        order: NewOrder,
        step: OrderStep,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.lock().move_order(order, &step, at)
    }

    async fn wait_settled(&self, id: String, timeout_ms: u64) -> Result<(), StoreError> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        loop {
            let settling = self
                .lock()
                .orders
                .get(&id)
                .is_some_and(|o| o.status == OrderState::Settling);
            if !settling || tokio::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn nonce_used(&self, nonce: String) -> Result<bool, StoreError> {
        let nonce = nonce.to_ascii_lowercase();
        let s = self.lock();
        Ok(s.receipts.rows.values().any(|r| r.auth_nonce == nonce))
    }

    async fn record_payment(
        &self,
        order_id: String,
        settlement: Settlement,
        auth_nonce: String,
        paid: u64,
        buyback: u64,
        _at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let auth_nonce = auth_nonce.to_ascii_lowercase();
        let mut s = self.lock();
        // `receipts.order_id` and `receipts.auth_nonce` are unique.
        if s.receipts
            .rows
            .values()
            .any(|r| r.order_id == order_id || r.auth_nonce == auth_nonce)
        {
            return Err(StoreError::Conflict("unique"));
        }
        let receipt = s.receipts.insert(state::Receipt {
            order_id: order_id.clone(),
            payer: settlement.payer,
            transaction: settlement.transaction,
            network: settlement.network,
            amount: amount(paid),
            auth_nonce,
        });
        let fulfil = OrderStep::fulfil();
        if let Some(o) = s
            .orders
            .get_mut(&order_id)
            .filter(|o| fulfil.from().contains(&o.status))
        {
            o.status = fulfil.to();
            o.reason = None;
        }
        s.buybacks.insert(Buyback {
            receipt,
            amount: amount(buyback),
        });
        Ok(receipt)
    }

    async fn save_report(
        &self,
        order_id: String,
        report: String,
        _at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        if let Some(o) = s.orders.get_mut(&order_id).filter(|o| o.report.is_none()) {
            o.report = Some(report);
        }
        Ok(())
    }

    async fn owner_heart(&self, owner: OwnerId) -> Result<Option<serde_json::Value>, StoreError> {
        let s = self.lock();
        Ok(s.latest_heart(owner.0).map(|(_, h)| h.heart.clone()))
    }

    async fn couple_hearts(&self, couple: CoupleId) -> Result<Option<CoupleHearts>, StoreError> {
        let s = self.lock();
        let Some(c) = s.couples.get(couple.0) else {
            return Ok(None);
        };
        let get = |id: i64| {
            s.personas
                .get(id)
                .map(|p| (p.handle.clone(), p.heart.clone()))
        };
        Ok(get(c.a).zip(get(c.b)))
    }
}
