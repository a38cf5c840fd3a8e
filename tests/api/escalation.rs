//! Escalation end to end (issue 5): intro consent, invites, the claim page and claim,
//! identity sessions and webhooks, the reveal gate and contact reveal — with real
//! cryptography: a P-256 key generated here plays Privy, HMAC-signed webhooks play Didit,
//! and a fake Didit session API runs on loopback.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use ishtar_test_support::{DiditBehaviour, FakeDidit, PrivyKey, access_claims, didit_signature};

use crate::helpers::{Dater, Setup, TestApp, heart_file, parts, spawn_app_with};

const APP_ID: &str = "cm-ishtar-test-app";
const WEBHOOK_SECRET: &str = "whsec-ishtar-test";
const DIDIT_KEY: &str = "didit-api-key-for-tests";
const WORKFLOW: &str = "0f0e0d0c-0000-4000-8000-00000000abcd";
const PUBLIC_URL: &str = "https://venue.example";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Everything the escalation path needs, configured against the fakes.
struct World {
    app: TestApp,
    privy: PrivyKey,
    didit: FakeDidit,
}

async fn world_with(edit: impl FnOnce(&mut Setup)) -> World {
    let privy = PrivyKey::generate();
    let didit = FakeDidit::start(DiditBehaviour::Good).await;
    let mut setup = Setup {
        privy_app_id: Some(APP_ID.into()),
        privy_verification_key: Some(privy.public_pem()),
        didit_base_url: Some(didit.base_url().to_owned()),
        didit_api_key: Some(DIDIT_KEY.into()),
        didit_workflow_id: Some(WORKFLOW.into()),
        didit_webhook_secret: Some(WEBHOOK_SECRET.into()),
        public_url: Some(PUBLIC_URL.into()),
        ..Setup::default()
    };
    edit(&mut setup);
    World {
        app: spawn_app_with(setup).await,
        privy,
        didit,
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    app.get_with(path, token).await
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    parts(req.send().await.unwrap()).await
}

fn err(status: u16, error: &str) -> (u16, Value) {
    (status, json!({ "error": error }))
}

fn got((status, body): (StatusCode, Value)) -> (u16, Value) {
    (status.as_u16(), body)
}

/// Gives `d` a new dating-doc version with its own `contactRef` (the latest one counts).
async fn set_contact(app: &TestApp, d: &Dater, contact: &str) {
    let mut doc = heart_file();
    // The latest doc's prefs are hard filters now: keep the dater's prose-only doc.
    doc["heart"] = crate::helpers::plain_doc();
    doc["ownerId"] = json!(d.owner);
    doc["contactRef"] = json!(contact);
    // The same doc as the dater's first version (prose, no prefs): only the contact changes.
    doc["heart"] = crate::helpers::plain_doc();
    let (status, body) = app
        .post("/api/intake/heart-file", &doc, Some(&d.token))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Two daters paired by a beat, with contacts `tg:@ada_private` / `tg:@bo_private`.
async fn couple(app: &TestApp) -> (Dater, Dater, i64) {
    let heart = json!({"about": "I bake sourdough every weekend and read old science fiction."});
    let a = app.dater("ada", heart.clone(), None).await;
    let b = app.dater("bo", heart, None).await;
    set_contact(app, &a, "tg:@ada_private").await;
    set_contact(app, &b, "tg:@bo_private").await;
    let (status, body) = app.beat().await;
    assert_eq!(
        (status.as_u16(), body["created"].as_i64()),
        (200, Some(1)),
        "{body}"
    );
    let (_, me) = get(app, "/api/owners/me", Some(&a.token)).await;
    let id = me["couples"][0]["coupleId"].as_i64().expect("a couple");
    (a, b, id)
}

async fn consent(app: &TestApp, couple: i64, d: &Dater) -> (u16, Value) {
    guided(got(app
        .post(
            &format!("/api/couples/{couple}/intro-consent"),
            &json!({"ownerId": d.owner}),
            Some(&d.token),
        )
        .await))
}

async fn invite(app: &TestApp, couple: i64, token: Option<&str>) -> (u16, Value) {
    guided(got(post_raw(
        app,
        &format!("/api/escalations/{couple}/invite"),
        "",
        token,
    )
    .await))
}

/// A success answer on the agent path says what to do next; the rest is compared as the
/// reference gives it.
fn guided((status, body): (u16, Value)) -> (u16, Value) {
    if status == 200 {
        assert!(
            body["nextSteps"].as_array().is_some_and(|s| !s.is_empty()),
            "{body}"
        );
    }
    (status, crate::helpers::reference_fields(body))
}

async fn invite_token(app: &TestApp, couple: i64, d: &Dater) -> String {
    let (status, body) = invite(app, couple, Some(&d.token)).await;
    assert_eq!(status, 200, "{body}");
    body["invites"][0]["token"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestApp, token: &str, privy_token: &str) -> (u16, Value) {
    got(app
        .post(
            "/api/escalations/claim",
            &json!({"token": token, "privyToken": privy_token}),
            None,
        )
        .await)
}

fn vendor(d: &Dater) -> String {
    format!("ishtar:owner:{}", d.owner)
}

/// A Didit `status.updated` body; `dob` goes into the decision's document.
fn webhook_body(
    session: &str,
    status: &str,
    vendor_data: Option<&str>,
    dob: Option<&str>,
) -> String {
    let mut doc = json!({
        "status": status,
        "document_type": "Passport",
        "document_number": "X1234567",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "portrait_image": "https://didit.example/images/portrait.jpg",
    });
    if let Some(d) = dob {
        doc["date_of_birth"] = json!(d);
    }
    let mut body = json!({
        "session_id": session,
        "status": status,
        "webhook_type": "status.updated",
        "created_at": now(),
        "decision": {"session_id": session, "status": status, "id_verification": doc},
    });
    if let Some(v) = vendor_data {
        body["vendor_data"] = json!(v);
    }
    body.to_string()
}

async fn deliver(
    app: &TestApp,
    body: &str,
    signature: Option<&str>,
    timestamp: Option<i64>,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/identity/webhook/didit"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header("X-Signature", s);
    }
    if let Some(t) = timestamp {
        req = req.header("X-Timestamp", t.to_string());
    }
    got(parts(req.send().await.unwrap()).await)
}

/// A correctly signed, fresh delivery.
async fn signed(app: &TestApp, body: &str) -> (u16, Value) {
    deliver(
        app,
        body,
        Some(&didit_signature(WEBHOOK_SECRET, body.as_bytes())),
        Some(now()),
    )
    .await
}

async fn tier(app: &TestApp, d: &Dater) -> String {
    app.db
        .scalar(&format!("SELECT tier FROM owners WHERE id = {}", d.owner))
        .await
        .unwrap()
}

/// Claims `d`'s invite for `couple` as Privy user `user`; returns the Didit session id.
async fn claim_as(w: &World, couple: i64, d: &Dater, user: &str) -> String {
    let token = invite_token(&w.app, couple, d).await;
    let (status, body) = claim(&w.app, &token, &w.privy.access_token(APP_ID, user, now())).await;
    assert_eq!(status, 200, "{body}");
    w.didit
        .session_for(&vendor(d))
        .expect("a session was created")
}

#[tokio::test]
async fn the_whole_path_from_consent_to_reveal() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let status_path = format!("/api/escalations/{c}/status");
    let contact_path = format!("/api/escalations/{c}/contact");

    // Nothing is revealed at the start.
    let (status, s) = get(app, &status_path, Some(&a.token)).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["nextSteps"][0]["action"], "wait_for_reveal");
    assert_eq!(
        crate::helpers::reference_fields(s),
        json!({"coupleId": c, "owners": [
            {"id": a.owner, "tier": "agent_represented", "consented": false},
            {"id": b.owner, "tier": "agent_represented", "consented": false},
        ], "reveal_ready": false})
    );
    assert_eq!(
        got(get(app, &contact_path, Some(&a.token)).await),
        err(403, "reveal not ready")
    );

    // Consent: idempotent per owner; the second owner commits the couple, once.
    assert_eq!(
        consent(app, c, &a).await,
        (200, json!({"consented": true, "both": false}))
    );
    assert_eq!(
        consent(app, c, &a).await,
        (200, json!({"consented": true, "both": false}))
    );
    assert_eq!(
        app.db
            .scalar(&format!("SELECT state FROM couples WHERE id = {c}"))
            .await
            .as_deref(),
        Some("courting")
    );
    assert_eq!(
        consent(app, c, &b).await,
        (200, json!({"consented": true, "both": true}))
    );
    assert_eq!(
        consent(app, c, &b).await,
        (200, json!({"consented": true, "both": true}))
    );
    assert_eq!(
        app.db
            .scalar(&format!("SELECT state FROM couples WHERE id = {c}"))
            .await
            .as_deref(),
        Some("committed")
    );
    assert_eq!(
        app.db.count(&format!("SELECT count(*) FROM events WHERE kind = 'intro_ready' AND (data->>'coupleId')::bigint = {c}")).await,
        1
    );
    assert_eq!(app.db.count("SELECT count(*) FROM intro_consents").await, 2);
    // Both agents are told (outbox rows for their endpoints; none have callbacks here).
    assert_eq!(
        get(app, &status_path, Some(&b.token)).await.1["reveal_ready"],
        false
    );

    // Invites: only the caller's own; asking again returns the same one.
    let (status, inv) = invite(app, c, Some(&a.token)).await;
    assert_eq!(status, 200, "{inv}");
    let invites = inv["invites"].as_array().unwrap();
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0]["ownerId"], a.owner);
    let ta = invites[0]["token"].as_str().unwrap().to_owned();
    assert!(
        ta.starts_with("inv_") && ta.len() >= 4 + 43,
        "256 random bits: {ta}"
    );
    assert_eq!(
        invites[0]["claimUrl"],
        format!("{PUBLIC_URL}/claim?token={ta}")
    );
    assert_eq!(invite_token(app, c, &a).await, ta, "no pile of invites");
    let tb = invite_token(app, c, &b).await;
    assert_ne!(ta, tb);
    assert_eq!(app.db.count("SELECT count(*) FROM invites").await, 2);

    // The human claims: Privy verifies, the invite is consumed, Didit starts.
    let (status, body) = claim(app, &ta, &w.privy.access_token(APP_ID, "ada", now())).await;
    assert_eq!(status, 200, "{body}");
    let sa = w.didit.session_for(&vendor(&a)).expect("session for a");
    assert_eq!(
        body,
        json!({"ok": true, "ownerId": a.owner, "tier": "profile_claimed",
               "diditUrl": format!("https://verify.didit.test/session/{sa}"), "identityNote": null})
    );
    let seen = w.didit.sessions();
    assert_eq!(seen[0].path, "/v3/session/");
    assert_eq!(seen[0].api_key.as_deref(), Some(DIDIT_KEY));
    assert_eq!(
        seen[0].body,
        json!({"workflow_id": WORKFLOW, "vendor_data": vendor(&a), "callback": format!("{PUBLIC_URL}/claim/done")})
    );
    assert_eq!(tier(app, &a).await, "profile_claimed");
    assert_eq!(
        app.db
            .scalar(&format!(
                "SELECT login_user FROM owner_logins WHERE owner_id = {}",
                a.owner
            ))
            .await
            .as_deref(),
        Some("did:privy:ada")
    );
    // Used: the invite cannot be claimed again, and no new one is minted.
    assert_eq!(
        claim(app, &ta, &w.privy.access_token(APP_ID, "ada", now())).await,
        err(404, "invalid or used invite")
    );
    assert_eq!(
        invite(app, c, Some(&a.token)).await,
        (
            200,
            json!({"ok": true, "invites": [{"ownerId": a.owner, "token": null, "claimed": true}]})
        )
    );
    let sb = claim_as(&w, c, &b, "bo").await;
    let (_, s) = get(app, &status_path, Some(&a.token)).await;
    assert_eq!(s["owners"][0]["tier"], "profile_claimed");
    assert_eq!(s["owners"][1]["tier"], "profile_claimed");
    assert_eq!(s["reveal_ready"], false);

    // Didit approves a: verified; the reveal waits for b.
    let adult = Some("1990-05-01");
    assert_eq!(
        signed(
            app,
            &webhook_body(&sa, "Approved", Some(&vendor(&a)), adult)
        )
        .await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "identity_verified");
    assert_eq!(
        get(app, &status_path, Some(&a.token)).await.1["reveal_ready"],
        false
    );
    assert_eq!(
        got(get(app, &contact_path, Some(&b.token)).await),
        err(403, "reveal not ready")
    );

    assert_eq!(
        signed(
            app,
            &webhook_body(&sb, "Approved", Some(&vendor(&b)), adult)
        )
        .await,
        (200, json!({"ok": true}))
    );
    let (_, s) = get(app, &status_path, Some(&b.token)).await;
    assert_eq!(s["nextSteps"][0]["action"], "read_contact");
    assert_eq!(
        crate::helpers::reference_fields(s),
        json!({"coupleId": c, "owners": [
            {"id": a.owner, "tier": "identity_verified", "consented": true},
            {"id": b.owner, "tier": "identity_verified", "consented": true},
        ], "reveal_ready": true})
    );

    // Each side reads the *other* owner's latest contactRef, verbatim.
    let (status, body) = get(app, &contact_path, Some(&a.token)).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"contactRef": "tg:@bo_private"}))
    );
    let (status, body) = get(app, &contact_path, Some(&b.token)).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"contactRef": "tg:@ada_private"}))
    );

    // No raw identity data was kept anywhere we wrote.
    for table in [
        "identity_checks",
        "identity_webhooks",
        "events",
        "owner_logins",
    ] {
        let dump = app
            .db
            .scalar(&format!(
                "SELECT coalesce(string_agg(row_to_json(t)::text, ''), '') FROM {table} t"
            ))
            .await
            .unwrap_or_default();
        for secret in ["1990-05-01", "X1234567", "Lovelace", "portrait", "Passport"] {
            assert!(!dump.contains(secret), "{secret} stored in {table}: {dump}");
        }
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM identity_checks WHERE verified AND age_over_18")
            .await,
        2
    );
}

#[tokio::test]
async fn intro_consent_error_rows() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let outsider = app
        .dater("cy", json!({"about": "Climbing granite at dawn."}), None)
        .await;
    let path = format!("/api/couples/{c}/intro-consent");
    let body = json!({"ownerId": a.owner}).to_string();

    for bad in ["abc", "0", "-1", "1.5"] {
        assert_eq!(
            got(post_raw(
                app,
                &format!("/api/couples/{bad}/intro-consent"),
                &body,
                Some(&a.token)
            )
            .await),
            err(400, "bad couple id"),
            "{bad}"
        );
    }
    for bad in [
        "",
        "{}",
        "[]",
        "not json",
        r#"{"ownerId":0}"#,
        r#"{"ownerId":"1"}"#,
        r#"{"ownerId":-3}"#,
    ] {
        assert_eq!(
            got(post_raw(app, &path, bad, Some(&a.token)).await),
            err(400, "ownerId required"),
            "{bad}"
        );
    }
    assert_eq!(
        got(post_raw(app, &path, &body, None).await),
        err(401, "owner token required")
    );
    assert_eq!(
        got(post_raw(app, &path, &body, Some(&b.token)).await),
        err(403, "owner token not valid for this owner")
    );
    assert_eq!(
        got(post_raw(
            app,
            "/api/couples/999999/intro-consent",
            &body,
            Some(&a.token)
        )
        .await),
        err(404, "no such couple")
    );
    assert_eq!(
        got(post_raw(
            app,
            &path,
            &json!({"ownerId": outsider.owner}).to_string(),
            Some(&outsider.token)
        )
        .await),
        err(403, "owner not in this couple")
    );
    assert_eq!(app.db.count("SELECT count(*) FROM intro_consents").await, 0);
}

#[tokio::test]
async fn invite_error_rows_and_invites_are_stored_as_hashes_only() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let outsider = app
        .dater("cy", json!({"about": "Climbing granite at dawn."}), None)
        .await;

    for bad in ["abc", "0", "-2"] {
        assert_eq!(
            invite_at(app, bad, Some(&a.token)).await,
            err(400, "bad couple id")
        );
    }
    assert_eq!(invite(app, c, None).await, err(401, "owner token required"));
    assert_eq!(
        invite(app, c, Some("ish_not-a-real-token")).await,
        err(401, "owner token required")
    );
    assert_eq!(
        invite(app, 999_999, Some(&a.token)).await,
        err(404, "couple/owners not found")
    );
    assert_eq!(
        invite(app, c, Some(&outsider.token)).await,
        err(403, "owner not in this couple")
    );

    let token = invite_token(app, c, &a).await;
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    assert_eq!(
        app.db
            .scalar(&format!(
                "SELECT encode(token_hash, 'hex') FROM invites WHERE owner_id = {}",
                a.owner
            ))
            .await,
        Some(hash)
    );
    let sealed = app
        .db
        .scalar(&format!(
            "SELECT encode(token_enc, 'escape') FROM invites WHERE owner_id = {}",
            a.owner
        ))
        .await
        .unwrap();
    assert!(!sealed.contains(&token[4..20]), "invite token in the clear");

    // An ended couple mints nothing.
    let (status, body) = app
        .post(&format!("/api/couples/{c}/end"), &json!({}), Some(&b.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        invite(app, c, Some(&b.token)).await,
        err(409, "couple has ended")
    );
    assert_eq!(consent(app, c, &b).await, err(409, "couple has ended"));
}

async fn invite_at(app: &TestApp, id: &str, token: Option<&str>) -> (u16, Value) {
    got(post_raw(app, &format!("/api/escalations/{id}/invite"), "", token).await)
}

#[tokio::test]
async fn claim_error_rows() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let token = invite_token(app, c, &a).await;
    let good = w.privy.access_token(APP_ID, "ada", now());
    let required = err(400, "token + privyToken required");

    for body in [
        "".to_owned(),
        "nope".to_owned(),
        json!({}).to_string(),
        json!({"token": token}).to_string(),
        json!({"privyToken": good}).to_string(),
        json!({"token": "short", "privyToken": good}).to_string(),
        json!({"token": token, "privyToken": "1234567"}).to_string(),
        json!({"token": 12345678, "privyToken": good}).to_string(),
    ] {
        assert_eq!(
            got(post_raw(app, "/api/escalations/claim", &body, None).await),
            required,
            "{body}"
        );
    }

    // Every way a sign-in token can be wrong is a 401 with the adapter's reason.
    let t = now();
    let other_key = PrivyKey::generate();
    let mut claims = access_claims(APP_ID, "ada", t);
    let with = |k: &str, v: Value| {
        let mut c = access_claims(APP_ID, "ada", t);
        c[k] = v;
        w.privy.sign(&c)
    };
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims)
    );
    let hs256 = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "HS256", "typ": "JWT"})),
        b64(&claims)
    );
    claims["sub"] = json!("user-ada");
    let cases = [
        (other_key.access_token(APP_ID, "ada", t), "bad signature"),
        (
            w.privy.access_token("another-app", "ada", t),
            "wrong audience",
        ),
        (with("iss", json!("https://auth.privy.io")), "wrong issuer"),
        (with("exp", json!(t - 3600)), "token expired"),
        (with("iat", json!(t + 3600)), "token not yet valid"),
        (with("nbf", json!(t + 3600)), "token not yet valid"),
        (w.privy.sign(&claims), "bad subject"),
        (unsigned, "algorithm not allowed"),
        (hs256, "algorithm not allowed"),
        ("not.a.jwt-at-all".to_owned(), "malformed token"),
    ];
    for (jwt, reason) in cases {
        assert_eq!(
            claim(app, &token, &jwt).await,
            (
                401,
                json!({"error": "privy verification failed", "reason": reason})
            ),
            "{reason}"
        );
    }
    // None of that consumed the invite.
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM invites WHERE claimed_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(tier(app, &a).await, "agent_represented");

    assert_eq!(
        claim(app, "inv_unknown-invite-token", &good).await,
        err(404, "invalid or used invite")
    );
    assert_eq!(claim(app, &token, &good).await.0, 200);
    assert_eq!(
        claim(app, &token, &good).await,
        err(404, "invalid or used invite")
    );
}

#[tokio::test]
async fn an_owner_stays_bound_to_the_sign_in_that_claimed_it() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    claim_as(&w, c, &a, "ada").await;
    // a's couple ends; a is paired again with a newcomer.
    let (status, body) = app
        .post(&format!("/api/couples/{c}/end"), &json!({}), Some(&b.token))
        .await;
    assert_eq!(status, 200, "{body}");
    app.dater(
        "cy",
        json!({"about": "I bake sourdough every weekend and read old science fiction."}),
        None,
    )
    .await;
    let (_, beat) = app.beat().await;
    assert_eq!(beat["created"], 1, "{beat}");
    let (_, me) = get(app, "/api/owners/me", Some(&a.token)).await;
    let c2 = me["couples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["state"] == "courting")
        .and_then(|x| x["coupleId"].as_i64())
        .unwrap();
    let token = invite_token(app, c2, &a).await;
    // Someone else's sign-in cannot claim a's second invite, and consumes nothing…
    assert_eq!(
        claim(app, &token, &w.privy.access_token(APP_ID, "mallory", now())).await,
        err(403, "owner already claimed by another sign-in")
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM invites WHERE claimed_at IS NULL")
            .await,
        1
    );
    // …the human who claimed a first can.
    assert_eq!(
        claim(app, &token, &w.privy.access_token(APP_ID, "ada", now()))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn two_concurrent_claims_of_one_invite_exactly_one_wins() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let token = invite_token(app, c, &a).await;
    let jwt = w.privy.access_token(APP_ID, "ada", now());
    let body = json!({"token": token, "privyToken": jwt});
    let attempts = (0..8).map(|_| {
        app.client
            .post(app.url("/api/escalations/claim"))
            .json(&body)
            .send()
    });
    let mut outcomes = Vec::new();
    for r in futures_util::future::join_all(attempts).await {
        outcomes.push(got(parts(r.unwrap()).await));
    }
    let wins = outcomes.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(wins, 1, "{outcomes:?}");
    for (s, b) in outcomes.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((*s, b.clone()), err(404, "invalid or used invite"));
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE kind = 'invite_claimed'")
            .await,
        1
    );
}

#[tokio::test]
async fn without_didit_the_claim_succeeds_with_a_note() {
    let w = world_with(|s| {
        s.didit_api_key = None;
        s.didit_workflow_id = None;
    })
    .await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let token = invite_token(app, c, &a).await;
    assert_eq!(
        claim(app, &token, &w.privy.access_token(APP_ID, "ada", now())).await,
        (
            200,
            json!({"ok": true, "ownerId": a.owner, "tier": "profile_claimed", "diditUrl": null,
                     "identityNote": "identity verification is not configured"})
        )
    );
    assert!(w.didit.sessions().is_empty(), "no request without a key");
    // Restarting cannot succeed either: 503 with the reason, never a fake URL.
    let (status, body) = app
        .post(
            "/api/identity/session",
            &json!({"ownerId": a.owner}),
            Some(&a.token),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body),
        (
            503,
            json!({"error": "identity check unavailable", "reason": "identity verification is not configured"})
        )
    );
}

#[tokio::test]
async fn a_failing_didit_still_claims_and_the_session_can_be_restarted() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    w.didit.set(DiditBehaviour::Status(500));
    let token = invite_token(app, c, &a).await;
    let (status, body) = claim(app, &token, &w.privy.access_token(APP_ID, "ada", now())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["diditUrl"], Value::Null);
    assert_eq!(
        body["identityNote"],
        "identity provider unavailable; try again later"
    );
    assert_eq!(body["tier"], "profile_claimed");

    w.didit.set(DiditBehaviour::Good);
    let (status, body) = app
        .post(
            "/api/identity/session",
            &json!({"ownerId": a.owner, "coupleId": c}),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = w.didit.session_for(&vendor(&a)).unwrap();
    assert_eq!(body["nextSteps"][0]["action"], "wait_for_identity");
    assert_eq!(
        crate::helpers::reference_fields(body),
        json!({"ok": true, "url": format!("https://verify.didit.test/session/{session}"), "sessionId": session})
    );
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM identity_checks WHERE session_id = '{session}'"
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn identity_session_error_rows() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let path = "/api/identity/session";
    let body = |o: i64| json!({"ownerId": o}).to_string();

    for bad in ["", "{}", r#"{"ownerId":0}"#, r#"{"ownerId":"x"}"#] {
        assert_eq!(
            got(post_raw(app, path, bad, Some(&a.token)).await),
            err(400, "ownerId required"),
            "{bad}"
        );
    }
    assert_eq!(
        got(post_raw(app, path, &body(a.owner), None).await),
        err(401, "owner token required")
    );
    // An unknown owner and another's owner get the same 403: existence does not leak.
    assert_eq!(
        got(post_raw(app, path, &body(999_999), Some(&a.token)).await),
        err(403, "owner token not valid for this owner")
    );
    assert_eq!(
        got(post_raw(app, path, &body(a.owner), Some(&b.token)).await),
        err(403, "owner token not valid for this owner")
    );
    assert_eq!(
        got(post_raw(app, path, &body(a.owner), Some(&a.token)).await),
        err(403, "owner must claim a profile before identity check")
    );
    assert!(w.didit.sessions().is_empty());
    claim_as(&w, c, &a, "ada").await;
    let (status, out) = got(post_raw(app, path, &body(a.owner), Some(&a.token)).await);
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["ok"], true);
    assert!(
        out["url"]
            .as_str()
            .unwrap()
            .starts_with("https://verify.didit.test/session/")
    );
}

#[tokio::test]
async fn webhooks_forged_stale_missing_and_replayed() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let session = claim_as(&w, c, &a, "ada").await;
    let body = webhook_body(&session, "Approved", Some(&vendor(&a)), Some("1990-05-01"));
    let good_sig = didit_signature(WEBHOOK_SECRET, body.as_bytes());
    let rejected = |reason: &str| (400, json!({"error": "webhook rejected", "reason": reason}));

    // Forged: another secret, or a body changed after signing.
    let forged = didit_signature("not-the-secret", body.as_bytes());
    assert_eq!(
        deliver(app, &body, Some(&forged), Some(now())).await,
        rejected("bad signature")
    );
    let tampered = body.replace("1990-05-01", "1991-05-01");
    assert_eq!(
        deliver(app, &tampered, Some(&good_sig), Some(now())).await,
        rejected("bad signature")
    );
    assert_eq!(
        deliver(app, &body, Some("zz-not-hex"), Some(now())).await,
        rejected("bad signature")
    );
    // Missing headers; stale and future timestamps.
    assert_eq!(
        deliver(app, &body, None, Some(now())).await,
        rejected("missing signature")
    );
    assert_eq!(
        deliver(app, &body, Some(&good_sig), None).await,
        rejected("missing timestamp")
    );
    assert_eq!(
        deliver(app, &body, Some(&good_sig), Some(now() - 301)).await,
        rejected("stale timestamp")
    );
    assert_eq!(
        deliver(app, &body, Some(&good_sig), Some(now() + 600)).await,
        rejected("stale timestamp")
    );
    // A signed body that is not a webhook is refused only after the signature passed.
    let junk = "[1,2,3]";
    assert_eq!(signed(app, junk).await, rejected("malformed body"));
    assert_eq!(
        tier(app, &a).await,
        "profile_claimed",
        "nothing rejected changed anything"
    );
    assert_eq!(
        app.db.count("SELECT count(*) FROM identity_webhooks").await,
        0
    );

    // The real delivery, then Didit's retry and a replay: one effect.
    for _ in 0..3 {
        assert_eq!(
            deliver(app, &body, Some(&good_sig), Some(now())).await,
            (200, json!({"ok": true}))
        );
    }
    assert_eq!(tier(app, &a).await, "identity_verified");
    assert_eq!(
        app.db.count("SELECT count(*) FROM identity_webhooks").await,
        1
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE kind = 'identity_verified'")
            .await,
        1
    );
}

/// `status:verified:age_over_18` of an identity check.
async fn check(app: &TestApp, session: &str) -> Option<String> {
    app.db.scalar(&format!("SELECT status || ':' || verified || ':' || coalesce(age_over_18::text, 'null') FROM identity_checks WHERE session_id = '{session}'")).await
}

#[tokio::test]
async fn webhooks_act_only_on_status_updated_and_approved_verifies_unless_a_minor() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let sa = claim_as(&w, c, &a, "ada").await;
    let va = vendor(&a);

    // Other webhook types are acknowledged, nothing more.
    let mut other: Value = serde_json::from_str(&webhook_body(
        &sa,
        "Approved",
        Some(&va),
        Some("1990-05-01"),
    ))
    .unwrap();
    other["webhook_type"] = json!("data.updated");
    assert_eq!(
        signed(app, &other.to_string()).await,
        (200, json!({"ok": true, "ignored": "data.updated"}))
    );
    assert_eq!(tier(app, &a).await, "profile_claimed");

    // Sessions that are not ours.
    assert_eq!(
        signed(
            app,
            &webhook_body("unknown-session", "Approved", None, Some("1990-05-01"))
        )
        .await,
        (
            200,
            json!({"ok": true, "note": "no matching session/vendor_data"})
        )
    );
    // b has not claimed: vendor_data naming b does not create a check.
    assert_eq!(
        signed(
            app,
            &webhook_body(
                "unknown-session",
                "Approved",
                Some(&vendor(&b)),
                Some("1990-05-01")
            )
        )
        .await,
        (
            200,
            json!({"ok": true, "note": "no matching session/vendor_data"})
        )
    );
    // vendor_data naming someone else than the session's owner is not trusted.
    assert_eq!(
        signed(
            app,
            &webhook_body(&sa, "Approved", Some(&vendor(&b)), Some("1990-05-01"))
        )
        .await,
        (
            200,
            json!({"ok": true, "note": "no matching session/vendor_data"})
        )
    );
    assert_eq!(tier(app, &b).await, "agent_represented");

    // In progress: recorded only.
    assert_eq!(
        signed(app, &webhook_body(&sa, "In Review", Some(&va), None)).await,
        (200, json!({"ok": true}))
    );
    // Approved for a minor (the decision's document says so): declined, not promoted.
    let minor = format!("{}-01-01", time::OffsetDateTime::now_utc().year() - 17);
    assert_eq!(
        signed(app, &webhook_body(&sa, "Approved", Some(&va), Some(&minor))).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "profile_claimed");
    assert_eq!(
        check(app, &sa).await.as_deref(),
        Some("Approved:false:false")
    );
    // Approved without an age in the decision: the reference's rule — age-over-18 is set
    // and the owner verified (the operator's Didit workflow is what requires 18+).
    assert_eq!(
        signed(app, &webhook_body(&sa, "Approved", Some(&va), None)).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "identity_verified");
    assert_eq!(check(app, &sa).await.as_deref(), Some("Approved:true:true"));
    // A late intermediate status does not undo it…
    assert_eq!(
        signed(app, &webhook_body(&sa, "In Progress", Some(&va), None)).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "identity_verified");
    // …a Declined does (fail closed).
    assert_eq!(
        signed(app, &webhook_body(&sa, "Declined", Some(&va), None)).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "profile_claimed");
    assert_eq!(
        check(app, &sa).await.as_deref(),
        Some("Declined:false:null")
    );
}

#[tokio::test]
async fn an_approved_result_with_an_adult_document_verifies_too() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let sa = claim_as(&w, c, &a, "ada").await;
    assert_eq!(
        signed(
            app,
            &webhook_body(&sa, "Approved", Some(&vendor(&a)), Some("1990-05-01"))
        )
        .await,
        (200, json!({"ok": true}))
    );
    assert_eq!(tier(app, &a).await, "identity_verified");
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM identity_checks WHERE verified AND age_over_18")
            .await,
        1
    );
}

#[tokio::test]
async fn a_session_lost_on_creation_is_found_by_vendor_data() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    claim_as(&w, c, &a, "ada").await;
    app.db.exec("DELETE FROM identity_checks").await;
    let body = webhook_body(
        "session-we-never-saw",
        "Approved",
        Some(&vendor(&a)),
        Some("1990-05-01"),
    );
    assert_eq!(signed(app, &body).await, (200, json!({"ok": true})));
    assert_eq!(tier(app, &a).await, "identity_verified");
}

#[tokio::test]
async fn without_a_webhook_secret_every_webhook_is_rejected() {
    let w = world_with(|s| s.didit_webhook_secret = None).await;
    let body = webhook_body("s", "Approved", None, Some("1990-05-01"));
    assert_eq!(
        signed(&w.app, &body).await,
        (
            400,
            json!({"error": "webhook rejected", "reason": "webhook secret not configured"})
        )
    );
}

#[tokio::test]
async fn without_privy_every_claim_is_refused_and_the_page_says_so() {
    let w = world_with(|s| {
        s.privy_app_id = None;
        s.privy_verification_key = None;
    })
    .await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    let token = invite_token(app, c, &a).await;
    assert_eq!(
        claim(app, &token, &w.privy.access_token(APP_ID, "ada", now())).await,
        (
            401,
            json!({"error": "privy verification failed", "reason": "privy not configured"})
        )
    );
    let r = app
        .client
        .get(app.url(&format!("/claim?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Sign-in is unavailable"), "{html}");
    assert!(!html.contains("<script"), "no script without Privy");
}

#[tokio::test]
async fn the_claim_page_loads_privy_under_a_strict_policy_and_holds_no_secret() {
    let w = world().await;
    let app = &w.app;
    let token = "inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = app
        .client
        .get(app.url(&format!("/claim?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();

    // The one inline module script is allowed by its hash; scripts otherwise only from the
    // SDK's CDN; the network only to ourselves and Privy.
    let start = html
        .find("<script type=\"module\">")
        .expect("a module script")
        + "<script type=\"module\">".len();
    let script = &html[start..start + html[start..].find("</script>").unwrap()];
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}' https://esm.sh;")),
        "{csp}"
    );
    assert!(
        csp.contains("connect-src 'self' https://auth.privy.io"),
        "{csp}"
    );
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-eval") && !csp.contains("script-src 'unsafe-inline'"),
        "{csp}"
    );
    assert_eq!(html.matches("<script").count(), 1);
    assert!(
        script.contains("import Privy") && script.contains("https://esm.sh/@privy-io/js-sdk-core@")
    );
    assert!(script.contains("/api/escalations/claim") && script.contains("diditUrl"));
    assert!(html.contains(&format!("data-app-id=\"{APP_ID}\"")));

    // No secret, and the invite is not echoed into the page.
    assert!(!html.contains(token));
    for secret in [
        WEBHOOK_SECRET,
        DIDIT_KEY,
        "PUBLIC KEY",
        crate::helpers::OPERATOR,
    ] {
        assert!(!html.contains(secret), "{secret} in the page");
    }

    // Without an invite the page says the link is incomplete and loads nothing.
    let html = app
        .client
        .get(app.url("/claim"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("This link is incomplete") && !html.contains("<script"));
    // Didit's browser redirect lands on a page that grants nothing.
    let r = app
        .client
        .get(app.url("/claim/done?verificationSessionId=x&status=Approved"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("grants nothing"));
}

#[tokio::test]
async fn another_owners_token_on_every_owner_scoped_route() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let outsider = app
        .dater("cy", json!({"about": "Climbing granite at dawn."}), None)
        .await;
    let foreign = err(403, "owner token not valid for this owner");
    let not_in = err(403, "owner not in this couple");
    let x = Some(outsider.token.as_str());

    // Consent for a with someone else's token.
    let consent_a = json!({"ownerId": a.owner}).to_string();
    let consent_path = format!("/api/couples/{c}/intro-consent");
    assert_eq!(
        got(post_raw(app, &consent_path, &consent_a, x).await),
        foreign
    );
    assert_eq!(
        got(post_raw(app, &consent_path, &consent_a, Some(&b.token)).await),
        foreign
    );
    // The outsider acting as itself is not in the couple.
    assert_eq!(
        got(post_raw(
            app,
            &consent_path,
            &json!({"ownerId": outsider.owner}).to_string(),
            x
        )
        .await),
        not_in
    );
    assert_eq!(invite(app, c, x).await, not_in);
    assert_eq!(
        got(get(app, &format!("/api/escalations/{c}/status"), x).await),
        not_in
    );
    assert_eq!(
        got(get(app, &format!("/api/escalations/{c}/contact"), x).await),
        not_in
    );
    assert_eq!(
        got(post_raw(app, "/api/identity/session", &consent_a, x).await),
        foreign
    );
    assert_eq!(
        got(post_raw(app, "/api/identity/session", &consent_a, Some(&b.token)).await),
        foreign
    );
    // …and no token at all is 401 everywhere.
    let required = err(401, "owner token required");
    assert_eq!(
        got(post_raw(app, &consent_path, &consent_a, None).await),
        required
    );
    assert_eq!(invite(app, c, None).await, required);
    assert_eq!(
        got(get(app, &format!("/api/escalations/{c}/status"), None).await),
        required
    );
    assert_eq!(
        got(get(app, &format!("/api/escalations/{c}/contact"), None).await),
        required
    );
    assert_eq!(
        got(post_raw(app, "/api/identity/session", &consent_a, None).await),
        required
    );
    assert_eq!(app.db.count("SELECT count(*) FROM intro_consents").await, 0);
    assert_eq!(app.db.count("SELECT count(*) FROM invites").await, 0);
}

#[tokio::test]
async fn status_and_contact_error_rows() {
    let w = world().await;
    let app = &w.app;
    let (a, _, c) = couple(app).await;
    for route in ["status", "contact"] {
        for bad in ["abc", "0", "-1"] {
            assert_eq!(
                got(get(
                    app,
                    &format!("/api/escalations/{bad}/{route}"),
                    Some(&a.token)
                )
                .await),
                err(400, "bad couple id")
            );
        }
        assert_eq!(
            got(get(
                app,
                &format!("/api/escalations/999999/{route}"),
                Some(&a.token)
            )
            .await),
            err(404, "couple/owners not found")
        );
    }
    assert_eq!(
        got(get(
            app,
            &format!("/api/escalations/{c}/contact"),
            Some(&a.token)
        )
        .await),
        err(403, "reveal not ready")
    );
    // A side without an owner (an ownerless persona) is "couple/owners not found".
    app.db
        .exec(&format!(
            "UPDATE personas SET owner_id = NULL WHERE owner_id <> {}",
            a.owner
        ))
        .await;
    assert_eq!(
        got(get(app, &format!("/api/escalations/{c}/status"), Some(&a.token)).await),
        err(404, "couple/owners not found")
    );
    assert_eq!(
        invite(app, c, Some(&a.token)).await,
        err(404, "couple/owners not found")
    );
}

#[tokio::test]
async fn the_raw_contact_column_holds_no_plaintext() {
    let w = world().await;
    let app = &w.app;
    let (a, b, c) = couple(app).await;
    let raw = app
        .db
        .scalar("SELECT string_agg(encode(contact_ref_enc, 'escape'), '|') FROM heart_files")
        .await
        .unwrap();
    for plain in ["ada_private", "bo_private", "wren_alias", "tg:@"] {
        assert!(!raw.contains(plain), "plaintext {plain} at rest");
    }
    // Each value carries its own nonce: equal contacts seal differently.
    assert_eq!(
        app.db
            .count(
                "SELECT count(DISTINCT substring(contact_ref_enc from 1 for 12)) FROM heart_files"
            )
            .await,
        app.db
            .count("SELECT count(*) FROM heart_files WHERE contact_ref_enc IS NOT NULL")
            .await
    );
    // And the reveal still returns it verbatim once unlocked.
    consent(app, c, &a).await;
    consent(app, c, &b).await;
    for d in [&a, &b] {
        let session = claim_as(&w, c, d, &format!("u{}", d.owner)).await;
        signed(
            app,
            &webhook_body(&session, "Approved", Some(&vendor(d)), Some("1985-12-31")),
        )
        .await;
    }
    let (status, body) = get(
        app,
        &format!("/api/escalations/{c}/contact"),
        Some(&b.token),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (200, json!({"contactRef": "tg:@ada_private"}))
    );
}
