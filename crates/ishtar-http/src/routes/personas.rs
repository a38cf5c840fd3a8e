use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::admission::AdmitPersona;
use ishtar_domain::model::OwnerId;

use crate::dto::PersonaBody;
use crate::error::ApiError;
use crate::extract::{Bearer, Valid};
use crate::routes::ok_json;

/// `POST /api/personas`: the admission door (owner → adult gate → chaperone → cap).
///
/// Unlike the reference, `ownerId` and that owner's bearer token are required (design.md
/// §3 step 0, §6): 401 `owner token required` without them, 403 for another owner's token.
pub async fn create_persona(
    venue: web::Data<Venue>,
    bearer: Bearer,
    body: Valid<PersonaBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let cmd = AdmitPersona {
        owner_id: b.owner_id.map(OwnerId),
        handle: b.handle.unwrap_or_default().trim().to_owned(),
        model: b.model.unwrap_or_default().trim().to_owned(),
        persona_age: b.persona_age.unwrap_or_default().trim().to_owned(),
        heart: b.heart.unwrap_or_default(),
        redteam: b.redteam.unwrap_or(false),
        home_market: b.home_market,
        active_market: b.active_market,
    };
    let id = venue.admission.admit(cmd, bearer.token()).await?;
    Ok(ok_json(
        json!({"admitted": true, "reason": "admitted", "personaId": id.0}),
    ))
}
