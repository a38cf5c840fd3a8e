use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::json;

use ishtar_domain::Venue;
use ishtar_domain::model::{CoupleId, OwnerId};
use ishtar_domain::payments::ReportOutcome;

use crate::dto::PremiumBody;
use crate::error::ApiError;
use crate::extract::{Bearer, Valid};

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
    let x_payment = req.headers().get("x-payment").and_then(|v| v.to_str().ok());
    let outcome = venue
        .payments
        .compatibility_report(
            owner.map(OwnerId),
            couple.map(CoupleId),
            x_payment,
            bearer.token(),
        )
        .await?;
    Ok(match outcome {
        ReportOutcome::Challenge {
            order_id,
            requirement,
        } => HttpResponse::PaymentRequired()
            .json(venue.payments.challenge_body(&requirement, &order_id)),
        ReportOutcome::Delivered {
            order_id,
            receipt_id,
            report,
            payment_response,
        } => HttpResponse::Ok()
            .insert_header(("X-PAYMENT-RESPONSE", payment_response))
            .insert_header(("Access-Control-Expose-Headers", "X-PAYMENT-RESPONSE"))
            .json(
                json!({"ok": true, "orderId": order_id, "receiptId": receipt_id, "report": report}),
            ),
    })
}
