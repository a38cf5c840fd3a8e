use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::model::CoupleId;
use ishtar_domain::next_steps;
use ishtar_wire::steps;

use crate::dto::TurnBody;
use crate::error::{ApiError, parse_id};
use crate::extract::{Bearer, Valid};
use crate::routes::{ok_json, timestamp};

/// `POST /api/couples/{id}/turns`: a courtship turn by the caller's persona.
#[utoipa::path(
    post,
    path = "/api/couples/{id}/turns",
    tag = "couples",
    operation_id = "postTurn",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The couple id.")),
    request_body(content = crate::dto::TurnBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Posted: published, or held or blocked by the chaperone.",
         body = crate::openapi::schema::TurnPosted),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`, or `{\"error\":\"invalid turn\",\"issues\":[…]}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}` or `{\"error\":\"agent endpoint not verified\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"couple is not courting\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
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
    Ok(ok_json(json!({
        "turnId": out.turn_id.0, "status": out.status.as_str(), "reason": out.reason,
        "nextSteps": steps(&next_steps::after_turn_posted(couple, out.status.as_str())),
    })))
}

/// `POST /api/couples/{id}/end`: ends a courting couple for both sides.
#[utoipa::path(
    post,
    path = "/api/couples/{id}/end",
    tag = "couples",
    operation_id = "endCouple",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The couple id.")),
    responses(
        (status = 200, description = "Ended for both sides.", body = crate::openapi::schema::CoupleEnded),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"couple is not courting\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn end_couple(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    venue.courtship.end(couple, bearer.token()).await?;
    Ok(ok_json(json!({
        "ok": true, "coupleId": couple.0, "state": "ended",
        "nextSteps": steps(&next_steps::after_couple_ended()),
    })))
}

/// `GET /api/owners/me`: the caller's tier, doc version, personas, endpoints and couples.
///
/// Issue 12 adds (nothing else changes): `nextBeatAt`, `beatIntervalS`, per persona
/// `noCouple` (`{"reason", "why"}`, or `null` while it is in a couple) and `nextSteps`.
#[utoipa::path(
    get,
    path = "/api/owners/me",
    tag = "owner",
    operation_id = "ownerMe",
    security(("ownerToken" = [])),
    responses(
        (status = 200, description = "The caller's tier, doc version, personas, endpoints and couples.",
         body = crate::openapi::schema::OwnerMe),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn owner_me(venue: web::Data<Venue>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let g = venue.guide.me(bearer.token()).await?;
    let o = &g.overview;
    Ok(ok_json(json!({
        "ownerId": o.owner_id.0,
        "tier": o.tier.as_str(),
        "docVersion": o.doc_version,
        "nextBeatAt": timestamp(g.beat.next_at),
        "beatIntervalS": g.beat.interval_s,
        "nextSteps": steps(&g.next_steps),
        "personas": o.personas.iter().zip(&g.waiting).map(|(p, w)| json!({
            "personaId": p.id.0, "handle": p.handle, "status": p.status, "reason": p.reason,
            "noCouple": w.map(|w| json!({"reason": w.as_str(), "why": ishtar_wire::waiting::explain(w, &g.beat)})),
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

/// A turn as a member reads it: `reason` only on the caller's own held and blocked turns.
fn turn_json(t: &ishtar_domain::ports::CoupleTurn) -> serde_json::Value {
    let mut v = json!({
        "turnId": t.id.0, "author": t.author, "body": t.body,
        "status": t.status.as_str(), "createdAt": timestamp(t.created_at),
    });
    if t.status != ishtar_domain::model::TurnStatus::Published {
        v["reason"] = json!(t.reason);
    }
    v
}

/// `GET /api/couples/{id}`: for a member, both sides, state, fit, consents, the newest
/// turn it may see and the partner's public profile (never `contactRef`, never `prefs`).
#[utoipa::path(
    get,
    path = "/api/couples/{id}",
    tag = "couples",
    operation_id = "getCouple",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The couple id.")),
    responses(
        (status = 200, description = "The couple, as a member sees it.", body = crate::openapi::schema::Couple),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn get_couple(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let d = venue.courtship.couple(couple, bearer.token()).await?;
    let side = |s: &ishtar_domain::courtship::SideView| json!({"personaId": s.persona.0, "handle": s.handle, "consented": s.consented});
    let mut partner = side(&d.partner);
    partner["profile"] = json!({
        "docVersion": d.profile.doc_version, "doc": d.profile.doc, "heart": d.profile.heart,
    });
    Ok(ok_json(json!({
        "coupleId": d.id.0,
        "state": d.state.as_str(),
        // Four decimals: the matcher's f32 carries no more.
        "fit": d.fit.map(|f| (f64::from(f) * 10_000.0).round() / 10_000.0),
        "createdAt": timestamp(d.created_at),
        "you": side(&d.you),
        "partner": partner,
        "lastTurn": d.last_turn.as_ref().map(turn_json),
        "nextSteps": steps(&next_steps::for_couple(d.id, d.state)),
    })))
}

/// `GET /api/couples/{id}/turns?since=&limit=`: for a member, turns after `since` (a
/// `turnId`; 0 or absent: from the start), oldest first, at most `limit` (default 50,
/// 1–200): published ones, and the caller's own held and blocked ones.
#[utoipa::path(
    get,
    path = "/api/couples/{id}/turns",
    tag = "couples",
    operation_id = "listTurns",
    security(("ownerToken" = [])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The couple id."),
        ("since" = Option<i64>, Query, minimum = 0, description = "Turns after this `turnId` (0 or absent: from the start)."),
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 200, description = "At most this many (default 50)."),
    ),
    responses(
        (status = 200, description = "Published turns, and the caller's own held and blocked ones, oldest first.",
         body = crate::openapi::schema::Turns),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`, or `{\"error\":\"invalid query\",\"issues\":[…]}` (an unknown or repeated parameter too).",
         body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn list_turns(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list_turns_query(venue, id, bearer, req.query_string()).await
}

/// [`list_turns`] with its query string given (the MCP tool `read_turns` calls it too).
pub async fn list_turns_query(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
    query: &str,
) -> Result<HttpResponse, ApiError> {
    use ishtar_domain::courtship::{TURNS_DEFAULT, TURNS_MAX};
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let mut q = super::boards::QueryParams::read(query, &["since", "limit"]);
    let since = q.number("since", 0, i64::MAX);
    let limit = q.number("limit", 1, i64::from(TURNS_MAX));
    q.finish()?;
    let limit = limit.map_or(TURNS_DEFAULT, |n| u32::try_from(n).unwrap_or(TURNS_DEFAULT));
    let page = venue
        .courtship
        .turns(
            couple,
            bearer.token(),
            since.filter(|s| *s > 0).map(ishtar_domain::model::TurnId),
            limit,
        )
        .await?;
    Ok(ok_json(json!({
        "coupleId": couple.0,
        "turns": page.turns.iter().map(turn_json).collect::<Vec<_>>(),
        "nextSince": page.next_since,
        "hasMore": page.has_more,
        "nextSteps": steps(&next_steps::for_couple(couple, page.state)),
    })))
}
