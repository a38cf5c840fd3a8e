//! Shared test helpers: a requirement, signed payloads (v1 and v2), and a fake facilitator
//! on loopback that speaks the real `/verify` and `/settle` formats of both versions
//! (docs/wire-formats.md#facilitator-verify-and-settle and #cdp-api-key-jwt).
//!
//! The fake runs on the test kit's `LoopbackServer`. It is not the kit's `FakeFacilitator`:
//! this one checks CDP API-key JWTs, records headers, and answers CDP's exact refusal and
//! error bodies (or any raw body), which the adapter's parsing tests need.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ethers_core::types::{Address, U256};
use serde_json::{Value, json};
use time::OffsetDateTime;

use ishtar_domain::ports::PaymentRequirement;
use ishtar_test_kit::LoopbackServer;
use ishtar_x402::chain::USDC_BASE;
use ishtar_x402::eip3009::{TransferWithAuthorization, address_of_key, sign_authorization};

/// A receiving address (checksummed; the requirement and payloads vary its case).
pub const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
/// The fixed "now" of the precheck tests (2025-11-23T12:13:20Z).
pub const NOW: i64 = 1_763_900_000;
/// The payer's secp256k1 key (a test key, nothing on chain).
pub const PAYER_KEY: [u8; 32] = [0x42; 32];
/// A settlement transaction hash the fake answers with.
pub const TX: &str = "0x3f1b2b9b0e8f8f6a0d1c6e1e5d9b8a7c6b5a49382716f5e4d3c2b1a098765432";

/// The resource's full URL (x402 v2 `resource.url`).
pub const RESOURCE_URL: &str = "https://ishtar.example/api/premium/compatibility-report";

/// The v2 `accepts` entry (and `accepted`, and the facilitator's `paymentRequirements`).
pub fn accepted_v2() -> Value {
    json!({
        "scheme": "exact",
        "network": "eip155:8453",
        "amount": "5000000",
        "asset": USDC_BASE,
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 300,
        "extra": {"name": "USD Coin", "version": "2"}
    })
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

pub fn requirement() -> PaymentRequirement {
    PaymentRequirement {
        scheme: "exact".to_owned(),
        network: "eip155:8453".to_owned(),
        amount: 5_000_000,
        asset: USDC_BASE.to_owned(),
        pay_to: PAY_TO.to_owned(),
        resource: "/api/premium/compatibility-report".to_owned(),
        resource_url: RESOURCE_URL.to_owned(),
        description: "Ishtar compatibility_report".to_owned(),
        max_timeout_seconds: 300,
    }
}

pub fn payer() -> String {
    address_of_key(&PAYER_KEY).unwrap()
}

/// What goes into a test payment; `signed` signs these values, then the JSON can be
/// tampered with.
#[derive(Debug, Clone)]
pub struct Pay {
    pub key: [u8; 32],
    pub x402_version: Value,
    pub scheme: String,
    pub network: String,
    pub from: String,
    pub to: String,
    pub value: String,
    pub valid_after: String,
    pub valid_before: String,
    pub nonce: String,
}

impl Default for Pay {
    fn default() -> Self {
        Self {
            key: PAYER_KEY,
            x402_version: json!(1),
            scheme: "exact".to_owned(),
            network: "base".to_owned(),
            from: payer(),
            to: PAY_TO.to_owned(),
            value: "5000000".to_owned(),
            valid_after: (NOW - 600).to_string(),
            valid_before: (NOW + 300).to_string(),
            nonce: format!("0x{}", "ab".repeat(32)),
        }
    }
}

impl Pay {
    pub fn message(&self) -> TransferWithAuthorization {
        TransferWithAuthorization {
            from: self.from.parse().unwrap(),
            to: self.to.parse().unwrap(),
            value: U256::from_dec_str(&self.value).unwrap(),
            valid_after: U256::from_dec_str(&self.valid_after).unwrap(),
            valid_before: U256::from_dec_str(&self.valid_before).unwrap(),
            nonce: hex::decode(self.nonce.trim_start_matches("0x"))
                .unwrap()
                .try_into()
                .unwrap(),
        }
    }

    /// The payload JSON signed over `self`'s own values.
    pub fn signed(&self) -> Value {
        let sig = sign_authorization(&self.key, &self.message()).unwrap();
        self.with_signature(&sig)
    }

    pub fn with_signature(&self, signature: &str) -> Value {
        json!({
            "x402Version": self.x402_version,
            "scheme": self.scheme,
            "network": self.network,
            "payload": {
                "signature": signature,
                "authorization": {
                    "from": self.from,
                    "to": self.to,
                    "value": self.value,
                    "validAfter": self.valid_after,
                    "validBefore": self.valid_before,
                    "nonce": self.nonce,
                }
            }
        })
    }

    pub fn header(&self) -> String {
        header(&self.signed())
    }

    /// The same signed authorization as a v2 payload (`PAYMENT-SIGNATURE`), as the SDKs
    /// build it: `accepted` = the offered requirement, `resource` from the challenge.
    pub fn signed_v2(&self) -> Value {
        let v1 = self.signed();
        json!({
            "x402Version": 2,
            "resource": {
                "url": RESOURCE_URL,
                "description": "Ishtar compatibility_report",
                "mimeType": "application/json"
            },
            "accepted": accepted_v2(),
            "payload": v1["payload"],
        })
    }

    pub fn header_v2(&self) -> String {
        header(&self.signed_v2())
    }
}

/// Standard base64 of the JSON, as clients send `X-PAYMENT`.
pub fn header(v: &Value) -> String {
    STANDARD.encode(serde_json::to_vec(v).unwrap())
}

// ---------------------------------------------------------------------------------------
// The fake facilitator.

/// How the fake answers both `/verify` and `/settle`.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 `isValid:true` / 200 `success:true` with a transaction.
    Valid,
    /// CDP's refusal: 400 with a full `isValid:false` / `success:false` body.
    Invalid,
    /// 500 with CDP's generic error body.
    ServerError,
    /// Never answers in time.
    Hang,
    /// 200 with a body that is not JSON.
    Garbage,
    /// This status and body, verbatim.
    Raw(u16, String),
}

/// The key the fake checks CDP JWTs against.
#[derive(Debug, Clone)]
pub enum JwtKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

#[derive(Debug, Clone)]
pub struct CdpCheck {
    pub key_id: String,
    pub key: JwtKey,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
    /// The JWT's header and claims, when the fake checked one and it was good.
    pub jwt: Option<(Value, Value)>,
}

pub struct FakeFacilitator {
    pub url: String,
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Stops the server when the fake is dropped.
    _server: LoopbackServer,
}

fn b64url_json(part: &str) -> Result<Value, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| format!("not base64url: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// What a CDP-like server checks on the bearer JWT (docs/wire-formats.md#cdp-api-key-jwt).
fn check_jwt(
    auth: Option<&str>,
    cdp: &CdpCheck,
    host: &str,
    path: &str,
) -> Result<(Value, Value), String> {
    let token = auth
        .and_then(|a| a.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let parts: Vec<&str> = token.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return Err("not three parts".to_owned());
    };
    let header = b64url_json(h)?;
    let claims = b64url_json(c)?;
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("signature not base64url: {e}"))?;
    let input = format!("{h}.{c}");
    match &cdp.key {
        JwtKey::Es256(k) => {
            use p256::ecdsa::signature::Verifier as _;
            if header["alg"] != "ES256" {
                return Err(format!("alg {}", header["alg"]));
            }
            let sig = p256::ecdsa::Signature::from_slice(&sig).map_err(|e| e.to_string())?;
            k.verify(input.as_bytes(), &sig)
                .map_err(|_| "bad ES256 signature")?;
        }
        JwtKey::EdDsa(k) => {
            if header["alg"] != "EdDSA" {
                return Err(format!("alg {}", header["alg"]));
            }
            let sig = ed25519_dalek::Signature::from_slice(&sig).map_err(|e| e.to_string())?;
            k.verify_strict(input.as_bytes(), &sig)
                .map_err(|_| "bad EdDSA signature")?;
        }
    }
    if header["kid"] != cdp.key_id.as_str() || header["typ"] != "JWT" {
        return Err(format!("header {header}"));
    }
    if header["nonce"].as_str().map(str::len) != Some(32) {
        return Err("header nonce is not 16 bytes of hex".to_owned());
    }
    if claims["iss"] != "cdp" || claims["sub"] != cdp.key_id.as_str() {
        return Err(format!("iss/sub {claims}"));
    }
    if claims["aud"] != json!(["cdp_service"]) {
        return Err(format!("aud {}", claims["aud"]));
    }
    let want_uri = format!("POST {host}{path}");
    if claims["uris"] != json!([want_uri]) {
        return Err(format!("uris {} (want {want_uri})", claims["uris"]));
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let iat = claims["iat"].as_i64().ok_or("no iat")?;
    let nbf = claims["nbf"].as_i64().ok_or("no nbf")?;
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    if (now - iat).abs() > 30 || nbf != iat || exp - iat != 120 || exp < now {
        return Err(format!("times iat {iat} nbf {nbf} exp {exp} now {now}"));
    }
    Ok((header, claims))
}

fn answer(behaviour: &Behaviour, path: &str, body: &Value) -> HttpResponse {
    let settle = path.ends_with("/settle");
    let payer = body["paymentPayload"]["payload"]["authorization"]["from"].clone();
    // A real facilitator refuses a malformed envelope. v1: x402Version 1, v1 network names,
    // the EIP-712 domain in `extra`, a decoded payload object. v2: x402Version 2 in both
    // places, CAIP-2 network, `amount`, and `accepted` equal to the requirements.
    let v2 = body["x402Version"] == 2;
    let well_formed = if v2 {
        body["paymentPayload"]["x402Version"] == 2
            && body["paymentPayload"]["accepted"] == body["paymentRequirements"]
            && body["paymentPayload"].get("network").is_none()
            && body["paymentRequirements"] == accepted_v2()
    } else {
        body["x402Version"] == 1
            && body["paymentPayload"].is_object()
            && body["paymentPayload"]["x402Version"] == 1
            && body["paymentPayload"]["network"] == "base"
            && body["paymentRequirements"]["network"] == "base"
            && body["paymentRequirements"]["scheme"] == "exact"
            && body["paymentRequirements"]["maxAmountRequired"].is_string()
            && body["paymentRequirements"]["mimeType"].is_string()
            && body["paymentRequirements"]["maxTimeoutSeconds"].is_u64()
            && body["paymentRequirements"]["extra"] == json!({"name": "USD Coin", "version": "2"})
    };
    let network = if v2 { "eip155:8453" } else { "base" };
    if !well_formed {
        return if settle {
            HttpResponse::BadRequest().json(json!({
                "success": false, "errorReason": "invalid_payload", "network": "unknown:unknown"
            }))
        } else {
            HttpResponse::BadRequest()
                .json(json!({"isValid": false, "invalidReason": "invalid_payload"}))
        };
    }
    match behaviour {
        Behaviour::Valid if settle => HttpResponse::Ok().json(json!({
            "success": true, "transaction": TX, "network": network, "payer": payer
        })),
        Behaviour::Valid => HttpResponse::Ok().json(json!({"isValid": true, "payer": payer})),
        Behaviour::Invalid if settle => HttpResponse::BadRequest().json(json!({
            "success": false,
            "errorReason": "invalid_transaction_state",
            "errorMessage": "authorization already used",
            "payer": payer
        })),
        Behaviour::Invalid => HttpResponse::BadRequest().json(json!({
            "isValid": false,
            "invalidReason": "insufficient_funds",
            "invalidMessage": "payer balance too low",
            "payer": payer
        })),
        Behaviour::ServerError => HttpResponse::InternalServerError().json(json!({
            "errorType": "internal_server_error", "errorMessage": "boom", "correlationId": "c-1"
        })),
        // Answered only after the client has long given up.
        Behaviour::Hang => HttpResponse::Ok().json(json!({"isValid": true, "success": true})),
        Behaviour::Garbage => HttpResponse::Ok()
            .content_type("text/html")
            .body("<html>oops</html>"),
        Behaviour::Raw(status, raw) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(*status).unwrap())
                .content_type("application/json")
                .body(raw.clone())
        }
    }
}

impl FakeFacilitator {
    pub async fn start(behaviour: Behaviour) -> Self {
        Self::start_with(behaviour, None).await
    }

    /// As CDP: every request must carry a good JWT, or it gets 401 `unauthorized`.
    pub async fn start_cdp(behaviour: Behaviour, cdp: CdpCheck) -> Self {
        Self::start_with(behaviour, Some(cdp)).await
    }

    async fn start_with(behaviour: Behaviour, cdp: Option<CdpCheck>) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let server = LoopbackServer::start(1, move |req: HttpRequest, body: web::Bytes| {
            let behaviour = behaviour.clone();
            let seen = s.clone();
            let cdp = cdp.clone();
            async move {
                let path = req.path().to_owned();
                let header = |name: &str| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let authorization = header("authorization");
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let mut jwt = None;
                if let Some(cdp) = &cdp {
                    let host = format!("127.0.0.1:{}", req.app_config().local_addr().port());
                    match check_jwt(authorization.as_deref(), cdp, &host, &path) {
                        Ok(decoded) => jwt = Some(decoded),
                        Err(why) => {
                            seen.lock().unwrap().push(Seen {
                                path,
                                authorization,
                                content_type: header("content-type"),
                                body,
                                jwt: None,
                            });
                            return HttpResponse::Unauthorized().json(json!({
                                "errorType": "unauthorized", "errorMessage": why
                            }));
                        }
                    }
                }
                seen.lock().unwrap().push(Seen {
                    path: path.clone(),
                    authorization,
                    content_type: header("content-type"),
                    body: body.clone(),
                    jwt,
                });
                if matches!(behaviour, Behaviour::Hang) {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                answer(&behaviour, &path, &body)
            }
        });
        let port = server.port();
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            seen,
            _server: server,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests reached a path ending in `/{which}`.
    pub fn calls(&self, which: &str) -> usize {
        let suffix = format!("/{which}");
        self.seen()
            .iter()
            .filter(|s| s.path.ends_with(&suffix))
            .count()
    }
}

/// A loopback URL with nothing listening (the kit's).
pub fn closed_port_url() -> String {
    ishtar_test_kit::closed_port_url()
}

pub fn address(s: &str) -> Address {
    s.parse().unwrap()
}
