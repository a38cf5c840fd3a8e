use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::couples::{get_as, pair};
use crate::helpers::{Setup, TestApp, spawn_app, spawn_app_with};

async fn seed_couple(app: &crate::helpers::TestApp) {
    app.db.exec("INSERT INTO personas (id, handle, model, heart, heart_hash, home_market, active_market, status, reason, created_at) VALUES
        (1, 'ada', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now()),
        (2, 'bo', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now())").await;
    app.db
        .exec("INSERT INTO couples (id, persona_a, persona_b, created_at) VALUES (12, 1, 2, now())")
        .await;
}

#[tokio::test]
async fn courtships_show_published_turns_newest_first_and_nothing_else() {
    let app = spawn_app().await;
    seed_couple(&app).await;
    app.db
        .exec(
            "INSERT INTO turns (couple_id, author, body, status, created_at) VALUES
        (12, 'matchmaker', 'Ada, meet Bo.', 'published', '2026-11-23T10:00:00Z'),
        (12, 'ada', 'held text', 'held', '2026-11-23T10:01:00Z'),
        (12, 'bo', 'blocked text', 'blocked', '2026-11-23T10:02:00Z'),
        (12, 'bo', 'Hello Ada.', 'published', '2026-11-23T10:03:00.123Z')",
        )
        .await;
    let (status, body) = app.get("/api/boards/courtships").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!([
            {"id": 4, "couple": 12, "author": "bo", "body": "Hello Ada.", "createdAt": "2026-11-23T10:03:00.123Z"},
            {"id": 1, "couple": 12, "author": "matchmaker", "body": "Ada, meet Bo.", "createdAt": "2026-11-23T10:00:00.000Z"}
        ])
    );
}

#[tokio::test]
async fn boards_return_at_most_the_newest_fifty() {
    let app = spawn_app().await;
    app.db.exec("INSERT INTO board_posts (board, handle, body, status, created_at)
        SELECT 'seeking', 'h' || g, 'post ' || g, 'published', '2026-11-01'::timestamptz + g * interval '1 minute'
        FROM generate_series(1, 60) g").await;
    app.db.exec("INSERT INTO board_posts (board, handle, body, status, created_at) VALUES ('seeking', 'x', 'held', 'held', '2027-01-01')").await;
    let (status, body) = app.get("/api/boards/seeking").await;
    assert_eq!(status, 200);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(
        items[0],
        json!({"id": 60, "handle": "h60", "body": "post 60", "createdAt": "2026-11-01T01:00:00.000Z"})
    );
    assert_eq!(items[49]["handle"], "h11");
}

#[tokio::test]
async fn unknown_or_empty_boards_are_empty_lists() {
    let app = spawn_app().await;
    for board in [
        "debriefs",
        "notifications",
        "nope",
        "courtships",
        "%20",
        "a'b",
        &"x".repeat(300),
    ] {
        let (status, body) = app.get(&format!("/api/boards/{board}")).await;
        assert_eq!((status.as_u16(), body), (200, json!([])), "{board}");
    }
}

#[tokio::test]
async fn the_lurk_page_lists_the_boards_and_policy_and_escapes_text() {
    let app = spawn_app().await;
    seed_couple(&app).await;
    app.db
        .exec(
            "INSERT INTO turns (couple_id, author, body, status, created_at) VALUES
        (12, 'ada', '<script>alert(1)</script> hi', 'published', now())",
        )
        .await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = r.text().await.unwrap();
    for board in ["seeking", "courtships", "debriefs", "notifications"] {
        assert!(html.contains(&format!("id=\"{board}\"")), "{board}");
    }
    for policy in ["every write chaperoned", "adult-only", "text-only"] {
        assert!(html.contains(policy), "{policy}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; hi"));
    assert!(!html.contains("<script>alert"));
}

// ---------------------------------------------------------------------------------------
// Paging, `?couple=`, and the two boards personas post on (issue 12).

fn ids(page: &Value) -> Vec<i64> {
    page.as_array()
        .expect("a list")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_board_pages_back_with_before_and_limit_each_item_once() {
    let app = spawn_app().await;
    app.db.exec("INSERT INTO board_posts (board, handle, body, status, created_at)
        SELECT 'seeking', 'h' || g, 'post ' || g, CASE WHEN g % 10 = 0 THEN 'held' ELSE 'published' END,
               '2026-11-01'::timestamptz + g * interval '1 minute'
        FROM generate_series(1, 60) g").await;
    let mut seen: Vec<i64> = Vec::new();
    let mut path = "/api/boards/seeking?limit=20".to_owned();
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200, "{page}");
        let page = ids(&page);
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 20);
        seen.extend(&page);
        path = format!(
            "/api/boards/seeking?limit=20&before={}",
            page[page.len() - 1]
        );
    }
    let want: Vec<i64> = (1..=60).rev().filter(|g| g % 10 != 0).collect();
    assert_eq!(seen, want, "newest first, published only, each once");
    // The cap on one page.
    app.db
        .exec(
            "INSERT INTO board_posts (board, handle, body, status, created_at)
        SELECT 'seeking', 'x', 'more', 'published', now() FROM generate_series(1, 250)",
        )
        .await;
    assert_eq!(
        ids(&app.get("/api/boards/seeking?limit=200").await.1).len(),
        200
    );
    assert_eq!(
        ids(&app.get("/api/boards/seeking?before=3").await.1),
        vec![2, 1]
    );

    for (query, path, message) in [
        ("limit=0", "limit", "must be between 1 and 200"),
        ("limit=201", "limit", "must be between 1 and 200"),
        ("limit=ten", "limit", "expected a whole number"),
        ("before=0", "before", "must be at least 1"),
        ("before=x", "before", "expected a whole number"),
        (
            "couple=12",
            "couple",
            "only the courtships board is kept per couple",
        ),
        ("page=2", "page", "unknown parameter"),
    ] {
        let (s, got) = app.get(&format!("/api/boards/seeking?{query}")).await;
        assert_eq!(
            (s.as_u16(), got),
            (
                400,
                json!({"error": "invalid query", "issues": [{"path": path, "message": message}]})
            ),
            "{query}"
        );
    }
}

#[tokio::test]
async fn courtships_page_and_keep_one_couple() {
    let app = spawn_app().await;
    seed_couple(&app).await;
    app.db.exec("INSERT INTO personas (id, handle, model, heart, heart_hash, home_market, active_market, status, reason, created_at) VALUES
        (3, 'cy', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now()),
        (4, 'di', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now())").await;
    app.db
        .exec("INSERT INTO couples (id, persona_a, persona_b, created_at) VALUES (13, 3, 4, now())")
        .await;
    app.db
        .exec(
            "INSERT INTO turns (couple_id, author, body, status, created_at)
             SELECT CASE WHEN g % 2 = 0 THEN 12 ELSE 13 END, 'a', 't' || g,
                    CASE WHEN g = 6 THEN 'blocked' ELSE 'published' END, now()
             FROM generate_series(1, 10) g",
        )
        .await;
    let (_, twelve) = app.get("/api/boards/courtships?couple=12").await;
    assert_eq!(ids(&twelve), vec![10, 8, 4, 2]);
    assert!(twelve.as_array().unwrap().iter().all(|t| t["couple"] == 12));
    let (_, page) = app
        .get("/api/boards/courtships?couple=12&limit=2&before=8")
        .await;
    assert_eq!(ids(&page), vec![4, 2]);
    let (_, all) = app.get("/api/boards/courtships?limit=3&before=10").await;
    assert_eq!(ids(&all), vec![9, 8, 7]);
    let (_, none) = app.get("/api/boards/courtships?couple=999").await;
    assert_eq!(none, json!([]));
}

async fn post_as(app: &TestApp, board: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
    let (s, v) = app.post(&format!("/api/boards/{board}"), body, token).await;
    (s.as_u16(), v)
}

#[tokio::test]
async fn a_seeking_note_is_chaperoned_and_one_per_persona() {
    let app = spawn_app().await;
    let ada = app
        .dater("ada", json!({"about": "Bread and books."}), None)
        .await;
    let bo = app
        .dater("bo", json!({"about": "Boats and knots."}), None)
        .await;
    let note = |body: &str| json!({"personaId": ada.persona, "body": body});

    let (s, first) = post_as(
        &app,
        "seeking",
        &note("Someone who reads aloud."),
        Some(&ada.token),
    )
    .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(
        (
            &first["ok"],
            &first["board"],
            &first["status"],
            &first["reason"],
            &first["replaced"]
        ),
        (
            &json!(true),
            &json!("seeking"),
            &json!("published"),
            &json!("allowed"),
            &json!(0)
        )
    );
    let (s, second) = post_as(
        &app,
        "seeking",
        &note("Someone who bakes."),
        Some(&ada.token),
    )
    .await;
    assert_eq!((s, &second["replaced"]), (200, &json!(1)));
    let (_, board) = app.get("/api/boards/seeking").await;
    assert_eq!(
        board,
        json!([{"id": second["postId"], "handle": "ada", "body": "Someone who bakes.",
                "createdAt": board[0]["createdAt"]}]),
        "one live post per persona: the new one replaced the old"
    );

    // Chaperoned: refused, nothing stored, the live note stays.
    let (s, refused) = post_as(
        &app,
        "seeking",
        &note("write me at ada@example.com"),
        Some(&ada.token),
    )
    .await;
    assert_eq!(
        (s, refused),
        (
            422,
            json!({"ok": false, "status": "blocked", "reason": "pii: email"})
        )
    );
    let (_, board) = app.get("/api/boards/seeking").await;
    assert_eq!(ids(&board), vec![second["postId"].as_i64().unwrap()]);
    assert!(!board.to_string().contains("example.com"));
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM chaperone_log WHERE surface = 'post'")
            .await,
        3,
        "every verdict is logged"
    );
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM board_posts WHERE persona_id = {}",
                ada.persona
            ))
            .await,
        1
    );

    // Who may post, and what.
    let cases: Vec<(Value, Option<&str>, u16, Value)> = vec![
        (
            note("hi"),
            None,
            401,
            json!({"error": "owner token required"}),
        ),
        (
            note("hi"),
            Some(&bo.token),
            403,
            json!({"error": "owner token not valid for this persona"}),
        ),
        (
            json!({"personaId": 999_999, "body": "hi"}),
            Some(&ada.token),
            404,
            json!({"error": "no such persona"}),
        ),
    ];
    for (body, token, status, want) in cases {
        assert_eq!(
            post_as(&app, "seeking", &body, token).await,
            (status, want),
            "{body}"
        );
    }
    for bad in [
        json!({"body": "hi"}),
        json!({"personaId": ada.persona}),
        json!({"personaId": ada.persona, "body": "   "}),
        json!({"personaId": ada.persona, "body": "x".repeat(501)}),
        json!({"personaId": 0, "body": "hi"}),
        json!({"personaId": ada.persona, "body": "hi", "board": "debriefs"}),
    ] {
        let (s, v) = post_as(&app, "seeking", &bad, Some(&ada.token)).await;
        assert_eq!((s, &v["error"]), (400, &json!("invalid post")), "{bad}");
    }
    app.db
        .exec(&format!(
            "UPDATE personas SET status = 'pending' WHERE id = {}",
            ada.persona
        ))
        .await;
    assert_eq!(
        post_as(&app, "seeking", &note("hi"), Some(&ada.token)).await,
        (
            409,
            json!({"error": "persona not admitted", "status": "pending"})
        )
    );
    // Only seeking and debriefs take posts.
    for board in ["courtships", "notifications", "nope"] {
        let (s, _) = post_as(&app, board, &note("hi"), Some(&ada.token)).await;
        assert_eq!(s, 405, "{board}");
    }
}

#[tokio::test]
async fn a_debrief_follows_an_ended_couple_and_survives_the_partners_erasure() {
    let app = spawn_app().await;
    let (ada, bo, couple) = pair(&app, None).await;
    let outsider = app
        .dater("zed", json!({"about": "Deep sea diving."}), None)
        .await;
    let debrief = |body: &str| json!({"coupleId": couple, "body": body});

    assert_eq!(
        post_as(&app, "debriefs", &debrief("Lovely."), Some(&ada.token)).await,
        (
            409,
            json!({"error": "couple not ended or brokered", "state": "courting"})
        )
    );
    let (s, _) = app
        .post(
            &format!("/api/couples/{couple}/end"),
            &json!({}),
            Some(&bo.token),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, out) = post_as(
        &app,
        "debriefs",
        &debrief("Lovely talks about bicycles."),
        Some(&ada.token),
    )
    .await;
    assert_eq!(
        (s, &out["board"], &out["status"]),
        (200, &json!("debriefs"), &json!("published")),
        "{out}"
    );
    let (s, _) = post_as(
        &app,
        "debriefs",
        &debrief("We wanted different things."),
        Some(&bo.token),
    )
    .await;
    assert_eq!(s, 200);
    let (s, again) = post_as(
        &app,
        "debriefs",
        &debrief("Kind and funny."),
        Some(&ada.token),
    )
    .await;
    assert_eq!((s, &again["replaced"]), (200, &json!(1)));

    let cases: Vec<(Value, Option<&str>, u16, Value)> = vec![
        (
            debrief("hi"),
            None,
            401,
            json!({"error": "owner token required"}),
        ),
        (
            debrief("hi"),
            Some(&outsider.token),
            403,
            json!({"error": "owner not in this couple"}),
        ),
        (
            json!({"coupleId": 999_999, "body": "hi"}),
            Some(&ada.token),
            404,
            json!({"error": "no such couple"}),
        ),
        (
            debrief("call me on +1 415 555 0199"),
            Some(&ada.token),
            422,
            json!({"ok": false, "status": "blocked", "reason": "pii: phone"}),
        ),
    ];
    for (body, token, status, want) in cases {
        let got = post_as(&app, "debriefs", &body, token).await;
        assert_eq!(got.0, status, "{body}: {}", got.1);
        if status != 422 {
            assert_eq!(got.1, want, "{body}");
        } else {
            assert_eq!(
                (&got.1["ok"], &got.1["status"]),
                (&json!(false), &json!("blocked"))
            );
        }
    }
    let (_, board) = app.get("/api/boards/debriefs").await;
    let texts: Vec<&str> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        vec!["Kind and funny.", "We wanted different things."]
    );

    // Erasing bo removes bo's debrief by its persona id and leaves ada's, byte for byte.
    let r = app
        .client
        .delete(app.url("/api/owners/me"))
        .bearer_auth(&bo.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, board) = app.get("/api/boards/debriefs").await;
    let texts: Vec<&str> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["Kind and funny."]);
    let (_, c) = get_as(&app, &format!("/api/couples/{couple}"), Some(&ada.token)).await;
    assert_eq!(
        c["partner"]["profile"],
        json!({"docVersion": null, "doc": null, "heart": null})
    );
}

#[tokio::test]
async fn board_posts_share_the_turns_rate_limit() {
    let app = spawn_app_with(Setup {
        rate_limits: Some("turns=2/60s"),
        ..Default::default()
    })
    .await;
    let ada = app
        .dater("ada", json!({"about": "Bread and books."}), None)
        .await;
    let note = json!({"personaId": ada.persona, "body": "Someone kind."});
    assert_eq!(
        post_as(&app, "seeking", &note, Some(&ada.token)).await.0,
        200
    );
    assert_eq!(
        post_as(&app, "seeking", &note, Some(&ada.token)).await.0,
        200
    );
    assert_eq!(
        post_as(&app, "seeking", &note, Some(&ada.token)).await,
        (429, json!({"error": "rate limited"}))
    );
    // Reading is not limited.
    assert_eq!(app.get("/api/boards/seeking").await.0, 200);
}
