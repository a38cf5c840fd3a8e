use serde_json::{Value, json};

use crate::helpers::{Setup, TestApp, persona, reference_fields, spawn_app, spawn_app_with};

/// `body` naming `owner` (a persona needs an owner and its token: docs/rules.md#admission-order).
fn of(owner: i64, mut body: Value) -> Value {
    body["ownerId"] = json!(owner);
    body
}

/// Posts `body` as a persona of `owner`, with its token.
async fn post_as(
    app: &TestApp,
    (owner, token): &(i64, String),
    body: Value,
) -> (reqwest::StatusCode, Value) {
    app.post_persona(&of(*owner, body), Some(token)).await
}

#[tokio::test]
async fn an_adult_persona_within_the_cap_is_admitted() {
    let app = spawn_app().await;
    let (status, body) = app.owned_persona("wren").await;
    assert_eq!(status, 200, "{body}");
    let id = body["personaId"].as_i64().unwrap();
    assert_eq!(
        reference_fields(body.clone()),
        json!({"admitted": true, "reason": "admitted", "personaId": id})
    );
    assert_eq!(
        app.db
            .scalar("SELECT status FROM personas")
            .await
            .as_deref(),
        Some("admitted")
    );
    assert_eq!(app.db.count("SELECT admitted FROM capacity").await, 1);
    // The verdict is logged, without the text.
    assert_eq!(
        app.db.scalar("SELECT surface || ':' || target_type || ':' || verdict || ':' || reason FROM chaperone_log WHERE target_type = 'persona'").await.as_deref(),
        Some("heart:persona:allow:allowed")
    );
}

#[tokio::test]
async fn anything_but_18_plus_is_refused_and_nothing_stored() {
    let app = spawn_app().await;
    let owner = app.new_owner().await;
    for age in ["17", "18", "adult", "18+ ", "", "21+"] {
        let mut p = persona("kid");
        p["persona_age"] = json!(age);
        let (status, body) = post_as(&app, &owner, p).await;
        if age == "18+ " {
            // Surrounding blanks are trimmed: still an adult attestation.
            assert_eq!(status, 200, "{body}");
            app.db.exec("DELETE FROM personas").await;
            app.db
                .exec("DELETE FROM chaperone_log WHERE target_type = 'persona'")
                .await;
            app.db.exec("UPDATE capacity SET admitted = 0").await;
            continue;
        }
        assert_eq!(status, 422, "{age:?}");
        assert_eq!(
            body,
            json!({"admitted": false, "reason": "adult-only venue"})
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM chaperone_log WHERE target_type = 'persona'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_chaperone_refuses_personal_data_the_denylist_and_unsafe_text() {
    let app = spawn_app().await;
    let owner = app.new_owner().await;
    let cases = [
        (
            "p1",
            json!({"about": "write to me at wren@example.org"}),
            "pii: email",
        ),
        (
            "p2",
            json!("call me on +1 415 555 0132"),
            "pii: phone number",
        ),
        (
            "p3",
            json!({"about": "find me on insta: wrenbakes"}),
            "pii: social handle",
        ),
        (
            "p4",
            json!({"about": "looking for a sugar daddy"}),
            "denylist: prohibited framing",
        ),
        ("p5", json!({"about": "send nudes"}), "guard_unsafe: S12"),
    ];
    for (handle, heart, reason) in cases {
        let mut p = persona(handle);
        p["heart"] = heart;
        let (status, body) = post_as(&app, &owner, p).await;
        assert_eq!(status, 422, "{body}");
        let id = body["personaId"].as_i64().unwrap();
        assert_eq!(
            reference_fields(body.clone()),
            json!({"admitted": false, "reason": reason, "personaId": id})
        );
        assert_eq!(
            app.db
                .scalar(&format!("SELECT status FROM personas WHERE id = {id}"))
                .await
                .as_deref(),
            Some("denied")
        );
    }
    // A handle carrying personal data is screened too.
    let (status, body) = post_as(&app, &owner, persona("@wren_on_x")).await;
    assert_eq!(
        (status.as_u16(), body["reason"].as_str()),
        (422, Some("pii: social handle"))
    );

    assert_eq!(
        app.db.count("SELECT admitted FROM capacity").await,
        0,
        "no slot taken"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM chaperone_log WHERE verdict = 'deny' AND target_type = 'persona'")
            .await,
        6
    );
    // The log never holds the text.
    assert_eq!(app.db.count("SELECT count(*) FROM chaperone_log WHERE reason LIKE '%example.org%' OR reason LIKE '%415%'").await, 0);
}

#[tokio::test]
async fn the_operator_denylist_applies() {
    let app = spawn_app_with(Setup {
        settings: vec![("denylist", "crypto pitch: buy my token; tabs".into())],
        ..Default::default()
    })
    .await;
    let mut p = persona("tok");
    p["heart"] = json!({"about": "Please BUY my token!"});
    let (_, body) = app.post_owned_persona(&p).await;
    assert_eq!(body["reason"], "denylist: crypto pitch");
    let mut p = persona("tabs");
    p["heart"] = json!({"about": "spaces or tabs?"});
    let (_, body) = app.post_owned_persona(&p).await;
    assert_eq!(body["reason"], "denylist: tabs");
}

#[tokio::test]
async fn at_capacity_the_persona_waits_pending() {
    let app = spawn_app_with(Setup {
        settings: vec![("cap", "1".into())],
        ..Default::default()
    })
    .await;
    assert_eq!(app.owned_persona("first").await.0, 200);
    let (status, body) = app.owned_persona("second").await;
    assert_eq!(status, 422);
    let id = body["personaId"].as_i64().unwrap();
    assert_eq!(
        reference_fields(body.clone()),
        json!({"admitted": false, "reason": "cap reached", "capReached": true, "personaId": id})
    );
    assert_eq!(
        app.db
            .scalar(&format!("SELECT status FROM personas WHERE id = {id}"))
            .await
            .as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn two_hundred_concurrent_admissions_never_exceed_a_cap_of_fifty() {
    let app = spawn_app_with(Setup {
        settings: vec![("cap", "50".into())],
        ..Default::default()
    })
    .await;
    // Owners first (a persona needs one), then the persona posts race each other.
    let mut owners = Vec::with_capacity(200);
    for chunk in 0..10 {
        let made = (0..20).map(|_| app.new_owner());
        owners.extend(futures_util::future::join_all(made).await);
        assert_eq!(owners.len(), (chunk + 1) * 20);
    }
    let bodies: Vec<_> = owners
        .iter()
        .enumerate()
        .map(|(i, (owner, _))| of(*owner, persona(&format!("racer{i}"))))
        .collect();
    let calls = bodies
        .iter()
        .zip(&owners)
        .map(|(b, (_, token))| app.post_persona(b, Some(token)));
    let results = futures_util::future::join_all(calls).await;
    let admitted = results.iter().filter(|(s, _)| *s == 200).count();
    let capped = results
        .iter()
        .filter(|(s, b)| *s == 422 && b["reason"] == "cap reached" && b["capReached"] == true)
        .count();
    assert_eq!(
        (admitted, capped),
        (50, 150),
        "{:?}",
        results.iter().find(|(s, _)| *s != 200 && *s != 422)
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM personas WHERE status = 'admitted'")
            .await,
        50
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM personas WHERE status = 'pending'")
            .await,
        150
    );
    assert_eq!(app.db.count("SELECT admitted FROM capacity").await, 50);
}

#[tokio::test]
async fn a_persona_needs_an_owner_and_its_token() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (_, other_token) = app.new_owner().await;
    // No owner named (the reference allows it; Ishtar does not: docs/rules.md#admission-order),
    // with or without a token: 401, nothing stored, no slot taken.
    for bearer in [None, Some(token.as_str()), Some("garbage")] {
        assert_eq!(
            app.post_persona(&persona("ownerless"), bearer).await,
            (
                reqwest::StatusCode::UNAUTHORIZED,
                json!({"error": "owner token required"})
            ),
            "{bearer:?}"
        );
    }
    let mut p = persona("owned");
    p["ownerId"] = json!(owner);
    assert_eq!(
        app.post_persona(&p, None).await,
        (
            reqwest::StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );
    assert_eq!(app.post_persona(&p, Some("garbage")).await.0, 401);
    assert_eq!(app.post_persona(&p, Some(&other_token)).await.0, 403);
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
    assert_eq!(app.db.count("SELECT admitted FROM capacity").await, 0);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT owner_id FROM personas WHERE id = {}",
                body["personaId"]
            ))
            .await,
        owner
    );
}

#[tokio::test]
async fn handles_are_unique_whatever_the_case() {
    let app = spawn_app().await;
    assert_eq!(app.owned_persona("Wren").await.0, 200);
    assert_eq!(
        app.owned_persona("wREN").await,
        (
            reqwest::StatusCode::CONFLICT,
            json!({"error": "handle taken"})
        )
    );
}

/// The shape is checked before the owner: a bad body is a 400 with or without a token.
#[tokio::test]
async fn every_bad_persona_field_is_named() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_persona(
            &json!({"handle": "", "model": " ", "heart": 5, "redteam": "yes"}),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid persona");
    assert_eq!(
        body["issues"][0]["path"], "redteam",
        "a type error is reported first: {body}"
    );
    let (_, body) = app
        .post_persona(
            &json!({"handle": "", "model": " ", "heart": 5, "ownerId": 0}),
            None,
        )
        .await;
    let paths: Vec<&str> = body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    for want in ["handle", "model", "persona_age", "heart", "ownerId"] {
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }
    let mut p = persona("x".repeat(65).as_str());
    p["heart"] = json!({"prefs": {"self": {"kids": "dozens"}}});
    let (_, body) = app.post_persona(&p, None).await;
    let paths: Vec<&str> = body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["handle", "heart.prefs.self.kids"]);
}
