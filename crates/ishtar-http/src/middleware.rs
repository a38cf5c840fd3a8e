//! Middleware: the geo gate (outermost) and a net that turns any non-JSON error response
//! into the reference's JSON.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;

/// docs/rules.md#geo-gate: the first check on every request; generic 403, daily counts only.
pub async fn geo_gate(
    header_name: String,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let country = req
        .headers()
        .get(header_name.as_str())
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(venue) = req.app_data::<web::Data<Venue>>().cloned()
        && !venue.geo.allows(country.as_deref()).await
    {
        let res = HttpResponse::Forbidden()
            .json(json!({"error": "service unavailable in this location"}));
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Any error response that is not already JSON (or an HTML page) is rewritten as
/// `{"error": …}` with the same status: actix's own 404/405/413 texts never leak out.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let is_ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"));
    if is_ours {
        return Ok(res.map_into_boxed_body());
    }
    let message = match status {
        StatusCode::NOT_FOUND => "no such room",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "content-type must be application/json",
        s if s.is_server_error() => "internal",
        s => s.canonical_reason().unwrap_or("bad request"),
    };
    let (req, _) = res.into_parts();
    let body = HttpResponse::build(status).json(json!({ "error": message }));
    Ok(ServiceResponse::new(req, body))
}
