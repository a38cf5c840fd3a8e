use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;

/// `GET /health`: a real database round-trip.
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
