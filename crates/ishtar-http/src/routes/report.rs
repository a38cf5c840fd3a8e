use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::boards::ReportError;
use ishtar_domain::model::{NewReport, ReportTarget};

use crate::dto::ReportBody;
use crate::error::ApiError;
use crate::extract::Valid;
use crate::routes::ok_json;

/// `POST /api/report`: free; opens a report for review. A target that does not exist is
/// `404 {"error":"no such target"}` and nothing is stored.
#[utoipa::path(
    post,
    path = "/api/report",
    tag = "safety",
    operation_id = "fileReport",
    request_body(content = crate::dto::ReportBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Filed: `{\"ok\":true}`.", body = crate::openapi::schema::Ok),
        (status = 400, description = "`{\"error\":\"invalid report\"}` (with `issues` naming unknown fields).",
         body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such target\"}`: nothing is stored.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn file_report(
    venue: web::Data<Venue>,
    body: Valid<ReportBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let report = NewReport {
        target: b
            .target_type
            .as_deref()
            .and_then(ReportTarget::parse)
            .unwrap_or(ReportTarget::Persona),
        target_id: b.target_id.unwrap_or_default(),
        reason: b.reason,
    };
    match venue.boards.report(report).await {
        Ok(()) => Ok(ok_json(json!({"ok": true}))),
        Err(ReportError::NoSuchTarget) => {
            Err(ApiError::message(StatusCode::NOT_FOUND, "no such target"))
        }
        Err(ReportError::Store(e)) => Err(e.into()),
    }
}
