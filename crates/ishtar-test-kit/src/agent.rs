//! An agent's callback server: answers challenges (or misbehaves as told) and records
//! every request, signature header included.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::server::LoopbackServer;

/// How the fake agent answers a challenge.
#[derive(Debug, Clone)]
pub enum AgentBehaviour {
    /// `{"echo": <challenge>}`: a good agent.
    Echo,
    /// `{"echo": "something else"}`.
    WrongEcho,
    /// Never answers in time.
    Hang,
    /// A 1 MiB body.
    Huge,
    /// A redirect to `to`.
    Redirect(String),
    /// The given status with an echo body.
    Status(u16),
    /// Not JSON.
    Garbage,
}

/// A request the fake agent received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The raw request body.
    pub body: Vec<u8>,
    /// The `X-Ishtar-Signature` header, if any.
    pub signature: Option<String>,
}

/// An agent callback server on `127.0.0.1:<port>` (bound by us, kept for the test).
pub struct FakeAgent {
    url: String,
    hits: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

impl FakeAgent {
    /// Starts an agent answering every request as `behaviour` says.
    pub async fn start(behaviour: AgentBehaviour) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let received = Arc::new(Mutex::new(Vec::new()));
        let r = received.clone();
        let server =
            LoopbackServer::start(1, move |req: actix_web::HttpRequest, body: web::Bytes| {
                let behaviour = behaviour.clone();
                let hits = h.clone();
                let received = r.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    let signature = req
                        .headers()
                        .get("x-ishtar-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    received.lock().unwrap().push(Received {
                        body: body.to_vec(),
                        signature,
                    });
                    let challenge = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| {
                            v.get("challenge")
                                .and_then(|c| c.as_str())
                                .map(str::to_owned)
                        })
                        .unwrap_or_default();
                    match behaviour {
                        AgentBehaviour::Echo => {
                            HttpResponse::Ok().json(serde_json::json!({"echo": challenge}))
                        }
                        AgentBehaviour::WrongEcho => {
                            HttpResponse::Ok().json(serde_json::json!({"echo": "nope"}))
                        }
                        AgentBehaviour::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            HttpResponse::Ok().json(serde_json::json!({"echo": challenge}))
                        }
                        AgentBehaviour::Huge => HttpResponse::Ok()
                            .content_type("application/json")
                            .body(format!(
                                "{{\"echo\":\"{challenge}\",\"pad\":\"{}\"}}",
                                "x".repeat(1 << 20)
                            )),
                        AgentBehaviour::Redirect(to) => HttpResponse::TemporaryRedirect()
                            .insert_header(("location", to))
                            .finish(),
                        AgentBehaviour::Status(code) => HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(code).unwrap(),
                        )
                        .json(serde_json::json!({"echo": challenge})),
                        AgentBehaviour::Garbage => HttpResponse::Ok().body(challenge),
                    }
                }
            });
        let port = server.port();
        Self {
            url: format!("http://127.0.0.1:{port}/cb"),
            hits,
            received,
            _server: server,
        }
    }

    /// The callback URL to register.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many requests reached the agent.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
