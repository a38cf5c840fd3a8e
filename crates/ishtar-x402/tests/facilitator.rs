//! The facilitator client against a fake facilitator on loopback that speaks the real v1 and
//! v2 `/verify` and `/settle` formats, and (as CDP) checks a bearer JWT on every request.

#![expect(clippy::unwrap_used, reason = "tests")]

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use secrecy::SecretString;
use serde_json::{Value, json};

use ishtar_domain::ports::{
    CheckedPayment, Facilitator, PaymentError, PaymentHeader, PaymentVersion, Settlement,
};
use ishtar_x402::wire::decode_payment_response;
use ishtar_x402::{ConfigError, FacilitatorConfig, X402Facilitator, requirements_v1};

use common::{
    Behaviour, CdpCheck, FakeFacilitator, JwtKey, Pay, TX, closed_port_url, now, payer, requirement,
};

fn config(url: &str, timeout_ms: u64) -> FacilitatorConfig {
    FacilitatorConfig {
        base_url: Some(url.to_owned()),
        cdp_api_key_id: None,
        cdp_api_key_secret: None,
        timeout: Duration::from_millis(timeout_ms),
    }
}

fn client(url: &str) -> X402Facilitator {
    X402Facilitator::new(config(url, 5000)).unwrap()
}

/// A payment that passed the pre-checks, with the client's network name `eip155:8453`.
fn checked() -> CheckedPayment {
    let pay = Pay {
        network: "eip155:8453".to_owned(),
        ..Pay::default()
    };
    X402Facilitator::new(FacilitatorConfig::default())
        .unwrap()
        .precheck(
            &PaymentHeader {
                version: PaymentVersion::V1,
                value: pay.header(),
            },
            &requirement(),
            now(),
        )
        .unwrap()
}

/// The same kind of payment sent as x402 v2 (`PAYMENT-SIGNATURE`).
fn checked_v2() -> CheckedPayment {
    X402Facilitator::new(FacilitatorConfig::default())
        .unwrap()
        .precheck(
            &PaymentHeader {
                version: PaymentVersion::V2,
                value: Pay::default().header_v2(),
            },
            &requirement(),
            now(),
        )
        .unwrap()
}

fn unavailable(r: Result<impl std::fmt::Debug, PaymentError>) -> String {
    match r {
        Err(PaymentError::Unavailable(m)) => m,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn refused(r: Result<impl std::fmt::Debug, PaymentError>) -> String {
    match r {
        Err(PaymentError::Refused(m)) => m,
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[tokio::test]
async fn unconfigured_is_unavailable_without_any_request() {
    let f = X402Facilitator::new(FacilitatorConfig::default()).unwrap();
    assert!(!f.is_configured());
    let p = checked();
    assert_eq!(
        unavailable(f.verify(&p, &requirement()).await),
        "facilitator not configured"
    );
    assert_eq!(
        unavailable(f.settle(&p, &requirement()).await),
        "facilitator not configured"
    );
    // Empty strings, as from an empty environment variable, count as unset.
    let f = X402Facilitator::new(FacilitatorConfig {
        base_url: Some("  ".to_owned()),
        cdp_api_key_id: Some(String::new()),
        cdp_api_key_secret: Some(SecretString::from("")),
        ..FacilitatorConfig::default()
    })
    .unwrap();
    assert!(!f.is_configured());
}

#[tokio::test]
async fn valid_payment_verifies_and_settles_with_v1_bodies() {
    let fake = FakeFacilitator::start(Behaviour::Valid).await;
    let f = client(&fake.url);
    let p = checked();
    f.verify(&p, &requirement()).await.unwrap();
    let s = f.settle(&p, &requirement()).await.unwrap();
    assert_eq!(
        s,
        Settlement {
            payer: payer(),
            transaction: TX.to_owned(),
            network: "base".to_owned(),
        }
    );
    assert_eq!((fake.calls("verify"), fake.calls("settle")), (1, 1));

    let seen = fake.seen();
    assert_eq!(seen[0].path, "/verify");
    assert_eq!(seen[1].path, "/settle");
    for s in &seen {
        assert!(s.authorization.is_none(), "no CDP key, no Authorization");
        assert_eq!(s.content_type.as_deref(), Some("application/json"));
        // The decoded payload, network in the v1 name, everything else as the agent sent it.
        let mut want_payload: Value = serde_json::from_slice(&p.payload).unwrap();
        want_payload["network"] = json!("base");
        assert_eq!(
            s.body,
            json!({
                "x402Version": 1,
                "paymentPayload": want_payload,
                "paymentRequirements": {
                    "scheme": "exact",
                    "network": "base",
                    "maxAmountRequired": "5000000",
                    "resource": "/api/premium/compatibility-report",
                    "description": "Ishtar compatibility_report",
                    "payTo": common::PAY_TO,
                    "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
                    "mimeType": "application/json",
                    "extra": {"name": "USD Coin", "version": "2"},
                    "maxTimeoutSeconds": 300
                }
            })
        );
    }
    assert_eq!(
        serde_json::to_value(requirements_v1(&requirement()).unwrap()).unwrap(),
        seen[0].body["paymentRequirements"]
    );
}

#[tokio::test]
async fn a_v2_payment_verifies_and_settles_with_v2_bodies() {
    let fake = FakeFacilitator::start(Behaviour::Valid).await;
    let f = client(&fake.url);
    let p = checked_v2();
    assert_eq!(p.version, PaymentVersion::V2);
    f.verify(&p, &requirement()).await.unwrap();
    let s = f.settle(&p, &requirement()).await.unwrap();
    assert_eq!(s.network, "eip155:8453");
    assert_eq!(s.transaction, TX);
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        // The payload exactly as the agent sent it; the requirement as the challenge offered.
        assert_eq!(
            s.body,
            json!({
                "x402Version": 2,
                "paymentPayload": Pay::default().signed_v2(),
                "paymentRequirements": common::accepted_v2(),
            })
        );
    }
}

#[test]
fn one_authorization_is_one_payer_and_nonce_in_either_version() {
    let (v1, v2) = (checked(), checked_v2());
    assert_eq!((v1.payer, v1.nonce), (v2.payer, v2.nonce));
}

#[tokio::test]
async fn a_base_url_with_a_path_and_trailing_slash_keeps_its_path() {
    let fake = FakeFacilitator::start(Behaviour::Valid).await;
    let f = client(&format!("{}/platform/v2/x402/", fake.url));
    f.verify(&checked(), &requirement()).await.unwrap();
    assert_eq!(fake.seen()[0].path, "/platform/v2/x402/verify");
}

#[tokio::test]
async fn a_400_with_a_body_is_the_facilitators_refusal() {
    let fake = FakeFacilitator::start(Behaviour::Invalid).await;
    let f = client(&fake.url);
    let p = checked();
    assert_eq!(
        refused(f.verify(&p, &requirement()).await),
        "insufficient_funds: payer balance too low"
    );
    assert_eq!(
        refused(f.settle(&p, &requirement()).await),
        "invalid_transaction_state: authorization already used"
    );
}

#[tokio::test]
async fn a_200_refusal_is_a_refusal_too() {
    let fake = FakeFacilitator::start(Behaviour::Raw(
        200,
        r#"{"isValid":false,"invalidReason":"invalid_exact_evm_payload_signature"}"#.to_owned(),
    ))
    .await;
    assert_eq!(
        refused(client(&fake.url).verify(&checked(), &requirement()).await),
        "invalid_exact_evm_payload_signature"
    );
}

#[tokio::test]
async fn a_500_is_unavailable_and_nothing_is_retried() {
    let fake = FakeFacilitator::start(Behaviour::ServerError).await;
    let f = client(&fake.url);
    let p = checked();
    let m = unavailable(f.verify(&p, &requirement()).await);
    assert!(
        m.contains("HTTP 500") && m.contains("internal_server_error"),
        "{m}"
    );
    let m = unavailable(f.settle(&p, &requirement()).await);
    assert!(m.contains("HTTP 500"), "{m}");
    assert_eq!((fake.calls("verify"), fake.calls("settle")), (1, 1));
}

#[tokio::test]
async fn a_hung_facilitator_times_out_quickly_and_settle_is_not_retried() {
    let fake = FakeFacilitator::start(Behaviour::Hang).await;
    let f = X402Facilitator::new(config(&fake.url, 300)).unwrap();
    let p = checked();
    let started = Instant::now();
    let m = unavailable(f.verify(&p, &requirement()).await);
    assert!(m.contains("verify timed out"), "{m}");
    let m = unavailable(f.settle(&p, &requirement()).await);
    assert!(
        m.contains("settle timed out") && m.contains("not retried"),
        "{m}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!((fake.calls("verify"), fake.calls("settle")), (1, 1));
}

#[tokio::test]
async fn garbage_is_unavailable() {
    let fake = FakeFacilitator::start(Behaviour::Garbage).await;
    let f = client(&fake.url);
    let p = checked();
    let m = unavailable(f.verify(&p, &requirement()).await);
    assert!(m.contains("not an x402 response"), "{m}");
    unavailable(f.settle(&p, &requirement()).await);
}

#[tokio::test]
async fn odd_answers_fail_closed() {
    let cases = [
        // CDP billing trouble on settle.
        (
            402,
            r#"{"errorType":"payment_method_required","errorMessage":"add a card"}"#,
            "payment_method_required",
        ),
        // Success without a transaction.
        (
            200,
            r#"{"isValid":true,"success":true,"transaction":""}"#,
            "without a transaction",
        ),
        // An answer far too large.
        (
            200,
            &format!(r#"{{"pad":"{}"}}"#, "x".repeat(100_000)),
            "larger than",
        ),
    ];
    for (status, body, needle) in cases {
        let fake = FakeFacilitator::start(Behaviour::Raw(status, body.to_owned())).await;
        let m = unavailable(client(&fake.url).settle(&checked(), &requirement()).await);
        assert!(
            m.contains(needle),
            "{needle:?} not in {m:?} ({status} {body:.40})"
        );
    }
    // A "yes" under a failure status is no verification.
    let fake = FakeFacilitator::start(Behaviour::Raw(503, r#"{"isValid":true}"#.to_owned())).await;
    let m = unavailable(client(&fake.url).verify(&checked(), &requirement()).await);
    assert!(m.contains("HTTP 503"), "{m}");
}

#[tokio::test]
async fn settle_success_without_payer_uses_the_checked_payer() {
    let fake = FakeFacilitator::start(Behaviour::Raw(
        200,
        format!(r#"{{"success":true,"transaction":"{TX}","network":"base"}}"#),
    ))
    .await;
    let s = client(&fake.url)
        .settle(&checked(), &requirement())
        .await
        .unwrap();
    assert_eq!(s.payer, payer());
}

#[tokio::test]
async fn an_unreachable_facilitator_is_unavailable() {
    let f = client(&closed_port_url());
    let m = unavailable(f.verify(&checked(), &requirement()).await);
    assert!(m.contains("unreachable"), "{m}");
}

// --- CDP authentication -------------------------------------------------------------------

fn es256_key() -> (p256::SecretKey, JwtKey) {
    let sk = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let vk = p256::ecdsa::VerifyingKey::from(&p256::ecdsa::SigningKey::from(&sk));
    (sk, JwtKey::Es256(vk))
}

fn ed25519_key(seed: u8) -> (String, JwtKey) {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let mut secret = sk.to_bytes().to_vec();
    secret.extend_from_slice(sk.verifying_key().as_bytes());
    (STANDARD.encode(secret), JwtKey::EdDsa(sk.verifying_key()))
}

const KEY_ID: &str = "organizations/org-1/apiKeys/key-1";

async fn cdp_round_trip(secret: &str, key: JwtKey) {
    let fake = FakeFacilitator::start_cdp(
        Behaviour::Valid,
        CdpCheck {
            key_id: KEY_ID.to_owned(),
            key,
        },
    )
    .await;
    let f = X402Facilitator::new(FacilitatorConfig {
        cdp_api_key_id: Some(KEY_ID.to_owned()),
        cdp_api_key_secret: Some(SecretString::from(secret)),
        ..config(&format!("{}/platform/v2/x402", fake.url), 5000)
    })
    .unwrap();
    let p = checked();
    f.verify(&p, &requirement()).await.unwrap();
    f.settle(&p, &requirement()).await.unwrap();
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    let host = format!("127.0.0.1:{}", fake.port);
    let (_, verify_claims) = seen[0].jwt.clone().expect("checked JWT");
    let (_, settle_claims) = seen[1].jwt.clone().expect("checked JWT");
    assert_eq!(
        verify_claims["uris"],
        json!([format!("POST {host}/platform/v2/x402/verify")])
    );
    assert_eq!(
        settle_claims["uris"],
        json!([format!("POST {host}/platform/v2/x402/settle")])
    );
    assert_ne!(
        seen[0].authorization, seen[1].authorization,
        "a fresh JWT per request"
    );
}

#[tokio::test]
async fn cdp_es256_jwt_from_a_sec1_pem() {
    let (sk, key) = es256_key();
    let pem = sk.to_sec1_pem(LineEnding::LF).unwrap();
    assert!(pem.contains("BEGIN EC PRIVATE KEY"));
    cdp_round_trip(&pem, key).await;
}

#[tokio::test]
async fn cdp_es256_jwt_from_a_pkcs8_pem_with_escaped_newlines() {
    let (sk, key) = es256_key();
    let pem = sk.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert!(pem.contains("BEGIN PRIVATE KEY"));
    // As pasted from CDP's JSON key file.
    cdp_round_trip(&pem.replace('\n', "\\n"), key).await;
}

#[tokio::test]
async fn cdp_eddsa_jwt_from_a_base64_ed25519_secret() {
    let (secret, key) = ed25519_key(9);
    cdp_round_trip(&secret, key).await;
}

#[tokio::test]
async fn a_jwt_from_the_wrong_key_is_a_credentials_problem() {
    let (_, expected) = ed25519_key(9);
    let (wrong, _) = ed25519_key(10);
    let fake = FakeFacilitator::start_cdp(
        Behaviour::Valid,
        CdpCheck {
            key_id: KEY_ID.to_owned(),
            key: expected,
        },
    )
    .await;
    let f = X402Facilitator::new(FacilitatorConfig {
        cdp_api_key_id: Some(KEY_ID.to_owned()),
        cdp_api_key_secret: Some(SecretString::from(wrong.as_str())),
        ..config(&fake.url, 5000)
    })
    .unwrap();
    let m = unavailable(f.verify(&checked(), &requirement()).await);
    assert!(
        m.contains("rejected our credentials") && m.contains("401"),
        "{m}"
    );
    assert_eq!(fake.calls("verify"), 1);
}

#[test]
fn bad_settings_are_refused_at_start_up() {
    let (secret, _) = ed25519_key(9);
    let cases = [
        (
            FacilitatorConfig {
                base_url: Some("ftp://x".to_owned()),
                ..FacilitatorConfig::default()
            },
            "http(s)",
        ),
        (
            FacilitatorConfig {
                base_url: Some("not a url".to_owned()),
                ..FacilitatorConfig::default()
            },
            "ISHTAR_X402_FACILITATOR_URL",
        ),
        (
            FacilitatorConfig {
                cdp_api_key_id: Some(KEY_ID.to_owned()),
                ..FacilitatorConfig::default()
            },
            "ISHTAR_CDP_API_KEY_SECRET is not",
        ),
        (
            FacilitatorConfig {
                cdp_api_key_secret: Some(SecretString::from(secret.as_str())),
                ..FacilitatorConfig::default()
            },
            "ISHTAR_CDP_API_KEY_ID is not",
        ),
        (
            FacilitatorConfig {
                cdp_api_key_id: Some(KEY_ID.to_owned()),
                cdp_api_key_secret: Some(SecretString::from("hunter2")),
                ..FacilitatorConfig::default()
            },
            "CDP API key",
        ),
    ];
    for (cfg, needle) in cases {
        let e: ConfigError = X402Facilitator::new(cfg).unwrap_err();
        let m = e.to_string();
        assert!(m.contains(needle), "{needle:?} not in {m:?}");
        assert!(!m.contains("hunter2"));
    }
}

#[test]
fn debug_output_never_shows_the_secret() {
    let (secret, _) = ed25519_key(9);
    let f = X402Facilitator::new(FacilitatorConfig {
        base_url: Some("https://api.cdp.coinbase.com/platform/v2/x402".to_owned()),
        cdp_api_key_id: Some(KEY_ID.to_owned()),
        cdp_api_key_secret: Some(SecretString::from(secret.as_str())),
        ..FacilitatorConfig::default()
    })
    .unwrap();
    let d = format!("{f:?}");
    assert!(d.contains("EdDSA") && !d.contains(&secret[..20]), "{d}");
}

// --- X-PAYMENT-RESPONSE -------------------------------------------------------------------

#[test]
fn the_response_header_is_base64_json_of_the_settlement() {
    let f = X402Facilitator::new(FacilitatorConfig::default()).unwrap();
    let s = Settlement {
        payer: payer(),
        transaction: TX.to_owned(),
        network: "base".to_owned(),
    };
    let h = f.response_header(&s, PaymentVersion::V1);
    let raw = String::from_utf8(STANDARD.decode(&h).unwrap()).unwrap();
    assert_eq!(
        raw,
        format!(
            r#"{{"success":true,"transaction":"{TX}","network":"base","payer":"{}"}}"#,
            payer()
        )
    );
    let back = decode_payment_response(&h).unwrap();
    assert!(back.success);
    assert_eq!(back.transaction, TX);
}

#[test]
fn each_version_names_the_network_its_own_way_in_the_response_header() {
    let f = X402Facilitator::new(FacilitatorConfig::default()).unwrap();
    for settled_as in ["base", "eip155:8453"] {
        let s = Settlement {
            payer: payer(),
            transaction: TX.to_owned(),
            network: settled_as.to_owned(),
        };
        let v2 = decode_payment_response(&f.response_header(&s, PaymentVersion::V2)).unwrap();
        let v1 = decode_payment_response(&f.response_header(&s, PaymentVersion::V1)).unwrap();
        assert_eq!(
            (v1.network.as_str(), v2.network.as_str()),
            ("base", "eip155:8453")
        );
        assert_eq!(v2.payer.as_deref(), Some(payer().as_str()));
    }
}
