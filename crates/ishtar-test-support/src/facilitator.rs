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

/// A facilitator on loopback speaking the x402 v1 `/verify` and `/settle` formats.
pub struct FakeFacilitator {
    url: String,
    mode: Arc<Mutex<FacilitatorMode>>,
    verifies: Arc<AtomicUsize>,
    settles: Arc<AtomicUsize>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

/// The transaction hash a fake settlement reports.
pub const FAKE_TX: &str = "0x9e5b0f7c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f";

impl FakeFacilitator {
    /// `settle_delay` makes settlement take that long (to widen race windows in tests).
    pub async fn start(mode: FacilitatorMode, settle_delay: Duration) -> Self {
        let mode = Arc::new(Mutex::new(mode));
        let verifies = Arc::new(AtomicUsize::new(0));
        let settles = Arc::new(AtomicUsize::new(0));
        let (m, v, s) = (mode.clone(), verifies.clone(), settles.clone());
        let server = LoopbackServer::start(
            2,
            move |req: actix_web::HttpRequest, body: web::Json<Value>| {
                let (m, v, s) = (m.clone(), v.clone(), s.clone());
                async move {
                    let settle = req.path().ends_with("/settle");
                    if settle {
                        s.fetch_add(1, Ordering::SeqCst)
                    } else {
                        v.fetch_add(1, Ordering::SeqCst)
                    };
                    let payer = body["paymentPayload"]["payload"]["authorization"]["from"].clone();
                    let mode = *m.lock().unwrap();
                    if settle && mode == FacilitatorMode::Valid {
                        tokio::time::sleep(settle_delay).await;
                    }
                    match mode {
                        FacilitatorMode::Valid | FacilitatorMode::SettleFails if !settle => {
                            HttpResponse::Ok().json(json!({"isValid": true, "payer": payer}))
                        }
                        FacilitatorMode::Valid => HttpResponse::Ok().json(json!({
                            "success": true, "transaction": FAKE_TX, "network": "base", "payer": payer
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
            _server: server,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

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
}
