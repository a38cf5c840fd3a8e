//! One error type for every handler, and the table that maps domain errors onto the
//! reference's statuses and bodies. Read it top to bottom.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use ishtar_domain::StoreError;
use ishtar_domain::admission::AdmitError;
use ishtar_domain::auth::AuthError;
use ishtar_domain::beat::BeatError;
use ishtar_domain::courtship::CourtshipError;
use ishtar_domain::intake::IntakeError;

/// One validation problem: the field's path and the constraint it broke.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Issue {
    /// Where, in the body's (or query's) own field names: `heart.prefs.self.age`, `since`;
    /// empty for the body as a whole.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// An HTTP error with the exact JSON body the client sees. 5xx bodies never carry causes;
/// the cause is logged once, here.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    header: Option<(&'static str, &'static str)>,
}

impl ApiError {
    pub fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            header: None,
        }
    }

    /// Adds a response header (e.g. a `WWW-Authenticate` challenge).
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.header = Some((name, value));
        self
    }

    /// `{"error": message}` with `status`.
    pub fn message(status: StatusCode, message: &str) -> Self {
        Self::new(status, json!({ "error": message }))
    }

    /// `400 {"error": label, "issues": [...]}`.
    pub fn invalid(label: &str, issues: Vec<Issue>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            json!({ "error": label, "issues": issues }),
        )
    }

    /// `500 {"error":"internal"}`, logging the cause.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self::message(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn body(&self) -> &Value {
        &self.body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(h) = self.header {
            res.insert_header(h);
        }
        res.json(&self.body)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(&e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::TokenRequired => {
                Self::message(StatusCode::UNAUTHORIZED, "owner token required")
            }
            AuthError::NotYourOwner => Self::message(
                StatusCode::FORBIDDEN,
                "owner token not valid for this owner",
            ),
            AuthError::Store(e) => e.into(),
        }
    }
}

/// Intake errors. `label` is the route's "invalid …" error (`invalid agent`, …).
pub fn intake_error(label: &str, e: IntakeError) -> ApiError {
    match e {
        IntakeError::Auth(e) => e.into(),
        IntakeError::Invalid(issue) => ApiError::invalid(
            label,
            vec![Issue {
                path: issue.path.to_owned(),
                message: issue.message,
            }],
        ),
        IntakeError::NoSuchPersona => ApiError::message(StatusCode::NOT_FOUND, "no such persona"),
        IntakeError::NoSuchOwner => ApiError::message(StatusCode::NOT_FOUND, "no such owner"),
        IntakeError::Store(e) => e.into(),
    }
}

impl From<AdmitError> for ApiError {
    fn from(e: AdmitError) -> Self {
        let refuse = |body: Value| Self::new(StatusCode::UNPROCESSABLE_ENTITY, body);
        match e {
            AdmitError::NotAdult => {
                refuse(json!({"admitted": false, "reason": "adult-only venue"}))
            }
            AdmitError::Chaperoned { reason, persona_id } => {
                refuse(json!({"admitted": false, "reason": reason, "personaId": persona_id.0}))
            }
            AdmitError::CapReached(id) => refuse(
                json!({"admitted": false, "reason": "cap reached", "capReached": true, "personaId": id.0}),
            ),
            AdmitError::HandleTaken => Self::message(StatusCode::CONFLICT, "handle taken"),
            AdmitError::NoSuchOwner => Self::message(StatusCode::NOT_FOUND, "no such owner"),
            AdmitError::Auth(e) => e.into(),
            AdmitError::Store(e) => e.into(),
        }
    }
}

impl From<CourtshipError> for ApiError {
    fn from(e: CourtshipError) -> Self {
        match e {
            CourtshipError::NoSuchCouple => Self::message(StatusCode::NOT_FOUND, "no such couple"),
            CourtshipError::NotInCouple => {
                Self::message(StatusCode::FORBIDDEN, "owner not in this couple")
            }
            CourtshipError::EndpointNotActive => {
                Self::message(StatusCode::FORBIDDEN, "agent endpoint not verified")
            }
            CourtshipError::NotCourting => {
                Self::message(StatusCode::CONFLICT, "couple is not courting")
            }
            CourtshipError::NoSuchOwner => Self::message(StatusCode::NOT_FOUND, "no such owner"),
            CourtshipError::Auth(e) => e.into(),
            CourtshipError::Store(e) => e.into(),
        }
    }
}

impl From<BeatError> for ApiError {
    fn from(e: BeatError) -> Self {
        match e {
            BeatError::Busy => Self::message(StatusCode::CONFLICT, "a beat is already running"),
            BeatError::Store(e) => e.into(),
            BeatError::Match(e) => Self::internal(&e),
            BeatError::Offload(e) => Self::internal(&e),
        }
    }
}

/// A path id that must be a whole number above zero; `label` is the route's 400 error.
pub fn parse_id(raw: &str, label: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::message(StatusCode::BAD_REQUEST, label))
}

impl From<ishtar_domain::payments::PayError> for ApiError {
    fn from(e: ishtar_domain::payments::PayError) -> Self {
        use ishtar_domain::payments::PayError;
        match e {
            PayError::OwnerRequired => Self::message(StatusCode::BAD_REQUEST, "ownerId required"),
            PayError::NotYourCouple => Self::message(StatusCode::FORBIDDEN, "owner not in this couple"),
            PayError::NotConfigured => {
                Self::message(StatusCode::SERVICE_UNAVAILABLE, "payments not configured")
            }
            PayError::NotVerified(reason) => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                json!({"error": "payment not verified", "reason": reason}),
            ),
            PayError::ReportPending { order_id, receipt_id } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "report pending", "orderId": order_id, "receiptId": receipt_id,
                       "note": "paid; retry the same request to receive the report without paying again"}),
            )
            .with_header("retry-after", "5"),
            PayError::Auth(e) => e.into(),
            PayError::Store(e) => e.into(),
        }
    }
}

impl From<ishtar_domain::escalation::EscalationError> for ApiError {
    fn from(e: ishtar_domain::escalation::EscalationError) -> Self {
        use ishtar_domain::escalation::EscalationError as E;
        match e {
            E::NoSuchCouple => Self::message(StatusCode::NOT_FOUND, "no such couple"),
            E::CoupleOwnersNotFound => {
                Self::message(StatusCode::NOT_FOUND, "couple/owners not found")
            }
            E::NotInCouple => Self::message(StatusCode::FORBIDDEN, "owner not in this couple"),
            E::CoupleEnded => Self::message(StatusCode::CONFLICT, "couple has ended"),
            E::InvalidInvite => Self::message(StatusCode::NOT_FOUND, "invalid or used invite"),
            E::LoginFailed(reason) => Self::new(
                StatusCode::UNAUTHORIZED,
                json!({"error": "privy verification failed", "reason": reason.to_string()}),
            ),
            E::OtherAccount => Self::message(
                StatusCode::FORBIDDEN,
                "owner already claimed by another sign-in",
            ),
            E::NotClaimed => Self::message(
                StatusCode::FORBIDDEN,
                "owner must claim a profile before identity check",
            ),
            E::NoSuchOwner => Self::message(StatusCode::NOT_FOUND, "no such owner"),
            E::IdentityUnavailable(reason) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "identity check unavailable", "reason": reason.to_string()}),
            ),
            E::WebhookRejected(reason) => Self::new(
                StatusCode::BAD_REQUEST,
                json!({"error": "webhook rejected", "reason": reason.to_string()}),
            ),
            E::RevealNotReady => Self::message(StatusCode::FORBIDDEN, "reveal not ready"),
            E::Auth(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}

impl From<ishtar_domain::erasure::ErasureError> for ApiError {
    fn from(e: ishtar_domain::erasure::ErasureError) -> Self {
        use ishtar_domain::erasure::ErasureError as E;
        match e {
            E::NoSuchOwner => Self::message(StatusCode::NOT_FOUND, "no such owner"),
            E::Auth(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}
