use std::time::Duration;

use base64::Engine as _;
use ethers_core::types::U256;
use serde_json::{Value, json};

use ishtar_test_support::{FAKE_TX, FacilitatorMode, FakeFacilitator};
use ishtar_x402::eip3009::{TransferWithAuthorization, address_of_key, sign_authorization};

use crate::helpers::{Dater, Setup, TestApp, parts, spawn_app, spawn_app_with};

const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
/// `ISHTAR_PUBLIC_URL` of the test venues: x402 v2 names the resource by its full URL.
const PUBLIC_URL: &str = "https://ishtar.example";
const RESOURCE_URL: &str = "https://ishtar.example/api/premium/compatibility-report";
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

    /// The v1 JSON (`X-PAYMENT`).
    fn payload(&self) -> Value {
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
        payload
    }

    /// `X-PAYMENT` (x402 v1).
    fn header(&self) -> String {
        b64(&self.payload())
    }

    /// `PAYMENT-SIGNATURE` (x402 v2): the same signed authorization, with `accepted` = the
    /// offered requirement and `resource` from the challenge, as the v2 SDKs build it.
    fn header_v2(&self) -> String {
        let v1 = self.payload();
        b64(&json!({
            "x402Version": 2,
            "resource": {"url": RESOURCE_URL, "description": "Ishtar compatibility_report", "mimeType": "application/json"},
            "accepted": {
                "scheme": self.scheme, "network": "eip155:8453", "amount": "5000000", "asset": USDC,
                "payTo": PAY_TO, "maxTimeoutSeconds": 300, "extra": {"name": "USD Coin", "version": "2"}
            },
            "payload": v1["payload"],
        }))
    }
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(v).unwrap())
}

fn unb64(h: &str) -> Value {
    serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(h).unwrap()).unwrap()
}

async fn venue(mode: FacilitatorMode) -> (TestApp, FakeFacilitator) {
    let fac = FakeFacilitator::start(mode, Duration::from_millis(150)).await;
    let app = spawn_app_with(Setup {
        facilitator_url: Some(fac.url().to_owned()),
        pay_to: Some(PAY_TO.to_owned()),
        public_url: Some(format!("{PUBLIC_URL}/")),
        ..Default::default()
    })
    .await;
    (app, fac)
}

/// An answer's status, JSON body and headers.
struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// The report route with any payment headers.
async fn pay(app: &TestApp, body: &Value, token: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = app
        .client
        .post(app.url("/api/premium/compatibility-report"))
        .json(body)
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let headers = r.headers().clone();
    let (s, body) = parts(r).await;
    Answer {
        status: s.as_u16(),
        body,
        headers,
    }
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
async fn without_a_receiving_address_the_route_says_payments_are_not_configured() {
    // No ISHTAR_X402_PAY_TO: a challenge would name nobody to pay (`payTo: ""`).
    let app = spawn_app().await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    for headers in [&[][..], &[("X-PAYMENT", "e30=")][..]] {
        let r = pay(&app, &json!({"ownerId": a.owner}), &a.token, headers).await;
        assert!(r.header("PAYMENT-REQUIRED").is_none());
        assert_eq!(
            (r.status, r.body),
            (503, json!({"error": "payments not configured"}))
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM orders").await, 0);
    // The owner rules still come first.
    let r = pay(&app, &json!({"ownerId": a.owner}), "ish_not-a-token", &[]).await;
    assert_eq!(r.status, 401);
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

// --- x402 v2 beside v1 ---------------------------------------------------------------------

#[tokio::test]
async fn the_402_also_carries_the_v2_challenge_in_payment_required() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    let r = pay(&app, &json!({"ownerId": a.owner}), &a.token, &[]).await;
    assert_eq!(r.status, 402);
    assert_eq!(r.body["x402Version"], 1, "the v1 body is unchanged");
    assert_eq!(r.body["accepts"].as_array().unwrap().len(), 2);
    let v2 = unb64(r.header("payment-required").expect("PAYMENT-REQUIRED"));
    assert_eq!(
        v2,
        json!({
            "x402Version": 2,
            "error": "payment required",
            "resource": {
                "url": RESOURCE_URL,
                "description": "Ishtar compatibility_report",
                "mimeType": "application/json"
            },
            "accepts": [{
                "scheme": "exact", "network": "eip155:8453", "amount": "5000000", "asset": USDC,
                "payTo": PAY_TO, "maxTimeoutSeconds": 300,
                "extra": {"name": "USD Coin", "version": "2"}
            }]
        })
    );
    let expose = r.header("access-control-expose-headers").unwrap();
    for h in ["PAYMENT-REQUIRED", "PAYMENT-RESPONSE", "X-PAYMENT-RESPONSE"] {
        assert!(expose.contains(h), "{expose}");
    }
    assert_eq!(fac.verifies() + fac.settles(), 0);
}

#[tokio::test]
async fn a_v2_payment_is_settled_in_v2_and_answered_with_payment_response() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    let r = pay(
        &app,
        &json!({"ownerId": a.owner}),
        &a.token,
        &[("PAYMENT-SIGNATURE", &Pay::new().header_v2())],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ok"], true);
    assert!(r.header("x-payment-response").is_none());
    let settle = unb64(r.header("payment-response").expect("PAYMENT-RESPONSE"));
    assert_eq!(settle["success"], true);
    assert_eq!(settle["transaction"], FAKE_TX);
    assert_eq!(settle["network"], "eip155:8453");
    assert!(
        r.header("access-control-expose-headers")
            .unwrap()
            .contains("PAYMENT-RESPONSE")
    );
    // The fake refuses a body in the wrong version's shape: both calls were v2.
    assert_eq!(fac.versions(), [2, 2]);
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
}

#[tokio::test]
async fn one_authorization_sent_as_v1_then_as_v2_settles_once() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let (a, _, c) = couple(&app).await;
    let body = json!({"ownerId": a.owner, "coupleId": c});
    let auth = Pay::new();
    let first = pay(&app, &body, &a.token, &[("X-PAYMENT", &auth.header())]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.header("x-payment-response").is_some());
    // The same authorization again, as v2: the stored report, answered in v2, nothing settled.
    let again = pay(
        &app,
        &body,
        &a.token,
        &[("PAYMENT-SIGNATURE", &auth.header_v2())],
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["receiptId"], first.body["receiptId"]);
    assert_eq!(again.body["report"], first.body["report"]);
    let settle = unb64(again.header("payment-response").expect("PAYMENT-RESPONSE"));
    assert_eq!(
        (settle["transaction"].clone(), settle["network"].clone()),
        (json!(FAKE_TX), json!("eip155:8453"))
    );
    // And as v2 for another order (no couple): the nonce is spent.
    let other = pay(
        &app,
        &json!({"ownerId": a.owner}),
        &a.token,
        &[("PAYMENT-SIGNATURE", &auth.header_v2())],
    )
    .await;
    assert_eq!(other.status, 402, "{}", other.body);
    assert_eq!(other.body["reason"], "authorization already used");
    assert_eq!(fac.settles(), 1, "one settle call");
    assert_eq!(fac.versions(), [1, 1]);
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
    assert_eq!(app.db.count("SELECT count(*) FROM buyback_ledger").await, 1);
}

#[tokio::test]
async fn one_authorization_raced_in_both_versions_settles_once() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    let body = json!({"ownerId": a.owner});
    let auth = Pay::new();
    let (v1, v2) = (auth.header(), auth.header_v2());
    let calls = (0..12).map(|i| {
        let h = if i % 2 == 0 {
            ("X-PAYMENT", v1.as_str())
        } else {
            ("PAYMENT-SIGNATURE", v2.as_str())
        };
        let body = &body;
        let app = &app;
        let token = a.token.as_str();
        async move { (i, pay(app, body, token, &[h]).await) }
    });
    let results = futures_util::future::join_all(calls).await;
    let mut receipts = std::collections::HashSet::new();
    for (i, r) in &results {
        assert_eq!(r.status, 200, "{}", r.body);
        receipts.insert(r.body["receiptId"].to_string());
        // Each answer speaks the version its request used.
        let (mine, other) = if i % 2 == 0 {
            ("x-payment-response", "payment-response")
        } else {
            ("payment-response", "x-payment-response")
        };
        assert!(r.header(mine).is_some() && r.header(other).is_none(), "{i}");
    }
    assert_eq!(receipts.len(), 1);
    assert_eq!(fac.settles(), 1);
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
}

#[tokio::test]
async fn v2_pre_check_failures_reach_no_facilitator() {
    let (app, fac) = venue(FacilitatorMode::Valid).await;
    let a = app.dater("ada", json!({"about": "tea"}), None).await;
    let mut wrong_network = unb64(&Pay::new().header_v2());
    wrong_network["accepted"]["network"] = json!("base");
    let cases = [
        ("a v1 payload", Pay::new().header(), "x402Version must be 2"),
        ("accepted.network", b64(&wrong_network), "accepted.network"),
        (
            "amount",
            Pay {
                value: 4_999_999,
                ..Pay::new()
            }
            .header_v2(),
            "authorization.value",
        ),
    ];
    for (name, header, needle) in cases {
        let r = pay(
            &app,
            &json!({"ownerId": a.owner}),
            &a.token,
            &[("PAYMENT-SIGNATURE", &header)],
        )
        .await;
        assert_eq!(r.status, 402, "{name}: {}", r.body);
        assert_eq!(r.body["error"], "payment not verified");
        assert!(
            r.body["reason"].as_str().unwrap().contains(needle),
            "{name}: {}",
            r.body
        );
    }
    assert_eq!(fac.verifies() + fac.settles(), 0);
}

/// The official x402 SDKs as clients (docs/payments.md "Interop tests"): Python `x402` 2.25
/// (v1 and v2) and the TypeScript `@x402/core` client under Node, each paying our 402 against
/// the fake facilitator, which refuses a body that is not in the version the client used.
///
/// The SDKs live under `target/` (`x402-venv`, `x402-node`); a test that finds them missing
/// installs them (pip and npm registries), and prints `skipped: …` and passes when it cannot
/// (no network, no python3 or node).
mod interop {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Mutex;
    use std::time::Duration;

    use serde_json::{Value, json};

    use ishtar_test_support::{FAKE_TX, FacilitatorMode};

    use super::venue;
    use crate::sdk::{python_venv, run, run_client, script, target_dir};

    /// A throwaway payer key (nothing on chain; the fake facilitator settles anything).
    const KEY: &str = "0x4242424242424242424242424242424242424242424242424242424242424242";
    /// The pinned SDK versions.
    const PIP_X402: &str = "x402[evm]==2.25.*";
    const NPM_PACKAGES: [&str; 3] = ["@x402/core@~2.27.0", "@x402/evm@~2.27.0", "viem@^2.48"];
    /// How long one client run may take (an SDK import is the slow part: ~1–2 s).
    const RUN_TIMEOUT: Duration = Duration::from_secs(90);

    /// One set-up per test binary, however many tests ask at once.
    static PYTHON: Mutex<Option<Result<PathBuf, String>>> = Mutex::new(None);
    static NODE: Mutex<Option<Result<PathBuf, String>>> = Mutex::new(None);

    fn once(
        cell: &'static Mutex<Option<Result<PathBuf, String>>>,
        setup: fn() -> Result<PathBuf, String>,
    ) -> Result<PathBuf, String> {
        let mut guard = cell
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.get_or_insert_with(setup).clone()
    }

    /// `target/x402-venv/bin/python` with x402 2.25 and its EVM extra, installed if missing.
    fn python_setup() -> Result<PathBuf, String> {
        python_venv(
            "x402-venv",
            PIP_X402,
            "import importlib.metadata as m, eth_account, x402.mechanisms.evm.exact; \
             assert m.version('x402').startswith('2.25.'), m.version('x402')",
        )
    }

    /// `target/x402-node` with @x402/core, @x402/evm and viem, installed if missing.
    fn node_setup() -> Result<PathBuf, String> {
        let dir = target_dir().join("x402-node");
        let node_ok = run(Command::new("node").args([
            "-e",
            "process.exit(Number(process.versions.node.split('.')[0]) >= 18 ? 0 : 1)",
        ]));
        node_ok.map_err(|e| format!("Node 18+ is needed (for fetch): {e}"))?;
        let installed = |d: &Path| {
            ["@x402/core", "@x402/evm", "viem"]
                .iter()
                .all(|p| d.join("node_modules").join(p).join("package.json").exists())
        };
        if installed(&dir) {
            return Ok(dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let package = dir.join("package.json");
        if !package.exists() {
            std::fs::write(&package, r#"{"name":"x402-node-interop","private":true}"#)
                .map_err(|e| format!("{}: {e}", package.display()))?;
        }
        run(Command::new("npm")
            .current_dir(&dir)
            .args(["install", "--no-audit", "--no-fund", "--silent"])
            .args(NPM_PACKAGES))?;
        if installed(&dir) {
            Ok(dir)
        } else {
            Err("npm install left no @x402/core".to_owned())
        }
    }

    enum Sdk {
        Python,
        Node,
    }

    /// Pays one report with `sdk` in `version`; checks what the client saw and what the
    /// facilitator received.
    async fn pays(sdk: Sdk, version: u64) {
        let (name, setup) = match sdk {
            Sdk::Python => ("python x402 2.25", python_setup as fn() -> _),
            Sdk::Node => ("@x402/core 2.27 under Node", node_setup as fn() -> _),
        };
        let cell = match sdk {
            Sdk::Python => &PYTHON,
            Sdk::Node => &NODE,
        };
        let env = match tokio::task::spawn_blocking(move || once(cell, setup))
            .await
            .unwrap()
        {
            Ok(p) => p,
            Err(why) => {
                eprintln!("skipped: x402 interop with {name}: cannot set it up: {why}");
                return;
            }
        };

        let (app, fac) = venue(FacilitatorMode::Valid).await;
        let a = app.dater("ada", json!({"about": "tea"}), None).await;
        let url = app.url("/api/premium/compatibility-report");
        let body = json!({"ownerId": a.owner}).to_string();
        let args = [
            url,
            body,
            a.token.clone(),
            KEY.to_owned(),
            version.to_string(),
        ];
        let cmd = match sdk {
            Sdk::Python => {
                let mut c = Command::new(&env);
                c.arg(script("x402_pay.py")).args(&args);
                c
            }
            Sdk::Node => {
                let mut c = Command::new("node");
                c.env("X402_NODE_DIR", &env)
                    .arg(script("x402_pay.cjs"))
                    .args(&args);
                c
            }
        };
        let out = tokio::task::spawn_blocking(move || run_client(cmd, RUN_TIMEOUT))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{name}, v{version}: {e}"));

        let (sent, answer, other, network) = if version == 2 {
            (
                "PAYMENT-SIGNATURE",
                "PAYMENT-RESPONSE",
                "X-PAYMENT-RESPONSE",
                "eip155:8453",
            )
        } else {
            (
                "X-PAYMENT",
                "X-PAYMENT-RESPONSE",
                "PAYMENT-RESPONSE",
                "base",
            )
        };
        assert_eq!(out["paymentHeader"], sent, "{out}");
        assert_eq!(out["status"], 200, "{out}");
        assert_eq!(out["body"]["ok"], true, "{out}");
        assert_eq!(out["settle"]["success"], true, "{out}");
        assert_eq!(out["settle"]["transaction"], FAKE_TX, "{out}");
        assert_eq!(out["settle"]["network"], network, "{out}");
        let headers: Vec<&str> = out["responseHeaders"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            headers.contains(&answer) && !headers.contains(&other),
            "{out}"
        );

        // The facilitator was spoken to in the client's version, once each way.
        assert_eq!(fac.versions(), [version, version]);
        let received = fac.received();
        let (_, verify) = &received[0];
        assert_eq!(verify["paymentPayload"]["x402Version"], version);
        if version == 2 {
            assert_eq!(
                verify["paymentPayload"]["accepted"],
                verify["paymentRequirements"]
            );
            assert_eq!(
                verify["paymentPayload"]["resource"]["url"],
                super::RESOURCE_URL
            );
        } else {
            assert_eq!(verify["paymentPayload"]["network"], "base");
        }
        assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
    }

    #[tokio::test]
    async fn python_sdk_pays_in_v1() {
        pays(Sdk::Python, 1).await;
    }

    #[tokio::test]
    async fn python_sdk_pays_in_v2() {
        pays(Sdk::Python, 2).await;
    }

    #[tokio::test]
    async fn node_sdk_pays_in_v2() {
        pays(Sdk::Node, 2).await;
    }

    #[tokio::test]
    async fn node_sdk_pays_in_v1() {
        pays(Sdk::Node, 1).await;
    }
}
