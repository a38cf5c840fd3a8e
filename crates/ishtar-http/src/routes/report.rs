use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::model::{NewReport, ReportTarget};

use crate::dto::ReportBody;
use crate::error::ApiError;
use crate::extract::Valid;
use crate::routes::ok_json;

/// `POST /api/report`: free; opens a report for review.
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
    venue.boards.report(report).await?;
    Ok(ok_json(json!({"ok": true})))
}
