//! A Didit that answers session creation badly, for what `ishtar_test_kit::FakeDidit` does
//! not play (it answers 201 or a chosen status only): an answer that never comes, a body
//! that is not JSON, a session `url` that is not http(s). Built on the kit's
//! [`LoopbackServer`]; records the requests' `content-type`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use ishtar_test_kit::LoopbackServer;

/// How [`RawDidit`] answers every request.
#[derive(Debug, Clone, Copy)]
pub enum RawAnswer {
    /// A good 201, after 30 s.
    Hang,
    /// 201 with an HTML body.
    Garbage,
    /// 201 with a `javascript:` session url.
    BadUrl,
}

/// A misbehaving Didit on `127.0.0.1:<port>`, stopped when dropped.
pub struct RawDidit {
    base: String,
    content_types: Arc<Mutex<Vec<Option<String>>>>,
    _server: LoopbackServer,
}

impl RawDidit {
    /// Starts the server; every request gets `answer`.
    pub fn start(answer: RawAnswer) -> Self {
        let content_types = Arc::new(Mutex::new(Vec::new()));
        let seen = content_types.clone();
        let server = LoopbackServer::start(1, move |req: HttpRequest, _body: web::Bytes| {
            let seen = seen.clone();
            async move {
                let content_type = req
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                seen.lock().unwrap().push(content_type);
                match answer {
                    RawAnswer::Hang => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        HttpResponse::Created().json(serde_json::json!({
                            "session_id": "s",
                            "url": "https://verify.didit.me/session/tok",
                        }))
                    }
                    RawAnswer::Garbage => HttpResponse::Created().body("<html>hello</html>"),
                    RawAnswer::BadUrl => HttpResponse::Created().json(serde_json::json!({
                        "session_id": "s",
                        "url": "javascript:alert(1)",
                    })),
                }
            }
        });
        Self {
            base: format!("http://127.0.0.1:{}", server.port()),
            content_types,
            _server: server,
        }
    }

    /// The base URL to configure.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The `content-type` of every request so far.
    pub fn content_types(&self) -> Vec<Option<String>> {
        self.content_types.lock().unwrap().clone()
    }
}
