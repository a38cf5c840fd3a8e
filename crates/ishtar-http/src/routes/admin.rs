//! The operator console: `GET /admin`, `GET /admin.json`, `POST /admin/actions/*`.
//!
//! Every route takes the [`Operator`] extractor first (401/403 before anything else).
//! Actions answer JSON clients with the reference's bodies, and the console's own forms
//! (`application/x-www-form-urlencoded`, with the anti-forgery token) with a `303` back to
//! the console carrying a one-time message.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use ishtar_domain::Venue;
use ishtar_domain::beat::BeatError;
use ishtar_domain::console::{BrokerError, Snapshot, format_usdc};
use ishtar_domain::model::CoupleId;
use ishtar_domain::ports::{ConsoleQuery, Section};
use ishtar_domain::settings::{KEYS, SetError, SettingError};

use crate::console_forms::{
    ActionBody, ConsoleSession, Flash, action_error, form_refused, form_token_ok, operator_secret,
    same_origin,
};
use crate::console_page;
use crate::error::ApiError;
use crate::extract::Operator;
use crate::routes::{ok_json, timestamp};

/// How an action answers: JSON (API clients) or a redirect (the console's forms).
enum Reply {
    Json,
    Form,
}

/// Either how to answer, or the refusal to send as it is.
type Checked = Result<Reply, Box<HttpResponse>>;

/// Refuses cross-site requests and forged forms; says how to answer the rest.
fn reply_mode(req: &HttpRequest, body: &ActionBody) -> Checked {
    match body {
        ActionBody::Form(pairs) => {
            if !same_origin(req) {
                tracing::warn!(path = %req.path(), "console form refused: cross-site");
                Err(Box::new(form_refused()))
            } else if !form_token_ok(req, pairs) {
                tracing::warn!(path = %req.path(), "console form refused: no valid anti-forgery token");
                Err(Box::new(form_refused()))
            } else {
                Ok(Reply::Form)
            }
        }
        _ if !same_origin(req) => {
            tracing::warn!(path = %req.path(), "cross-site console action refused");
            Err(Box::new(action_error(
                StatusCode::FORBIDDEN,
                "cross-site request refused",
            )))
        }
        _ => Ok(Reply::Json),
    }
}

/// `POST /admin/actions/beat`: runs a match beat now.
#[utoipa::path(
    post,
    path = "/admin/actions/beat",
    tag = "operator",
    operation_id = "runBeat",
    description = "Runs a match beat now: pairs eligible personas (semantic nearest neighbour \
        with reciprocity) and writes each new couple's opening. No body needed. Also the console's own form (`application/x-www-form-urlencoded` with its \
        anti-forgery token), answered with a `303` back to the console.",
    security(("operator" = [])),
    responses(
        (status = 200, description = "The beat ran.", body = crate::openapi::schema::BeatRan),
        (status = 400, description = "`{\"ok\":false,\"error\":\"body must be a JSON object\"}` or `invalid JSON body`.", body = crate::openapi::schema::ActionError),
        (status = 401, description = "`{\"error\":\"operator token required\"}`, with a Basic challenge.", body = crate::openapi::schema::ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"ishtar operator\"`."))),
        (status = 403, description = "`{\"error\":\"console closed\"}` (no `ISHTAR_ADMIN_TOKEN`), or `{\"ok\":false,\"error\":\"cross-site request refused\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 409, description = "`{\"error\":\"a beat is already running\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"ok\":false,\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ActionError),
    )
)]
pub async fn run_beat(
    venue: web::Data<Venue>,
    _op: Operator,
    req: HttpRequest,
    body: ActionBody,
) -> Result<HttpResponse, ApiError> {
    let mode = match reply_mode(&req, &body) {
        Ok(m) => m,
        Err(res) => return Ok(*res),
    };
    let trigger = match mode {
        Reply::Json => "operator",
        Reply::Form => "console",
    };
    let result = venue.matchmaker.beat(trigger).await;
    if let Ok(r) = &result {
        venue
            .console
            .beat_ran(trigger, &r.cycle_id, r.pairs, r.created)
            .await;
    }
    match mode {
        Reply::Json => {
            let r = result?;
            Ok(ok_json(
                json!({"cycleId": r.cycle_id, "pairs": r.pairs, "created": r.created}),
            ))
        }
        Reply::Form => Ok(match result {
            Ok(r) => Flash::ok(format!(
                "Beat ran: {} pair{} found, {} new couple{}.",
                r.pairs,
                if r.pairs == 1 { "" } else { "s" },
                r.created,
                if r.created == 1 { "" } else { "s" },
            )),
            Err(BeatError::Busy) => Flash::err("Beat not run: another beat is running."),
            Err(e) => {
                tracing::error!(error = %e, "console beat failed");
                Flash::err("Beat failed; the cause is in the server log.")
            }
        }
        .redirect(&req, "controls")),
    }
}

/// `POST /admin/actions/settings`: `{"key","value"}`.
#[utoipa::path(
    post,
    path = "/admin/actions/settings",
    tag = "operator",
    operation_id = "setSetting",
    description = "Edits a live setting without a redeploy. Also the console's own form (`application/x-www-form-urlencoded` with its \
        anti-forgery token), answered with a `303` back to the console.",
    security(("operator" = [])),
    request_body(content = crate::openapi::schema::SettingBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved.", body = crate::openapi::schema::SettingSaved),
        (status = 400, description = "`key not allowed`, `value required`, or `{\"ok\":false,\"error\":\"bad value\",\"reason\":…}`.",
         body = crate::openapi::schema::ActionError),
        (status = 401, description = "`{\"error\":\"operator token required\"}`, with a Basic challenge.", body = crate::openapi::schema::ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"ishtar operator\"`."))),
        (status = 403, description = "`{\"error\":\"console closed\"}` (no `ISHTAR_ADMIN_TOKEN`), or `{\"ok\":false,\"error\":\"cross-site request refused\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 415, description = "`{\"ok\":false,\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ActionError),
    )
)]
pub async fn set_setting(
    venue: web::Data<Venue>,
    _op: Operator,
    req: HttpRequest,
    body: ActionBody,
) -> Result<HttpResponse, ApiError> {
    let mode = match reply_mode(&req, &body) {
        Ok(m) => m,
        Err(res) => return Ok(*res),
    };
    let key = body.text("key").unwrap_or_default();
    let key = key.trim();
    let result = if !KEYS.contains(&key) {
        Err(SettingError::KeyNotAllowed.into())
    } else {
        match body.text("value") {
            None => Err(SettingError::ValueRequired.into()),
            Some(value) => venue.console.set_setting(key, &value).await,
        }
    };
    Ok(match (mode, result) {
        (Reply::Json, Ok(value)) => ok_json(json!({"ok": true, "key": key, "value": value})),
        (Reply::Json, Err(SetError::Invalid(SettingError::BadValue(reason)))) => {
            HttpResponse::BadRequest()
                .json(json!({"ok": false, "error": "bad value", "reason": reason}))
        }
        (Reply::Json, Err(SetError::Invalid(e))) => {
            action_error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        (Reply::Json, Err(SetError::Store(e))) => return Err(e.into()),
        (Reply::Form, Ok(value)) => {
            Flash::ok(format!("Saved {key} = {}", shorten(&value))).redirect(&req, "controls")
        }
        (Reply::Form, Err(SetError::Store(e))) => {
            tracing::error!(error = %e, "console setting not saved");
            Flash::err(format!("{key} not saved: the database did not answer."))
                .redirect(&req, "controls")
        }
        (Reply::Form, Err(SetError::Invalid(e))) => {
            let label = if key.is_empty() { "setting" } else { key };
            Flash::err(format!("{label} not saved: {e}.")).redirect(&req, "controls")
        }
    })
}

fn shorten(value: &str) -> String {
    let one_line = value.replace(['\n', '\r'], " ");
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else if one_line.is_empty() {
        "(empty)".to_owned()
    } else {
        one_line
    }
}

/// A couple id from a JSON number or a string of digits; above zero.
fn couple_id(body: &ActionBody) -> Option<i64> {
    let v = match body {
        ActionBody::Json(Value::Object(m)) => m.get("coupleId")?.clone(),
        ActionBody::Form(_) => Value::String(body.text("coupleId")?),
        _ => return None,
    };
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// `POST /admin/actions/broker`: `{"coupleId":N}`.
#[utoipa::path(
    post,
    path = "/admin/actions/broker",
    tag = "operator",
    operation_id = "broker",
    description = "Marks a committed couple brokered (an `intro.brokered` event for both owners). Also the console's own form (`application/x-www-form-urlencoded` with its \
        anti-forgery token), answered with a `303` back to the console.",
    security(("operator" = [])),
    request_body(content = crate::openapi::schema::BrokerBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Brokered.", body = crate::openapi::schema::Brokered),
        (status = 400, description = "`{\"ok\":false,\"error\":\"coupleId required\"}`.", body = crate::openapi::schema::ActionError),
        (status = 401, description = "`{\"error\":\"operator token required\"}`, with a Basic challenge.", body = crate::openapi::schema::ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"ishtar operator\"`."))),
        (status = 403, description = "`{\"error\":\"console closed\"}` (no `ISHTAR_ADMIN_TOKEN`), or `{\"ok\":false,\"error\":\"cross-site request refused\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 404, description = "`{\"ok\":false,\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ActionError),
        (status = 409, description = "`{\"ok\":false,\"error\":\"couple not committed\",\"state\":…}`.", body = crate::openapi::schema::ActionError),
        (status = 415, description = "`{\"ok\":false,\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ActionError),
    )
)]
pub async fn broker(
    venue: web::Data<Venue>,
    _op: Operator,
    req: HttpRequest,
    body: ActionBody,
) -> Result<HttpResponse, ApiError> {
    let mode = match reply_mode(&req, &body) {
        Ok(m) => m,
        Err(res) => return Ok(*res),
    };
    let Some(id) = couple_id(&body) else {
        return Ok(match mode {
            Reply::Json => action_error(StatusCode::BAD_REQUEST, "coupleId required"),
            Reply::Form => {
                Flash::err("Not brokered: a couple id is required.").redirect(&req, "controls")
            }
        });
    };
    let result = venue.console.broker(CoupleId(id)).await;
    Ok(match (mode, result) {
        (Reply::Json, Ok(())) => ok_json(json!({"ok": true, "coupleId": id})),
        (Reply::Json, Err(BrokerError::NoSuchCouple)) => {
            action_error(StatusCode::NOT_FOUND, "no such couple")
        }
        (Reply::Json, Err(BrokerError::NotCommitted(state))) => HttpResponse::Conflict()
            .json(json!({"ok": false, "error": "couple not committed", "state": state.as_str()})),
        (Reply::Json, Err(BrokerError::Store(e))) => return Err(e.into()),
        (Reply::Form, Ok(())) => {
            Flash::ok(format!("Couple {id} is brokered.")).redirect(&req, "intros")
        }
        (Reply::Form, Err(BrokerError::Store(e))) => {
            tracing::error!(error = %e, "console broker failed");
            Flash::err(format!(
                "Couple {id} not brokered: the database did not answer."
            ))
            .redirect(&req, "intros")
        }
        (Reply::Form, Err(e)) => {
            Flash::err(format!("Couple {id} not brokered: {e}.")).redirect(&req, "intros")
        }
    })
}

/// The page of each list asked for in the query string (`?personas=2&events=3`).
fn console_query(req: &HttpRequest) -> ConsoleQuery {
    let mut q = ConsoleQuery::default();
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if let (Some(s), Ok(page)) = (
            Section::ALL.iter().find(|s| s.as_str() == k),
            v.trim().parse::<u32>(),
        ) {
            q.set_page(*s, page);
        }
    }
    q
}

fn html(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, console_page::CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-frame-options", "DENY"))
        // Not the venue's `no-referrer`: with it, browsers send `Origin: null` on the
        // console's own form posts, and the same-origin check must be able to see them.
        // `same-origin` still sends nothing to other sites.
        .insert_header((header::REFERRER_POLICY, "same-origin"));
    res
}

/// `GET /admin`: the console (HTML). A degraded page with status 500 when its data cannot
/// be read.
#[utoipa::path(
    get,
    path = "/admin",
    tag = "operator",
    operation_id = "consolePage",
    description = "The operator console (HTML). `?personas=2&events=3` pages its lists.",
    security(("operator" = [])),
    responses(
        (status = 200, description = "The console.", content_type = "text/html", body = String),
        (status = 401, description = "`{\"error\":\"operator token required\"}`, with a Basic challenge.", body = crate::openapi::schema::ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"ishtar operator\"`."))),
        (status = 403, description = "`{\"error\":\"console closed\"}` (no `ISHTAR_ADMIN_TOKEN`), or `{\"ok\":false,\"error\":\"cross-site request refused\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 500, description = "A degraded page when its data cannot be read.", content_type = "text/html", body = String),
    )
)]
pub async fn console_page(
    venue: web::Data<Venue>,
    _op: Operator,
    req: HttpRequest,
) -> HttpResponse {
    let secret = operator_secret(&req);
    let q = console_query(&req);
    match venue.console.view(q).await {
        Ok(view) => {
            // The last beats' records: a read failure shows none rather than no page.
            let beats = venue.matchmaker.recent(10).await.unwrap_or_default();
            let session = ConsoleSession::of(&req, &secret, || venue.console.new_session_id());
            let flash = Flash::read(&req, &secret);
            let page = console_page::console(&view, &beats, &q, &session.token, flash.as_ref());
            let mut res = html(StatusCode::OK);
            if session.fresh {
                res.append_header((header::SET_COOKIE, session.set_cookie(&req)));
            }
            if flash.is_some() {
                res.append_header((header::SET_COOKIE, Flash::clear_cookie(&req)));
            }
            res.body(page.into_string())
        }
        Err(e) => {
            let _ = ApiError::internal(&e);
            let settings = venue.console.settings();
            html(StatusCode::INTERNAL_SERVER_ERROR).body(
                console_page::degraded(&settings.mode, time::OffsetDateTime::now_utc())
                    .into_string(),
            )
        }
    }
}

fn counts(rows: &[(String, i64)]) -> Value {
    Value::Object(rows.iter().map(|(k, n)| (k.clone(), json!(n))).collect())
}

/// The `/admin.json` body: exactly the reference's keys.
pub fn snapshot_json(s: &Snapshot) -> Value {
    json!({
        "health": s.health,
        "sim_mode": s.sim_mode,
        "admitted": s.admitted,
        "cap": s.cap,
        "cap_used_pct": s.cap_used_pct,
        "couples_by_state": counts(&s.couples_by_state),
        "turns_by_status": counts(&s.turns_by_status),
        "chaperone_today": counts(&s.chaperone_today),
        "orders_by_status": counts(&s.orders_by_status),
        "revenue_usdc": format_usdc(s.revenue),
        "buyback_reserve_usdc": format_usdc(s.buyback_reserve),
        "geo_denials_today": s.geo_denials_today,
        "intros_to_broker": s.intros_to_broker.iter().map(|i| json!({
            "coupleId": i.couple.0,
            "handles": [i.a.handle, i.b.handle],
            "since": timestamp(i.since),
        })).collect::<Vec<_>>(),
        "recent_events": s.recent_events.iter().map(|e| json!({
            "id": e.id,
            "kind": e.kind,
            "data": e.data,
            "createdAt": timestamp(e.at),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /admin.json`: a stable-shape snapshot of the venue.
#[utoipa::path(
    get,
    path = "/admin.json",
    tag = "operator",
    operation_id = "adminJson",
    security(("operator" = [])),
    responses(
        (status = 200, description = "A stable-shape snapshot of the venue (`Cache-Control: no-store`).", body = crate::openapi::schema::AdminSnapshot),
        (status = 401, description = "`{\"error\":\"operator token required\"}`, with a Basic challenge.", body = crate::openapi::schema::ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"ishtar operator\"`."))),
        (status = 403, description = "`{\"error\":\"console closed\"}` (no `ISHTAR_ADMIN_TOKEN`), or `{\"ok\":false,\"error\":\"cross-site request refused\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn admin_json(venue: web::Data<Venue>, _op: Operator) -> Result<HttpResponse, ApiError> {
    let snapshot = venue.console.snapshot().await?;
    if !snapshot.unreadable.is_empty() {
        tracing::warn!(parts = ?snapshot.unreadable, "admin.json served degraded");
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(snapshot_json(&snapshot)))
}
