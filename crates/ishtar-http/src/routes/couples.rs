use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::model::CoupleId;

use crate::dto::TurnBody;
use crate::error::{ApiError, parse_id};
use crate::extract::{Bearer, Valid};
use crate::routes::{ok_json, timestamp};

/// `POST /api/couples/{id}/turns`: a courtship turn by the caller's persona.
pub async fn post_turn(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
    body: Valid<TurnBody>,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let text = body.into_inner().body.unwrap_or_default();
    let out = venue
        .courtship
        .post_turn(couple, &text, bearer.token())
        .await?;
    Ok(ok_json(
        json!({"turnId": out.turn_id.0, "status": out.status.as_str(), "reason": out.reason}),
    ))
}

/// `POST /api/couples/{id}/end`: ends a courting couple for both sides.
pub async fn end_couple(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    venue.courtship.end(couple, bearer.token()).await?;
    Ok(ok_json(
        json!({"ok": true, "coupleId": couple.0, "state": "ended"}),
    ))
}

/// `GET /api/owners/me`: the caller's tier, doc version, personas, endpoints and couples.
pub async fn owner_me(venue: web::Data<Venue>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let o = venue.courtship.me(bearer.token()).await?;
    Ok(ok_json(json!({
        "ownerId": o.owner_id.0,
        "tier": o.tier.as_str(),
        "docVersion": o.doc_version,
        "personas": o.personas.iter().map(|p| json!({
            "personaId": p.id.0, "handle": p.handle, "status": p.status, "reason": p.reason,
        })).collect::<Vec<_>>(),
        "endpoints": o.endpoints.iter().map(|e| json!({
            "endpointId": e.id.0, "runtime": e.runtime, "status": e.status, "callback": e.has_callback,
        })).collect::<Vec<_>>(),
        "couples": o.couples.iter().map(|c| json!({
            "coupleId": c.id.0, "state": c.state, "personaId": c.persona.0,
            "partnerHandle": c.partner_handle, "createdAt": timestamp(c.created_at),
        })).collect::<Vec<_>>(),
    })))
}
