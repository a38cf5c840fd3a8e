//! A stand-in for an OpenAI-compatible AI gateway (`/v1/embeddings`, `/v1/chat/completions`)
//! on a loopback port we bind ourselves: it answers from a script of replies and records
//! every request, so adapter tests can check the request shape and each failure mode.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::server::LoopbackServer;

/// What the fake gateway answers to one request.
#[derive(Clone)]
pub enum GatewayReply {
    /// A JSON body with a status.
    Json(u16, Value),
    /// A raw body (served as `application/json`) with a status and extra headers.
    Raw(u16, String, Vec<(&'static str, &'static str)>),
    /// A 200 JSON body computed from the request body.
    With(Arc<dyn Fn(&Value) -> Value + Send + Sync>),
    /// Answers nothing for 30 s (longer than any adapter timeout in tests).
    Hang,
}

/// A request the fake gateway received.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    /// The request path, e.g. `/v1/embeddings`.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The JSON body (`null` when the body was not JSON).
    pub body: Value,
}

/// An OpenAI-compatible gateway on `127.0.0.1:<port>` that answers from a script.
pub struct FakeGateway {
    base: String,
    seen: Arc<Mutex<Vec<GatewayRequest>>>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

impl FakeGateway {
    /// Answers the n-th request with `replies[n]`, and every later one with the last reply.
    ///
    /// # Panics
    /// If `replies` is empty.
    pub async fn start(replies: Vec<GatewayReply>) -> Self {
        assert!(
            !replies.is_empty(),
            "a FakeGateway needs at least one reply"
        );
        let seen: Arc<Mutex<Vec<GatewayRequest>>> = Arc::default();
        let replies = Arc::new(replies);
        let s = seen.clone();
        let server = LoopbackServer::start(1, move |req: HttpRequest, body: web::Bytes| {
            let seen = s.clone();
            let replies = replies.clone();
            async move {
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(GatewayRequest {
                        path: req.path().to_owned(),
                        authorization: req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned()),
                        body: body.clone(),
                    });
                    seen.len() - 1
                };
                match replies[n.min(replies.len() - 1)].clone() {
                    GatewayReply::Json(status, v) => {
                        HttpResponse::build(StatusCode::from_u16(status).unwrap()).json(v)
                    }
                    GatewayReply::Raw(status, text, headers) => {
                        let mut r = HttpResponse::build(StatusCode::from_u16(status).unwrap());
                        for h in headers {
                            r.insert_header(h);
                        }
                        r.content_type("application/json").body(text)
                    }
                    GatewayReply::With(f) => HttpResponse::Ok().json(f(&body)),
                    GatewayReply::Hang => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        HttpResponse::Ok().finish()
                    }
                }
            }
        });
        let port = server.port();
        Self {
            base: format!("http://127.0.0.1:{port}/v1"),
            seen,
            _server: server,
        }
    }

    /// The base URL to configure, ending in `/v1` (`http://127.0.0.1:<port>/v1`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<GatewayRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests reached the fake.
    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// A chat-completions answer whose first choice says `text`.
pub fn gateway_chat(text: &str) -> GatewayReply {
    GatewayReply::Json(
        200,
        serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
        }),
    )
}
