//! `POST /api/premium/compatibility-report`: the one paid artifact, over x402 v1 and v2.
//!
//! The HTTP side of x402 lives here: which header carries which version, and which headers
//! answer. The JSON inside them and its base64 encoding are the facilitator adapter's
//! (`ishtar-x402`), reached through the domain.
//!
//! - No payment: 402 with the v1 challenge as the body and the v2 `PaymentRequired` in
//!   `PAYMENT-REQUIRED`.
//! - `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1): verified and settled in that version; the
//!   200 carries `PAYMENT-RESPONSE` or `X-PAYMENT-RESPONSE` to match. When both headers are
//!   sent, `PAYMENT-SIGNATURE` is the payment (as the official v2 servers read it).
//! - Every x402 answer names its headers in `Access-Control-Expose-Headers`, so a browser
//!   script that may read the response may read them too.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::model::{CoupleId, OwnerId};
use ishtar_domain::payments::ReportOutcome;
use ishtar_domain::ports::{PaymentHeader, PaymentVersion};

use crate::dto::PremiumBody;
use crate::error::ApiError;
use crate::extract::{Bearer, Valid};

/// v1 payment header (request).
pub const X_PAYMENT: &str = "X-PAYMENT";
/// v1 settlement header (response).
pub const X_PAYMENT_RESPONSE: &str = "X-PAYMENT-RESPONSE";
/// v2 challenge header (response).
pub const PAYMENT_REQUIRED: &str = "PAYMENT-REQUIRED";
/// v2 payment header (request).
pub const PAYMENT_SIGNATURE: &str = "PAYMENT-SIGNATURE";
/// v2 settlement header (response).
pub const PAYMENT_RESPONSE: &str = "PAYMENT-RESPONSE";
/// What a browser may read of an x402 answer.
pub const EXPOSE_HEADERS: &str = "PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE";

/// The request's payment header: `PAYMENT-SIGNATURE` (v2) first, then `X-PAYMENT` (v1).
fn payment_header(req: &HttpRequest) -> Option<PaymentHeader> {
    let get = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    get(PAYMENT_SIGNATURE)
        .map(|v| (PaymentVersion::V2, v))
        .or_else(|| get(X_PAYMENT).map(|v| (PaymentVersion::V1, v)))
        .map(|(version, value)| PaymentHeader {
            version,
            value: value.to_owned(),
        })
}

/// The report's path: the x402 `resource` the venue asks payment for
/// (`ishtar_domain::payments::PaymentOptions::resource`).
pub const REPORT_PATH: &str = "/api/premium/compatibility-report";

/// `POST /api/premium/compatibility-report`: the one paid artifact (x402).
#[utoipa::path(
    post,
    path = "/api/premium/compatibility-report",
    tag = "payments",
    operation_id = "compatibilityReport",
    description = "The one paid artifact ($5.00 in USDC on Base, x402). Without a payment: \
        `402` with the x402 v1 challenge as the body and the v2 `PaymentRequired` (base64 \
        JSON) in `PAYMENT-REQUIRED`. Pay with `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1); \
        the `200` answers in the same version's header. The order id is deterministic per \
        owner, couple and UTC day, so paying again for it is never charged twice.",
    security(("ownerToken" = [])),
    params(
        ("PAYMENT-SIGNATURE" = Option<String>, Header,
         description = "x402 v2 payment payload (base64 JSON). Wins when both are sent."),
        ("X-PAYMENT" = Option<String>, Header, description = "x402 v1 payment payload (base64 JSON)."),
    ),
    request_body(content = crate::dto::PremiumBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Paid and delivered.", body = crate::openapi::schema::Report,
         headers(
             ("PAYMENT-RESPONSE" = String, description = "v2 settlement (base64 JSON), when paid with `PAYMENT-SIGNATURE`."),
             ("X-PAYMENT-RESPONSE" = String, description = "v1 settlement (base64 JSON), when paid with `X-PAYMENT`."),
             ("Access-Control-Expose-Headers" = String, description = "`PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE`."),
         )),
        (status = 400, description = "`{\"error\":\"ownerId required\"}`, `{\"error\":\"bad couple id\"}`, or `{\"error\":\"invalid compatibility-report\",\"issues\":[…]}` for unknown fields.",
         body = crate::openapi::schema::ErrorBody),
        (status = 401, description = "`{\"error\":\"owner token required\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 402, description = "Payment required (the challenge), or `{\"error\":\"payment not verified\",\"reason\":…}`.",
         body = crate::openapi::schema::PaymentRequired,
         headers(
             ("PAYMENT-REQUIRED" = String, description = "The x402 v2 `PaymentRequired`, base64 JSON (on the challenge)."),
             ("Access-Control-Expose-Headers" = String, description = "`PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE`."),
         )),
        (status = 403, description = "`{\"error\":\"owner token not valid for this owner\"}` or `{\"error\":\"owner not in this couple\"}`.",
         body = crate::openapi::schema::ErrorBody),
        (status = 415, description = "`{\"error\":\"content-type must be application/json\"}`.", body = crate::openapi::schema::ErrorBody),
        (status = 503, description = "Payments not configured, or paid and the report pending (retry; not charged again).",
         body = crate::openapi::schema::PaymentUnavailable,
         headers(("Retry-After" = String, description = "On `report pending`: seconds to wait."))),
    )
)]
pub async fn compatibility_report(
    venue: web::Data<Venue>,
    req: HttpRequest,
    bearer: Bearer,
    body: Valid<PremiumBody>,
) -> Result<HttpResponse, ApiError> {
    compatibility_report_paid(venue, payment_header(&req), bearer, body).await
}

/// [`compatibility_report`] with the payment given rather than read from the request's
/// headers (the MCP tool `compatibility_report` reads it from `_meta["x402/payment"]`).
pub async fn compatibility_report_paid(
    venue: web::Data<Venue>,
    payment: Option<PaymentHeader>,
    bearer: Bearer,
    body: Valid<PremiumBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let owner = b
        .owner_id()
        .map_err(|m| ApiError::message(StatusCode::BAD_REQUEST, m))?;
    let couple = b
        .couple_id()
        .map_err(|m| ApiError::message(StatusCode::BAD_REQUEST, m))?;
    let outcome = venue
        .payments
        .compatibility_report(
            owner.map(OwnerId),
            couple.map(CoupleId),
            payment,
            bearer.token(),
        )
        .await?;
    Ok(match outcome {
        ReportOutcome::Challenge {
            order_id,
            requirement,
        } => {
            let challenge = venue.payments.challenge(&requirement, &order_id);
            HttpResponse::PaymentRequired()
                .insert_header((PAYMENT_REQUIRED, challenge.header))
                .insert_header(("Access-Control-Expose-Headers", EXPOSE_HEADERS))
                .content_type("application/json")
                .body(challenge.body)
        }
        ReportOutcome::Delivered {
            order_id,
            receipt_id,
            report,
            payment_response,
            version,
        } => {
            let name = match version {
                PaymentVersion::V1 => X_PAYMENT_RESPONSE,
                PaymentVersion::V2 => PAYMENT_RESPONSE,
            };
            HttpResponse::Ok()
                .insert_header((name, payment_response))
                .insert_header(("Access-Control-Expose-Headers", EXPOSE_HEADERS))
                .json(
                    json!({"ok": true, "orderId": order_id, "receiptId": receipt_id, "report": report}),
                )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paid_resource_is_the_routed_path() {
        assert_eq!(
            <__path_compatibility_report as utoipa::Path>::path(),
            REPORT_PATH
        );
    }
}
