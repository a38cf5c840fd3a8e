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

/// `POST /api/premium/compatibility-report`: the one paid artifact (x402).
pub async fn compatibility_report(
    venue: web::Data<Venue>,
    req: HttpRequest,
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
            payment_header(&req),
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
                .json(challenge.body)
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
