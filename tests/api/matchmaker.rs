use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent};

use crate::helpers::{Dater, OPERATOR, Setup, TestApp, parts, spawn_app, spawn_app_with};

fn heart(about: &str) -> Value {
    json!({"about": about})
}

fn with_prefs(about: &str, prefs: Value) -> Value {
    json!({"about": about, "prefs": prefs})
}

async fn couple_of(app: &TestApp, d: &Dater) -> Option<i64> {
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&d.token)
        .send()
        .await
        .unwrap();
    let (_, me) = parts(r).await;
    me["couples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "courting")
        .and_then(|c| c["coupleId"].as_i64())
}

#[tokio::test]
async fn the_beat_needs_the_operator() {
    let app = spawn_app().await;
    let (status, body) = parts(
        app.client
            .post(app.url("/admin/actions/beat"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body),
        (401, json!({"error": "operator token required"}))
    );
    let r = app
        .client
        .post(app.url("/admin/actions/beat"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    // HTTP Basic with the token as the password works too.
    let r = app
        .client
        .post(app.url("/admin/actions/beat"))
        .basic_auth("anyone", Some(OPERATOR))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_beat_pairs_similar_hearts_once_and_writes_their_gambits() {
    let app = spawn_app().await;
    let bakers = "I bake sourdough bread every weekend and love flour, starters and crusty loaves.";
    let climbers =
        "Rock climbing, bouldering and mountain hikes are my whole life; chalk on my hands.";
    let a = app.dater("ada", heart(bakers), None).await;
    let b = app
        .dater("bo", heart(&format!("{bakers} Also sourdough.")), None)
        .await;
    let c = app.dater("cy", heart(climbers), None).await;
    let d = app
        .dater(
            "di",
            heart(&format!("{climbers} Bouldering forever.")),
            None,
        )
        .await;

    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
    assert!(body["cycleId"].as_str().is_some_and(|c| c.len() == 36));
    assert_eq!(
        (body["pairs"].as_i64(), body["created"].as_i64()),
        (Some(2), Some(2)),
        "{body}"
    );

    // The bakers pair with each other, the climbers with each other.
    let ca = couple_of(&app, &a).await.expect("ada is courting");
    assert_eq!(couple_of(&app, &b).await, Some(ca));
    let cc = couple_of(&app, &c).await.expect("cy is courting");
    assert_eq!(couple_of(&app, &d).await, Some(cc));

    // Each couple opens with the matchmaker's gambit on the courtships board.
    let (_, board) = app.get("/api/boards/courtships").await;
    let turns = board.as_array().unwrap();
    assert_eq!(turns.len(), 2);
    for t in turns {
        assert_eq!(t["author"], "matchmaker");
        assert!(!t["body"].as_str().unwrap().is_empty());
    }
    // The notifications board says so, without private data.
    let (_, notes) = app.get("/api/boards/notifications").await;
    assert_eq!(notes.as_array().unwrap().len(), 2);
    assert!(!notes.to_string().contains("wren_alias"));

    // A second beat over the same personas creates nothing.
    let (_, again) = app.beat().await;
    assert_eq!(
        (again["pairs"].as_i64(), again["created"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(app.db.count("SELECT count(*) FROM couples").await, 2);
    assert_eq!(app.db.count("SELECT count(*) FROM beats").await, 2);
    // Embeddings are cached by heart hash and model: one per distinct heart.
    assert_eq!(app.db.count("SELECT count(*) FROM embeddings").await, 4);
}

#[tokio::test]
async fn hard_filters_hold_both_ways() {
    let app = spawn_app().await;
    let text = "Jazz records, slow cooking and late-night conversations about books.";
    // Ada seeks women; Bo is a man. Same words, no couple.
    app.dater(
        "ada",
        with_prefs(
            text,
            json!({"self": {"gender": "woman"}, "seek": {"genders": ["woman"]}}),
        ),
        None,
    )
    .await;
    app.dater(
        "bo",
        with_prefs(
            text,
            json!({"self": {"gender": "man"}, "seek": {"genders": ["woman"]}}),
        ),
        None,
    )
    .await;
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 0, "{body}");
    // A woman who seeks women arrives: she pairs with Ada, never with Bo.
    let cy = app
        .dater(
            "cy",
            with_prefs(
                text,
                json!({"self": {"gender": "woman"}, "seek": {"genders": ["woman"]}}),
            ),
            None,
        )
        .await;
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    let me = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&cy.token)
        .send()
        .await
        .unwrap();
    let (_, me) = parts(me).await;
    assert_eq!(me["couples"][0]["partnerHandle"], "ada");
}

#[tokio::test]
async fn concurrent_beats_never_double_pair() {
    let app = spawn_app().await;
    for i in 0..6 {
        app.dater(
            &format!("p{i}"),
            heart("Gardening, tomatoes, compost and long summer evenings outdoors."),
            None,
        )
        .await;
    }
    let results = futures_util::future::join_all((0..4).map(|_| app.beat())).await;
    let mut created = 0;
    for (status, body) in &results {
        match status.as_u16() {
            200 => created += body["created"].as_i64().unwrap(),
            409 => assert_eq!(body, &json!({"error": "a beat is already running"})),
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(app.db.count("SELECT count(*) FROM couples").await, 3);
    assert_eq!(
        app.db.count("SELECT count(*) FROM (SELECT persona_a AS p FROM couples UNION ALL SELECT persona_b FROM couples) x GROUP BY p HAVING count(*) > 1").await,
        -1,
        "no persona is in two couples"
    );
}

#[tokio::test]
async fn a_raised_cap_admits_pending_personas_on_the_next_beat() {
    let app = spawn_app_with(Setup {
        settings: vec![("cap", "1".into())],
        ..Default::default()
    })
    .await;
    app.dater("first", heart("Cats and tea."), None).await;
    let (status, body) = app.owned_persona("second").await;
    assert_eq!(
        (status.as_u16(), &body["reason"]),
        (422, &json!("cap reached"))
    );
    app.db
        .exec("UPDATE settings SET value = '2' WHERE key = 'cap'")
        .await;
    app.beat().await;
    assert_eq!(
        app.db
            .scalar("SELECT status FROM personas WHERE handle = 'second'")
            .await
            .as_deref(),
        Some("admitted")
    );
}

#[tokio::test]
async fn courting_agents_post_turns_and_the_chaperone_screens_them() {
    let app = spawn_app().await;
    let text = "Vintage bicycles, espresso and Sunday markets.";
    let a = app.dater("ada", heart(text), None).await;
    let b = app.dater("bo", heart(text), None).await;
    let outsider = app
        .dater("zed", heart("Completely different: deep sea diving."), None)
        .await;
    app.beat().await;
    let couple = couple_of(&app, &a).await.expect("paired");
    let path = format!("/api/couples/{couple}/turns");

    let (status, body) = app
        .post(
            &path,
            &json!({"body": "Hi Bo! Favourite market stall?"}),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["reason"].as_str()),
        (Some("published"), Some("allowed"))
    );
    assert!(body["turnId"].as_i64().is_some());

    let (_, body) = app
        .post(
            &path,
            &json!({"body": "text me at bo@example.com"}),
            Some(&b.token),
        )
        .await;
    assert_eq!(
        (body["status"].as_str(), body["reason"].as_str()),
        (Some("blocked"), Some("pii: email"))
    );

    let (_, board) = app.get("/api/boards/courtships").await;
    let bodies: Vec<&str> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Hi Bo! Favourite market stall?"));
    assert!(
        !board.to_string().contains("example.com"),
        "blocked turns never reach a board"
    );
    assert_eq!(board[0]["author"], "ada", "newest first, by handle");

    // Errors, row by row.
    let cases: Vec<(String, Value, Option<&str>, u16, Value)> = vec![
        (
            path.clone(),
            json!({"body": "hi"}),
            None,
            401,
            json!({"error": "owner token required"}),
        ),
        (
            path.clone(),
            json!({"body": "hi"}),
            Some(&outsider.token),
            403,
            json!({"error": "owner not in this couple"}),
        ),
        (
            "/api/couples/abc/turns".into(),
            json!({"body": "hi"}),
            Some(&a.token),
            400,
            json!({"error": "bad couple id"}),
        ),
        (
            "/api/couples/0/turns".into(),
            json!({"body": "hi"}),
            Some(&a.token),
            400,
            json!({"error": "bad couple id"}),
        ),
        (
            "/api/couples/999999/turns".into(),
            json!({"body": "hi"}),
            Some(&a.token),
            404,
            json!({"error": "no such couple"}),
        ),
    ];
    for (p, body, token, status, want) in cases {
        let (s, got) = app.post(&p, &body, token).await;
        assert_eq!((s.as_u16(), got), (status, want), "{p}");
    }
    let (s, got) = app.post(&path, &json!({"body": ""}), Some(&a.token)).await;
    assert_eq!((s.as_u16(), &got["error"]), (400, &json!("invalid turn")));
}

#[tokio::test]
async fn an_agent_without_a_verified_endpoint_cannot_post() {
    let app = spawn_app().await;
    let text = "Board games, puzzles and rainy afternoons.";
    let a = app.dater("ada", heart(text), None).await;
    app.dater("bo", heart(text), None).await;
    app.beat().await;
    let couple = couple_of(&app, &a).await.unwrap();
    app.db
        .exec(&format!(
            "UPDATE agent_endpoints SET status = 'pending' WHERE owner_id = {}",
            a.owner
        ))
        .await;
    let (s, body) = app
        .post(
            &format!("/api/couples/{couple}/turns"),
            &json!({"body": "hi"}),
            Some(&a.token),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body),
        (403, json!({"error": "agent endpoint not verified"}))
    );
}

#[tokio::test]
async fn ending_a_couple_is_final_and_they_are_never_re_paired() {
    let app = spawn_app().await;
    let text = "Film photography, darkrooms and grain.";
    let a = app.dater("ada", heart(text), None).await;
    app.dater("bo", heart(text), None).await;
    app.beat().await;
    let couple = couple_of(&app, &a).await.unwrap();
    let end = format!("/api/couples/{couple}/end");
    let (s, body) = app.post(&end, &json!({}), Some(&a.token)).await;
    assert_eq!(body["nextSteps"][0]["action"], "wait_for_beat");
    assert_eq!(
        (s.as_u16(), crate::helpers::reference_fields(body)),
        (
            200,
            json!({"ok": true, "coupleId": couple, "state": "ended"})
        )
    );
    // Idempotent.
    assert_eq!(app.post(&end, &json!({}), Some(&a.token)).await.0, 200);
    let (s, body) = app
        .post(
            &format!("/api/couples/{couple}/turns"),
            &json!({"body": "still there?"}),
            Some(&a.token),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body),
        (409, json!({"error": "couple is not courting"}))
    );
    let (_, beat) = app.beat().await;
    assert_eq!(beat["created"], 0, "an ended pair is never re-paired");
}

#[tokio::test]
async fn owners_me_shows_the_callers_own_world_only() {
    let app = spawn_app().await;
    let text = "Ceramics, wheel throwing and glaze chemistry.";
    let a = app.dater("ada", heart(text), None).await;
    app.dater("bo", heart(text), None).await;
    app.beat().await;
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let (status, me) = parts(r).await;
    assert_eq!(status, 200);
    assert_eq!(me["ownerId"], a.owner);
    assert_eq!(me["tier"], "agent_represented");
    assert_eq!(me["docVersion"], 1);
    assert_eq!(
        me["personas"],
        json!([{"personaId": a.persona, "handle": "ada", "status": "admitted", "reason": "admitted", "noCouple": null}])
    );
    assert_eq!(me["endpoints"][0]["status"], "active");
    assert_eq!(me["couples"][0]["partnerHandle"], "bo");
    assert_eq!(me["couples"][0]["state"], "courting");
    assert!(!me.to_string().contains("wren_alias"), "no contactRef");
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(r).await,
        (
            reqwest::StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );
}

fn verify_signature(secret: &str, header: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_owned()),
            Some(("v1", x)) => v1 = Some(x.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

#[tokio::test]
async fn agents_are_notified_with_signed_events_and_failures_are_retried() {
    let app = spawn_app_with(Setup {
        background: true,
        ..Default::default()
    })
    .await;
    let agent_a = FakeAgent::start(AgentBehaviour::Echo).await;
    let down = FakeAgent::start(AgentBehaviour::Status(503)).await;
    let text = "Sailing, knots, tides and salty air.";
    let a = app.dater("ada", heart(text), Some(agent_a.url())).await;
    let b = app.dater("bo", heart(text), Some(down.url())).await;
    assert!(a.callback_secret.as_ref().is_some_and(|s| s.len() >= 43));
    let hits_before = agent_a.hits();
    app.beat().await;

    // The delivery loop runs every 500 ms.
    let mut events = Vec::new();
    for _ in 0..50 {
        events = agent_a.received().into_iter().skip(hits_before).collect();
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(events.len(), 1, "one couple.formed event for ada");
    let ev = &events[0];
    let payload: Value = serde_json::from_slice(&ev.body).unwrap();
    assert_eq!(payload["type"], "couple.formed");
    assert_eq!(payload["partner"], "bo");
    assert!(payload["coupleId"].as_i64().is_some());
    let sig = ev.signature.as_deref().expect("signed");
    assert!(
        verify_signature(a.callback_secret.as_deref().unwrap(), sig, &ev.body),
        "{sig}"
    );
    assert!(!verify_signature("wrong secret", sig, &ev.body));

    // Bo's agent answers 503: the notification stays queued with a later attempt.
    for _ in 0..30 {
        if app
            .db
            .count("SELECT attempts FROM notifications WHERE delivered_at IS NULL")
            .await
            >= 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM notifications WHERE delivered_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.db
            .count("SELECT attempts FROM notifications WHERE delivered_at IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.db.count("SELECT count(*) FROM notifications WHERE delivered_at IS NULL AND next_attempt_at > now() AND last_error IS NOT NULL").await,
        1
    );
    let _ = b;
}
