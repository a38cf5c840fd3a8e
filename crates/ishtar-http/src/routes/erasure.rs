use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;

use crate::error::ApiError;
use crate::extract::Bearer;
use crate::routes::ok_json;

/// `DELETE /api/owners/me`: erases the caller's owner (docs/rules.md#erasure, `docs/erasure.md`):
/// everything of theirs, found by id, and nothing of anyone else's; the partners of their
/// live couples get `couple.ended`. The token stops working with it, so a second `DELETE`
/// is `401`. The answer counts what went: `{"ok":true,"ownerId":N,"erased":{…}}`.
#[utoipa::path(
    delete,
    path = "/api/owners/me",
    tag = "owner",
    operation_id = "eraseMe",
    security(("ownerToken" = [])),
    responses(
        (status = 200, description = "Erased; the counts of what went.", body = crate::openapi::schema::Erased),
        (status = 401, description = "`{\"error\":\"owner token required\"}` (also for a token already erased).",
         body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn erase_me(venue: web::Data<Venue>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let (owner, erased) = venue.erasure.erase_me(bearer.token()).await?;
    Ok(ok_json(
        json!({"ok": true, "ownerId": owner.0, "erased": erased.to_json()}),
    ))
}
