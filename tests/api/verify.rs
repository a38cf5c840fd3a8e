use ethers_core::k256::ecdsa::SigningKey;
use ethers_core::utils::{hash_message, public_key_to_address};
use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent};

use crate::helpers::{TestApp, reference_fields, spawn_app};

/// A fresh secp256k1 key (from 32 random bytes) and its address.
fn key() -> (SigningKey, String) {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let sk = SigningKey::from_slice(&bytes).unwrap();
    let addr = format!("{:#x}", public_key_to_address(sk.verifying_key()));
    (sk, addr)
}

/// EIP-191 personal_sign: r ‖ s ‖ v (27/28), hex.
fn personal_sign(sk: &SigningKey, message: &str) -> String {
    let digest = hash_message(message);
    let (sig, recid) = sk.sign_prehash_recoverable(digest.as_bytes()).unwrap();
    let mut out = sig.to_bytes().to_vec();
    out.push(recid.to_byte() + 27);
    format!("0x{}", hex::encode(out))
}

async fn register(app: &TestApp, body: Value) -> (i64, String) {
    let (status, res) = app.post("/api/intake/agent", &body, None).await;
    assert_eq!(status, 200, "{res}");
    (
        res["id"].as_i64().unwrap(),
        res["challengeNonce"].as_str().unwrap().to_owned(),
    )
}

async fn verify(app: &TestApp, body: Value) -> (u16, Value) {
    let (s, b) = app.post("/api/intake/agent/verify", &body, None).await;
    (s.as_u16(), reference_fields(b))
}

async fn status_of(app: &TestApp, id: i64) -> String {
    app.db
        .scalar(&format!(
            "SELECT status FROM agent_endpoints WHERE id = {id}"
        ))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_personal_sign_over_the_nonce_activates_the_endpoint() {
    let app = spawn_app().await;
    let (sk, addr) = key();
    // Registered by address, by compressed key and by uncompressed key.
    let compressed = format!(
        "0x{}",
        hex::encode(sk.verifying_key().to_encoded_point(true).as_bytes())
    );
    let uncompressed = format!(
        "0x{}",
        hex::encode(sk.verifying_key().to_encoded_point(false).as_bytes())
    );
    for public_key in [
        addr.to_uppercase().replace("0X", "0x"),
        compressed,
        uncompressed,
    ] {
        let (id, nonce) =
            register(&app, json!({"runtime": "claude", "publicKey": public_key})).await;
        let res = verify(
            &app,
            json!({"endpointId": id, "signature": personal_sign(&sk, &nonce)}),
        )
        .await;
        assert_eq!(
            res,
            (200, json!({"active": true, "reason": "verified:signature"}))
        );
        assert_eq!(status_of(&app, id).await, "active");
    }
}

#[tokio::test]
async fn a_wrong_signature_leaves_the_endpoint_pending() {
    let app = spawn_app().await;
    let (sk, addr) = key();
    let (other, _) = key();
    let (id, nonce) = register(&app, json!({"runtime": "hermes", "publicKey": addr})).await;
    let not_satisfied = (
        422,
        json!({"active": false, "reason": "challenge not satisfied"}),
    );
    for sig in [
        personal_sign(&other, &nonce),            // another key
        personal_sign(&sk, &format!("{nonce}x")), // another message
        personal_sign(&sk, "ishtar:replayed:1"),  // another endpoint's nonce
        "0xdeadbeef".to_owned(),                  // too short
        "not hex".to_owned(),
    ] {
        assert_eq!(
            verify(&app, json!({"endpointId": id, "signature": sig})).await,
            not_satisfied
        );
    }
    // A signature with no registered key proves nothing.
    let (id2, nonce2) = register(&app, json!({"runtime": "hermes"})).await;
    assert_eq!(
        verify(
            &app,
            json!({"endpointId": id2, "signature": personal_sign(&sk, &nonce2)})
        )
        .await,
        not_satisfied
    );
    assert_eq!(status_of(&app, id).await, "pending");
    assert_eq!(status_of(&app, id2).await, "pending");
}

#[tokio::test]
async fn the_echo_token_must_equal_the_nonce() {
    let app = spawn_app().await;
    let (id, nonce) = register(&app, json!({"runtime": "openclaw"})).await;
    assert_eq!(
        verify(
            &app,
            json!({"endpointId": id, "echoToken": "ishtar:guess:1"})
        )
        .await,
        (
            422,
            json!({"active": false, "reason": "challenge not satisfied"})
        )
    );
    assert_eq!(
        verify(&app, json!({"endpointId": id, "echoToken": nonce})).await,
        (200, json!({"active": true, "reason": "verified:callback"}))
    );
    // Verifying again is idempotent.
    assert_eq!(verify(&app, json!({"endpointId": id})).await.0, 200);
}

#[tokio::test]
async fn a_callback_round_trip_activates_only_a_correct_echo() {
    let app = spawn_app().await;
    let good = FakeAgent::start(AgentBehaviour::Echo).await;
    let (id, _) = register(
        &app,
        json!({"runtime": "claude", "callbackUrl": good.url()}),
    )
    .await;
    assert_eq!(
        verify(&app, json!({"endpointId": id})).await,
        (200, json!({"active": true, "reason": "verified:callback"}))
    );
    assert_eq!(good.hits(), 1);

    let decoy = FakeAgent::start(AgentBehaviour::Echo).await;
    for behaviour in [
        AgentBehaviour::WrongEcho,
        AgentBehaviour::Hang,
        AgentBehaviour::Huge,
        AgentBehaviour::Garbage,
        AgentBehaviour::Status(500),
        AgentBehaviour::Redirect(decoy.url().to_owned()),
    ] {
        let agent = FakeAgent::start(behaviour.clone()).await;
        let (id, _) = register(
            &app,
            json!({"runtime": "claude", "callbackUrl": agent.url()}),
        )
        .await;
        let started = std::time::Instant::now();
        assert_eq!(
            verify(&app, json!({"endpointId": id})).await,
            (
                422,
                json!({"active": false, "reason": "challenge not satisfied"})
            ),
            "{behaviour:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "bounded: {behaviour:?}"
        );
        assert_eq!(status_of(&app, id).await, "pending");
    }
    assert_eq!(decoy.hits(), 0, "redirects are not followed");
}

#[tokio::test]
async fn an_unreachable_callback_is_not_satisfied() {
    let app = spawn_app().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (id, _) = register(
        &app,
        json!({"runtime": "claude", "callbackUrl": format!("http://127.0.0.1:{port}/cb")}),
    )
    .await;
    assert_eq!(verify(&app, json!({"endpointId": id})).await.0, 422);
}

#[tokio::test]
async fn an_unknown_endpoint_is_422_and_a_bad_body_400() {
    let app = spawn_app().await;
    assert_eq!(
        verify(&app, json!({"endpointId": 424242, "echoToken": "x"})).await,
        (422, json!({"active": false, "reason": "unknown endpoint"}))
    );
    for body in [
        json!({}),
        json!({"endpointId": 0}),
        json!({"endpointId": "1"}),
        json!({"endpointId": 1, "signature": "0x".repeat(300)}),
    ] {
        let (status, res) = verify(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(res["error"], "invalid verify");
        assert!(res["issues"][0]["path"].is_string());
    }
}
