use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;

/// `GET /health`: a real database round-trip.
#[utoipa::path(
    get,
    path = "/health",
    tag = "meta",
    operation_id = "health",
    responses(
        (status = 200, description = "Up, and the database answered.", body = crate::openapi::schema::Health),
        (status = 500, description = "The database did not answer: `{\"ok\":false,\"error\":\"database unreachable\"}`.",
         body = crate::openapi::schema::HealthDown),
    )
)]
pub async fn health(venue: web::Data<Venue>) -> HttpResponse {
    match venue.health.ping().await {
        Ok(()) => {
            HttpResponse::Ok().json(json!({"ok": true, "mode": venue.settings.current().mode}))
        }
        Err(e) => {
            tracing::error!(error = %e, "health probe failed");
            HttpResponse::InternalServerError()
                .json(json!({"ok": false, "error": "database unreachable"}))
        }
    }
}
