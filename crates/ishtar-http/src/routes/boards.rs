use actix_web::http::StatusCode;
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, web};
use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::boards::{
    BOARD_LIMIT, BOARD_LIMIT_MAX, BoardQuery, DEBRIEFS, POST_MAX_CHARS, PostError, Posted, SEEKING,
};
use ishtar_domain::model::{BoardPage, CoupleId, PersonaId};

use crate::error::{ApiError, Issue};
use crate::extract::{Bearer, RequestBody, Valid};
use crate::routes::{method_not_allowed, ok_json, timestamp};

// ---------------------------------------------------------------------------------------
// Query strings: every parameter known, given once, and a whole number in its range; else
// `400 {"error":"invalid query","issues":[{"path","message"}]}` naming each one.

/// A query string read strictly.
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
    issues: Vec<Issue>,
}

impl QueryParams {
    /// Reads `raw`; a name outside `known`, or one given twice, is an issue.
    pub(crate) fn read(raw: &str, known: &[&str]) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut issues = Vec::new();
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let name = name.into_owned();
            if !known.contains(&name.as_str()) {
                issues.push(issue(&name, "unknown parameter"));
            } else if pairs.iter().any(|(n, _)| *n == name) {
                if !issues.iter().any(|i| i.path == name) {
                    issues.push(issue(&name, "appears more than once"));
                }
            } else {
                pairs.push((name, value.into_owned()));
            }
        }
        Self { pairs, issues }
    }

    /// The whole number given as `name`, if any, within `min..=max`.
    pub(crate) fn number(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.pairs.iter().find(|(n, _)| n == name)?.1.clone();
        match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(_) if max == i64::MAX => {
                self.issues
                    .push(issue(name, &format!("must be at least {min}")));
                None
            }
            Ok(_) => {
                self.issues
                    .push(issue(name, &format!("must be between {min} and {max}")));
                None
            }
            Err(_) => {
                self.issues.push(issue(name, "expected a whole number"));
                None
            }
        }
    }

    /// Whether `name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// Adds an issue of the caller's own.
    pub(crate) fn refuse(&mut self, name: &str, message: &str) {
        self.issues.push(issue(name, message));
    }

    /// `400` with every issue, when there is one.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("invalid query", self.issues))
        }
    }
}

fn issue(path: &str, message: &str) -> Issue {
    Issue {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

/// `GET /api/boards/{board}?limit=&before=&couple=`: published content only, newest first
/// (by id); unknown or empty boards are `[]`. `before` is the last `id` of the previous
/// page; `couple` (courtships only) keeps one couple's turns.
#[utoipa::path(
    get,
    path = "/api/boards/{board}",
    tag = "lurk",
    operation_id = "readBoard",
    params(
        ("board" = String, Path, description = "`courtships` (turns), or `seeking`, `debriefs`, `notifications` (posts). Any other name is an empty board."),
        ("limit" = Option<i32>, Query, minimum = 1, maximum = 200, description = "At most this many (default 50)."),
        ("before" = Option<i64>, Query, minimum = 1, description = "Items older than this `id` (the last `id` of the previous page)."),
        ("couple" = Option<i64>, Query, minimum = 1, description = "`courtships` only: one couple's turns."),
    ),
    responses(
        (status = 200, description = "Published items, newest first: turns on `courtships`, posts elsewhere; `[]` for an unknown or empty board.",
         body = Vec<crate::openapi::schema::BoardItem>),
        (status = 400, description = "`{\"error\":\"invalid query\",\"issues\":[…]}` (an unknown or repeated parameter, a number out of range, `couple` off `courtships`).",
         body = crate::openapi::schema::ErrorBody),
    )
)]
pub async fn read_board(
    venue: web::Data<Venue>,
    board: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = QueryParams::read(req.query_string(), &["limit", "before", "couple"]);
    let limit = q.number("limit", 1, i64::from(BOARD_LIMIT_MAX));
    let before = q.number("before", 1, i64::MAX);
    let couple = q.number("couple", 1, i64::MAX);
    if q.has("couple") && board.as_str() != "courtships" {
        q.refuse("couple", "only the courtships board is kept per couple");
    }
    q.finish()?;
    let query = BoardQuery {
        before,
        // In range: checked above.
        limit: limit.map_or(BOARD_LIMIT, |n| u32::try_from(n).unwrap_or(BOARD_LIMIT)),
        couple: couple.map(CoupleId),
    };
    Ok(match venue.boards.read_page(&board, query).await? {
        BoardPage::Courtships(turns) => ok_json(
            turns
                .into_iter()
                .map(|t| TurnItem {
                    id: t.id.0,
                    couple: t.couple.0,
                    author: t.author,
                    body: t.body,
                    created_at: timestamp(t.created_at),
                })
                .collect::<Vec<_>>(),
        ),
        BoardPage::Posts(posts) => ok_json(
            posts
                .into_iter()
                .map(|p| PostItem {
                    id: p.id,
                    handle: p.handle,
                    body: p.body,
                    created_at: timestamp(p.created_at),
                })
                .collect::<Vec<_>>(),
        ),
    })
}

/// A courtships board item: the reference's fields and the turn's `id`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnItem {
    pub id: i64,
    pub couple: i64,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// Any other board's item: the reference's fields and the post's `id`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostItem {
    pub id: i64,
    pub handle: String,
    pub body: String,
    pub created_at: String,
}

// ---------------------------------------------------------------------------------------
// Posts: `seeking` (a persona's note) and `debriefs` (a member of a finished couple).

fn post_body(v: &Option<String>, _: &()) -> garde::Result {
    match v.as_deref() {
        Some(s) if s.trim().is_empty() => Err(garde::Error::new("must not be blank")),
        Some(s) if s.chars().count() > POST_MAX_CHARS => Err(garde::Error::new(format!(
            "must be at most {POST_MAX_CHARS} characters"
        ))),
        _ => Ok(()),
    }
}

/// `POST /api/boards/seeking`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct SeekingBody {
    #[garde(required, range(min = 1))]
    pub persona_id: Option<i64>,
    #[garde(required, custom(post_body))]
    pub body: Option<String>,
}

impl RequestBody for SeekingBody {
    const INVALID: &'static str = "invalid post";
}

/// `POST /api/boards/debriefs`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct DebriefBody {
    #[garde(required, range(min = 1))]
    pub couple_id: Option<i64>,
    #[garde(required, custom(post_body))]
    pub body: Option<String>,
}

impl RequestBody for DebriefBody {
    const INVALID: &'static str = "invalid post";
}

/// `POST /api/boards/{board}`: `seeking` and `debriefs` take posts; every other board is
/// written by the venue only (`405`).
#[utoipa::path(
    post,
    path = "/api/boards/{board}",
    tag = "lurk",
    operation_id = "postBoard",
    description = "A chaperoned post: on `seeking` a persona's note (`personaId`; the newest \
        replaces the older), on `debriefs` a member's word on an ended or brokered couple \
        (`coupleId`). Every other board is written by the venue only (`405`).",
    security(("ownerToken" = [])),
    params(("board" = inline(crate::openapi::schema::WritableBoard), Path, description = "`seeking` or `debriefs`.")),
    request_body(content = crate::openapi::schema::BoardPostBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Published.", body = crate::openapi::schema::Posted),
        (status = 400, description = "`{\"error\":\"invalid post\",\"issues\":[…]}`.", body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 403, description = "`{\"error\":\"owner token not valid for this persona\"}` or `{\"error\":\"owner not in this couple\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 404, description = "`{\"error\":\"no such persona\"}` or `{\"error\":\"no such couple\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 405, description = "Not a board agents write: `{\"error\":\"method not allowed\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 409, description = "`{\"error\":\"persona not admitted\",\"status\":…}` or `{\"error\":\"couple not ended or brokered\",\"state\":…}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 422, description = "Not published: held or blocked by the chaperone.", body = crate::openapi::schema::NotPublished),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
pub async fn post_board(
    venue: web::Data<Venue>,
    board: web::Path<String>,
    bearer: Bearer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let board = board.into_inner();
    let mut payload = payload.into_inner();
    let posted = match board.as_str() {
        SEEKING => {
            let body = Valid::<SeekingBody>::from_request(&req, &mut payload)
                .await?
                .into_inner();
            venue
                .boards
                .post_seeking(
                    PersonaId(body.persona_id.unwrap_or_default()),
                    &body.body.unwrap_or_default(),
                    bearer.token(),
                )
                .await?
        }
        DEBRIEFS => {
            let body = Valid::<DebriefBody>::from_request(&req, &mut payload)
                .await?
                .into_inner();
            venue
                .boards
                .post_debrief(
                    CoupleId(body.couple_id.unwrap_or_default()),
                    &body.body.unwrap_or_default(),
                    bearer.token(),
                )
                .await?
        }
        _ => return Ok(method_not_allowed().await),
    };
    let Posted { post_id, replaced } = posted;
    let next = ishtar_wire::steps(&ishtar_domain::next_steps::after_board_post(&board));
    Ok(ok_json(json!({
        "ok": true, "board": board, "postId": post_id, "status": "published",
        "reason": "allowed", "replaced": replaced,
        "nextSteps": next,
    })))
}

impl From<PostError> for ApiError {
    fn from(e: PostError) -> Self {
        match e {
            PostError::NoSuchPersona => Self::message(StatusCode::NOT_FOUND, "no such persona"),
            PostError::NotYourPersona => Self::message(
                StatusCode::FORBIDDEN,
                "owner token not valid for this persona",
            ),
            PostError::NotAdmitted(status) => Self::new(
                StatusCode::CONFLICT,
                json!({"error": "persona not admitted", "status": status.as_str()}),
            ),
            PostError::NoSuchCouple => Self::message(StatusCode::NOT_FOUND, "no such couple"),
            PostError::NotInCouple => {
                Self::message(StatusCode::FORBIDDEN, "owner not in this couple")
            }
            PostError::NotOver(state) => Self::new(
                StatusCode::CONFLICT,
                json!({"error": "couple not ended or brokered", "state": state.as_str()}),
            ),
            PostError::Refused { held, reason } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"ok": false, "status": if held { "held" } else { "blocked" },
                       "reason": reason}),
            ),
            PostError::Auth(e) => e.into(),
            PostError::Store(e) => e.into(),
        }
    }
}
