use std::time::Duration;

use base64::Engine as _;
use ethers_core::types::U256;
use serde_json::{Value, json};

use ishtar_test_support::{FAKE_TX, FacilitatorMode, FakeFacilitator};
use ishtar_x402::eip3009::{TransferWithAuthorization, address_of_key, sign_authorization};

use crate::helpers::{Dater, Setup, TestApp, parts, spawn_app_with};

const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const USDC: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const PAYER_KEY: [u8; 32] = [0x42; 32];

/// What goes into a payment; tests change one field to break one pre-check.
#[derive(Clone)]
struct Pay {
    network: &'static str,
    scheme: &'static str,
    to: String,
    value: u64,
    valid_after: i64,
    valid_before: i64,
    nonce: [u8; 32],
    key: [u8; 32],
    /// Sign these values but claim another payer.
    claimed_from: Option<String>,
}

impl Pay {
    fn new() -> Self {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut nonce = [0u8; 32];
        nonce[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            network: "base",
            scheme: "exact",
            to: PAY_TO.to_owned(),
            value: 5_000_000,
            valid_after: now - 60,
            valid_before: now + 240,
            nonce,
            key: PAYER_KEY,
            claimed_from: None,
        }
    }

    fn header(&self) -> String {
        let from = address_of_key(&self.key).unwrap();
        let msg = TransferWithAuthorization {
            from: from.parse().unwrap(),
            to: self.to.parse().unwrap(),
            value: U256::from(self.value),
            valid_after: U256::from(self.valid_after),
            valid_before: U256::from(self.valid_before),
            nonce: self.nonce,
        };
        let sig = sign_authorization(&self.key, &msg).unwrap();
        let payload = json!({
            "x402Version": 1, "scheme": self.scheme, "network": self.network,
            "payload": {"signature": sig, "authorization": {
                "from": self.claimed_from.clone().unwrap_or(from), "to": self.to,
                "value": self.value.to_string(), "validAfter": self.valid_after.to_string(),
                "validBefore": self.valid_before.to_string(), "nonce": format!("0x{}", hex::encode(self.nonce)),
            }}
        });
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&payload).unwrap())
    }
}

async fn venue(mode: FacilitatorMode) -> (TestApp, FakeFacilitator) {
    let fac = FakeFacilitator::start(mode, Duration::from_millis(150)).await;
    let app = spawn_app_with(Setup {
        facilitator_url: Some(fac.url().to_owned()),
        pay_to: Some(PAY_TO.to_owned()),
        ..Default::default()
    })
    .await;
    (app, fac)
}

async fn report(
    app: &TestApp,
    body: &Value,
    token: Option<&str>,
    payment: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut req = app
        .client
        .post(app.url("/api/premium/compatibility-report"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(p) = payment {
        req = req.header("X-PAYMENT", p);
    }
    let r = req.send().await.unwrap();
    let header = r
        .headers()
        .get("x-payment-response")
        .map(|v| v.to_str().unwrap().to_owned());
    let (s, b) = parts(r).await;
    (s.as_u16(), b, header)
}

async fn couple(app: &TestApp) -> (Dater, Dater, i64) {
    let text = json!({"about": "Kayaking, foraging mushrooms and strong coffee at dawn."});
    let a = app.dater("ada", text.clone(), None).await;
    let b = app.dater("bo", text, None).await;
    app.beat().await;
    let c = app.db.count("SELECT id FROM couples").await;
    (a, b, c)
}

fn day() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test]
async fn without_payment_the_challenge_is_the_reference_body_plus_the_v1_entry() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let (status, body, _) = report(
        &app,
        &json!({"ownerId": a.owner, "coupleId": c}),
        Some(&a.token),
        None,
    )
    .await;
    assert_eq!(status, 402);
    let order = format!("cr:{}:{c}:{}", a.owner, day());
    let first = json!({
        "scheme": "exact", "network": "eip155:8453", "maxAmountRequired": "5000000",
        "resource": "/api/premium/compatibility-report", "description": "Ishtar compatibility_report",
        "payTo": PAY_TO, "asset": USDC, "mimeType": "application/json",
        "outputSchema": {"orderId": order},
    });
    assert_eq!(body["x402Version"], 1);
    assert_eq!(body["error"], "payment required");
    let accepts = body["accepts"].as_array().unwrap();
    assert_eq!(accepts.len(), 2);
    for (k, v) in first.as_object().unwrap() {
        assert_eq!(&accepts[0][k], v, "{k}");
    }
    assert_eq!(
        accepts[0]["extra"],
        json!({"name": "USD Coin", "version": "2"})
    );
    assert!(accepts[0]["maxTimeoutSeconds"].as_u64().is_some());
    assert_eq!(accepts[1]["network"], "base");
    assert_eq!(
        app.db
            .scalar(&format!("SELECT status FROM orders WHERE id = '{order}'"))
            .await
            .as_deref(),
        Some("challenged")
    );
    // Without a couple the order id ends in :0.
    let (_, body, _) = report(&app, &json!({"ownerId": a.owner}), Some(&a.token), None).await;
    assert_eq!(
        body["accepts"][0]["outputSchema"]["orderId"],
        format!("cr:{}:0:{}", a.owner, day())
    );
    assert_eq!(fac.verifies() + fac.settles(), 0);
}

#[tokio::test]
async fn a_valid_payment_is_verified_settled_persisted_and_delivers_the_report() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let pay = Pay::new();
    let (status, body, header) = report(
        &app,
        &json!({"ownerId": a.owner, "coupleId": c}),
        Some(&a.token),
        Some(&pay.header()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let order = format!("cr:{}:{c}:{}", a.owner, day());
    assert_eq!(body["ok"], true);
    assert_eq!(body["orderId"], order);
    assert!(body["receiptId"].as_i64().is_some());
    assert!(
        body["report"].as_str().is_some_and(|r| r.len() > 40),
        "{body}"
    );
    let header = header.expect("X-PAYMENT-RESPONSE");
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["success"], true);
    assert_eq!(decoded["transaction"], FAKE_TX);
    assert_eq!((fac.verifies(), fac.settles()), (1, 1));
    assert_eq!(
        app.db
            .scalar(&format!("SELECT status FROM orders WHERE id = '{order}'"))
            .await
            .as_deref(),
        Some("fulfilled")
    );
    // 10 % buyback (default buyback_bps 1000) of 5.00 USDC, accrued once.
    assert_eq!(
        app.db.count("SELECT sum(amount) FROM buyback_ledger").await,
        500_000
    );

    // Re-sending the paid order the same day settles nothing and returns the stored report.
    let (status, again, _) = report(
        &app,
        &json!({"ownerId": a.owner, "coupleId": c}),
        Some(&a.token),
        Some(&Pay::new().header()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["receiptId"].clone(), again["report"].clone()),
        (body["receiptId"].clone(), body["report"].clone())
    );
    assert_eq!((fac.verifies(), fac.settles()), (1, 1));
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
    assert_eq!(app.db.count("SELECT count(*) FROM buyback_ledger").await, 1);
}

#[tokio::test]
async fn twenty_concurrent_retries_settle_exactly_once() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let header = Pay::new().header();
    let body = json!({"ownerId": a.owner, "coupleId": c});
    let calls = (0..20).map(|_| report(&app, &body, Some(&a.token), Some(&header)));
    let results = futures_util::future::join_all(calls).await;
    let receipts: std::collections::HashSet<String> = results
        .iter()
        .map(|(s, b, _)| {
            assert_eq!(*s, 200, "{b}");
            b["receiptId"].to_string()
        })
        .collect();
    assert_eq!(receipts.len(), 1, "the same receiptId in every 200");
    assert_eq!(fac.settles(), 1, "one settle call at the facilitator");
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
    assert_eq!(app.db.count("SELECT count(*) FROM buyback_ledger").await, 1);
}

#[tokio::test]
async fn every_failed_pre_check_is_not_verified_and_calls_no_facilitator() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, _) = couple(&app).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let other_payer = address_of_key(&[0x43; 32]).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("not base64", "%%%".to_owned()),
        (
            "not json",
            base64::engine::general_purpose::STANDARD.encode("nope"),
        ),
        (
            "scheme",
            Pay {
                scheme: "upto",
                ..Pay::new()
            }
            .header(),
        ),
        (
            "network",
            Pay {
                network: "base-sepolia",
                ..Pay::new()
            }
            .header(),
        ),
        (
            "payTo",
            Pay {
                to: "0x000000000000000000000000000000000000dEaD".into(),
                ..Pay::new()
            }
            .header(),
        ),
        (
            "amount",
            Pay {
                value: 4_999_999,
                ..Pay::new()
            }
            .header(),
        ),
        (
            "amount over",
            Pay {
                value: 5_000_001,
                ..Pay::new()
            }
            .header(),
        ),
        (
            "not yet valid",
            Pay {
                valid_after: now + 120,
                valid_before: now + 240,
                ..Pay::new()
            }
            .header(),
        ),
        (
            "expired",
            Pay {
                valid_after: now - 600,
                valid_before: now - 60,
                ..Pay::new()
            }
            .header(),
        ),
        (
            "signature",
            Pay {
                claimed_from: Some(other_payer),
                ..Pay::new()
            }
            .header(),
        ),
    ];
    for (name, header) in cases {
        let (status, body, _) = report(
            &app,
            &json!({"ownerId": a.owner}),
            Some(&a.token),
            Some(&header),
        )
        .await;
        assert_eq!(status, 402, "{name}: {body}");
        assert_eq!(body["error"], "payment not verified", "{name}");
        assert!(
            body["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{name}"
        );
    }
    assert_eq!(fac.verifies() + fac.settles(), 0, "pre-checks are local");
    assert_eq!(
        app.db.scalar("SELECT status FROM orders").await.as_deref(),
        Some("failed")
    );
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 0);
}

#[tokio::test]
async fn a_facilitator_that_refuses_fails_or_hangs_is_not_verified() {
    for mode in [
        FacilitatorMode::Invalid,
        FacilitatorMode::SettleFails,
        FacilitatorMode::Down,
        FacilitatorMode::Hang,
        FacilitatorMode::Garbage,
    ] {
        let (app, _fac) = venue(mode).await;
        let (a, _) = (app.dater("ada", json!({"about": "tea"}), None).await, ());
        let (status, body, header) = report(
            &app,
            &json!({"ownerId": a.owner}),
            Some(&a.token),
            Some(&Pay::new().header()),
        )
        .await;
        assert_eq!(status, 402, "{mode:?}: {body}");
        assert_eq!(body["error"], "payment not verified");
        assert!(header.is_none());
        assert_eq!(
            app.db.scalar("SELECT status FROM orders").await.as_deref(),
            Some("failed"),
            "{mode:?}"
        );
        assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 0);
        assert!(!body.to_string().contains("report\""));
    }
}

#[tokio::test]
async fn no_facilitator_configured_means_not_verified() {
    let app = spawn_app_with(Setup {
        pay_to: Some(PAY_TO.into()),
        ..Default::default()
    })
    .await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    let (status, body, _) = report(
        &app,
        &json!({"ownerId": a.owner}),
        Some(&a.token),
        Some(&Pay::new().header()),
    )
    .await;
    assert_eq!(status, 402);
    assert_eq!(body["error"], "payment not verified");
}

#[tokio::test]
async fn the_owner_and_couple_rules_hold() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let stranger = app
        .dater("zed", json!({"about": "something else entirely"}), None)
        .await;
    for body in [
        json!({}),
        json!({"ownerId": 0}),
        json!({"ownerId": "7"}),
        json!({"coupleId": c}),
    ] {
        let (s, b, _) = report(&app, &body, Some(&a.token), None).await;
        assert_eq!(
            (s, b),
            (400, json!({"error": "ownerId required"})),
            "{body}"
        );
    }
    let (s, b, _) = report(&app, &json!({"ownerId": a.owner}), None, None).await;
    assert_eq!((s, b), (401, json!({"error": "owner token required"})));
    let (s, _, _) = report(
        &app,
        &json!({"ownerId": a.owner}),
        Some(&stranger.token),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, b, _) = report(
        &app,
        &json!({"ownerId": stranger.owner, "coupleId": c}),
        Some(&stranger.token),
        Some(&Pay::new().header()),
    )
    .await;
    assert_eq!((s, b), (403, json!({"error": "owner not in this couple"})));
    let (s, _, _) = report(
        &app,
        &json!({"ownerId": a.owner, "coupleId": 999_999}),
        Some(&a.token),
        None,
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(fac.settles(), 0);
}

#[tokio::test]
async fn one_authorization_pays_once() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let pay = Pay::new();
    assert_eq!(
        report(
            &app,
            &json!({"ownerId": a.owner, "coupleId": c}),
            Some(&a.token),
            Some(&pay.header())
        )
        .await
        .0,
        200
    );
    // The same signed authorization offered for another order (no couple) is refused locally.
    let (s, b, _) = report(
        &app,
        &json!({"ownerId": a.owner}),
        Some(&a.token),
        Some(&pay.header()),
    )
    .await;
    assert_eq!(s, 402, "{b}");
    assert_eq!(b["reason"], "authorization already used");
    assert_eq!(fac.settles(), 1);
}
