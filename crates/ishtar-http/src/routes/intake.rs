use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use ishtar_domain::chaperone::Verdict;
use ishtar_domain::intake::{self, Proofs, RegisterAgent, SubmitHeart, VerifyOutcome};
use ishtar_domain::model::{
    ActiveMarket, EndpointId, HomeMarket, NewHeartFile, OwnerId, PersonaId, ResearchOptin, Runtime,
};
use ishtar_domain::{Venue, next_steps, sanitize};

use crate::dto::{AgentBody, AgentResponse, HeartFileBody, HeartFileResponse, VerifyBody};
use crate::error::{ApiError, intake_error};
use crate::extract::{Bearer, RequestBody, Valid};
use crate::ratelimit::RateLimits;
use crate::routes::ok_json;

/// `POST /api/intake/heart-file`.
#[utoipa::path(
    post,
    path = "/api/intake/heart-file",
    tag = "intake",
    operation_id = "submitHeartFile",
    description = "Stores the dating doc: a new account-less owner (and its owner token, \
        answered once), or with `ownerId` and that owner's token a new version of its doc. \
        The chaperone screens the prose (`docStatus`); admission runs at `POST /api/personas`.",
    security((), ("ownerToken" = [])),
    request_body(content = crate::dto::HeartFileBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored.", body = crate::dto::HeartFileResponse),
        (status = 400, description = "`{\"error\":\"invalid heart-file\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`ownerId` without a token: `{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner token not valid for this owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn submit_heart_file(
    venue: web::Data<Venue>,
    bearer: Bearer,
    body: Valid<HeartFileBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let heart = sanitize::clean_json(b.heart.unwrap_or_default());
    let cmd = SubmitHeart {
        owner_id: b.owner_id.map(OwnerId),
        heart_file: NewHeartFile {
            display_name: b.display_name.map(|s| sanitize::clean(&s)),
            home_market: b
                .home_market
                .as_deref()
                .and_then(HomeMarket::parse)
                .unwrap_or(HomeMarket::Other),
            active_market: b
                .active_market
                .as_deref()
                .and_then(ActiveMarket::parse)
                .unwrap_or(ActiveMarket::Remote),
            available_for: b.available_for.map(|s| sanitize::clean(&s)),
            research_optin: b
                .research_optin
                .as_deref()
                .and_then(ResearchOptin::parse)
                .unwrap_or(ResearchOptin::None),
            age_attested: b.age_attested.unwrap_or(false),
            contact_ref: b.contact_ref.map(|s| sanitize::clean(&s)),
            heart_hash: intake::heart_hash(&heart),
            heart,
        },
    };
    let r = venue
        .intake
        .submit_heart(cmd, bearer.token())
        .await
        .map_err(|e| intake_error(HeartFileBody::INVALID, e))?;
    let next_steps = ishtar_wire::steps(&next_steps::after_heart_file(
        r.saved.owner_id,
        r.owner_token.is_some(),
        &r.verdict,
    ));
    Ok(ok_json(HeartFileResponse {
        next_steps,
        owner_id: r.saved.owner_id.0,
        heart_file_id: r.saved.heart_file_id.0,
        tier: r.saved.tier.as_str(),
        version: r.saved.version,
        owner_token: r.owner_token,
        doc_status: match &r.verdict {
            Verdict::Allow => "allowed",
            Verdict::Hold(_) => "held",
            Verdict::Deny(_) => "denied",
        },
        doc_reason: r.verdict.reason().to_owned(),
    }))
}

/// `POST /api/intake/agent`.
#[utoipa::path(
    post,
    path = "/api/intake/agent",
    tag = "intake",
    operation_id = "registerAgent",
    description = "Registers the agent endpoint that represents an owner (pending until \
        `POST /api/intake/agent/verify` proves it). With `ownerId` or `personaId`, that \
        owner's token.",
    security((), ("ownerToken" = [])),
    request_body(content = crate::dto::AgentBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Registered (pending).", body = crate::dto::AgentResponse),
        (status = 400, description = "`{\"error\":\"invalid agent\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner token not valid for this owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}` or `{\"error\":\"no such persona\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn register_agent(
    venue: web::Data<Venue>,
    bearer: Bearer,
    body: Valid<AgentBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let (has_callback, has_key) = (b.callback_url.is_some(), b.public_key.is_some());
    let cmd = RegisterAgent {
        owner_id: b.owner_id.map(OwnerId),
        persona_id: b.persona_id.map(PersonaId),
        runtime: b
            .runtime
            .as_deref()
            .and_then(Runtime::parse)
            .unwrap_or(Runtime::Other),
        callback_url: b.callback_url.map(|s| s.trim().to_owned()),
        public_key: b.public_key.map(|s| s.trim().to_owned()),
    };
    let r = venue
        .intake
        .register_agent(cmd, bearer.token())
        .await
        .map_err(|e| intake_error(AgentBody::INVALID, e))?;
    Ok(ok_json(AgentResponse {
        next_steps: ishtar_wire::steps(&next_steps::after_agent_registered(
            r.id,
            has_callback,
            has_key,
        )),
        id: r.id.0,
        challenge_nonce: r.challenge_nonce,
        callback_secret: r.callback_secret,
    }))
}

/// `POST /api/intake/agent/verify`. Each endpoint has its own `verify-endpoint` bucket
/// (on top of the caller's `verify` one), so hammering one endpoint's verify cannot make
/// the venue call its callback more than that bucket allows.
#[utoipa::path(
    post,
    path = "/api/intake/agent/verify",
    tag = "intake",
    operation_id = "verifyAgent",
    description = "Proves control of a registered endpoint: an EIP-191 `signature` of the \
        challenge nonce, the nonce as `echoToken`, or (with neither) a callback round-trip.",
    request_body(content = crate::dto::VerifyBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Active.", body = crate::openapi::schema::Verified),
        (status = 400, description = "`{\"error\":\"invalid verify\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 422, description = "Not verified; the endpoint stays pending.", body = crate::openapi::schema::NotVerified),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn verify_agent(
    venue: web::Data<Venue>,
    req: HttpRequest,
    body: Valid<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let limits = req.app_data::<web::Data<RateLimits>>().map(|l| l.get_ref());
    verify_agent_limited(venue, limits, body).await
}

/// [`verify_agent`] with the rate limits given rather than read from the request (the MCP
/// tool `verify_agent` calls it too).
pub async fn verify_agent_limited(
    venue: web::Data<Venue>,
    limits: Option<&RateLimits>,
    body: Valid<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let endpoint_limit = match limits {
        Some(limits) => match limits.check_endpoint(b.endpoint_id.unwrap_or_default()) {
            Ok(allowed) => allowed,
            Err(limited) => return Ok(limited.response()),
        },
        None => None,
    };
    let proofs = Proofs {
        signature: b.signature,
        echo_token: b.echo_token,
    };
    let outcome = venue
        .intake
        .verify_agent(EndpointId(b.endpoint_id.unwrap_or_default()), proofs)
        .await
        .map_err(|e| intake_error(VerifyBody::INVALID, e))?;
    let mut res = match outcome {
        VerifyOutcome::Active(reason) => ok_json(
            json!({"active": true, "reason": reason, "nextSteps": ishtar_wire::steps(&next_steps::after_verified())}),
        ),
        VerifyOutcome::UnknownEndpoint => HttpResponse::UnprocessableEntity()
            .json(json!({"active": false, "reason": "unknown endpoint"})),
        VerifyOutcome::NotSatisfied => HttpResponse::UnprocessableEntity()
            .json(json!({"active": false, "reason": "challenge not satisfied"})),
    };
    if let Some(allowed) = endpoint_limit {
        allowed.annotate(res.headers_mut());
    }
    Ok(res)
}
