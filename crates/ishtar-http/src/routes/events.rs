//! `GET /api/owners/me/events`: the caller's events, for agents without a callback (and
//! for any agent catching up): the same bodies and ids the callback receives, oldest first
//! (docs/notifications.md "Polling").

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::next_steps;
use ishtar_domain::notify::{FEED_LIMIT_DEFAULT, FEED_LIMIT_MAX};

use crate::error::{ApiError, Issue};
use crate::extract::Bearer;
use crate::routes::ok_json;

/// `?since=<event id>&limit=<1..=200>`: both optional whole numbers (`since` ≥ 0, default
/// 0: from the oldest kept; `limit` default 50).
fn query(q: &HashMap<String, String>) -> Result<(i64, u32), ApiError> {
    let mut issues = Vec::new();
    let since = match q.get("since").map(|s| s.trim()) {
        None | Some("") => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .unwrap_or_else(|| {
                issues.push(Issue {
                    path: "since".into(),
                    message: "expected an event id (a whole number, 0 or more)".into(),
                });
                0
            }),
    };
    let limit = match q.get("limit").map(|s| s.trim()) {
        None | Some("") => FEED_LIMIT_DEFAULT,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=FEED_LIMIT_MAX).contains(n))
            .unwrap_or_else(|| {
                issues.push(Issue {
                    path: "limit".into(),
                    message: format!("expected a whole number from 1 to {FEED_LIMIT_MAX}"),
                });
                FEED_LIMIT_DEFAULT
            }),
    };
    if issues.is_empty() {
        Ok((since, limit))
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid query", "issues": issues}),
        ))
    }
}

/// `GET /api/owners/me/events` (owner token):
/// `{"events": [...], "nextSince": <id>, "hasMore": bool, "nextSteps": [...]}`.
#[utoipa::path(
    get,
    path = "/api/owners/me/events",
    tag = "owner",
    operation_id = "ownerEvents",
    security(("ownerToken" = [])),
    params(
        ("since" = Option<i64>, Query, minimum = 0,
         description = "Events after this id (default 0: from the oldest kept)."),
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 200,
         description = "At most this many (default 50)."),
    ),
    responses(
        (status = 200, description = "The caller's events, oldest first: the bodies a callback receives.",
         body = crate::openapi::schema::Events),
        (status = 400, description = "`{\"error\":\"invalid query\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn owner_events(
    venue: web::Data<Venue>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    owner_events_query(venue, bearer, req.query_string()).await
}

/// [`owner_events`] with its query string given (the MCP tool `events_since` calls it too).
pub async fn owner_events_query(
    venue: web::Data<Venue>,
    bearer: Bearer,
    raw_query: &str,
) -> Result<HttpResponse, ApiError> {
    // Parsed by hand so that a malformed query still gets a JSON answer.
    let q: HashMap<String, String> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let (since, limit) = query(&q)?;
    let page = venue.guide.events(bearer.token(), since, limit).await?;
    let next = ishtar_wire::steps(&next_steps::after_feed_page(&page));
    Ok(ok_json(json!({
        "events": page.events,
        "nextSince": page.cursor,
        "hasMore": page.more,
        "nextSteps": next,
    })))
}
