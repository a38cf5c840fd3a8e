//! Orders, receipts and the buyback ledger (the payments use case's store).

use std::time::Duration;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId};
use ishtar_domain::ports::{CoupleHearts, NewOrder, OrderView, PaymentStore, Receipt, Settlement};
use ishtar_domain::states::{OrderState, OrderStep};

use crate::schema::{buyback_ledger, couples, heart_files, orders, personas, receipts};
use crate::store::{PgStore, db_err};

/// How often a waiting retry looks at a settling order.
const POLL: Duration = Duration::from_millis(50);

fn amount(a: u64) -> i64 {
    i64::try_from(a).unwrap_or(i64::MAX)
}

#[async_trait]
impl PaymentStore for PgStore {
    async fn order(&self, id: String) -> Result<Option<OrderView>, StoreError> {
        let mut conn = self.conn().await?;
        let Some((status, reason, report)) = orders::table
            .find(&id)
            .select((orders::status, orders::reason, orders::report))
            .first::<(String, Option<String>, Option<String>)>(&mut conn)
            .await
            .optional()
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let receipt = receipts::table
            .filter(receipts::order_id.eq(&id))
            .select((
                receipts::id,
                receipts::payer,
                receipts::transaction,
                receipts::network,
            ))
            .first::<(i64, String, String, String)>(&mut conn)
            .await
            .optional()
            .map_err(db_err)?
            .map(|(rid, payer, transaction, network)| Receipt {
                id: rid,
                settlement: Settlement {
                    payer,
                    transaction,
                    network,
                },
            });
        Ok(Some(OrderView {
            id,
            // The column's CHECK allows only the four states.
            status: OrderState::parse(&status).unwrap_or(OrderState::Failed),
            reason,
            report,
            receipt,
        }))
    }

    async fn move_order(
        &self,
        o: NewOrder,
        step: OrderStep,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        // The domain's machine chose `to` and the states it may come from; this statement
        // only persists that, atomically. An existing row is moved only while its state is
        // one of `from`, under the row lock, so of concurrent claims exactly one writes.
        let from: Vec<&str> = step.from().iter().map(|s| s.as_str()).collect();
        let claimed_at = (step.to() == OrderState::Settling).then_some(at);
        let written = if step.creates() {
            diesel::sql_query(
                "INSERT INTO orders (id, owner_id, couple_id, amount, status, reason, claimed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (id) DO UPDATE SET status = $5, reason = $6, \
                   claimed_at = COALESCE($7, orders.claimed_at), updated_at = $8 \
                 WHERE orders.status = ANY($9)",
            )
            .bind::<Text, _>(&o.id)
            .bind::<BigInt, _>(o.owner.0)
            .bind::<Nullable<BigInt>, _>(o.couple.map(|c| c.0))
            .bind::<BigInt, _>(amount(o.amount))
            .bind::<Text, _>(step.to().as_str())
            .bind::<Nullable<Text>, _>(step.reason())
            .bind::<Nullable<Timestamptz>, _>(claimed_at)
            .bind::<Timestamptz, _>(at)
            .bind::<Array<Text>, _>(from)
            .execute(&mut conn)
            .await
        } else {
            diesel::update(
                orders::table
                    .find(&o.id)
                    .filter(orders::status.eq_any(from)),
            )
            .set((
                orders::status.eq(step.to().as_str()),
                orders::reason.eq(step.reason()),
                claimed_at.map(|t| orders::claimed_at.eq(t)),
                orders::updated_at.eq(at),
            ))
            .execute(&mut conn)
            .await
        };
        Ok(written.map_err(db_err)? == 1)
    }

    async fn wait_settled(&self, id: String, timeout_ms: u64) -> Result<(), StoreError> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        loop {
            let status: Option<String> = {
                let mut conn = self.conn().await?;
                orders::table
                    .find(&id)
                    .select(orders::status)
                    .first(&mut conn)
                    .await
                    .optional()
                    .map_err(db_err)?
            };
            if status.as_deref() != Some(OrderState::Settling.as_str())
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn nonce_used(&self, nonce: String) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        diesel::select(diesel::dsl::exists(
            receipts::table.filter(receipts::auth_nonce.eq(nonce.to_ascii_lowercase())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(db_err)
    }

    async fn record_payment(
        &self,
        order_id: String,
        s: Settlement,
        auth_nonce: String,
        paid: u64,
        buyback: u64,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let receipt: i64 = diesel::insert_into(receipts::table)
                .values((
                    receipts::order_id.eq(&order_id),
                    receipts::payer.eq(&s.payer),
                    receipts::transaction.eq(&s.transaction),
                    receipts::network.eq(&s.network),
                    receipts::amount.eq(amount(paid)),
                    receipts::auth_nonce.eq(auth_nonce.to_ascii_lowercase()),
                    receipts::created_at.eq(at),
                ))
                .returning(receipts::id)
                .get_result(c)
                .await?;
            // The domain's `fulfil` step: a settled payment is recorded from any open state.
            let fulfil = OrderStep::fulfil();
            let open: Vec<&str> = fulfil.from().iter().map(|s| s.as_str()).collect();
            diesel::update(
                orders::table
                    .find(&order_id)
                    .filter(orders::status.eq_any(open)),
            )
            .set((
                orders::status.eq(fulfil.to().as_str()),
                orders::reason.eq(fulfil.reason()),
                orders::updated_at.eq(at),
            ))
            .execute(c)
            .await?;
            diesel::insert_into(buyback_ledger::table)
                .values((
                    buyback_ledger::receipt_id.eq(receipt),
                    buyback_ledger::amount.eq(amount(buyback)),
                    buyback_ledger::created_at.eq(at),
                ))
                .execute(c)
                .await?;
            Ok::<_, DieselError>(receipt)
        })
        .await
        .map_err(db_err)
    }

    async fn save_report(
        &self,
        order_id: String,
        report: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(
            orders::table
                .find(&order_id)
                .filter(orders::report.is_null()),
        )
        .set((orders::report.eq(report), orders::updated_at.eq(at)))
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(db_err)
    }

    async fn owner_heart(&self, owner: OwnerId) -> Result<Option<serde_json::Value>, StoreError> {
        let mut conn = self.conn().await?;
        heart_files::table
            .filter(heart_files::owner_id.eq(owner.0))
            .order(heart_files::version.desc())
            .select(heart_files::heart)
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)
    }

    async fn couple_hearts(&self, couple: CoupleId) -> Result<Option<CoupleHearts>, StoreError> {
        let mut conn = self.conn().await?;
        let Some((a, b)) = couples::table
            .find(couple.0)
            .select((couples::persona_a, couples::persona_b))
            .first::<(i64, i64)>(&mut conn)
            .await
            .optional()
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let rows: Vec<(i64, String, serde_json::Value)> = personas::table
            .filter(personas::id.eq_any([a, b]))
            .select((personas::id, personas::handle, personas::heart))
            .load(&mut conn)
            .await
            .map_err(db_err)?;
        let get = |id: i64| {
            rows.iter()
                .find(|r| r.0 == id)
                .map(|r| (r.1.clone(), r.2.clone()))
        };
        Ok(get(a).zip(get(b)))
    }
}
