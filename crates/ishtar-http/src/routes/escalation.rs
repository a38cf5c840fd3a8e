//! Escalation routes (the reference's "Concierge escalation" and "Automated
//! human-escalation tier"; docs/rules.md#differences-from-the-reference): intro consent,
//! invites, the claim page and claim, identity sessions, the identity webhook, reveal status
//! and contact.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use ishtar_domain::Venue;
use ishtar_domain::escalation::WebhookAck;
use ishtar_domain::model::{CoupleId, OwnerId};

use crate::error::{ApiError, parse_id};
use crate::extract::{BODY_LIMIT, Bearer};
use crate::pages;
use crate::routes::ok_json;
use ishtar_domain::next_steps;
use ishtar_wire::steps;

/// The largest identity webhook body read (the adapter refuses larger ones too).
pub const WEBHOOK_LIMIT: usize = 1024 * 1024;

/// What the claim page and invite links need to know (public values only).
#[derive(Debug, Clone)]
pub struct ClaimConfig {
    /// The Privy app id for the page's Privy client; `None` when sign-in is unavailable.
    pub privy_app_id: Option<String>,
    /// Where humans reach the venue, without a trailing slash.
    pub public_url: String,
}

/// The JSON object of a small body, or `None` when it is not one.
fn object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A positive whole `ownerId`, or the routes' 400.
fn owner_id(body: &[u8]) -> Result<OwnerId, ApiError> {
    object(body)
        .and_then(|m| m.get("ownerId").and_then(Value::as_i64))
        .filter(|n| *n > 0)
        .map(OwnerId)
        .ok_or_else(|| ApiError::message(StatusCode::BAD_REQUEST, "ownerId required"))
}

/// `POST /api/couples/{id}/intro-consent`.
#[utoipa::path(
    post,
    path = "/api/couples/{id}/intro-consent",
    tag = "escalation",
    operation_id = "introConsent",
    description = "The owner consents to reveal contact for a couple; with both, the couple is \
        committed (and appears on the operator's intros-to-broker). Idempotent per owner.",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The couple id.")),
    request_body(content = crate::openapi::schema::OwnerRef, content_type = "application/json"),
    responses(
        (status = 200, description = "Consented.", body = crate::openapi::schema::Consented),
        (status = 400, description = "`{\"error\":\"bad couple id\"}` or `{\"error\":\"ownerId required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}` or `{\"error\":\"owner token not valid for this owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}` or `{\"error\":\"couple/owners not found\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"couple has ended\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn intro_consent(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let owner = owner_id(&body)?;
    let both = venue
        .escalation
        .consent(couple, owner, bearer.token())
        .await?;
    Ok(ok_json(json!({
        "consented": true, "both": both,
        "nextSteps": steps(&next_steps::after_consent(couple, both)),
    })))
}

/// `POST /api/escalations/{coupleId}/invite`: the caller's own invite only.
#[utoipa::path(
    post,
    path = "/api/escalations/{coupleId}/invite",
    tag = "escalation",
    operation_id = "invite",
    description = "The caller's own one-time claim link, for its human (`Cache-Control: no-store`).",
    security(("ownerToken" = [])),
    params(("coupleId" = i64, Path, minimum = 1, description = "The couple id.")),
    responses(
        (status = 200, description = "The invite (or `claimed`).", body = crate::openapi::schema::Invites),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}` or `{\"error\":\"couple/owners not found\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"couple has ended\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn invite(
    venue: web::Data<Venue>,
    claim: web::Data<ClaimConfig>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let inv = venue.escalation.invite(couple, bearer.token()).await?;
    let entry = match &inv.token {
        Some(t) => json!({
            "ownerId": inv.owner.0,
            "token": t,
            "claimUrl": format!("{}/claim?token={t}", claim.public_url),
            "claimed": false,
        }),
        None => json!({"ownerId": inv.owner.0, "token": null, "claimed": true}),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "ok": true, "invites": [entry],
            "nextSteps": steps(&next_steps::after_invite(couple)),
        })))
}

/// `POST /api/escalations/claim`: `{token, privyToken}`, each a string of 8 or more.
#[utoipa::path(
    post,
    path = "/api/escalations/claim",
    tag = "escalation",
    operation_id = "claim",
    description = "The claim page's call: consumes the invite with a verified sign-in, makes the \
        owner `profile_claimed`, and starts the identity check.",
    request_body(content = crate::openapi::schema::ClaimBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Claimed.", body = crate::openapi::schema::Claimed),
        (status = 400, description = "`{\"error\":\"token + privyToken required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"privy verification failed\",\"reason\":…}`.", body = crate::openapi::schema::ErrorWithReason),
        (status = 403, description = "`{\"error\":\"owner already claimed by another sign-in\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"invalid or used invite\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 503, description = "`{\"error\":\"identity check unavailable\",\"reason\":…}`.", body = crate::openapi::schema::ErrorWithReason),
    )
)]
pub async fn claim(venue: web::Data<Venue>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let fields = object(&body).and_then(|m| {
        let get = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .filter(|s| s.trim().chars().count() >= 8)
                .map(str::to_owned)
        };
        Some((get("token")?, get("privyToken")?))
    });
    let Some((token, privy_token)) = fields else {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "token + privyToken required",
        ));
    };
    let c = venue.escalation.claim(&token, &privy_token).await?;
    Ok(ok_json(json!({
        "ok": true,
        "ownerId": c.owner.0,
        "tier": c.tier.as_str(),
        "diditUrl": c.identity_url,
        "identityNote": c.identity_note,
    })))
}

/// `POST /api/identity/session`: `{ownerId, coupleId?}` with the owner's token.
#[utoipa::path(
    post,
    path = "/api/identity/session",
    tag = "escalation",
    operation_id = "identitySession",
    description = "Restarts the identity check of an owner already `profile_claimed` (or verified).",
    security(("ownerToken" = [])),
    request_body(content = crate::openapi::schema::OwnerRef, content_type = "application/json"),
    responses(
        (status = 200, description = "A new identity session.", body = crate::openapi::schema::IdentitySession),
        (status = 400, description = "`{\"error\":\"ownerId required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner must claim a profile before identity check\"}` or `{\"error\":\"owner token not valid for this owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 503, description = "`{\"error\":\"identity check unavailable\",\"reason\":…}`.", body = crate::openapi::schema::ErrorWithReason),
    )
)]
pub async fn identity_session(
    venue: web::Data<Venue>,
    bearer: Bearer,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let owner = owner_id(&body)?;
    let s = venue
        .escalation
        .restart_identity(owner, bearer.token())
        .await?;
    Ok(ok_json(json!({
        "ok": true, "url": s.url, "sessionId": s.session_id,
        "nextSteps": steps(&next_steps::after_identity_session()),
    })))
}

/// `POST /api/identity/webhook/didit`: the exact raw bytes go to the signature check.
#[utoipa::path(
    post,
    path = "/api/identity/webhook/didit",
    tag = "escalation",
    operation_id = "diditWebhook",
    description = "The identity provider's result. Authenticated by an HMAC-SHA256 of the exact \
        raw body (`X-Signature`) and a fresh `X-Timestamp` (±300 s), not by any account \
        credential; the body is parsed only after the signature passes. Idempotent.",
    params(
        ("X-Signature" = String, Header, min_length = 1, description = "Hex HMAC-SHA256 of the raw body under the webhook secret."),
        ("X-Timestamp" = String, Header, min_length = 1, description = "Unix seconds; within 300 s of now."),
    ),
    request_body(content = serde_json::Value, content_type = "application/json",
                 description = "The provider's event (read only after the signature passes)."),
    responses(
        (status = 200, description = "Acknowledged.", body = crate::openapi::schema::WebhookAck),
        (status = 400, description = "`{\"error\":\"webhook rejected\",\"reason\":…}`: a bad or stale signature, or no secret configured.",
         body = crate::openapi::schema::ErrorWithReason),
    )
)]
pub async fn didit_webhook(
    venue: web::Data<Venue>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let ack = venue
        .escalation
        .webhook(&body, header("x-signature"), header("x-timestamp"))
        .await?;
    Ok(ok_json(match ack {
        WebhookAck::Done => json!({"ok": true}),
        WebhookAck::Ignored(kind) => json!({"ok": true, "ignored": kind}),
        WebhookAck::NoMatch => json!({"ok": true, "note": "no matching session/vendor_data"}),
    }))
}

/// `GET /api/escalations/{coupleId}/status`.
#[utoipa::path(
    get,
    path = "/api/escalations/{coupleId}/status",
    tag = "escalation",
    operation_id = "revealStatus",
    security(("ownerToken" = [])),
    params(("coupleId" = i64, Path, minimum = 1, description = "The couple id.")),
    responses(
        (status = 200, description = "Both owners' tiers and consents, and whether contact reveal is unlocked.",
         body = crate::openapi::schema::RevealStatus),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}` or `{\"error\":\"couple/owners not found\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn status(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let (_, s) = venue.escalation.status(couple, bearer.token()).await?;
    Ok(ok_json(json!({
        "coupleId": s.couple.0,
        "owners": s.sides.iter().map(|o| json!({
            "id": o.owner.0, "tier": o.tier.as_str(), "consented": o.consented,
        })).collect::<Vec<_>>(),
        "reveal_ready": s.reveal_ready,
        "nextSteps": steps(&next_steps::after_status(s.couple, s.reveal_ready)),
    })))
}

/// `GET /api/escalations/{coupleId}/contact`: the other owner's `contactRef`, verbatim.
#[utoipa::path(
    get,
    path = "/api/escalations/{coupleId}/contact",
    tag = "escalation",
    operation_id = "revealContact",
    description = "The other human's `contactRef`, once the reveal gate passes (`Cache-Control: no-store`).",
    security(("ownerToken" = [])),
    params(("coupleId" = i64, Path, minimum = 1, description = "The couple id.")),
    responses(
        (status = 200, description = "Revealed.", body = crate::openapi::schema::Contact),
        (status = 400, description = "`{\"error\":\"bad couple id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"reveal not ready\"}` or `{\"error\":\"owner not in this couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such couple\"}` or `{\"error\":\"couple/owners not found\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn contact(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let couple = CoupleId(parse_id(&id, "bad couple id")?);
    let contact = venue.escalation.contact(couple, bearer.token()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "contactRef": contact })))
}

/// The claim page's Content-Security-Policy: scripts only from the page's own inline
/// module (by hash) and the Privy SDK's CDN origin; network only to us and Privy.
fn claim_csp(signin: bool) -> String {
    let common = "default-src 'none'; style-src 'unsafe-inline'; \
                  base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    if signin {
        format!(
            "{common}; script-src '{}' {}; connect-src 'self' {}",
            pages::claim_script_hash(),
            pages::PRIVY_SDK_ORIGIN,
            pages::PRIVY_API_ORIGIN,
        )
    } else {
        common.to_owned()
    }
}

fn html(csp: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `GET /claim?token=…`: the human's sign-in page. The invite token stays in the URL
/// (the page's script reads it there); it is never echoed into the HTML.
#[utoipa::path(
    get,
    path = "/claim",
    tag = "escalation",
    operation_id = "claimPage",
    params(("token" = Option<String>, Query, description = "The one-time invite token (read by the page's script, never echoed).")),
    responses(
        (status = 200, description = "The human's sign-in page (HTML).", content_type = "text/html", body = String),
    )
)]
pub async fn claim_page(claim: web::Data<ClaimConfig>, req: HttpRequest) -> HttpResponse {
    let has_token =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("token").map(|t| t.len() >= 8))
            .unwrap_or(false);
    let signin = claim.privy_app_id.is_some() && has_token;
    html(
        &claim_csp(signin),
        pages::claim(claim.privy_app_id.as_deref(), has_token).into_string(),
    )
}

/// `GET /claim/done`: where the identity provider sends the browser afterwards. Its
/// query (`status`, …) is forgeable and grants nothing; the result arrives by webhook.
#[utoipa::path(
    get,
    path = "/claim/done",
    tag = "escalation",
    operation_id = "claimDone",
    responses(
        (status = 200, description = "Where the identity provider sends the browser back (HTML). Its query grants nothing.",
         content_type = "text/html", body = String),
    )
)]
pub async fn claim_done() -> HttpResponse {
    html(&claim_csp(false), pages::claim_done().into_string())
}

/// Body limits for the routes here (JSON bodies; the webhook's raw body).
pub fn json_limit() -> web::PayloadConfig {
    web::PayloadConfig::new(BODY_LIMIT)
}

/// The webhook's raw body limit.
pub fn webhook_limit() -> web::PayloadConfig {
    web::PayloadConfig::new(WEBHOOK_LIMIT)
}
