//! Payments: one settlement per order.

use std::future::Future;

use ishtar_domain::StoreError;
use ishtar_domain::ports::{NewOrder, Settlement};
use ishtar_domain::states::{OrderState, OrderStep};

use crate::Stores;
use crate::checks::today;
use crate::fixtures::{now, owner, together};

fn settlement(tx: &str) -> Settlement {
    Settlement {
        payer: "0xpayer".into(),
        transaction: tx.into(),
        network: "eip155:8453".into(),
    }
}

async fn status(s: &Stores, id: &str) -> OrderState {
    s.payments
        .order(id.into())
        .await
        .expect("read")
        .expect("the order exists")
        .status
}

/// `PaymentStore`: of 20 concurrent claims of one order exactly one wins; a paid order is
/// never claimed, re-challenged or failed again; its receipt is unique (per order and per
/// authorization nonce), so revenue and buyback are counted once; a failed order can be
/// claimed again, once.
pub async fn one_settlement_per_payment_order_under_concurrency<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let who = owner(&s, 1).await;
    let order = |id: &str| NewOrder {
        id: id.into(),
        owner: who,
        couple: None,
        amount: 5_000_000,
    };
    assert_eq!(s.payments.order("cr:x".into()).await.expect("read"), None);
    s.payments
        .move_order(order("cr:1"), OrderStep::challenge(), now())
        .await
        .expect("challenged");
    assert_eq!(status(&s, "cr:1").await, OrderState::Challenged);

    let claims = together(20, |_| {
        let payments = s.payments.clone();
        let o = order("cr:1");
        async move { payments.move_order(o, OrderStep::claim(), now()).await }
    })
    .await;
    let won = claims
        .into_iter()
        .map(|r| r.expect("a claim is answered"))
        .filter(|won| *won)
        .count();
    assert_eq!(
        won, 1,
        "exactly one of 20 concurrent claims settles the order"
    );
    assert_eq!(status(&s, "cr:1").await, OrderState::Settling);
    // A waiting retry comes back (here: at its timeout, the order still settling).
    s.payments
        .wait_settled("cr:1".into(), 50)
        .await
        .expect("the wait ends");

    assert!(!s.payments.nonce_used("0xn1".into()).await.expect("read"));
    let receipt = s
        .payments
        .record_payment(
            "cr:1".into(),
            settlement("0xt1"),
            "0xn1".into(),
            5_000_000,
            500_000,
            now(),
        )
        .await
        .expect("the receipt is recorded");
    let paid = s
        .payments
        .order("cr:1".into())
        .await
        .expect("read")
        .expect("found");
    assert_eq!(paid.status, OrderState::Fulfilled);
    assert_eq!(
        paid.receipt.map(|r| (r.id, r.settlement)),
        Some((receipt, settlement("0xt1")))
    );
    assert!(s.payments.nonce_used("0xn1".into()).await.expect("read"));
    s.payments
        .wait_settled("cr:1".into(), 5_000)
        .await
        .expect("a settled order ends the wait");

    // Paid: never claimed, re-challenged or failed again.
    assert!(
        !s.payments
            .move_order(order("cr:1"), OrderStep::claim(), now())
            .await
            .expect("answered"),
        "a fulfilled order is not claimed again"
    );
    assert!(
        !s.payments
            .move_order(order("cr:1"), OrderStep::challenge(), now())
            .await
            .expect("answered"),
        "a fulfilled order is not challenged again"
    );
    assert!(
        !s.payments
            .move_order(order("cr:1"), OrderStep::fail("late".into()), now())
            .await
            .expect("answered"),
        "a fulfilled order does not fail"
    );
    assert_eq!(
        status(&s, "cr:1").await,
        OrderState::Fulfilled,
        "a paid order stays paid"
    );
    // One receipt per order, one per authorization.
    assert!(
        matches!(
            s.payments
                .record_payment(
                    "cr:1".into(),
                    settlement("0xt2"),
                    "0xn2".into(),
                    5_000_000,
                    500_000,
                    now()
                )
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a second receipt for one order is a conflict"
    );
    s.payments
        .move_order(order("cr:2"), OrderStep::challenge(), now())
        .await
        .expect("challenged");
    assert!(
        s.payments
            .move_order(order("cr:2"), OrderStep::claim(), now())
            .await
            .expect("answered")
    );
    assert!(
        matches!(
            s.payments
                .record_payment(
                    "cr:2".into(),
                    settlement("0xt3"),
                    "0xn1".into(),
                    5_000_000,
                    500_000,
                    now()
                )
                .await,
            Err(StoreError::Conflict(_))
        ),
        "one authorization nonce pays once"
    );
    let (day_start, day) = today();
    let counts = s
        .console
        .snapshot(day_start, day, 0, 0)
        .await
        .expect("read");
    assert_eq!(
        (counts.revenue, counts.buyback_reserve),
        (5_000_000, 500_000),
        "revenue and buyback are counted once"
    );

    // The report is saved once.
    s.payments
        .save_report("cr:1".into(), "first".into(), now())
        .await
        .expect("saved");
    s.payments
        .save_report("cr:1".into(), "second".into(), now())
        .await
        .expect("answered");
    assert_eq!(
        s.payments
            .order("cr:1".into())
            .await
            .expect("read")
            .and_then(|o| o.report)
            .as_deref(),
        Some("first"),
        "a delivered report is never replaced"
    );

    // A failed settlement can be claimed again, by one caller.
    s.payments
        .move_order(
            order("cr:2"),
            OrderStep::fail("facilitator said no".into()),
            now(),
        )
        .await
        .expect("failed");
    let failed = s
        .payments
        .order("cr:2".into())
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (failed.status, failed.reason.as_deref()),
        (OrderState::Failed, Some("facilitator said no"))
    );
    let claims = together(10, |_| {
        let payments = s.payments.clone();
        let o = order("cr:2");
        async move { payments.move_order(o, OrderStep::claim(), now()).await }
    })
    .await;
    assert_eq!(
        claims.into_iter().filter(|r| matches!(r, Ok(true))).count(),
        1,
        "a failed order is claimed again by exactly one caller"
    );
}
