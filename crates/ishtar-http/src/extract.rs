//! Extractors: JSON bodies that always answer in the reference's JSON (never actix's
//! default text), and the owner's bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Issue};

/// The largest JSON body any route accepts (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body type: how it is named in errors, and checks beyond its derive.
pub trait RequestBody: DeserializeOwned + garde::Validate<Context = ()> + 'static {
    /// The route's 400 `error` (`invalid heart-file`, …).
    const INVALID: &'static str;
    /// Whether the route's 400 carries `issues` (the report route's does not).
    const ISSUES: bool = true;
    /// Wire fields spelled in snake_case (the rest are camelCase).
    const SNAKE_CASE_FIELDS: &'static [&'static str] = &[];
    /// Checks garde cannot express (nested free-form parts).
    fn extra_issues(&self) -> Vec<Issue> {
        Vec::new()
    }
}

/// A parsed and validated JSON body.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T> Valid<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn invalid<T: RequestBody>(issues: Vec<Issue>) -> ApiError {
    if T::ISSUES {
        ApiError::invalid(T::INVALID, issues)
    } else {
        ApiError::message(StatusCode::BAD_REQUEST, T::INVALID)
    }
}

/// Parses bytes as `T`, naming the path of a type error.
pub fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        let message = inner.to_string();
        // "missing field `x`" is reported at the field's own path.
        let (path, message) = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            Some(field) if inner.is_data() => {
                let p = if path.is_empty() {
                    field.to_owned()
                } else {
                    format!("{path}.{field}")
                };
                (p, "required".to_owned())
            }
            _ => (path, strip_position(&message)),
        };
        invalid::<T>(vec![Issue { path, message }])
    })?;
    let mut issues: Vec<Issue> = match value.validate() {
        Ok(()) => Vec::new(),
        Err(report) => report
            .iter()
            .map(|(path, err)| Issue {
                path: wire_path::<T>(&path.to_string()),
                message: err.message().to_owned(),
            })
            .collect(),
    };
    issues.extend(value.extra_issues());
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(invalid::<T>(issues))
    }
}

/// garde names fields as Rust spells them; the wire spells them in camelCase, except the
/// names a body keeps in snake_case (`persona_age`).
fn wire_path<T: RequestBody>(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            if T::SNAKE_CASE_FIELDS.contains(&seg) {
                return seg.to_owned();
            }
            let mut out = String::with_capacity(seg.len());
            let mut upper = false;
            for c in seg.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// serde_json appends " at line 1 column 9"; the path already says where.
fn strip_position(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m.to_owned(),
    }
}

impl<T: RequestBody> FromRequest for Valid<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || (m.len() > 5 && m[m.len() - 5..].eq_ignore_ascii_case("+json"))
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::message(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content-type must be application/json",
                ));
            }
            let too_large = || {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    serde_json::json!({"error": "body too large", "limit": BODY_LIMIT}),
                )
            };
            if declared.is_some_and(|n| n > BODY_LIMIT) {
                return Err(too_large());
            }
            let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(BODY_LIMIT));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::message(StatusCode::BAD_REQUEST, "could not read the request body")
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse::<T>(&body).map(Valid)
        })
    }
}

/// The `Authorization: Bearer …` token, if any. Never logged.
#[derive(Debug, Clone, Default)]
pub struct Bearer(pub Option<String>);

impl Bearer {
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            })
            .filter(|t| !t.is_empty());
        std::future::ready(Ok(Bearer(token)))
    }
}

/// The operator (design.md §5): `ISHTAR_ADMIN_TOKEN` as a bearer token or as the password
/// of HTTP Basic auth (any user name), compared in constant time. No token configured: the
/// console is closed (403). A wrong or missing credential: 401 with a Basic challenge.
#[derive(Debug, Clone, Copy)]
pub struct Operator;

/// The configured operator secret, as app data.
#[derive(Clone, Default)]
pub struct OperatorToken(pub Option<String>);

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OperatorToken(set)"
        } else {
            "OperatorToken(unset)"
        })
    }
}

fn presented_secret(req: &HttpRequest) -> Option<String> {
    use base64::Engine as _;
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text.split_once(':').map(|(_, pw)| pw.to_owned());
    }
    None
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let configured = req
            .app_data::<actix_web::web::Data<OperatorToken>>()
            .and_then(|t| t.0.clone())
            .filter(|t| !t.is_empty());
        let Some(secret) = configured else {
            return std::future::ready(Err(ApiError::message(
                StatusCode::FORBIDDEN,
                "console closed",
            )));
        };
        let ok = presented_secret(req)
            .is_some_and(|p| constant_time_eq::constant_time_eq(p.as_bytes(), secret.as_bytes()));
        if ok {
            std::future::ready(Ok(Operator))
        } else {
            tracing::warn!(path = %req.path(), "operator authentication failed");
            std::future::ready(Err(ApiError::message(
                StatusCode::UNAUTHORIZED,
                "operator token required",
            )
            .with_header("www-authenticate", "Basic realm=\"ishtar operator\"")))
        }
    }
}
