//! A fake OpenAI-compatible gateway on a loopback port we bind ourselves and keep.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

use ishtar_ai_gateway::GatewayConfig;

/// What the fake answers to one request.
#[derive(Clone)]
pub enum Reply {
    /// A JSON body with a status.
    Json(u16, Value),
    /// A raw body with a status and extra headers.
    Raw(u16, String, Vec<(&'static str, &'static str)>),
    /// A JSON body computed from the request body.
    With(Arc<dyn Fn(&Value) -> Value + Send + Sync>),
    /// Answers nothing for a long time.
    Hang,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

pub struct FakeGateway {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeGateway {
    /// Answers the n-th request with `replies[n]`, and every later one with the last reply.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let replies = Arc::new(replies);
        let s = seen.clone();
        let server = HttpServer::new(move || {
            let seen = s.clone();
            let replies = replies.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let seen = seen.clone();
                let replies = replies.clone();
                async move {
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(Seen {
                            path: req.path().to_owned(),
                            authorization: req
                                .headers()
                                .get("authorization")
                                .map(|v| v.to_str().unwrap().to_owned()),
                            body: body.clone(),
                        });
                        seen.len() - 1
                    };
                    let reply = replies[n.min(replies.len() - 1)].clone();
                    match reply {
                        Reply::Json(status, v) => {
                            HttpResponse::build(StatusCode::from_u16(status).unwrap()).json(v)
                        }
                        Reply::Raw(status, text, headers) => {
                            let mut r = HttpResponse::build(StatusCode::from_u16(status).unwrap());
                            for h in headers {
                                r.insert_header(h);
                            }
                            r.content_type("application/json").body(text)
                        }
                        Reply::With(f) => HttpResponse::Ok().json(f(&body)),
                        Reply::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            HttpResponse::Ok().finish()
                        }
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}/v1"),
            seen,
            handle,
        }
    }

    /// A config pointing at this fake: key `sk-test`, short timeout and backoff.
    pub fn config(&self) -> GatewayConfig {
        GatewayConfig {
            base_url: self.base.clone(),
            api_key: Some("sk-test".into()),
            embed_model: "embed-m".into(),
            embed_dimensions: 4,
            chat_model: "chat-m".into(),
            guard_model: "guard-m".into(),
            timeout: Duration::from_millis(500),
            max_retries: 2,
            embed_batch: 2,
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(200),
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// A chat-completions answer whose first choice says `text`.
pub fn chat(text: &str) -> Reply {
    Reply::Json(
        200,
        serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
        }),
    )
}
