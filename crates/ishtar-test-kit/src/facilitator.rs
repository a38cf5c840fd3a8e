//! An x402 facilitator on loopback speaking the v1 and v2 `/verify` and `/settle` formats
//! (docs/wire-formats.md#facilitator-verify-and-settle).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::server::LoopbackServer;

/// How a fake facilitator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacilitatorMode {
    /// `isValid:true`, then `success:true` with a transaction.
    Valid,
    /// 400 with `isValid:false` and a reason (as CDP answers an invalid payment).
    Invalid,
    /// verify passes, settle fails with 400 `success:false`.
    SettleFails,
    /// 500 to everything.
    Down,
    /// Never answers in time.
    Hang,
    /// 200 with a body that is not JSON.
    Garbage,
}

/// A facilitator on loopback speaking the x402 `/verify` and `/settle` formats of both
/// versions. Like a real one it reads the body by its `x402Version`, and refuses (400,
/// `invalid_x402_version`) a body whose payload or requirements are in another version's
/// shape: a test that pays in v2 passes only if the venue spoke v2 to it.
pub struct FakeFacilitator {
    url: String,
    mode: Arc<Mutex<FacilitatorMode>>,
    verifies: Arc<AtomicUsize>,
    settles: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

/// The transaction hash a fake settlement reports.
pub const FAKE_TX: &str = "0x9e5b0f7c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f";

/// The EIP-712 domain every requirement for USDC on Base must carry in `extra`.
fn usdc_extra() -> Value {
    json!({"name": "USD Coin", "version": "2"})
}

/// Why `body` is not a well-formed verify/settle request of the version it declares, if
/// it is not (v1: docs/wire-formats.md#x402-v1-over-http; v2: coinbase/x402
/// `specs/x402-specification-v2.md` §5, §7).
pub fn version_problem(body: &Value) -> Option<String> {
    let payload = &body["paymentPayload"];
    let req = &body["paymentRequirements"];
    let problems: Vec<&str> = match body["x402Version"].as_u64() {
        Some(1) => [
            (
                payload["x402Version"] == 1,
                "paymentPayload.x402Version is not 1",
            ),
            (payload["scheme"] == "exact", "paymentPayload.scheme"),
            (
                payload["network"] == "base",
                "paymentPayload.network is not base",
            ),
            (
                payload.get("accepted").is_none(),
                "a v1 payload has no accepted",
            ),
            (
                req["network"] == "base",
                "paymentRequirements.network is not base",
            ),
            (req["maxAmountRequired"].is_string(), "no maxAmountRequired"),
            (
                req.get("amount").is_none(),
                "a v1 requirement has no amount",
            ),
            (req["resource"].is_string(), "no resource string"),
            (req["mimeType"].is_string(), "no mimeType"),
            (req["maxTimeoutSeconds"].is_u64(), "no maxTimeoutSeconds"),
            (req["extra"] == usdc_extra(), "extra is not the USDC domain"),
        ]
        .into_iter()
        .filter_map(|(ok, why)| (!ok).then_some(why))
        .collect(),
        Some(2) => [
            (
                payload["x402Version"] == 2,
                "paymentPayload.x402Version is not 2",
            ),
            (
                payload.get("scheme").is_none(),
                "a v2 payload has no top-level scheme",
            ),
            (
                payload["accepted"].is_object(),
                "paymentPayload.accepted is missing",
            ),
            (
                payload["accepted"] == *req,
                "accepted is not paymentRequirements",
            ),
            (req["scheme"] == "exact", "paymentRequirements.scheme"),
            (
                req["network"] == "eip155:8453",
                "paymentRequirements.network is not eip155:8453",
            ),
            (req["amount"].is_string(), "no amount"),
            (
                req.get("maxAmountRequired").is_none(),
                "a v2 requirement has no maxAmountRequired",
            ),
            (
                req["payTo"].is_string() && req["asset"].is_string(),
                "no payTo or asset",
            ),
            (req["maxTimeoutSeconds"].is_u64(), "no maxTimeoutSeconds"),
            (req["extra"] == usdc_extra(), "extra is not the USDC domain"),
        ]
        .into_iter()
        .filter_map(|(ok, why)| (!ok).then_some(why))
        .collect(),
        _ => vec!["x402Version is not 1 or 2"],
    };
    (!problems.is_empty()).then(|| problems.join("; "))
}

impl FakeFacilitator {
    /// Starts a facilitator answering as `mode` says.
    ///
    /// `settle_delay` makes settlement take that long (to widen race windows in tests).
    pub async fn start(mode: FacilitatorMode, settle_delay: Duration) -> Self {
        let mode = Arc::new(Mutex::new(mode));
        let verifies = Arc::new(AtomicUsize::new(0));
        let settles = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (m, v, s, r) = (
            mode.clone(),
            verifies.clone(),
            settles.clone(),
            received.clone(),
        );
        let server = LoopbackServer::start(
            2,
            move |req: actix_web::HttpRequest, body: web::Json<Value>| {
                let (m, v, s, r) = (m.clone(), v.clone(), s.clone(), r.clone());
                async move {
                    let settle = req.path().ends_with("/settle");
                    if settle {
                        s.fetch_add(1, Ordering::SeqCst)
                    } else {
                        v.fetch_add(1, Ordering::SeqCst)
                    };
                    r.lock()
                        .unwrap()
                        .push((req.path().to_owned(), body.0.clone()));
                    let payer = body["paymentPayload"]["payload"]["authorization"]["from"].clone();
                    if let Some(why) = version_problem(&body) {
                        return if settle {
                            HttpResponse::BadRequest().json(json!({
                                "success": false, "errorReason": "invalid_x402_version",
                                "errorMessage": why, "transaction": "", "network": "unknown:unknown"
                            }))
                        } else {
                            HttpResponse::BadRequest().json(json!({
                                "isValid": false, "invalidReason": "invalid_x402_version",
                                "invalidMessage": why
                            }))
                        };
                    }
                    let network = if body["x402Version"] == 2 {
                        "eip155:8453"
                    } else {
                        "base"
                    };
                    let mode = *m.lock().unwrap();
                    if settle && mode == FacilitatorMode::Valid {
                        tokio::time::sleep(settle_delay).await;
                    }
                    match mode {
                        FacilitatorMode::Valid | FacilitatorMode::SettleFails if !settle => {
                            HttpResponse::Ok().json(json!({"isValid": true, "payer": payer}))
                        }
                        FacilitatorMode::Valid => HttpResponse::Ok().json(json!({
                            "success": true, "transaction": FAKE_TX, "network": network, "payer": payer
                        })),
                        FacilitatorMode::SettleFails => HttpResponse::BadRequest().json(json!({
                            "success": false, "errorReason": "invalid_transaction_state", "payer": payer
                        })),
                        FacilitatorMode::Invalid => HttpResponse::BadRequest().json(json!({
                            "isValid": false, "invalidReason": "insufficient_funds", "payer": payer
                        })),
                        FacilitatorMode::Down => HttpResponse::InternalServerError().json(json!({"errorMessage": "boom"})),
                        FacilitatorMode::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            HttpResponse::Ok().finish()
                        }
                        FacilitatorMode::Garbage => HttpResponse::Ok().content_type("text/html").body("<html>"),
                    }
                }
            },
        );
        let port = server.port();
        Self {
            url: format!("http://127.0.0.1:{port}"),
            mode,
            verifies,
            settles,
            received,
            _server: server,
        }
    }

    /// The base URL to configure (`http://127.0.0.1:<port>`, no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes how later requests are answered.
    pub fn set_mode(&self, mode: FacilitatorMode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// `/verify` calls so far.
    pub fn verifies(&self) -> usize {
        self.verifies.load(Ordering::SeqCst)
    }

    /// `/settle` calls so far.
    pub fn settles(&self) -> usize {
        self.settles.load(Ordering::SeqCst)
    }

    /// Every request so far: (path, JSON body), in arrival order.
    pub fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().unwrap().clone()
    }

    /// The `x402Version` of every request so far (0 when missing), in arrival order.
    pub fn versions(&self) -> Vec<u64> {
        self.received()
            .iter()
            .map(|(_, b)| b["x402Version"].as_u64().unwrap_or(0))
            .collect()
    }
}
