use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;

use crate::error::ApiError;
use crate::extract::Operator;
use crate::routes::ok_json;

/// `POST /admin/actions/beat`: runs a match beat now.
pub async fn run_beat(venue: web::Data<Venue>, _op: Operator) -> Result<HttpResponse, ApiError> {
    let r = venue.matchmaker.beat("operator").await?;
    Ok(ok_json(
        json!({"cycleId": r.cycle_id, "pairs": r.pairs, "created": r.created}),
    ))
}
