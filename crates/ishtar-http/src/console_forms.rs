//! The console's forms: anti-forgery tokens, same-origin checks, flash messages, and the
//! bodies of `/admin/actions/*` (JSON for API clients, urlencoded forms for the console).
//!
//! Cross-site request forgery. A browser that signed in to the console with HTTP Basic
//! auth sends those credentials with any request to the venue, including one a foreign
//! page makes it send. So every console action is checked three ways:
//! 1. `Origin` (and `Sec-Fetch-Site`), when the browser sends them, must name this site;
//! 2. a console form must carry a token that is the HMAC-SHA256, under the operator
//!    secret, of a random per-browser session id kept in a `SameSite=Strict`, `HttpOnly`
//!    cookie scoped to `/admin` — a foreign page can neither read the cookie nor compute
//!    the token, and a cross-site post does not even carry the cookie;
//! 3. JSON clients need `Content-Type: application/json`, which no cross-site form can
//!    send, and no CORS preflight is ever granted.
//!
//! Flash messages (what an action did, shown once after the redirect) travel in a short
//! cookie signed with the same secret, so no one else can plant a message in the console.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use base64::Engine as _;
use futures_util::StreamExt as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::extract::{BODY_LIMIT, OperatorToken};

/// The cookie holding the console session id.
pub const SESSION_COOKIE: &str = "ishtar_console";
/// The cookie carrying a one-time message to the next console page.
pub const FLASH_COOKIE: &str = "ishtar_flash";
/// The form field carrying the anti-forgery token.
pub const CSRF_FIELD: &str = "csrf";

fn mac(secret: &str, purpose: &str, message: &str) -> String {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(message.as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The operator secret (set: the `Operator` extractor already let the request in).
pub fn operator_secret(req: &HttpRequest) -> String {
    req.app_data::<actix_web::web::Data<OperatorToken>>()
        .and_then(|t| t.0.clone())
        .unwrap_or_default()
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

fn secure(req: &HttpRequest) -> &'static str {
    if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    }
}

/// The anti-forgery token of a console session.
pub fn csrf_token(secret: &str, session: &str) -> String {
    mac(secret, "ishtar-console-csrf", session)
}

/// The browser's console session: its id, its token, and whether the id is new (then the
/// cookie must be set).
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub id: String,
    pub token: String,
    pub fresh: bool,
}

fn valid_session_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl ConsoleSession {
    /// The session named by the cookie, or a new one with `new_id`.
    pub fn of(req: &HttpRequest, secret: &str, new_id: impl FnOnce() -> String) -> Self {
        match cookie(req, SESSION_COOKIE).filter(|id| valid_session_id(id)) {
            Some(id) => Self {
                token: csrf_token(secret, &id),
                id,
                fresh: false,
            },
            None => {
                let id = new_id();
                Self {
                    token: csrf_token(secret, &id),
                    id,
                    fresh: true,
                }
            }
        }
    }

    /// The `Set-Cookie` value for this session.
    pub fn set_cookie(&self, req: &HttpRequest) -> String {
        format!(
            "{SESSION_COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict{}",
            self.id,
            secure(req)
        )
    }
}

/// False when the browser says the request comes from another site.
pub fn same_origin(req: &HttpRequest) -> bool {
    let site_ok = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| matches!(v, "same-origin" | "none"));
    let origin_ok = match req.headers().get(header::ORIGIN) {
        None => true,
        Some(v) => match v.to_str().ok().and_then(|o| url::Url::parse(o).ok()) {
            Some(origin) => {
                let host = origin.host_str().unwrap_or_default();
                let authority = match origin.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                };
                authority.eq_ignore_ascii_case(req.connection_info().host())
            }
            // `Origin: null` (sandboxed frames, some redirects) is never our console.
            None => false,
        },
    };
    site_ok && origin_ok
}

/// Whether a console form carries this browser session's token.
pub fn form_token_ok(req: &HttpRequest, form: &[(String, String)]) -> bool {
    let secret = operator_secret(req);
    let Some(session) = cookie(req, SESSION_COOKIE).filter(|id| valid_session_id(id)) else {
        return false;
    };
    let Some((_, sent)) = form.iter().find(|(k, _)| k == CSRF_FIELD) else {
        return false;
    };
    !secret.is_empty()
        && constant_time_eq::constant_time_eq(
            sent.as_bytes(),
            csrf_token(&secret, &session).as_bytes(),
        )
}

/// The answer to a refused console form: a small page that says what to do.
pub fn form_refused() -> HttpResponse {
    let page = maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Ishtar — form refused" } }
            body {
                h1 { "Form refused" }
                p { "This form was not sent from this venue's console, or it has expired. "
                    "Open the console again and resend it." }
                p { a href="/admin" { "Back to the console" } }
            }
        }
    };
    HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.into_string())
}

/// What an action said, shown once on the next console page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub message: String,
}

impl Flash {
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: message.into(),
        }
    }

    pub fn err(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: message.into(),
        }
    }

    fn encode(&self, secret: &str) -> String {
        let kind = if self.ok { "ok" } else { "err" };
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.message);
        let body = format!("{kind}.{text}");
        let sig = mac(secret, "ishtar-console-flash", &body);
        format!("{body}.{sig}")
    }

    /// The signed message in the request, if any and genuine.
    pub fn read(req: &HttpRequest, secret: &str) -> Option<Self> {
        let raw = cookie(req, FLASH_COOKIE)?;
        let (body, sig) = raw.rsplit_once('.')?;
        let expected = mac(secret, "ishtar-console-flash", body);
        if !constant_time_eq::constant_time_eq(sig.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let (kind, text) = body.split_once('.')?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        Some(Self {
            ok: kind == "ok",
            message: String::from_utf8(bytes).ok()?,
        })
    }

    /// The `Set-Cookie` value that removes the message once shown.
    pub fn clear_cookie(req: &HttpRequest) -> String {
        format!(
            "{FLASH_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict{}",
            secure(req)
        )
    }

    /// `303 See Other` back to the console (at `anchor`), carrying this message.
    pub fn redirect(&self, req: &HttpRequest, anchor: &str) -> HttpResponse {
        let cookie = format!(
            "{FLASH_COOKIE}={}; Path=/admin; Max-Age=120; HttpOnly; SameSite=Strict{}",
            self.encode(&operator_secret(req)),
            secure(req)
        );
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/admin#{anchor}")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .append_header((header::SET_COOKIE, cookie))
            .finish()
    }
}

/// The body of an `/admin/actions/*` request.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionBody {
    /// `application/json` (API clients; the reference's bodies).
    Json(Value),
    /// `application/x-www-form-urlencoded` (the console's forms).
    Form(Vec<(String, String)>),
    /// No body and no content type (e.g. `curl -X POST` of a beat).
    Empty,
}

/// `{"ok":false,"error":…}` with `status`: the console actions' error shape.
pub fn action_error(status: StatusCode, error: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"ok": false, "error": error}))
}

impl ActionBody {
    /// A field as text: JSON strings as they are, numbers and booleans written out, `null`
    /// and absent fields as `None`; arrays and objects as their JSON text.
    pub fn text(&self, name: &str) -> Option<String> {
        match self {
            ActionBody::Json(v) => match v.get(name)? {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            },
            ActionBody::Form(pairs) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
            ActionBody::Empty => None,
        }
    }

    pub fn is_form(&self) -> bool {
        matches!(self, ActionBody::Form(_))
    }
}

impl FromRequest for ActionBody {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mime = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase());
        let mut payload = payload.take();
        Box::pin(async move {
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    actix_web::error::InternalError::from_response(
                        "unreadable body",
                        action_error(StatusCode::BAD_REQUEST, "could not read the request body"),
                    )
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(actix_web::error::InternalError::from_response(
                        "body too large",
                        HttpResponse::PayloadTooLarge()
                            .json(json!({"error": "body too large", "limit": BODY_LIMIT})),
                    )
                    .into());
                }
                body.extend_from_slice(&chunk);
            }
            let refuse = |status: StatusCode, error: &str| {
                actix_web::error::InternalError::from_response(
                    "bad action body",
                    HttpResponse::build(status).json(json!({"ok": false, "error": error})),
                )
                .into()
            };
            match mime.as_deref() {
                Some("application/x-www-form-urlencoded") => Ok(ActionBody::Form(
                    url::form_urlencoded::parse(&body).into_owned().collect(),
                )),
                Some(m) if m == "application/json" || m.ends_with("+json") => {
                    if body.iter().all(u8::is_ascii_whitespace) {
                        return Ok(ActionBody::Json(Value::Object(Default::default())));
                    }
                    match serde_json::from_slice::<Value>(&body) {
                        Ok(v @ Value::Object(_)) => Ok(ActionBody::Json(v)),
                        Ok(_) => Err(refuse(
                            StatusCode::BAD_REQUEST,
                            "body must be a JSON object",
                        )),
                        Err(_) => Err(refuse(StatusCode::BAD_REQUEST, "invalid JSON body")),
                    }
                }
                None if body.is_empty() => Ok(ActionBody::Empty),
                _ => Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content-type must be application/json",
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_flash_survives_only_with_its_signature() {
        let f = Flash::err("bad value for cap: expected a number");
        let encoded = f.encode("s3cret");
        let req = TestRequest::default()
            .insert_header((header::COOKIE, format!("a=b; {FLASH_COOKIE}={encoded}")))
            .to_http_request();
        assert_eq!(Flash::read(&req, "s3cret"), Some(f));
        assert_eq!(Flash::read(&req, "other"), None);
        let forged = encoded.replacen("err.", "ok.", 1);
        let req = TestRequest::default()
            .insert_header((header::COOKIE, format!("{FLASH_COOKIE}={forged}")))
            .to_http_request();
        assert_eq!(Flash::read(&req, "s3cret"), None);
    }

    #[test]
    fn cross_site_requests_are_told_apart() {
        let req = |headers: &[(&str, &str)]| {
            let mut r = TestRequest::default().insert_header((header::HOST, "venue.test:8080"));
            for (k, v) in headers {
                r = r.insert_header((*k, *v));
            }
            r.to_http_request()
        };
        assert!(same_origin(&req(&[])));
        assert!(same_origin(&req(&[("origin", "http://venue.test:8080")])));
        assert!(same_origin(&req(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&req(&[("origin", "https://evil.test")])));
        assert!(!same_origin(&req(&[("origin", "null")])));
        assert!(!same_origin(&req(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&req(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn tokens_bind_the_secret_and_the_session() {
        let a = csrf_token("k", &"a".repeat(64));
        assert_eq!(a.len(), 64);
        assert_ne!(a, csrf_token("k2", &"a".repeat(64)));
        assert_ne!(a, csrf_token("k", &"b".repeat(64)));
        assert!(valid_session_id(&"f".repeat(64)));
        assert!(!valid_session_id("short"));
    }
}
