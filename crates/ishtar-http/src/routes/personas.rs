use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::admission::{AdmitError, AdmitPersona};
use ishtar_domain::model::{OwnerId, PersonaId};
use ishtar_domain::next_steps::{self, PersonaOutcome};
use ishtar_domain::personas::{PersonaEdit, PersonaError};
use ishtar_wire::steps;

use crate::dto::{PersonaBody, PersonaPatchBody};
use crate::error::{ApiError, parse_id};
use crate::extract::{Bearer, Valid};
use crate::routes::{ok_json, timestamp};

/// `POST /api/personas`: the admission door (owner → adult gate → chaperone → cap).
///
/// Unlike the reference, `ownerId` and that owner's bearer token are required
/// (docs/rules.md#admission-order, step 0): 401 `owner token required` without them, 403 for
/// another owner's token.
#[utoipa::path(
    post,
    path = "/api/personas",
    tag = "personas",
    operation_id = "createPersona",
    security(("ownerToken" = [])),
    request_body(content = crate::dto::PersonaBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Admitted.", body = crate::openapi::schema::Admitted),
        (status = 400, description = "`{\"error\":\"invalid persona\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner token not valid for this owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such owner\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"handle taken\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 422, description = "Not admitted: adult gate, chaperone or cap.", body = crate::openapi::schema::Refused),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
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
    let id = match venue.admission.admit(cmd, bearer.token()).await {
        Ok(id) => id,
        Err(e) => return Err(refusal_with_next_steps(&venue, e).await),
    };
    admitted(&venue, id).await
}

/// The door's `200` for an admitted persona (`POST`, and a `PATCH` that leaves it admitted).
async fn admitted(venue: &Venue, id: PersonaId) -> Result<HttpResponse, ApiError> {
    let beat = venue.guide.beat_clock_lenient().await;
    Ok(ok_json(json!({
        "admitted": true, "reason": "admitted", "personaId": id.0,
        "nextBeatAt": timestamp(beat.next_at),
        "nextSteps": steps(&next_steps::after_persona(id, &PersonaOutcome::Admitted, &beat)),
    })))
}

/// `PATCH /api/personas/{id}`: the owner edits a persona's heart, prefs, model or markets
/// (never its handle); the new text goes through the chaperone and the cap again
/// (`ishtar_domain::personas`). Answers as the door does: `200` admitted, `422` with the
/// chaperone's reason (a deny changes nothing) or `cap reached`.
#[utoipa::path(
    patch,
    path = "/api/personas/{id}",
    tag = "personas",
    operation_id = "editPersona",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The persona id.")),
    request_body(content = crate::dto::PersonaPatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Edited and admitted.", body = crate::openapi::schema::Admitted),
        (status = 400, description = "`{\"error\":\"bad persona id\"}`, or `{\"error\":\"invalid persona\",\"issues\":[…]}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"not your persona\"}` or `{\"error\":\"owner token not valid for this owner\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such persona\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"persona retired\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 422, description = "Not admitted (a chaperone deny changes nothing).", body = crate::openapi::schema::Refused),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn edit_persona(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
    body: Valid<PersonaPatchBody>,
) -> Result<HttpResponse, ApiError> {
    let persona = PersonaId(parse_id(&id, "bad persona id")?);
    let b = body.into_inner();
    let edit = PersonaEdit {
        owner_id: b.owner_id.map(OwnerId),
        heart: b.heart,
        prefs: b.prefs,
        model: b.model,
        home_market: b.home_market,
        active_market: b.active_market,
    };
    match venue.personas.edit(persona, edit, bearer.token()).await {
        Ok(id) => admitted(&venue, id).await,
        Err(PersonaError::Admit(e)) => Err(refusal_with_next_steps(&venue, e).await),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /api/personas/{id}`: the owner withdraws a persona: `retired`, its courting and
/// committed couples ended (both sides get `couple.ended`), its cap place freed. Again:
/// the same answer, nothing more ended.
#[utoipa::path(
    delete,
    path = "/api/personas/{id}",
    tag = "personas",
    operation_id = "withdrawPersona",
    security(("ownerToken" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The persona id.")),
    responses(
        (status = 200, description = "Retired (again: the same answer).", body = crate::openapi::schema::Withdrawn),
        (status = 400, description = "`{\"error\":\"bad persona id\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"not your persona\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such persona\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn withdraw_persona(
    venue: web::Data<Venue>,
    id: web::Path<String>,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let persona = PersonaId(parse_id(&id, "bad persona id")?);
    let ended = venue.personas.withdraw(persona, bearer.token()).await?;
    Ok(ok_json(json!({
        "ok": true, "personaId": persona.0, "status": "retired",
        "couplesEnded": ended.iter().map(|c| c.0).collect::<Vec<_>>(),
        "nextSteps": steps(&next_steps::after_withdrawn()),
    })))
}

/// The lifecycle's errors; a refusal or a wait maps as the door's does (`error.rs`).
impl From<PersonaError> for ApiError {
    fn from(e: PersonaError) -> Self {
        match e {
            PersonaError::NoSuchPersona => Self::message(StatusCode::NOT_FOUND, "no such persona"),
            PersonaError::NotYourPersona => {
                Self::message(StatusCode::FORBIDDEN, "not your persona")
            }
            PersonaError::Retired => Self::message(StatusCode::CONFLICT, "persona retired"),
            PersonaError::Admit(e) => e.into(),
            PersonaError::Auth(e) => e.into(),
            PersonaError::Store(e) => e.into(),
        }
    }
}

/// The door's refusal; one that leaves the persona stored (cap reached: pending; held;
/// denied) also says what happens next and when the next beat runs (additive fields).
async fn refusal_with_next_steps(venue: &Venue, e: AdmitError) -> ApiError {
    let stored = match &e {
        AdmitError::CapReached(id) => Some((*id, PersonaOutcome::Pending)),
        AdmitError::Chaperoned { reason, persona_id } => Some((
            *persona_id,
            if next_steps::is_hold_reason(reason) {
                PersonaOutcome::Held
            } else {
                PersonaOutcome::Denied(reason.clone())
            },
        )),
        _ => None,
    };
    let err = ApiError::from(e);
    let Some((id, outcome)) = stored else {
        return err;
    };
    let beat = venue.guide.beat_clock_lenient().await;
    let mut body = err.body().clone();
    if let Some(map) = body.as_object_mut() {
        map.insert("nextBeatAt".into(), json!(timestamp(beat.next_at)));
        map.insert(
            "nextSteps".into(),
            json!(steps(&next_steps::after_persona(id, &outcome, &beat))),
        );
    }
    ApiError::new(err.status(), body)
}
