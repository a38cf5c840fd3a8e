//! A stand-in for Didit's session API on a loopback port we bind ourselves
//! (`POST /v3/session/` → 201, `session_id` and `url`: docs/wire-formats.md#didit-sessions), and
//! webhook signing as Didit does it (`X-Signature`: hex HMAC-SHA256 of the raw body).

use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::LoopbackServer;

/// How the fake answers session creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiditBehaviour {
    /// 201 with a fresh session.
    Good,
    /// The given status, with an error body.
    Status(u16),
}

/// A session-creation request the fake received, and what it answered.
#[derive(Debug, Clone)]
pub struct DiditSession {
    /// The request path.
    pub path: String,
    /// The `X-Api-Key` header, if any.
    pub api_key: Option<String>,
    /// The JSON body (`null` when it was not JSON).
    pub body: serde_json::Value,
    /// The `session_id` answered (`None` when it refused).
    pub session_id: Option<String>,
}

/// Didit's session API on `127.0.0.1:<port>`.
pub struct FakeDidit {
    base: String,
    seen: Arc<Mutex<Vec<DiditSession>>>,
    behaviour: Arc<Mutex<DiditBehaviour>>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

impl FakeDidit {
    /// Starts the fake answering session creation as `behaviour` says.
    pub async fn start(behaviour: DiditBehaviour) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (s, b) = (seen.clone(), behaviour.clone());
        let server = LoopbackServer::start(1, move |req: HttpRequest, body: web::Bytes| {
            let (seen, behaviour) = (s.clone(), b.clone());
            async move {
                let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let api_key = req
                    .headers()
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let mode = *behaviour.lock().unwrap();
                let ok = mode == DiditBehaviour::Good
                    && req.method() == actix_web::http::Method::POST
                    && req.path() == "/v3/session/";
                let session_id = ok.then(|| uuid::Uuid::new_v4().to_string());
                seen.lock().unwrap().push(DiditSession {
                    path: req.path().to_owned(),
                    api_key,
                    body: parsed.clone(),
                    session_id: session_id.clone(),
                });
                match (mode, session_id) {
                    (_, Some(id)) => HttpResponse::Created().json(serde_json::json!({
                        "session_id": id,
                        "session_number": 1,
                        "session_token": "tok",
                        "url": format!("https://verify.didit.test/session/{id}"),
                        "vendor_data": parsed.get("vendor_data"),
                        "metadata": null,
                        "status": "Not Started",
                        "workflow_id": parsed.get("workflow_id"),
                        "callback": parsed.get("callback"),
                    })),
                    (DiditBehaviour::Status(code), None) => {
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                            .json(serde_json::json!({"detail": "refused by the fake"}))
                    }
                    (DiditBehaviour::Good, None) => HttpResponse::NotFound().finish(),
                }
            }
        });
        let port = server.port();
        Self {
            base: format!("http://127.0.0.1:{port}"),
            seen,
            behaviour,
            _server: server,
        }
    }

    /// The base URL to configure (`ISHTAR_DIDIT_BASE_URL`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Changes how later requests are answered.
    pub fn set(&self, behaviour: DiditBehaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// Every request so far.
    pub fn sessions(&self) -> Vec<DiditSession> {
        self.seen.lock().unwrap().clone()
    }

    /// The last session created for `vendor_data`.
    pub fn session_for(&self, vendor_data: &str) -> Option<String> {
        self.sessions()
            .into_iter()
            .rev()
            .find(|s| s.body["vendor_data"] == vendor_data && s.session_id.is_some())
            .and_then(|s| s.session_id)
    }
}

/// Didit's `X-Signature` for a raw body: lowercase hex HMAC-SHA256 with the secret.
pub fn didit_signature(secret: &str, raw_body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(raw_body);
    hex::encode(mac.finalize().into_bytes())
}
