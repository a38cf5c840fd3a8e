use serde_json::json;

use crate::helpers::{Setup, heart_file, persona, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_heart_file_creates_an_owner_and_returns_a_token_shown_once() {
    let app = spawn_app().await;
    let (status, body) = app
        .post("/api/intake/heart-file", &heart_file(), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tier"], "agent_represented");
    assert_eq!(body["version"], 1);
    assert!(body["ownerId"].as_i64().unwrap() > 0);
    assert!(body["heartFileId"].as_i64().unwrap() > 0);
    let token = body["ownerToken"].as_str().unwrap();
    assert!(
        token.starts_with("ish_") && token.len() >= 4 + 43,
        "≥ 32 random bytes"
    );
    // Stored only as a hash.
    let stored = app
        .db
        .scalar("SELECT encode(token_hash, 'hex') FROM owners")
        .await
        .unwrap();
    assert_eq!(stored.len(), 64);
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM owners WHERE token_hash::text LIKE '%{token}%'"
            ))
            .await,
        0
    );
    // Two owners never share a token.
    let (_, other) = app
        .post("/api/intake/heart-file", &heart_file(), None)
        .await;
    assert_ne!(other["ownerToken"], body["ownerToken"]);
}

#[tokio::test]
async fn the_contact_ref_is_encrypted_at_rest_and_text_is_sanitised() {
    let app = spawn_app().await;
    let mut doc = heart_file();
    doc["heart"]["about"] = json!("be\u{202E}lieve \u{200B}me\u{0007}");
    app.post("/api/intake/heart-file", &doc, None).await;
    let raw = app
        .db
        .scalar("SELECT encode(contact_ref_enc, 'escape') FROM heart_files")
        .await
        .unwrap();
    assert!(!raw.contains("wren_alias"), "plaintext contactRef at rest");
    assert_eq!(
        app.db
            .count("SELECT length(contact_ref_enc) FROM heart_files")
            .await,
        12 + 14 + 16
    );
    assert_eq!(
        app.db
            .scalar("SELECT heart->>'about' FROM heart_files")
            .await
            .as_deref(),
        Some("believe me")
    );
}

#[tokio::test]
async fn a_new_version_needs_the_owners_token_and_the_latest_wins() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (_, other_token) = app.new_owner().await;
    let mut doc = heart_file();
    doc["ownerId"] = json!(owner);
    doc["activeMarket"] = json!("nyc");

    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(
        (status.as_u16(), body),
        (401, json!({"error": "owner token required"}))
    );
    let (status, _) = app
        .post("/api/intake/heart-file", &doc, Some("ish_forged"))
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post("/api/intake/heart-file", &doc, Some(&other_token))
        .await;
    assert_eq!(status, 403);

    let (status, body) = app.post("/api/intake/heart-file", &doc, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["ownerId"], owner);
    assert!(body.get("ownerToken").is_none(), "the token is shown once");

    // The latest version is the one used: a persona without markets inherits them.
    let mut p = persona("latest");
    p["ownerId"] = json!(owner);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.db
            .scalar("SELECT active_market FROM personas")
            .await
            .as_deref(),
        Some("nyc")
    );
}

#[tokio::test]
async fn concurrent_versions_get_distinct_numbers() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let mut doc = heart_file();
    doc["ownerId"] = json!(owner);
    let calls = (0..10).map(|_| app.post("/api/intake/heart-file", &doc, Some(&token)));
    let results = futures_util::future::join_all(calls).await;
    let mut versions: Vec<i64> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 200, "{b}");
            b["version"].as_i64().unwrap()
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..=11).collect::<Vec<_>>());
}

#[tokio::test]
async fn every_bad_heart_file_field_is_named() {
    let app = spawn_app().await;
    let doc = json!({
        "displayName": "x".repeat(121),
        "homeMarket": "mars",
        "activeMarket": "bay_area",
        "researchOptin": "everything",
        "availableFor": "y".repeat(121),
        "contactRef": "z".repeat(201),
        "heart": {"prefs": {"self": {"age": 17}, "seek": {"ageMin": 50, "ageMax": 30}}}
    });
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid heart-file");
    let paths: Vec<&str> = body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    for want in [
        "displayName",
        "homeMarket",
        "researchOptin",
        "availableFor",
        "contactRef",
        "heart.prefs.self.age",
        "heart.prefs.seek.ageMax",
    ] {
        assert!(paths.contains(&want), "{want} missing from {paths:?}");
    }
    for i in body["issues"].as_array().unwrap() {
        assert!(!i["message"].as_str().unwrap().is_empty());
    }
    // A missing or non-object heart, a wrong type.
    for (doc, path) in [
        (json!({"ageAttested": true}), "heart"),
        (json!({"ageAttested": true, "heart": "prose"}), "heart"),
        (json!({"ageAttested": true, "heart": {}}), "heart"),
        (
            json!({"heart": {"a": 1}, "ageAttested": "yes"}),
            "ageAttested",
        ),
        (
            json!({"ageAttested": true, "heart": {"a": 1}, "ownerId": 0}),
            "ownerId",
        ),
    ] {
        let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
        assert_eq!(status, 400, "{doc}");
        assert_eq!(body["issues"][0]["path"], path, "{body}");
    }
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
}

#[tokio::test]
async fn an_agent_registers_pending_with_a_nonce() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let body = json!({"ownerId": owner, "runtime": "claude", "callbackUrl": "https://agent.example.com/cb"});
    let (status, res) = app.post("/api/intake/agent", &body, Some(&token)).await;
    assert_eq!(status, 200, "{res}");
    let nonce = res["challengeNonce"].as_str().unwrap();
    let parts: Vec<&str> = nonce.split(':').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], "ishtar");
    assert_eq!(parts[1].len(), 36, "a uuid");
    let ms: i64 = parts[2].parse().unwrap();
    assert!((ms - time::OffsetDateTime::now_utc().unix_timestamp() * 1000).abs() < 60_000);
    assert_eq!(
        app.db
            .scalar("SELECT status FROM agent_endpoints")
            .await
            .as_deref(),
        Some("pending")
    );
    // Without an owner, no token is needed.
    let (status, _) = app
        .post("/api/intake/agent", &json!({"runtime": "other"}), None)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn registering_for_an_owner_needs_its_token() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (other, other_token) = app.new_owner().await;
    let body = json!({"ownerId": owner, "runtime": "codex"});
    assert_eq!(
        app.post("/api/intake/agent", &body, None).await,
        (
            reqwest::StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );
    assert_eq!(
        app.post("/api/intake/agent", &body, Some(&other_token))
            .await
            .0,
        403
    );

    // A persona of another owner cannot be attached, named or not.
    let mut p = persona("theirs");
    p["ownerId"] = json!(other);
    let (_, admitted) = app.post_persona(&p, Some(&other_token)).await;
    let pid = admitted["personaId"].as_i64().unwrap();
    let (status, _) = app
        .post(
            "/api/intake/agent",
            &json!({"ownerId": owner, "personaId": pid, "runtime": "codex"}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post(
            "/api/intake/agent",
            &json!({"personaId": pid, "runtime": "codex"}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post(
            "/api/intake/agent",
            &json!({"personaId": pid, "runtime": "codex"}),
            None,
        )
        .await;
    assert_eq!(status, 401);
    let (status, body) = app
        .post(
            "/api/intake/agent",
            &json!({"personaId": 999_999, "runtime": "codex"}),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), body),
        (404, json!({"error": "no such persona"}))
    );
    assert_eq!(
        app.db.count("SELECT count(*) FROM agent_endpoints").await,
        0
    );
}

#[tokio::test]
async fn bad_agent_registrations_name_the_field() {
    let app = spawn_app_with(Setup {
        strict_callbacks: true,
        ..Default::default()
    })
    .await;
    for (body, path) in [
        (json!({}), "runtime"),
        (json!({"runtime": "gpt"}), "runtime"),
        (json!({"runtime": "claude", "ownerId": -1}), "ownerId"),
        (json!({"runtime": "claude", "personaId": 0}), "personaId"),
        (
            json!({"runtime": "claude", "callbackUrl": "http://agent.example.com/cb"}),
            "callbackUrl",
        ),
        (
            json!({"runtime": "claude", "callbackUrl": "https://127.0.0.1/cb"}),
            "callbackUrl",
        ),
        (
            json!({"runtime": "claude", "callbackUrl": "https://169.254.169.254/latest/meta-data"}),
            "callbackUrl",
        ),
        (
            json!({"runtime": "claude", "callbackUrl": "https://localhost:8080/"}),
            "callbackUrl",
        ),
        (
            json!({"runtime": "claude", "callbackUrl": "javascript:alert(1)"}),
            "callbackUrl",
        ),
        (
            json!({"runtime": "claude", "publicKey": "0x1234"}),
            "publicKey",
        ),
        (
            json!({"runtime": "claude", "publicKey": "not hex at all"}),
            "publicKey",
        ),
    ] {
        let (status, res) = app.post("/api/intake/agent", &body, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(res["error"], "invalid agent");
        assert_eq!(res["issues"][0]["path"], path, "{res}");
    }
    assert_eq!(
        app.db.count("SELECT count(*) FROM agent_endpoints").await,
        0
    );
}

/// The agent skill says `ageAttested` is REQUIRED and must be true; the reference's
/// "no, default false" is a deliberate difference (README). Nothing is stored otherwise.
#[tokio::test]
async fn a_heart_file_must_attest_an_adult() {
    let app = spawn_app().await;
    for (attested, message) in [
        (None, "required"),
        (Some(false), "must be true: the venue is for adults only"),
    ] {
        let mut doc = heart_file();
        match attested {
            None => drop(doc.as_object_mut().unwrap().remove("ageAttested")),
            Some(b) => doc["ageAttested"] = json!(b),
        }
        let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body,
            json!({"error": "invalid heart-file",
                   "issues": [{"path": "ageAttested", "message": message}]})
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
    // A new version must attest too.
    let (owner, token) = app.new_owner().await;
    let mut doc = heart_file();
    doc.as_object_mut().unwrap().remove("ageAttested");
    doc["ownerId"] = json!(owner);
    let (status, body) = app.post("/api/intake/heart-file", &doc, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(app.db.count("SELECT count(*) FROM heart_files").await, 1);
}

/// `heart` is free-form, except `heart.prefs`, whose schema is known: a key it does not
/// know is refused with the key it most likely meant, so no hard filter is dropped unseen.
#[tokio::test]
async fn unknown_prefs_keys_are_named_not_dropped() {
    let app = spawn_app().await;
    let mut doc = heart_file();
    doc["heart"]["prefs"] = json!({
        "self": {"gender": "woman", "height": 170},
        "seek": {"gender": ["man"], "age_max": 40}
    });
    doc["heart"]["vibe"] = json!("free-form prose keys are fine");
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["issues"],
        json!([
            {"path": "heart.prefs.self.height", "message": "unknown field"},
            {"path": "heart.prefs.seek.gender", "message": "unknown field; did you mean genders?"},
            {"path": "heart.prefs.seek.age_max", "message": "unknown field; did you mean ageMax?"},
        ])
    );
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
    // `owner_id` for `ownerId` used to create a new owner instead of a new version.
    let (owner, token) = app.new_owner().await;
    let mut doc = heart_file();
    doc["owner_id"] = json!(owner);
    let (status, body) = app.post("/api/intake/heart-file", &doc, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["issues"],
        json!([{"path": "owner_id", "message": "unknown field; did you mean ownerId?"}])
    );
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 1);
}

/// A number Postgres would store but no JSON reader can read back (found by the contract
/// fuzzer: `1.7976931348623157e308` made every later beat answer 500) is refused at the
/// door, in a doc and in a persona's heart; numbers up to 2^53 - 1 are kept, and a beat
/// over such hearts runs.
#[tokio::test]
async fn a_heart_number_no_reader_can_hold_is_refused_and_the_beat_still_runs() {
    let app = spawn_app().await;
    for n in [json!(1.7976931348623157e308), json!(u64::MAX), json!(-1e16)] {
        let mut doc = heart_file();
        doc["heart"]["n"] = n.clone();
        let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
        assert_eq!(status, 400, "{n}: {body}");
        assert_eq!(
            body["issues"],
            json!([{"path": "heart.n", "message":
                "must be a number between -9007199254740991 and 9007199254740991"}]),
            "{n}"
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
    let (status, body) = app
        .post_owned_persona(
            &json!({"handle": "wren", "model": "m", "persona_age": "18+",
            "heart": {"about": "bread", "list": [1, 2, 1e300]}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["issues"][0]["path"], "heart.list[2]", "{body}");

    // The largest accepted number is kept (the doc is stored; its text may still be held).
    let mut doc = heart_file();
    doc["heart"]["n"] = json!(9_007_199_254_740_991_i64);
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(status, 200, "{body}");
    // Daters whose hearts carry numbers Postgres stores as long decimals still match.
    let edge = json!({"about": "Quiet mornings, long walks.", "height": 1.75, "x": -0.5e-300});
    app.dater_with_doc("ash", edge.clone(), edge.clone(), None)
        .await;
    app.dater_with_doc("birch", edge.clone(), edge, None).await;
    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
}
