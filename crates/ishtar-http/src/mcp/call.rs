//! A tool call: the arguments become the route's inputs, the route's own handler runs, and
//! its HTTP response becomes the tool result. Nothing here decides anything a route decides.

use actix_web::body::MessageBody as _;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError as _, web};
use base64::Engine as _;
use rmcp::model::{CallToolResult, JsonObject, MetaObject};
use serde_json::{Value, json};

use ishtar_domain::ports::{PaymentHeader, PaymentVersion};

use super::CallContext;
use super::tools::ToolName;
use crate::error::{ApiError, Issue};
use crate::extract::{self, BODY_LIMIT, RequestBody, Valid};
use crate::routes::{couples, escalation, events, intake, payments, personas};

/// Where the x402 MCP transport carries a payment (request `_meta`).
pub const PAYMENT_META: &str = "x402/payment";
/// Where it carries the settlement (result `_meta`).
pub const PAYMENT_RESPONSE_META: &str = "x402/payment-response";

/// Runs `tool` with `args` (and, for the paid tool, the `_meta["x402/payment"]` value) as
/// its route would run: rate limit, then the handler. The route's response, or its error
/// as the route would answer it.
pub async fn run(
    tool: ToolName,
    cx: CallContext,
    args: JsonObject,
    payment: Option<Value>,
) -> HttpResponse {
    if let (Some(group), Some(limits)) = (tool.group(), cx.limits.as_ref())
        && let Err(limited) = limits.check_caller(group, &cx.caller)
    {
        tracing::info!(group = group.name(), tool = tool.as_str(), "rate limited");
        return limited.response();
    }
    match dispatch(tool, cx, Args(args), payment).await {
        Ok(res) => res,
        Err(e) => e.error_response(),
    }
}

/// The route handler of each tool, with the inputs the route's extractors would give it.
async fn dispatch(
    tool: ToolName,
    cx: CallContext,
    mut args: Args,
    payment: Option<Value>,
) -> Result<HttpResponse, ApiError> {
    let CallContext {
        venue,
        claim,
        limits,
        bearer,
        ..
    } = cx;
    match tool {
        ToolName::SubmitDatingDoc => intake::submit_heart_file(venue, bearer, args.body()?).await,
        ToolName::RegisterAgent => intake::register_agent(venue, bearer, args.body()?).await,
        ToolName::VerifyAgent => {
            let limits = limits.as_ref().map(|l| l.get_ref());
            intake::verify_agent_limited(venue, limits, args.body()?).await
        }
        ToolName::CreatePersona => personas::create_persona(venue, bearer, args.body()?).await,
        ToolName::UpdatePersona => {
            let id = args.path_id(tool);
            personas::edit_persona(venue, id, bearer, args.body()?).await
        }
        ToolName::MyStatus => {
            args.nothing_else(tool)?;
            couples::owner_me(venue, bearer).await
        }
        ToolName::ReadCouple => {
            let id = args.path_id(tool);
            args.nothing_else(tool)?;
            couples::get_couple(venue, id, bearer).await
        }
        ToolName::ReadTurns => {
            let id = args.path_id(tool);
            let query = args.query(&["since", "limit"]);
            args.nothing_else(tool)?;
            couples::list_turns_query(venue, id, bearer, &query).await
        }
        ToolName::PostTurn => {
            let id = args.path_id(tool);
            couples::post_turn(venue, id, bearer, args.body()?).await
        }
        ToolName::Consent => {
            let id = args.path_id(tool);
            escalation::intro_consent(venue, id, bearer, args.bytes()?).await
        }
        ToolName::RequestInvite => {
            let id = args.path_id(tool);
            args.nothing_else(tool)?;
            escalation::invite(venue, claim, id, bearer).await
        }
        ToolName::EndCouple => {
            let id = args.path_id(tool);
            args.nothing_else(tool)?;
            couples::end_couple(venue, id, bearer).await
        }
        ToolName::EventsSince => {
            let query = args.query(&["since", "limit"]);
            args.nothing_else(tool)?;
            events::owner_events_query(venue, bearer, &query).await
        }
        ToolName::CompatibilityReport => {
            let again = Args(args.0.clone());
            let header = payment.and_then(payment_header);
            let paid = header.is_some();
            // x402's MCP transport: a payment that does not clear is answered with a fresh
            // `PaymentRequired` whose `error` says why, so the client can pay again. The
            // route's own challenge (asked for again without the payment: the same order)
            // is that `PaymentRequired`. (A response is not `Send`: none is kept across
            // the second call.)
            let refused = match payments::compatibility_report_paid(
                venue.clone(),
                header,
                bearer.clone(),
                args.body()?,
            )
            .await
            {
                Err(e) if paid && e.status() == StatusCode::PAYMENT_REQUIRED => e.body().clone(),
                other => return other,
            };
            let challenge =
                payments::compatibility_report_paid(venue, None, bearer, again.body()?).await?;
            Ok(with_payment_error(challenge, &refused))
        }
    }
}

/// A tool's arguments, taken apart into what the route's path, query and body carry.
struct Args(JsonObject);

impl Args {
    /// The tool's path id ([`ToolName::path_arg`]), as the route's path segment would carry
    /// it: a number or a string as written; absent: empty (the route's `400 bad … id`).
    fn path_id(&mut self, tool: ToolName) -> web::Path<String> {
        let raw = match self.0.remove(tool.path_arg().unwrap_or_default()) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
        };
        web::Path::from(raw)
    }

    /// The route's query string, from the named arguments that are present.
    fn query(&mut self, names: &[&str]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for name in names {
            match self.0.remove(*name) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    query.append_pair(name, &s);
                }
                Some(other) => {
                    query.append_pair(name, &other.to_string());
                }
            }
        }
        query.finish()
    }

    /// The rest as the route's JSON body, parsed and checked by the route's own rules.
    fn body<T: RequestBody>(self) -> Result<Valid<T>, ApiError> {
        extract::parse::<T>(&self.bytes()?).map(Valid)
    }

    /// The rest as the route's raw JSON body, within the routes' body limit.
    fn bytes(self) -> Result<web::Bytes, ApiError> {
        let bytes = Value::Object(self.0).to_string();
        if bytes.len() > BODY_LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "body too large", "limit": BODY_LIMIT}),
            ));
        }
        Ok(web::Bytes::from(bytes))
    }

    /// For a route without a body: any other argument is refused, named with the one it
    /// most likely meant.
    fn nothing_else(&self, tool: ToolName) -> Result<(), ApiError> {
        let known = tool.route_args();
        let issues: Vec<Issue> = self
            .0
            .keys()
            .map(|k| Issue {
                path: k.clone(),
                message: ishtar_domain::fields::unknown(k, known),
            })
            .collect();
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("invalid arguments", issues))
        }
    }
}

/// `_meta["x402/payment"]` as the payment header it stands for: a PaymentPayload object
/// is what the header carries base64-encoded (a string is taken as already encoded); its
/// `x402Version` says which version (2 unless it says 1).
fn payment_header(payment: Value) -> Option<PaymentHeader> {
    let version = match payment.get("x402Version").and_then(Value::as_u64) {
        Some(1) => PaymentVersion::V1,
        _ => PaymentVersion::V2,
    };
    let value = match payment {
        Value::Null => return None,
        Value::String(s) => s,
        other => base64::engine::general_purpose::STANDARD.encode(other.to_string()),
    };
    Some(PaymentHeader { version, value })
}

/// A base64 header value holding JSON (the x402 headers), decoded.
fn decode_header(headers: &HeaderMap, name: &str) -> Option<Value> {
    let raw = headers.get(name)?.to_str().ok()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A `402` challenge whose `PAYMENT-REQUIRED` carries `error`: the refused payment's reason
/// (the route's `402` body: `reason`, else `error`). Any other answer is returned as it is.
fn with_payment_error(mut challenge: HttpResponse, refused: &Value) -> HttpResponse {
    let reason = refused["reason"]
        .as_str()
        .or_else(|| refused["error"].as_str())
        .unwrap_or("payment not verified");
    if challenge.status() != StatusCode::PAYMENT_REQUIRED {
        return challenge;
    }
    if let Some(mut required) = decode_header(challenge.headers(), payments::PAYMENT_REQUIRED) {
        required["error"] = json!(reason);
        let encoded = base64::engine::general_purpose::STANDARD.encode(required.to_string());
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&encoded) {
            challenge.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("payment-required"),
                value,
            );
        }
    }
    challenge
}

/// The route's response as a tool result.
///
/// - 2xx: the JSON answer as `structuredContent` (and as text); a settled payment's
///   `PAYMENT-RESPONSE` (or `X-PAYMENT-RESPONSE`) decoded into
///   `_meta["x402/payment-response"]`.
/// - 402 with a challenge: a tool error whose `structuredContent` is the x402 v2
///   `PaymentRequired` (the `PAYMENT-REQUIRED` header, decoded), as the x402 MCP transport
///   requires.
/// - Any other status: a tool error `{"status": <HTTP status>, "body": <the route's JSON
///   error body>}`, with `retryAfter` (seconds) when the route would send `Retry-After`.
pub fn to_result(res: HttpResponse) -> CallToolResult {
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .try_into_bytes()
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .unwrap_or(Value::Null);
    if status.is_success() {
        let settlement = decode_header(&headers, payments::PAYMENT_RESPONSE)
            .or_else(|| decode_header(&headers, payments::X_PAYMENT_RESPONSE));
        let result = CallToolResult::structured(body);
        return match settlement {
            Some(s) => {
                let mut meta = MetaObject::new();
                meta.insert(PAYMENT_RESPONSE_META.to_owned(), s);
                result.with_meta(Some(meta))
            }
            None => result,
        };
    }
    if status == StatusCode::PAYMENT_REQUIRED
        && let Some(required) = decode_header(&headers, payments::PAYMENT_REQUIRED)
    {
        return CallToolResult::structured_error(required);
    }
    let mut error = json!({"status": status.as_u16(), "body": body});
    if let Some(secs) = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        error["retryAfter"] = json!(secs);
    }
    CallToolResult::structured_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Value) -> Args {
        match v {
            Value::Object(m) => Args(m),
            _ => Args(JsonObject::new()),
        }
    }

    #[test]
    fn path_ids_and_queries_are_written_as_the_route_would_see_them() {
        let read = ToolName::ReadTurns;
        let mut a = args(json!({"coupleId": 7, "since": 3, "limit": "x", "body": "hi"}));
        assert_eq!(a.path_id(read).into_inner(), "7");
        assert_eq!(a.query(&["since", "limit"]), "since=3&limit=x");
        assert_eq!(a.0.len(), 1);
        let id = |v: Value| args(v).path_id(read).into_inner();
        assert_eq!(id(json!({"coupleId": "12"})), "12");
        assert_eq!(id(json!({})), "");
        assert_eq!(id(json!({"coupleId": true})), "true");
        let edit = ToolName::UpdatePersona;
        assert_eq!(
            args(json!({"personaId": 4})).path_id(edit).into_inner(),
            "4"
        );
    }

    #[test]
    fn unknown_arguments_of_a_bodiless_tool_are_named() {
        let err = args(json!({"coupleID": 1}))
            .nothing_else(ToolName::ReadCouple)
            .expect_err("refused");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            err.body(),
            &json!({"error": "invalid arguments", "issues": [
                {"path": "coupleID", "message": "unknown field; did you mean coupleId?"}
            ]})
        );
    }

    #[test]
    fn a_payment_object_becomes_its_header() {
        let h = payment_header(json!({"x402Version": 1, "payload": {}})).expect("a header");
        assert_eq!(h.version, PaymentVersion::V1);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&h.value)
            .expect("base64");
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).expect("json"),
            json!({"x402Version": 1, "payload": {}})
        );
        let h = payment_header(json!({"x402Version": 2})).expect("a header");
        assert_eq!(h.version, PaymentVersion::V2);
        assert_eq!(payment_header(json!("abc")).expect("kept").value, "abc");
        assert!(payment_header(Value::Null).is_none());
    }

    #[test]
    fn errors_carry_status_body_and_retry_after() {
        let res = HttpResponse::TooManyRequests()
            .insert_header((RETRY_AFTER, "12"))
            .json(json!({"error": "rate limited"}));
        let r = to_result(res);
        assert_eq!(r.is_error, Some(true));
        assert_eq!(
            r.structured_content,
            Some(json!({"status": 429, "body": {"error": "rate limited"}, "retryAfter": 12}))
        );
        let ok = to_result(HttpResponse::Ok().json(json!({"a": 1})));
        assert_eq!(ok.is_error, Some(false));
        assert_eq!(ok.structured_content, Some(json!({"a": 1})));
    }

    #[test]
    fn x402_headers_become_the_transports_fields() {
        let b64 = |v: Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
        let challenge = HttpResponse::PaymentRequired()
            .insert_header((
                payments::PAYMENT_REQUIRED,
                b64(json!({"x402Version": 2, "accepts": []})),
            ))
            .json(json!({"x402Version": 1}));
        let r = to_result(challenge);
        assert_eq!(r.is_error, Some(true));
        assert_eq!(
            r.structured_content,
            Some(json!({"x402Version": 2, "accepts": []}))
        );
        let paid = HttpResponse::Ok()
            .insert_header((payments::PAYMENT_RESPONSE, b64(json!({"success": true}))))
            .json(json!({"ok": true}));
        let r = to_result(paid);
        let meta = r.meta.expect("meta");
        assert_eq!(
            meta.get(PAYMENT_RESPONSE_META),
            Some(&json!({"success": true}))
        );
    }
}
