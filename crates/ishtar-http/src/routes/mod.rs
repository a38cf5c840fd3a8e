//! Handlers: parse → call a use case → map the result. Nothing else.

pub mod admin;
pub mod agent_docs;
pub mod boards;
pub mod couples;
pub mod erasure;
pub mod escalation;
pub mod events;
pub mod health;
pub mod intake;
pub mod lurk;
pub mod payments;
pub mod personas;
pub mod report;

use actix_web::{HttpResponse, ResponseError as _, http::StatusCode};

use crate::error::ApiError;

/// The catch-all for unknown routes.
pub async fn no_such_room() -> HttpResponse {
    ApiError::message(StatusCode::NOT_FOUND, "no such room").error_response()
}

/// For a known path with a method it does not serve.
pub async fn method_not_allowed() -> HttpResponse {
    ApiError::message(StatusCode::METHOD_NOT_ALLOWED, "method not allowed").error_response()
}

/// The JSON `405` of a resource that serves `GET` only, naming it in `Allow` (RFC 9110
/// §15.5.6). The route table's rooms name their own methods (`openapi::Room`).
pub async fn method_not_allowed_get() -> HttpResponse {
    let mut res = method_not_allowed().await;
    res.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static("GET"),
    );
    res
}

/// RFC 3339 UTC timestamps with milliseconds, as every JSON body shows them.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub(crate) fn ok_json(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok().json(body)
}
